"""Question sets loaded once per process, keyed by ``(id, version)``.

A request pins the version of the set it was made with (``questionnaire`` and
``qversion`` in its content) and is always shown and checked against that one, so
a catalog folder may keep previous published versions beside the current one:
``<id>@<version>.yaml``, e.g. ``questionnaires/previous/pq-alert@1.0.yaml``.

Each file is parsed and validated when the registry first needs it, never again:
the hub's answer check and ``imi request show`` are lookups in a dict.

    from imi_cli.questionnaires.registry import Registry, catalogs

    qset = catalogs().get("pq-verify-qualification", "1.0")   # the process's catalogs
    other = Registry(Path("my-catalogs/")).latest("my-set")     # any folder
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from imi_cli.errors import NotFound
from imi_cli.i18n import N_, _, t

if TYPE_CHECKING:
    from imi_cli.questionnaires.model import QuestionSet

LIST_HINT = N_("`imi questionnaire list` shows them all")  # shown as _(LIST_HINT)


class QuestionSetUnavailable(NotFound):
    """A request names a version of a question set that these catalogs do not hold."""


def shipped_folder() -> Path:
    """The catalogs shipped with imi.

    An installed wheel holds them as package data ``imi_cli/catalogs`` (built from the
    top-level ``questionnaires/`` folder: see setup.py); a source checkout or an editable
    install reads that folder itself, where catalog authors edit it.
    """
    package = Path(__file__).resolve().parents[1]  # imi_cli/ (a wheel installs files, not a zip)
    built = package / "catalogs"
    return built if built.is_dir() else package.parent / "questionnaires"


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Orders "1.9" before "1.10"; a part that is not a number sorts after the numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in version.split("."))


class Registry:
    """The valid question sets of one catalog folder, parsed and validated on first use.

    ``folder`` is the ``questionnaires`` setting; None means the catalogs shipped with imi.
    ``origin`` says where a configured folder came from (e.g. ``IMI_QUESTIONNAIRES``), to
    name it when the folder does not exist.
    """

    def __init__(self, folder: Path | None = None, origin: str | None = None) -> None:
        self.shipped = folder is None
        # the shipped folder is looked up on first use: most commands never read a catalog
        self._given = None if folder is None else Path(folder).expanduser()
        self._origin = origin
        self._sets: dict[tuple[str, str], QuestionSet] | None = None
        self._broken: list[Path] = []
        self._lock = threading.Lock()

    @property
    def _folder(self) -> Path:
        return shipped_folder() if self._given is None else self._given

    @property
    def folder(self) -> Path:
        """The catalog folder; NotFound, saying how to fix it, if it is not there."""
        if self._folder.is_dir():
            return self._folder
        if self.shipped:
            raise NotFound(t("the question sets shipped with imi are missing ({folder})", folder=str(self._folder)),
                           hint=_("reinstall imi: its build must include questionnaires/ as imi_cli/catalogs"))
        hint = _("point it at a folder of catalog YAML files, or unset it for the shipped ones")
        if self._origin:
            # Translators: {origin} is where the setting was made (IMI_QUESTIONNAIRES, a config file)
            raise NotFound(t("{origin}: questionnaires = {folder!r} is not a folder", origin=self._origin,
                             folder=str(self._folder)), hint=hint)
        raise NotFound(t("{folder} is not a folder", folder=str(self._folder)), hint=hint)

    def _loaded(self) -> dict[tuple[str, str], QuestionSet]:
        with self._lock:
            if self._sets is None:
                self._sets, self._broken = _load(self.folder)
            return self._sets

    @property
    def broken(self) -> list[Path]:
        """Files left out because they have errors (`imi questionnaire validate` names them)."""
        self._loaded()
        return list(self._broken)

    def all(self) -> list[QuestionSet]:
        """Every version of every set, by id then version."""
        return sorted(self._loaded().values(), key=lambda s: (s.id, version_key(s.version)))

    def current(self) -> list[QuestionSet]:
        """The newest version of each set, by id."""
        newest: dict[str, QuestionSet] = {}
        for qset in self.all():
            newest[qset.id] = qset
        return list(newest.values())

    def versions(self, set_id: str) -> list[str]:
        return [s.version for s in self.all() if s.id == set_id]

    def latest(self, set_id: str) -> QuestionSet:
        """The newest version of a set: the one new requests are made with."""
        versions = self.versions(set_id)
        if not versions:
            raise NotFound(t("no question set {id!r}", id=set_id), hint=_(LIST_HINT))
        return self._loaded()[(set_id, versions[-1])]

    def get(self, set_id: str, version: str) -> QuestionSet:
        """The set at the version a request pinned; QuestionSetUnavailable if not kept here."""
        found = self._loaded().get((set_id, version))
        if found is not None:
            return found
        versions = self.versions(set_id)
        if not versions:
            raise QuestionSetUnavailable(t("no question set {id!r}", id=set_id), hint=_(LIST_HINT))
        raise QuestionSetUnavailable(
            t("question set {id!r} version {version!r} is not available here (these catalogs hold {versions})",
              id=set_id, version=version, versions=", ".join(versions)),
            hint=t("keep the published version as {id}@{version}.yaml in the catalog folder",
                   id=set_id, version=version))


def _load(folder: Path) -> tuple[dict[tuple[str, str], QuestionSet], list[Path]]:
    from imi_cli.questionnaires.catalog import Catalog

    catalog = Catalog.from_paths([folder])
    catalog.validate()
    return {(s.id, s.version): s for s in catalog.sets}, catalog.broken


_SHIPPED: Registry | None = None
_PROCESS: Registry | None = None


def shipped() -> Registry:
    """The registry of the catalogs shipped with imi, one per process."""
    global _SHIPPED
    if _SHIPPED is None:
        _SHIPPED = Registry()
    return _SHIPPED


def configure(folder: Path | None, origin: str | None = None) -> Registry:
    """Choose the process's catalog folder (the ``questionnaires`` setting; None: the shipped
    ones). Nothing is read until a set is needed."""
    global _PROCESS
    _PROCESS = shipped() if folder is None else Registry(folder, origin)
    return _PROCESS


def catalogs() -> Registry:
    """The process's catalogs: the folder configured by whoever runs the process (the CLI
    passes its ``questionnaires`` setting), else the shipped ones."""
    return _PROCESS if _PROCESS is not None else shipped()
