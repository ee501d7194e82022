"""The content's own grammar: G001, a noun placeholder left bare where the language needs a case.

A placeholder such as ``{profession}`` is filled with the citation form of a noun (the
nominative: fi "arkkitehti", lt "architektas", ga "dochtúir"). Dropped into the middle of a
sentence, it stands where languages that decline nouns need another case (fi "harjoittamaan
ammattia arkkitehti" should read "arkkitehdin ammattia"; ga "gairm dochtúir" needs the
genitive "dochtúra"). A catalog cannot inflect a value it does not know, so in those
languages the placeholder must stand where the nominative is right: after a colon at the
end of the sentence ("… the following profession: {profession}?"), at the start of a line,
or as a list item.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from imi_cli.questionnaires.fields import label, text_fields
from imi_cli.questionnaires.findings import WARNING, Finding
from imi_cli.questionnaires.loader import Document

# Placeholders filled with a common noun in its citation form (names of persons and
# companies are not: they stand in apposition to a declined head noun, "henkilöllä {name}").
NOUN_PLACEHOLDERS = frozenset({"profession"})

# Languages whose nouns take case endings the sentence governs, so that a bare nominative
# in the middle of a sentence is ungrammatical or awkward (docs/catalog-format.md, G001).
# Not listed: bg and mt (no noun cases), ro ("profesia de {profession}": no case after de),
# de (an unarticled close apposition stays uninflected: "des Berufs Architekt") and the other
# Germanic and Romance languages.
CASE_LANGUAGES = frozenset({"cs", "el", "et", "fi", "ga", "hr", "hu", "is", "lt", "lv", "pl",
                            "sk", "sl"})

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# What may stand before a placeholder in a nominative position: a colon, the start of the
# text or of a line, a list bullet at the start of a line.
BEFORE_OK = re.compile(r"(?:^|:|\n[ \t]*(?:[-*•][ \t]*)?|^[ \t]*[-*•])[ \t]*$")
# ... and after it: the end of the text, or punctuation that closes the clause.
AFTER_OK = re.compile(r"^[ \t]*(?:$|[?.!;,)\n])")


def bare_noun_placeholders(text: str) -> list[str]:
    """The noun placeholders of ``text`` that stand in a position where a case is needed."""
    found = []
    for match in PLACEHOLDER.finditer(text):
        if match.group(1) not in NOUN_PLACEHOLDERS:
            continue
        before, after = text[:match.start()], text[match.end():]
        if not (BEFORE_OK.search(before) and AFTER_OK.match(after)):
            found.append(match.group(1))
    return found


def check_bare_placeholder_case(doc: Document) -> Iterator[Finding]:
    """G001 (warning): a noun placeholder inside an inflected sentence in a language with cases."""
    for path, _, texts in text_fields(doc.data):
        for lang, text in texts.items():
            if lang not in CASE_LANGUAGES or not isinstance(text, str):
                continue
            for name in bare_noun_placeholders(text):
                yield doc.finding(path + (lang,), "G001", (
                    f"{label(doc.data, path + (lang,))}: {{{name}}} is filled with a noun in the "
                    f"nominative, which this {lang} sentence would have to decline; put it after "
                    f"a colon at the end (\"…: {{{name}}}?\"), the colon form"), WARNING)
