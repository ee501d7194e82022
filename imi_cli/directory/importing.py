"""Registering authorities in bulk as a stream: each record checked as it is read, the
events written a chunk at a time, all in one transaction that is rolled back on any problem
(and after a dry run). What is held for the whole file is an id and a line number per record
(for duplicates, the report and the ids left out of the file), never the records themselves,
so that a file of 300,000 authorities is imported in the memory of a few thousand.

Every record's problems are found, as a whole read would find them, and reported in the same
order (the records' own, then those of coordinator links, which may point forward in the
file); once one is found nothing more is written, the rest of the file is only checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from imi_cli.directory.records import check_authority, is_duplicate
from imi_cli.errors import InvalidInput, Problem, RefusedRecords
from imi_cli.i18n import nt, t
from imi_cli.log.event import make_event
from imi_cli.log.journal import append, check_own, local_actor

if TYPE_CHECKING:
    from imi_cli.directory.authorities import Directory, ImportReport, Progress

CHUNK = 1000  # records checked against the store, and events written, at a time


class _Rollback(Exception):
    """Leaves the transaction of a dry run without writing."""


class _Seen(dict):
    """Ids seen in the file -> where first: "file:line" kept as the line number alone."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.prefix = f"{source}:"

    def __setitem__(self, ident: str, where: Any) -> None:
        super().__setitem__(ident, pack(where, self.prefix))

    def __getitem__(self, ident: str) -> str:
        return unpack(super().__getitem__(ident), self.prefix)


def pack(where: str, prefix: str) -> str | int:
    """"file:123" as 123 when ``prefix`` is "file:" (a few bytes for each of 300,000 rows)."""
    line = where[len(prefix):]
    if where.startswith(prefix) and line.isdigit() and line.isascii() and str(int(line)) == line:
        return int(line)
    return where


def unpack(packed: str | int, prefix: str) -> str:
    return f"{prefix}{packed}" if isinstance(packed, int) else packed


