"""The validator's rules: each check id with a name, what it finds and where it is documented.

SARIF lists these as ``tool.driver.rules``; JUnit failures link to the same pages. Every rule has
a heading of its own in docs/catalog-format.md ("Rules"), whose anchor is the lower-case id, so
``help_uri("E001")`` lands on it (tests/cli/test_validate_formats.py holds the two lists equal).

The texts are English on purpose, as the check ids and the formats' own fields are: only the
machine formats (SARIF, JUnit) carry them, and those are written in English in any interface
language (imi_cli.questionnaires.formats.MACHINE_FORMATS).
"""

from __future__ import annotations

from dataclasses import dataclass

from imi_cli.questionnaires.findings import ERROR, WARNING

DOCS_URL = "https://github.com/imi-cli/imi-cli/blob/main/docs/catalog-format.md"


@dataclass(frozen=True)
class Rule:
    id: str  # the check id findings carry, e.g. "E001"
    name: str  # CamelCase, what SARIF's reportingDescriptor.name asks for
    level: str  # the level its findings have: error or warning
    short: str  # one sentence
    full: str  # what it finds and how to fix it

    @property
    def help_uri(self) -> str:
        return help_uri(self.id)


def help_uri(rule_id: str) -> str:
    """The rule's own section of docs/catalog-format.md."""
    return f"{DOCS_URL}#{rule_id.lower()}"


