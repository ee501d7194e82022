"""The public API of questionnaire catalogs.

    from imi_cli.questionnaires.catalog import Catalog, find_set, load_set, shipped_sets

    findings = Catalog.from_paths(["questionnaires/"]).validate()
    qset = find_set("pq-verify-qualification")          # the newest version
    pinned = find_set("pq-verify-qualification", "1.0")  # the version a request was made with

Sets are looked up in the process's registry (:mod:`imi_cli.questionnaires.registry`),
which parses and validates each catalog file once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from imi_cli.errors import ImiError, InvalidInput, NotFound, Problem
from imi_cli.i18n import _, t
from imi_cli.questionnaires.findings import ERROR, Finding
from imi_cli.questionnaires.loader import Document
from imi_cli.questionnaires.model import QuestionSet


class CatalogInvalid(ImiError):
    """Validation found errors (or warnings, when strict): exit code 1, findings printed."""


def display_name(path: Path) -> str:
    """Relative to the working directory when inside it: what CI annotations expect."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def catalog_files(paths: Iterable[Path]) -> list[Path]:
    """The YAML files named, and every *.yaml under the directories named."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.yaml") if p.is_file())
            if not found:  # a CI job pointed at the wrong folder must not pass by checking nothing
                raise NotFound(t("{path}: no *.yaml catalogs in this folder", path=str(path)),
                               hint=_("give a catalog file or a folder of *.yaml catalogs"))
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise NotFound(t("{path}: no such file or directory", path=str(path)),
                           hint=_("give a catalog file or a folder of *.yaml catalogs"))
    return list(dict.fromkeys(files))


def check_text(text: str, file: str) -> tuple[Document, list[Finding]]:
    """Parse and check one catalog's text; ``file`` names it in findings."""
    from imi_cli.questionnaires.checks import run_checks
    from imi_cli.questionnaires.loader import parse

    doc = parse(text, file)
    return doc, run_checks(doc)


def check_file(path: Path) -> tuple[Document, list[Finding]]:
    from imi_cli.bulk.files import TooBig, read_regular_file
    from imi_cli.questionnaires.loader import CATALOG_MAX_BYTES

    name = display_name(path)
    try:
        text = read_regular_file(path, CATALOG_MAX_BYTES).decode("utf-8")
    except TooBig as error:
        return Document(name), [Finding(name, 1, 1, "Y004", ERROR, t(
            "refused: {size} bytes is over the limit of {limit} bytes for a catalog",
            size=error.size, limit=error.limit))]
    except UnicodeDecodeError as error:
        # Translators: {detail} is Python's own description of the bad bytes (in English)
        return Document(name), [Finding(name, 1, 1, "Y001", ERROR, t("not UTF-8 text: {detail}", detail=str(error)))]
    return check_text(text, name)


def load_set(path: Path | str) -> QuestionSet:
    """The question set in ``path``; InvalidInput listing every error if it does not validate."""
    from imi_cli.questionnaires.model import build

    path = Path(path)
    if not path.is_file():
        raise NotFound(t("{path}: no such catalog file", path=str(path)))
    doc, findings = check_file(path)
    errors = [f for f in findings if f.level == ERROR]
    if errors:
        raise InvalidInput(t("{file} is not a valid question set", file=display_name(path)),
                           problems=[_problem(f) for f in errors],
                           hint=t("run: imi questionnaire validate {file}", file=display_name(path)))
    return build(doc.data, path)


def _problem(finding: Finding) -> Problem:
    return Problem(f"{finding.file}:{finding.line}:{finding.col}", finding.check, finding.message)


@dataclass
class Catalog:
    """Catalog files, validated together; ``sets`` holds the ones without errors."""

    files: list[Path]
    sets: list[QuestionSet] = field(default_factory=list)
    broken: list[Path] = field(default_factory=list)

    @classmethod
    def from_paths(cls, paths: Iterable[Path | str]) -> Catalog:
        return cls(catalog_files(Path(p) for p in paths))

    @classmethod
    def shipped(cls, folder: Path | None = None) -> Catalog:
        """The catalog folder ``folder`` (the ``questionnaires`` setting), else the shipped one."""
        from imi_cli.questionnaires.registry import shipped_folder

        return cls(catalog_files([folder if folder is not None else shipped_folder()]))

    def validate(self, against: str | None = None) -> list[Finding]:
        """Every finding of every file (V001/V002 too when ``against`` names a git ref)."""
        from imi_cli.questionnaires.model import build

        findings: list[Finding] = []
        self.sets, self.broken = [], []
        if against and self.files:
            from imi_cli.questionnaires.history import require_ref

            require_ref(self.files[0], against)  # a mistyped ref fails once, before any output
        seen: dict[tuple[str, str], Path] = {}
        for path in self.files:
            doc, found = check_file(path)
            if against:
                found = sorted(found + _history_findings(path, doc, against))
            if not any(f.level == ERROR for f in found) and doc.data is not None:
                found += _twice(doc, path, seen)
            findings += found
            if any(f.level == ERROR for f in found) or doc.data is None:
                self.broken.append(path)
            else:
                self.sets.append(build(doc.data, path))
        return findings

    def find(self, set_id: str) -> QuestionSet:
        for qset in self.sets:
            if qset.id == set_id:
                return qset
        raise NotFound(t("no question set {id!r}", id=set_id), hint=_("`imi questionnaire list` shows them all"))


def _twice(doc: Document, path: Path, seen: dict[tuple[str, str], Path]) -> list[Finding]:
    """U004: one (id, version) in two files; a request could not say which one it means."""
    key = (doc.data["id"], doc.data["version"])
    if key not in seen:
        seen[key] = path
        return []
    return [doc.finding(("version",), "U004", t(
        "{id} version {version!r} is also defined in {file}; give each version one file",
        id=key[0], version=key[1], file=display_name(seen[key])))]


def _history_findings(path: Path, doc: Document, ref: str) -> list[Finding]:
    from imi_cli.questionnaires.history import compare_with

    return compare_with(path, doc, ref)


def shipped_sets() -> list[QuestionSet]:
    """The newest version of every set of the process's catalogs that validates (broken files
    are left out; `imi questionnaire validate` reports them)."""
    from imi_cli.questionnaires.registry import catalogs

    return catalogs().current()


def locate_file(set_id: str, folder: Path | None = None) -> Path:
    """The catalog file of a set's current version, valid or not: ``<id>.yaml``, else the
    file with that id. ``folder``: the catalog folder (default: the process's)."""
    from imi_cli.questionnaires.loader import parse
    from imi_cli.questionnaires.registry import catalogs

    folder = folder if folder is not None else catalogs().folder
    direct = folder / f"{set_id}.yaml"
    if direct.is_file():
        return direct
    for path in catalog_files([folder]):
        data = parse(path.read_text(encoding="utf-8"), str(path)).data
        if isinstance(data, dict) and data.get("id") == set_id and "@" not in path.stem:
            return path
    raise NotFound(t("no question set {id!r}", id=set_id), hint=_("`imi questionnaire list` shows them all"))


def find_set(set_id: str, version: str | None = None) -> QuestionSet:
    """A set of the process's catalogs: at ``version`` (the one a request pinned), else the
    newest. Loaded and validated once per process."""
    from imi_cli.questionnaires.registry import catalogs

    registry = catalogs()
    return registry.latest(set_id) if version is None else registry.get(set_id, version)
