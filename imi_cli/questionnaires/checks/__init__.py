"""Every check of the catalog format, in the order they run.

``structure`` runs first and leaves the data well-typed (ill-typed values are
reported once and removed), so each later check only looks at what it owns.
One check needs every catalog at once (G002, :mod:`imi_cli.questionnaires.checks.consistency`):
``imi questionnaire validate`` runs it over the sets of the files it was given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from imi_cli.questionnaires.findings import Finding
from imi_cli.questionnaires.loader import Document

Check = Callable[[Document], Iterable[Finding]]


def all_checks() -> list[Check]:
    from imi_cli.questionnaires.checks import conditions, grammar, languages, references, text_quality

    return [references.check_unique_ids, references.check_case_clashes,
            references.check_choice_lists, references.check_type_constraints,
            languages.check_languages, languages.check_translations,
            languages.check_placeholders, languages.check_plural_forms,
            conditions.check_conditions, text_quality.check_text_quality,
            text_quality.check_identical, grammar.check_bare_placeholder_case]


def run_checks(doc: Document) -> list[Finding]:
    """All findings for one parsed document, parse findings included, sorted by position."""
    from imi_cli.questionnaires.checks.structure import check_structure

    findings = list(doc.findings)
    if doc.data is None and findings:
        return sorted(findings)
    findings += check_structure(doc)
    if isinstance(doc.data, dict):
        for check in all_checks():
            findings += check(doc)
    return sorted(findings)