_E, _W = ERROR, WARNING
RULES: dict[str, Rule] = {rule.id: rule for rule in (
    Rule("Y001", "YamlSyntaxError", _E, "The file is not valid YAML in UTF-8.",
         "The file does not parse as YAML, or is not UTF-8 text; nothing else in it is checked."),
    Rule("Y002", "DuplicateKey", _E, "A key appears twice in one mapping.",
         "YAML would keep only the last of two equal keys in one mapping; remove or rename one."),
    Rule("Y003", "ValueNotAString", _E, "A code, version or id is read by YAML as another type.",
         "Codes, versions and ids must be strings: bare no and yes are booleans and 1.10 is a "
         "number in YAML 1.1. Quote them: \"no\", \"1.10\"."),
    Rule("Y004", "FileOverLimits", _E, "The file is over the loader's limits.",
         "At most 4 MiB, nested at most 64 levels, aliases adding at most 10,000 nodes in all, "
         "no explicit tags but !!str; a file over a limit is refused and nothing else is checked."),
    Rule("S001", "MissingRequiredKey", _E, "A required key is missing.",
         "The question set, a question, a choice or a notification block lacks a key it must have."),
    Rule("S002", "UnknownKey", _E, "A key the format does not know.",
         "A key that is not part of catalog schema 1 (often a misspelt one)."),
    Rule("S003", "UnknownQuestionType", _E, "A question type the format does not know.",
         "type is one of yes_no, single_choice, multiple_choice, short_text, long_text, date, "
         "number, document."),
    Rule("S004", "WrongValueType", _E, "A value of the wrong type or out of range.",
         "For example required that is not a boolean, a text that is not a map of languages, "
         "an unsupported schema, or a notification period outside 1-120."),
    Rule("S005", "InvalidStatus", _E, "The status is not draft, published or retired.",
         "status is one of draft, published, retired."),
    Rule("S006", "UnknownArea", _E, "The area is not a legislative area.",
         "area is an area id from imi_cli/reference/data/areas.yaml."),
    Rule("S007", "InvalidId", _E, "An id with wrong characters, or not matching the file name.",
         "The set id uses a-z, 0-9 and - and equals the file name without .yaml (in "
         "<id>@<version>.yaml the version must match too); question, list and choice ids use "
         "a-z, 0-9 and _."),
    Rule("U001", "DuplicateQuestionId", _E, "Two questions have the same id.",
         "Question ids are unique within a set."),
    Rule("U002", "DuplicateChoiceCode", _E, "A choice code appears twice in one list.",
         "Choice codes are unique within their choice list."),
    Rule("U003", "IdsDifferOnlyInCase", _W, "Two ids or codes differ only in case.",
         "Ids and codes that differ only in upper and lower case are easily confused."),
    Rule("U004", "VersionInTwoFiles", _E, "One set id and version defined in two files.",
         "Each version of a question set lives in one file."),
    Rule("L001", "UnknownLanguage", _E, "A language code that is not an IMI language.",
         "Languages are the 26 IMI codes (the EU languages, is and no)."),
    Rule("L002", "MissingTranslation", _E, "A translation missing or blank for a declared language.",
         "Every translatable field has a non-blank text in every language listed in languages."),
    Rule("L003", "UndeclaredLanguage", _E, "A text in a language that is not declared.",
         "A text is given in a language missing from languages (or the source language is not "
         "among them)."),
    Rule("P001", "PlaceholderMismatch", _E, "The placeholders differ from the source language's.",
         "Each translation has the same named placeholders (in curly brackets) as the source "
         "text: none missing, none extra."),
    Rule("C001", "UnknownChoiceList", _E, "choices names a choice list that does not exist.",
         "A choice question's choices is the id of a list under choice_lists."),
    Rule("C003", "UnusedChoiceList", _W, "A choice list no question uses.",
         "A list under choice_lists that no question's choices (or the notification's "
         "decisions) names."),
    Rule("E001", "InvalidConditionReference", _E,
         "enable_when refers to an unknown or later question, or to itself.",
         "A condition can only test the answer of an earlier question of the same set."),
    Rule("E002", "ImpossibleConditionAnswer", _E, "The answer a condition expects is not possible.",
         "equals is a valid answer of the question tested (yes_no: \"yes\" or \"no\"; a choice "
         "question: one of its codes)."),
    Rule("E003", "ConditionCycle", _E, "enable_when conditions form a cycle.",
         "Questions whose conditions depend on each other can never be asked."),
    Rule("T001", "ConstraintOnWrongType", _E, "A constraint on a question of the wrong type.",
         "choices only on single_choice and multiple_choice (and required there); unit, min and "
         "max only on number."),
    Rule("T002", "MinAboveMax", _E, "min is greater than max.",
         "A number question's min must not be greater than its max."),
    Rule("N001", "PluralFormsMismatch", _E, "The plural forms are not the language's CLDR categories.",
         "A unit gives exactly the plural categories CLDR defines for its language."),
    Rule("W001", "SurroundingWhitespace", _W, "A text with leading or trailing whitespace.",
         "Texts have no spaces or line breaks at their start or end."),
    Rule("W002", "DoubledSpace", _W, "A text with doubled spaces.",
         "Words are separated by one space."),
    Rule("W003", "UnbalancedBrackets", _W, "A text with unbalanced brackets.",
         "Every opening bracket, parenthesis or brace is closed, in order."),
    Rule("W004", "NumbersOrUrlsDiffer", _W, "Digits or URLs that differ from the source text.",
         "A translation keeps the numbers and web addresses of its source text."),
    Rule("W005", "NotNfcNormalized", _W, "A text not in Unicode NFC.",
         "Compose accented letters: unicodedata.normalize('NFC', text)."),
    Rule("W006", "ControlCharacters", _W, "A text with control characters.",
         "Texts contain no control characters other than line breaks."),
    Rule("I001", "IdenticalToSource", _W, "A translation identical to the source text.",
         "A text left untranslated; allow_identical lists the strings that may stay the same "
         "(ESPD, EUR)."),
    Rule("G001", "NounPlaceholderInInflectedSentence", _W,
         "A noun placeholder inside a sentence that would decline it.",
         "In a language with noun cases, a noun placeholder (profession) is filled with the "
         "nominative; put it after a colon at the end of its clause instead."),
    Rule("G002", "InconsistentTranslation", _W, "One source text translated two ways in a language.",
         "A recurring label, question or help text reads the same wherever it recurs, across "
         "every catalog validated together."),
    Rule("V001", "VersionNotBumped", _E, "A published set's questions changed but not its version.",
         "With --against GIT_REF: a published set whose questions changed needs a new version."),
    Rule("V002", "QuestionIdReused", _E, "A question id reused for a different question.",
         "With --against GIT_REF: a question id keeps its meaning (type, choice codes) across "
         "versions."),
)}


def rule(rule_id: str) -> Rule:
    """The rule of a check id; an id missing here still gets a plain entry, never an error."""
    return RULES.get(rule_id) or Rule(rule_id, rule_id, ERROR, rule_id, rule_id)
