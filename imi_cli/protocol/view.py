"""What the rules may read: a store's directory, keys, records and versions, behind one small
interface, so the same rules run over a node's store and the hub's (synapse's event_auth
works the same way over its own store protocol).

``overlay`` holds what earlier events of the same batch made (a bulk import's new
authorities), so a batch is checked as if applied in order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from imi_cli.directory import coordination
from imi_cli.log import clock

# Entity kinds whose record a node holds in a table: an entity it made offline exists there
# before the hub gives it a version.
_TABLES = {"authority": "authorities", "user": "users", "request": "requests", "message": "messages",
           "alert": "alerts", "notification": "notifications", "licence": "licences", "register": "registers"}
_KEYS = {"licence": "number"}  # a table keyed by another column than id


class RulesView:
    def __init__(self, conn: Any, *, at_hub: bool, keep_directory: bool = False) -> None:
        """``keep_directory``: keep what is read of the directory (authorities, users, a
        country's coordinators) until ``forget_directory``: the hub checks a batch with one
        view and forgets after each event that changes the directory."""
        self.conn = conn
        self.at_hub = at_hub
        self._directory: dict[tuple[str, Any], Any] | None = {} if keep_directory else None
        self.overlay_authorities: dict[str, dict[str, Any]] = {}
        self.overlay_users: dict[str, dict[str, Any]] = {}
        self.overlay_entities: set[str] = set()
        self._requests: dict[str, dict[str, Any] | None] | None = None  # while one event is checked
        self._records: dict[tuple[str, str], dict[str, Any] | None] | None = None
        # the versions of a batch's entities, read for the batch at once and kept as it writes
        # them (the hub's pushed batch: hub/batch.py); None: each read when asked
        self.versions: dict[str, int] | None = None

    # -- the directory ----------------------------------------------------
    def authority(self, ident: Any) -> dict[str, Any] | None:
        if not isinstance(ident, str):
            return None
        if ident in self.overlay_authorities:
            return self.overlay_authorities[ident]
        return self._record(("authority", ident), "SELECT record FROM authorities WHERE id = ?", (ident,))

    def user(self, ident: Any) -> dict[str, Any] | None:
        if not isinstance(ident, str):
            return None
        if ident in self.overlay_users:
            return self.overlay_users[ident]
        return self._record(("user", ident), "SELECT record FROM users WHERE id = ?", (ident,))

    def _record(self, key: tuple[str, Any], sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
        """One record of the directory, kept if asked (the rules only read it, as they read the
        records of ``overlay_authorities``)."""
        if self._directory is not None and key in self._directory:
            return self._directory[key]  # type: ignore[no-any-return]
        row = self.conn.execute(sql, params).fetchone()
        record = json.loads(row[0]) if row else None
        if self._directory is not None:
            self._directory[key] = record
        return record

    def forget_directory(self) -> None:
        if self._directory is not None:
            self._directory = {}

    def covers(self, coordinator: dict[str, Any] | None, target: dict[str, Any] | None) -> bool:
        return coordination.covers(self.authority, coordinator, target)

    def coordinators_of(self, target: dict[str, Any] | None) -> list[str]:
        if not target:
            return []
        country = target.get("country")
        if self._directory is None:
            found = coordination.country_coordinators(self.conn, country)
        else:
            if ("coordinators", country) not in self._directory:
                self._directory[("coordinators", country)] = coordination.country_coordinators(self.conn, country)
            found = self._directory[("coordinators", country)]  # read only (coordination.coordinators_of)
        candidates = {a["id"]: a for a in found}
        candidates.update({i: a for i, a in self.overlay_authorities.items()
                           if a.get("country") == target.get("country")
                           and a.get("kind") in coordination.COORDINATOR_KINDS})
        return coordination.coordinators_of(self.authority, candidates.values(), target)

    def national_coordinator(self, country: str, other_than: str) -> str | None:
        for ident, record in self.overlay_authorities.items():
            if ident != other_than and record.get("country") == country and record["kind"] == "national_coordinator":
                return ident
        row = self.conn.execute("SELECT id FROM authorities WHERE country = ? AND kind = 'national_coordinator' "
                                "AND id != ?", (country, other_than)).fetchone()
        return row[0] if row else None

    def key_of(self, user_id: str) -> tuple[str, str | None] | None:
        """The user's enrolled public key and when it was revoked (None: in force)."""
        row = self.conn.execute("SELECT public_key, revoked_at FROM principals WHERE user_id = ?",
                                (user_id,)).fetchone()
        return (row[0], row[1]) if row else None

    # -- records and versions ---------------------------------------------
    def request(self, request_id: str) -> dict[str, Any] | None:
        """The request's record. While one event is checked (``checking``) it is read once: the
        party check, the audience and the rights all ask for it."""
        from imi_cli.exchanges.requests.projection import load

        if self._requests is None:
            return load(self.conn, request_id)
        if request_id not in self._requests:
            self._requests[request_id] = load(self.conn, request_id)
        return self._requests[request_id]

    def alert(self, alert_id: str) -> dict[str, Any] | None:
        from imi_cli.exchanges.alerts.projection import load

        return self._kept(("alert", alert_id), lambda: load(self.conn, alert_id))

    def licence(self, number: str) -> dict[str, Any] | None:
        from imi_cli.repositories.licences.projection import load

        return self._kept(("licence", number), lambda: load(self.conn, number))

    def notification(self, ident: str) -> dict[str, Any] | None:
        from imi_cli.exchanges.notifications.projection import load

        return self._kept(("notification", ident), lambda: load(self.conn, ident, whole=False))

    def _kept(self, key: tuple[str, str], read: Any) -> dict[str, Any] | None:
        """A record read once while one event is checked (its party, audience and rights all
        ask for it); read afresh otherwise."""
        if self._records is None:
            return read()  # type: ignore[no-any-return]
        if key not in self._records:
            self._records[key] = read()
        return self._records[key]

    def begin_checks(self) -> None:
        """The span of one event's checks begins (until ``end_checks``): nothing is written in
        it, so records read are kept."""
        self._requests, self._records = {}, {}

    def end_checks(self) -> None:
        self._requests, self._records = None, None

    def version(self, entity: str) -> int:
        if self.versions is not None and entity in self.versions:
            return self.versions[entity]
        row = self.conn.execute("SELECT version FROM entity_versions WHERE entity = ?", (entity,)).fetchone()
        return row[0] if row else 0

    def exists(self, entity: str) -> bool:
        """Was the entity made? On the hub: it has a version. A node also counts what it made
        itself and has not synced yet (and what this batch made)."""
        if entity in self.overlay_entities or self.version(entity) > 0:
            return True
        kind, _, ident = entity.partition("/")
        if self.at_hub or kind not in _TABLES:
            return False
        key = _KEYS.get(kind, "id")
        return self.conn.execute(f"SELECT 1 FROM {_TABLES[kind]} WHERE {key} = ?", (ident,)).fetchone() is not None

    def changed_by_others(self, entity: str, seen: int, author: str, ignore: tuple[str, ...]) -> int | None:
        """The newest change to the entity after version ``seen`` by anyone but ``author``
        (events of the ``ignore`` types do not count); None if there is none."""
        change = self.change_by_others(entity, seen, author, ignore)
        return None if change is None else change["seq"]

    def change_by_others(self, entity: str, seen: int, author: str,
                         ignore: tuple[str, ...]) -> dict[str, Any] | None:
        """``changed_by_others`` with when the hub received that change (``seq``, ``at``) and,
        if ``author``'s authority may read the event that made it (its audience), who made it:
        ``user`` and ``authority`` (None for the operator, or for a change it may not read)."""
        marks = ",".join("?" * len(ignore)) or "''"
        row = self.conn.execute(
            "SELECT l.seq, l.author, e.body, coalesce(e.received_at, e.at) FROM entity_log l "
            "JOIN events e ON e.seq = l.seq "
            f"WHERE l.entity = ? AND l.seq > ? AND l.author != ? AND e.type NOT IN ({marks}) "
            "ORDER BY l.seq DESC LIMIT 1", (entity, seen, author, *ignore)).fetchone()
        if row is None:
            return None
        change: dict[str, Any] = {"seq": row[0], "at": row[3], "user": None, "authority": None}
        reader = self.conn.execute("SELECT authority_id FROM principals WHERE user_id = ?", (author,)).fetchone()
        if reader is not None and self.conn.execute(
                "SELECT 1 FROM event_audience WHERE seq = ? AND authority IN ('*', ?)", (row[0], reader[0])).fetchone():
            authority = (json.loads(row[2]).get("actor") or {}).get("authority")
            change.update(user=row[1], authority=authority if isinstance(authority, str) else None)
        return change

    def audience_of_events(self, event_ids: list[str]) -> list[str]:
        """The authorities the hub delivered these events to."""
        from imi_cli.log.store import in_chunks

        rows = in_chunks(self.conn, "SELECT DISTINCT a.authority FROM event_audience a JOIN events e "
                                    "ON e.seq = a.seq WHERE e.id IN ({})", event_ids)
        return sorted({a for (a,) in rows} - {"hub"})

    def now(self) -> datetime:
        return clock.now()

    # -- a batch ----------------------------------------------------------
    def note(self, event: dict[str, Any]) -> None:
        """What an accepted event of this batch made, for the checks of the ones after it."""
        payload = event.get("payload") or {}
        self.overlay_entities.add(event["subject"]["entity"])
        if event["type"] in ("authority.registered", "authority.updated"):
            self.overlay_authorities[payload["authority"]["id"]] = payload["authority"]
        elif event["type"] in ("user.registered", "user.updated"):
            self.overlay_users[payload["user"]["id"]] = payload["user"]
