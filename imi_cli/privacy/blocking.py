"""Reading blocked personal data (Art. 14(1)): only a user with the data-protection role, only
with a stated reason, and each read is an event of the access log.

The exchange's projection holds ``[blocked]`` in place of its personal data. A read folds the
exchange again with its blocked disclosures revealed, inside a transaction that is rolled
back: the view is built from it, and nothing of it stays in the store's tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from imi_cli.errors import Rejected, UsageError
from imi_cli.i18n import _, t
from imi_cli.log import redaction

T = TypeVar("T")
DATA_PROTECTION = "data_protection"


def is_officer(store: Any) -> bool:
    """Does this store's user hold the data-protection role (in any area)?"""
    from imi_cli.directory.event_types import has_role
    from imi_cli.protocol.view import RulesView

    user = RulesView(store.conn, at_hub=False).user(store.meta("user_id"))
    return user is not None and has_role(user, DATA_PROTECTION)


def require_officer(store: Any, refusal: str) -> None:
    """``refusal``: the whole sentence saying what needs the role, marked with ``N_``, with a
    field {role} (``N_("early erasure needs the {role} role")``)."""
    if not is_officer(store):
        raise Rejected(t(refusal, role=DATA_PROTECTION), reason="not_allowed",
                       hint=_("a coordinator of your authority gives it (`imi user add` with the role in --roles)"))


def require_officer_or_coordinator(store: Any, refusal: str) -> None:
    """``refusal`` as in ``require_officer``, with the fields {role} and {coordinator}."""
    from imi_cli.directory.event_types import has_role
    from imi_cli.protocol.view import RulesView

    user = RulesView(store.conn, at_hub=False).user(store.meta("user_id"))
    if not (user and (has_role(user, DATA_PROTECTION) or has_role(user, "coordinator"))):
        raise Rejected(t(refusal, role=DATA_PROTECTION, coordinator="coordinator"), reason="not_allowed")


def check_reason(reason: str | None) -> str:
    from imi_cli.i18n import formats

    text = (reason or "").strip()
    if len(text) < 3:
        raise UsageError(_("--reason: say why the data is needed (at least 3 characters); it goes into the "
                           "access log"))
    if len(text) > 2000:
        raise UsageError(t("--reason: at most {n} characters", n=formats.number(2000)))
    return text


def is_blocked(conn: Any, entity: str) -> bool:
    return conn.execute("SELECT 1 FROM disclosures WHERE entity = ? AND blocked_at IS NOT NULL "
                        "AND disclosure IS NOT NULL LIMIT 1", (entity,)).fetchone() is not None


def unsealed_view(store: Any, entities: list[str], build: Callable[[Any], T]) -> T:
    """What ``build(conn)`` returns with these exchanges folded with their blocked data, in a
    transaction rolled back afterwards (the tables keep ``[blocked]``)."""
    conn = store.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        with redaction.unsealed():
            for entity in entities:
                redaction.reproject(conn, entity)
            return build(conn)
    finally:
        conn.execute("ROLLBACK")
