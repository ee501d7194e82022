"""Folding register entries into the ``registers`` table; ``search_text`` holds every name,
what it covers and contains, folded (case and diacritics), for search in any language."""

from __future__ import annotations

import json
from typing import Any

from imi_cli.directory.search import fold


def load(conn: Any, ident: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT record FROM registers WHERE id = ?", (ident,)).fetchone()
    return json.loads(row[0]) if row else None


def apply_register(conn: Any, event: dict[str, Any]) -> None:
    r = event["payload"]["register"]
    words = [*r["names"].values(), *r["covers"], *(r.get("contents") or {}).values(), r["id"]]
    conn.execute("INSERT OR REPLACE INTO registers(id, country, area, holder, search_text, updated_at, record) "
                 "VALUES (?,?,?,?,?,?,?)",
                 (r["id"], r["country"], r["area"], r["holder"], fold(" ".join(words)), event["at"],
                  json.dumps(r, ensure_ascii=False, sort_keys=True)))
