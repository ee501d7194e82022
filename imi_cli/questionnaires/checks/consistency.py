"""G002: one source text, one translation per language, across every catalog validated together.

An official who reads "Withdrawn" as pl "Cofnięta" in one question set and as "Wycofana" in
another cannot tell whether the two mean the same. So a text whose source (English) wording
recurs — a choice label (Valid, Suspended, Withdrawn), a question such as "Comments", a help
text — must be translated the same way wherever it recurs, in one catalog or in several, and
a Yes/No label the same as the built-in yes/no answers.

Choice labels agree in gender and number with the noun of their question (pl "licencja:
Ważna", "zezwolenie: Ważne"), so two labels whose words differ only in a short inflectional
part (at most 3 letters at the start or the end of each word, the rest shared) count as the
same term. Question and help texts must match exactly.

Only the newest version of each set is compared. This check sees the whole folder, so it
runs on the sets of a :class:`Catalog` once each file has passed its own checks (``imi
questionnaire validate``); the files it reports on are parsed again only to locate the finding.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from imi_cli.questionnaires.findings import WARNING, Finding
from imi_cli.questionnaires.loader import Document
from imi_cli.questionnaires.model import QuestionSet

BUILT_IN = "built-in yes/no labels"
MAX_ENDING = 3  # letters of a word that may differ between two inflected forms of it


@dataclass(frozen=True)
class Use:
    """One translation of a recurring source text."""

    file: Path | None  # None: the built-in yes/no labels
    path: tuple  # into the set's data, as imi_cli.questionnaires.fields.text_fields walks it
    lang: str
    text: str
    is_label: bool


def _uses(qset: QuestionSet) -> Iterator[tuple[str, Use]]:
    """(source text, use) for every translation of every text of a set."""
    fields: list[tuple[tuple, dict[str, str], bool]] = [
        (("title",), qset.title, False), (("description",), qset.description, False)]
    for index, question in enumerate(qset.questions):
        fields += [(("questions", index, "text"), question.text, False),
                   (("questions", index, "help"), question.help, False)]
    for list_id, entries in qset.choice_lists.items():
        fields += [(("choice_lists", list_id, index, "label"), choice.label, True)
                   for index, choice in enumerate(entries)]
    for path, texts, is_label in fields:
        source = texts.get(qset.source_language)
        if not isinstance(source, str) or not source.strip():
            continue
        for lang, text in texts.items():
            if lang != qset.source_language and isinstance(text, str):
                yield source, Use(qset.path, path, lang, text, is_label)


def _built_in() -> Iterator[tuple[str, Use]]:
    from imi_cli.questionnaires.render import yes_no_labels

    for code, texts in yes_no_labels().items():
        for lang, text in texts.items():
            if lang != "en":
                yield texts["en"], Use(None, ("yes_no", code), lang, text, True)


def inflected_forms(a: str, b: str) -> bool:
    """True if ``a`` and ``b`` have the same words up to a short inflectional part of each."""
    words_a, words_b = a.split(), b.split()
    return len(words_a) == len(words_b) and all(
        _same_word(x, y) for x, y in zip(words_a, words_b, strict=True))


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    x, y = a.casefold(), b.casefold()
    prefix = 0
    while prefix < min(len(x), len(y)) and x[prefix] == y[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(x), len(y)) - prefix and x[-1 - suffix] == y[-1 - suffix]:
        suffix += 1
    shared = prefix + suffix
    return (len(x) - shared <= MAX_ENDING and len(y) - shared <= MAX_ENDING
            and shared >= 3 and 2 * shared >= max(len(x), len(y)))


def check_same_translations(sets: Sequence[QuestionSet]) -> list[Finding]:
    """G002 (warning) for every translation that differs from the one most used for its source."""
    groups: dict[tuple[str, str], list[Use]] = defaultdict(list)
    for source, use in _built_in():
        groups[(source, use.lang)].append(use)
    for qset in _current(sets):
        for source, use in _uses(qset):
            groups[(source, use.lang)].append(use)
    located = _Locator()
    findings = []
    for (source, _), uses in groups.items():
        if len({use.text for use in uses}) < 2:
            continue
        canonical = _canonical(uses)
        for use in uses:
            if use.file is None or use.text == canonical.text:
                continue
            if use.is_label and canonical.is_label and inflected_forms(use.text, canonical.text):
                continue
            findings.append(located.finding(use, (
                f"{use.text!r} translates {source!r}, which reads {canonical.text!r} in "
                f"{located.where(canonical)}; translate the same text the same way "
                f"(docs/translations.md)")))
    return sorted(findings)


def _current(sets: Sequence[QuestionSet]) -> list[QuestionSet]:
    """The newest version of each set: a kept published version (``<id>@<version>.yaml``) keeps
    the wording requests were made with and is not held to today's terms."""
    from imi_cli.questionnaires.registry import version_key

    newest: dict[str, QuestionSet] = {}
    for qset in sets:
        if qset.id not in newest or version_key(qset.version) > version_key(newest[qset.id].version):
            newest[qset.id] = qset
    return list(newest.values())


def _canonical(uses: list[Use]) -> Use:
    """The built-in label if there is one, else the translation used most (the first on a tie)."""
    for use in uses:
        if use.file is None:
            return use
    counts = Counter(use.text for use in uses)
    best = max(counts.values())
    return next(use for use in uses if counts[use.text] == best)


class _Locator:
    """Parses a catalog file again, once, when a finding must name a line of it."""

    def __init__(self) -> None:
        self._docs: dict[Path, Document] = {}

    def _doc(self, file: Path) -> Document:
        from imi_cli.questionnaires.catalog import display_name
        from imi_cli.questionnaires.loader import parse

        if file not in self._docs:
            self._docs[file] = parse(file.read_text(encoding="utf-8"), display_name(file))
        return self._docs[file]

    def where(self, use: Use) -> str:
        if use.file is None:
            return BUILT_IN
        from imi_cli.questionnaires.fields import label

        doc = self._doc(use.file)
        return f"{doc.file}:{doc.at(use.path + (use.lang,))[0]} ({label(doc.data, use.path)})"

    def finding(self, use: Use, message: str) -> Finding:
        from imi_cli.questionnaires.fields import label

        assert use.file is not None, "a finding names a file's text, never a built-in label"
        doc = self._doc(use.file)
        return doc.finding(use.path + (use.lang,), "G002",
                           f"{label(doc.data, use.path + (use.lang,))}: {message}", WARNING)