class Import:
    """One import of ``rows`` (``Directory.register_authorities`` says what each option does)."""

    def __init__(self, directory: Directory, source: str, *, whole_file: bool) -> None:
        self.directory, self.store, self.source = directory, directory.store, source
        self.whole_file = whole_file
        self.prefix = f"{source}:"
        self.problems: list[Problem] = []    # the records' own, in file order
        self.later: list[tuple[int, int, Problem]] = []  # coordinator links: (row, 0 kind / 1 link, problem)
        self.pending: dict[str, list[tuple[int, str | int]]] = {}  # coordinator -> rows naming it, unresolved
        self.refused: list[Problem] = []
        self.seen = _Seen(source)
        self.invalid: set[str] = set()       # ids of records with problems
        self.coordinators: dict[str, str] = {}  # coordinator (kind not plain) records of the file -> kind
        self.chunk: list[tuple[str | int, dict[str, Any], bool]] = []  # (where, record, says `deactivated`)
        self.written = 0
        self.stored: dict[str, dict[str, Any] | None] = {}  # coordinators looked up in the store

    def run(self, rows: Iterable[tuple[str, Any]], *, dry_run: bool, progress: Progress | None,
            prune: bool, new_only: bool) -> ImportReport:
        from imi_cli.directory.authorities import ImportReport, nothing_imported, registered_already

        self.report = ImportReport(dry_run=dry_run)
        self.progress = None if dry_run else progress
        self.actor = local_actor(self.store)
        mine = self.directory._record(self.store.meta("authority_id") or "")
        self.coordinating = mine if mine and mine["kind"] in ("national_coordinator", "area_coordinator") else None
        self.national = {country: ident for ident, country in self.store.query(
            "SELECT id, country FROM authorities WHERE kind = 'national_coordinator'")}
        try:
            with self.store.transaction():
                reach = self._reach_before() if self.whole_file else None
                for ordinal, (where, raw) in enumerate(rows):
                    self._row(ordinal, where, raw)
                    if len(self.chunk) >= CHUNK:
                        self._flush()
                self._flush()
                self._resolve()
                if self.problems:
                    raise InvalidInput(nothing_imported(self.source, len(self.problems)), problems=self.problems)
                if new_only and self.report.updated:
                    raise registered_already(self.report.updated[0], "authority")
                if self.whole_file:
                    self.report.left_out = self._left_out(reach)
                    if prune:
                        self.report.deactivated = list(self.report.left_out)
                        self._prune(self.report.deactivated)
                if self.refused:
                    raise RefusedRecords(nt("{n} record would be refused by the hub; nothing was changed",
                                            "{n} records would be refused by the hub; nothing was changed",
                                            len(self.refused)), problems=self.refused)
                if dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        return self.report

    # -- each row --------------------------------------------------------
    def _row(self, ordinal: int, where: str, raw: Any) -> None:
        from imi_cli.directory.authorities import gather_names

        if not isinstance(raw, dict):
            self.problems.append(Problem(where, None, t("a record must be a mapping of fields")))
            return
        record = check_authority(gather_names(raw), where, self.problems)
        duplicate = is_duplicate(raw, where, self.seen, self.problems)
        if duplicate or record is None:
            ident = raw.get("id")
            if not duplicate and isinstance(ident, (str, int)) and not isinstance(ident, bool):
                self.invalid.add(str(ident).strip())  # its first record, not valid: not the file's
            return
        record = self.directory._with_default_coordinator(record, self.coordinating)
        self._links(ordinal, where, record)
        # a row that does not say (no `deactivated` cell, or an empty one) keeps the stored flag
        says = raw.get("id") == record["id"] and bool(str(raw.get("deactivated") or "").strip())
        if not self.problems:
            self.chunk.append((pack(where, self.prefix), record, says))

    def _links(self, ordinal: int, where: str, r: dict[str, Any]) -> None:
        """One national coordinator per country; a coordinator link names a coordinator (in the
        file, or else in the store): checked now if its target was read already, else at the end."""
        if r["kind"] != "authority":
            self.coordinators[r["id"]] = r["kind"]
        if r["kind"] == "national_coordinator":
            other = self.national.get(r["country"])
            if other and other != r["id"]:
                self.later.append((ordinal, 0, Problem(where, "kind", t(
                    "{country} already has a national coordinator ({other}); there is one per country",
                    country=r["country"], other=other))))
            self.national[r["country"]] = r["id"]
        coordinator = r.get("coordinator")
        if not coordinator:
            return
        if coordinator in self.seen and coordinator not in self.invalid:
            self._link(ordinal, where, coordinator)
        else:
            self.pending.setdefault(coordinator, []).append((ordinal, pack(where, self.prefix)))

    def _link(self, ordinal: int, where: str, coordinator: str) -> None:
        if coordinator in self.seen and coordinator not in self.invalid:  # the file's record
            kind: str | None = self.coordinators.get(coordinator, "authority")
        else:
            if coordinator not in self.stored:
                self.stored[coordinator] = self.directory._record(coordinator)
            target = self.stored[coordinator]
            kind = target["kind"] if target else None
        if kind is None:
            self.later.append((ordinal, 1, Problem(where, "coordinator", t("no authority {id!r}", id=coordinator))))
        elif kind == "authority":
            self.later.append((ordinal, 1, Problem(where, "coordinator",
                                                   t("{id!r} is not a coordinator", id=coordinator))))

    def _resolve(self) -> None:
        """The links that pointed forward, now that the whole file is read; then every link
        problem after the records' own, in file order."""
        for coordinator, rows in self.pending.items():
            for ordinal, where in rows:
                self._link(ordinal, unpack(where, self.prefix), coordinator)
        self.pending = {}
        self.problems += [problem for _o, _k, problem in sorted(self.later, key=lambda item: item[:2])]

    # -- writing ---------------------------------------------------------
    def _flush(self) -> None:
        """The chunk's records compared with the store, and what changed written."""
        chunk, self.chunk = self.chunk, []
        if not chunk or self.problems:
            return
        report, changed = self.report, []
        existing = self.directory._records([record["id"] for _w, record, _s in chunk])
        for where, record, says in chunk:
            old = existing.get(record["id"])
            if old is not None and self.whole_file and not says and old.get("deactivated"):
                record = {**record, "deactivated": True}
            if old is None:
                report.created.append(record["id"])
                changed.append(("authority.registered", record, where))
            elif old != record:
                report.updated.append(record["id"])
                changed.append(("authority.updated", record, where))
            else:
                report.unchanged.append(record["id"])
        self._write(changed)

    def _write(self, changed: list[tuple[str, dict[str, Any], str | int]]) -> None:
        """Events checked by the protocol's rules, as the hub will check them: those refused are
        named (and the import refused at the end); the others are written, so that the rules
        see them when they check the events after them."""
        if not changed:
            return
        events = [make_event(type_, actor=self.actor, payload={"authority": record},
                             subject={"entity": f"authority/{record['id']}"}) for type_, record, _w in changed]
        wheres = [unpack(where, self.prefix) for _t, _r, where in changed]
        conn = self.store.conn
        try:
            check_own(conn, events, wheres)
        except RefusedRecords as refusal:
            self.refused += refusal.problems
            refused = {problem.where for problem in refusal.problems}
            events = [event for event, where in zip(events, wheres, strict=True) if where not in refused]
        append(conn, events, checked=True)
        self.written += len(events)
        if self.progress:
            self.progress(self.written, None)  # type: ignore[arg-type]  # how many in all: not known until the end

    # -- what the file leaves out ---------------------------------------
    def _reach_before(self) -> set[str] | None:
        """The active authorities within the importer's reach before the import, when it is a
        coordinator (its reach follows the links the file may change); None: every one, read
        at the end (the file changes no other's state)."""
        from imi_cli.directory.coordination import covered_by

        mine = self.store.meta("authority_id")
        if not mine:
            return None
        reach = set(covered_by(self.store.conn, mine))
        return {i for (i,) in self.store.query(
            "SELECT id FROM authorities WHERE json_extract(record, '$.deactivated') IS NULL")} & reach

    def _left_out(self, reach: set[str] | None) -> list[str]:
        if reach is None:
            rows = self.store.conn.execute(
                "SELECT id FROM authorities WHERE json_extract(record, '$.deactivated') IS NULL")
            return sorted(ident for (ident,) in rows if ident not in self.seen)
        return sorted(ident for ident in reach if ident not in self.seen)

    def _prune(self, ids: list[str]) -> None:
        for start in range(0, len(ids), CHUNK):
            part = ids[start:start + CHUNK]
            records = self.directory._records(part)
            self._write([("authority.updated", {**records[ident], "deactivated": True},
                          f"{self.source}: --prune {ident}") for ident in part if ident in records])

