"""The authority directory: register, import in bulk, show, search, export.

All writes are events (``authority.registered`` / ``authority.updated``) applied
to the projections in one transaction: an import is all or nothing (read and written as a
stream: ``imi_cli.directory.importing``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imi_cli.bulk.lists import split_items
from imi_cli.bulk.readers import FileReading, iter_records
from imi_cli.errors import Conflict, NotFound
from imi_cli.i18n import nt, t
from imi_cli.reference.languages import pick

AUTHORITY_COLUMNS = {"id": True, "country": True, "name": False, "languages": True, "areas": True,
                     "competences": False, "email": True, "kind": False, "phone": False,
                     "address": False, "website": False, "coordinator": False, "requires_approval": False,
                     "deactivated": False}
Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False
    invitations: dict[str, str] = field(default_factory=dict)  # new user -> one-time code
    # an import of a whole file: the ids in the store, within the importer's reach, that the
    # file does not have (None: not asked); and those deactivated for it (``--prune``)
    left_out: list[str] | None = None
    deactivated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"created": len(self.created), "updated": len(self.updated),
               "unchanged": len(self.unchanged), "dry_run": self.dry_run}
        ids = {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}
        if self.left_out is not None:
            out["left_out"] = len(self.left_out)
            out["deactivated"] = len(self.deactivated)
            ids.update(left_out=self.left_out, deactivated=self.deactivated)
        out["ids"] = ids
        if self.invitations:
            out["invitations"] = self.invitations
        return out


def nothing_imported(source: str, count: int) -> str:
    """What an import whose records have problems says (each problem is listed after it)."""
    # Translators: {source} is a file (or the options of a command), {n} the number of problems found in it
    return nt("{source}: {n} problem; nothing was imported", "{source}: {n} problems; nothing was imported", count,
              source=source)


def registered_already(ident: str, kind: str) -> Conflict:
    """A registration of an id that exists with other fields: it would replace them all."""
    if kind == "user":
        return Conflict(t("{id} is registered already; nothing was changed", id=ident),
                        hint=t("`imi user update {id}` changes only what you give (--name, --email, --roles, "
                               "--add-role, --remove-role)", id=ident))
    return Conflict(t("{id} is registered already; nothing was changed", id=ident),
                    hint=t("`imi authority update {id}` changes only what you give (--name xx=..., --phone, "
                           "--areas...)", id=ident))


def gather_names(raw: dict[str, Any]) -> dict[str, Any]:
    """Fold `name` (in the first language) and `name:xx` fields into one `names` mapping."""
    raw = dict(raw)
    names = raw.pop("names", None)
    if names is not None and not isinstance(names, dict):
        return {**raw, "names": names}  # check_authority says what is wrong with it
    names = dict(names or {})
    for key in [k for k in raw if k.startswith("name:")]:
        names[key[5:].strip().lower()] = raw.pop(key)
    if "name" in raw:
        languages = raw.get("languages")
        first = ((split_items(languages) or [""])[0] if isinstance(languages, str) else
                 languages[0] if isinstance(languages, list) and languages else None)
        first = (first or "").strip().lower() or "und"
        names.setdefault(first, raw.pop("name"))
    raw["names"] = names
    return raw


class Directory:
    """The directory of one store."""

    def __init__(self, store: Any) -> None:
        self.store = store

    # -- registration ----------------------------------------------------
    def import_authorities(self, path: Path, fmt: str | None = None, *, dry_run: bool = False,
                           progress: Progress | None = None, reading: FileReading | None = None,
                           prune: bool = False) -> ImportReport:
        """The file is the whole list: what the importer coordinates and the file lacks is
        reported as left out, and deactivated with ``prune``. The file is read as it is
        imported, never whole (``imi_cli.directory.importing``)."""
        rows = iter_records(Path(path), fmt, columns=AUTHORITY_COLUMNS, list_key="authorities", reading=reading)
        return self.register_authorities(rows, source=str(path), dry_run=dry_run, progress=progress,
                                         whole_file=True, prune=prune)

    def register_authorities(self, rows: Iterable[tuple[str, Any]], *, source: str = "input",
                             dry_run: bool = False, progress: Progress | None = None,
                             whole_file: bool = False, prune: bool = False, new_only: bool = False) -> ImportReport:
        """Register or update authorities, all or nothing: every problem of every record is
        reported and nothing is changed. A row that does not say whether its authority is
        deactivated (no `deactivated` cell, or an empty one) keeps the stored flag: a routine
        re-import never reactivates an authority its coordinator deactivated. ``new_only``: an
        id registered already with other fields is refused (a registration replaces the whole
        record; ``update_authority`` changes only what it is given)."""
        from imi_cli.directory.importing import Import

        return Import(self, source, whole_file=whole_file).run(rows, dry_run=dry_run, progress=progress,
                                                                prune=prune, new_only=new_only)

    def update_authority(self, ident: str, changes: dict[str, Any], *, source: str) -> ImportReport:
        """Change only the fields in ``changes`` (``imi_cli.directory.changes.merged_authority``);
        the same rules and event as a registration."""
        from imi_cli.directory.changes import merged_authority

        raw = merged_authority(self.get(ident), changes)
        return self.register_authorities([(source, raw)], source=source)

    def _with_default_coordinator(self, record: dict[str, Any], mine: dict[str, Any] | None) -> dict[str, Any]:
        """A new plain authority registered by a coordinator (``mine``) of its country, without a
        coordinator of its own, is linked to the one registering it; one registered already
        keeps its link."""
        if mine is None or record.get("coordinator") or record["kind"] != "authority" \
                or mine["country"] != record["country"]:
            return record
        existing = self._record(record["id"])
        if existing is not None:  # imported again without the column: the link it has stays
            return {**record, "coordinator": existing["coordinator"]} if existing.get("coordinator") else record
        return {**record, "coordinator": mine["id"]}

    # -- reading ---------------------------------------------------------
    def _record(self, ident: str) -> dict[str, Any] | None:
        return self._records([ident]).get(ident)

    def _records(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        from imi_cli.log.store import in_chunks

        return {ident: json.loads(record) for ident, record in
                in_chunks(self.store.conn, "SELECT id, record FROM authorities WHERE id IN ({})", ids)}

    def get(self, ident: str) -> dict[str, Any]:
        record = self._record(ident)
        if record is None:
            raise NotFound(t("no authority {id!r} in this store", id=ident),
                           hint=t("`imi authority search TEXT` finds authorities"))
        return record

    def all(self) -> Iterable[dict[str, Any]]:
        for (record,) in self.store.query("SELECT record FROM authorities ORDER BY id"):
            yield json.loads(record)

    def count(self) -> int:
        return self.store.query("SELECT count(*) FROM authorities")[0][0]

    def search(self, text: str | None = None, *, country: str | None = None,
               area: str | None = None, competence: str | None = None,
               language: str | None = None, lang: str = "en", limit: int = 20,
               deactivated: bool = False) -> list[dict[str, Any]]:
        from imi_cli.directory.search import search_ids

        hits = search_ids(self.store.conn, text, country=country, area=area,
                          competence=competence, language=language, limit=limit, deactivated=deactivated)
        return self.summaries([ident for ident, _ in hits], lang)

    def summaries(self, ids: list[str], lang: str) -> list[dict[str, Any]]:
        found = self._records(ids)
        return [summary(found[i], lang) for i in ids if i in found]


def summary(record: dict[str, Any], lang: str) -> dict[str, Any]:
    """What a listing shows of an authority: its name in the viewer's language where it has one."""
    name, name_lang = pick(record["names"], lang, record["languages"][0])
    return {"id": record["id"], "name": name, "name_lang": name_lang, "country": record["country"],
            "kind": record["kind"], "areas": sorted(record["areas"]), "languages": record["languages"],
            "email": record.get("email")}
