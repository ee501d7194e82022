"""Users of the directory: an official belongs to one authority and holds roles per area."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from imi_cli.bulk.readers import FileReading, read_records
from imi_cli.directory.authorities import ImportReport, Progress, nothing_imported
from imi_cli.directory.records import check_user, is_duplicate
from imi_cli.errors import InvalidInput, NotFound, Problem
from imi_cli.i18n import _, t
from imi_cli.log.event import make_event
from imi_cli.log.journal import append, check_own, local_actor

USER_COLUMNS = {"id": True, "name": True, "email": True, "authority": True, "roles": True}


class Users:
    def __init__(self, store: Any) -> None:
        self.store = store

    def import_file(self, path: Path, fmt: str | None = None, *, dry_run: bool = False,
                    progress: Progress | None = None, reading: FileReading | None = None,
                    prune: bool = False) -> ImportReport:
        """The file is the whole list: the users in the importer's reach that it lacks are
        reported as left out, and deactivated with ``prune``."""
        rows = read_records(Path(path), fmt, columns=USER_COLUMNS, list_key="users", reading=reading)
        return self.register(rows, source=str(path), dry_run=dry_run, progress=progress, whole_file=True,
                             prune=prune)

    def register(self, rows: list[tuple[str, Any]], *, source: str = "input", dry_run: bool = False,
                 progress: Progress | None = None, whole_file: bool = False, prune: bool = False,
                 new_only: bool = False) -> ImportReport:
        """``new_only``: a user registered already with other fields is refused (``update``
        changes only what it is given)."""
        problems: list[Problem] = []
        records = self._check_all(rows, problems)
        if problems:
            raise InvalidInput(nothing_imported(source, len(problems)), problems=problems)
        report, changed = ImportReport(dry_run=dry_run), []
        where = {record["id"]: w for w, record in records}
        for _where, record in records:
            old = self._get(record["id"])
            bucket = (report.created if old is None else
                      report.unchanged if old == record else report.updated)
            bucket.append(record["id"])
            if old != record:
                changed.append(("user.registered" if old is None else "user.updated", record))
        if new_only and report.updated:
            from imi_cli.directory.authorities import registered_already

            raise registered_already(report.updated[0], "user")
        if whole_file:
            report.left_out = self._left_out(set(where))
            report.deactivated = list(report.left_out) if prune else []
        if changed or report.deactivated:
            actor = local_actor(self.store)
            events = [make_event(t, actor=actor, payload={"user": u}, subject={"entity": f"user/{u['id']}"})
                      for t, u in changed]
            events += [self._revocation(actor, ident) for ident in report.deactivated]
            where.update({ident: f"{source}: --prune {ident}" for ident in report.deactivated})
            with self.store.transaction() as conn:
                check_own(conn, events, [where[e["subject"]["entity"][5:]] for e in events])
                if dry_run:
                    return report
                append(conn, events, checked=True)
                # the invitations go through the rules too, once the users they name are in
                append(conn, self._invitations(actor, report))
            if progress:
                progress(len(changed), len(changed))
        return report

    def _invitations(self, actor: dict[str, Any], report: ImportReport) -> list[dict[str, Any]]:
        """On a store enrolled with a hub, each new user gets a one-time code to enrol with."""
        if not self.store.meta("private_key"):
            return []
        from imi_cli.directory.invitations import invitation_event
        from imi_cli.log.crypto import new_invitation_code

        report.invitations = {user_id: new_invitation_code() for user_id in report.created}
        return [invitation_event(actor, user_id, code) for user_id, code in report.invitations.items()]

    def _left_out(self, in_file: set[str]) -> list[str]:
        """Active users of the authorities whose users this store's user manages (every user,
        in a store not enrolled), other than that user, that ``in_file`` does not name."""
        from imi_cli.directory.minimal import in_reach

        mine = self.store.meta("authority_id")
        users = self.store.query("SELECT id, authority_id FROM users")
        reach = set(in_reach(self.store.conn, mine)) if mine else {a for _, a in users}
        me = self.store.meta("user_id")
        return sorted(i for i, a in users if a in reach and i not in in_file and i != me
                      and not self.deactivated(i))

    def deactivated(self, user_id: str) -> bool:
        """Is the user's key revoked, or (never enrolled) was the user deactivated?"""
        key = self.store.query("SELECT revoked_at FROM principals WHERE user_id = ?", (user_id,))
        if key:
            return key[0][0] is not None
        return bool(self.store.query(
            "SELECT 1 FROM events WHERE entity = ? AND type = 'user.revoked' "
            "AND status != 'rejected' LIMIT 1", (f"user/{user_id}",)))

    def _revocation(self, actor: dict[str, Any], user_id: str) -> dict[str, Any]:
        authority = self.get(user_id)["authority"]
        return make_event("user.revoked", actor=actor, payload={"user": user_id, "authority": authority},
                          subject={"entity": f"user/{user_id}"})

    def update(self, user_id: str, changes: dict[str, Any], *, source: str) -> ImportReport:
        """Change only what ``changes`` gives (``imi_cli.directory.changes.merged_user``); the
        same rules and event as a registration."""
        from imi_cli.directory.changes import merged_user

        raw = merged_user(self.get(user_id), changes)
        return self.register([(source, raw)], source=source)

    def deactivate(self, user_id: str) -> bool:
        """Revoke the user's key (the hub refuses what it signs from now on) and void its unused
        invitations; its directory entry stays. False if it was deactivated already."""
        self.get(user_id)
        if self.deactivated(user_id):
            return False
        event = self._revocation(local_actor(self.store), user_id)
        with self.store.transaction() as conn:
            append(conn, [event])
        return True

    def leave(self, user_id: str) -> None:
        """The user leaves: removed from every store's directory, its key revoked, its name and
        e-mail erased (by a coordinator above its authority or its administrator)."""
        self.get(user_id)
        event = make_event("user.left", actor=local_actor(self.store), payload={"user": user_id},
                           subject={"entity": f"user/{user_id}"})
        with self.store.transaction() as conn:
            append(conn, [event])

    def invite(self, user_id: str) -> str:
        """A new one-time code for a registered user (a lost code, a new machine)."""
        from imi_cli.errors import UsageError

        self.get(user_id)
        if not self.store.meta("private_key"):
            raise UsageError(_("invitations are issued from a store enrolled with a hub"))
        report = ImportReport(created=[user_id])
        events = self._invitations(local_actor(self.store), report)
        with self.store.transaction() as conn:
            append(conn, events)
        return report.invitations[user_id]

    def _check_all(self, rows: list[tuple[str, Any]], problems: list[Problem]) -> list[tuple[str, dict[str, Any]]]:
        records: list[tuple[str, dict[str, Any]]] = []
        seen: dict[str, Any] = {}
        areas_of = dict(self.store.query(
            "SELECT a.id, json_group_array(x.area) FROM authorities a "
            "JOIN authority_areas x ON x.authority_id = a.id GROUP BY a.id"))
        for where, raw in rows:
            if not isinstance(raw, dict):
                problems.append(Problem(where, None, t("a record must be a mapping of fields")))
                continue
            user = check_user(raw, where, problems)
            duplicate = is_duplicate(raw, where, seen, problems)
            authority = user["authority"] if user else raw.get("authority")
            if isinstance(authority, str) and authority.strip() and authority.strip() not in areas_of:
                # said even when the row has other problems: every problem is reported at once
                problems.append(Problem(where, "authority", t("no authority {id!r} in this store",
                                                              id=authority.strip())))
                continue
            if duplicate or user is None:
                continue
            own = set(json.loads(areas_of[user["authority"]]))
            for area in set(user["roles"]) - own - {"*"}:
                problems.append(Problem(where, "roles", t("the authority {authority} is not registered in area "
                                                          "{area!r}", authority=user["authority"], area=area)))
            records.append((where, user))
        return records

    def _get(self, ident: str) -> dict[str, Any] | None:
        row = self.store.query("SELECT record FROM users WHERE id = ?", (ident,))
        return json.loads(row[0][0]) if row else None

    def get(self, ident: str) -> dict[str, Any]:
        user = self._get(ident)
        if user is None:
            raise NotFound(t("no user {id!r} in this store", id=ident), hint=_("`imi user list` shows them"))
        return user

    def list(self, authority: str | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT record FROM users", tuple[str, ...]()
        if authority:
            sql, params = sql + " WHERE authority_id = ?", (authority,)
        return [json.loads(r) for (r,) in self.store.query(sql + " ORDER BY id", params)]
