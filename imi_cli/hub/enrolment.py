"""The operator's side of joining the network, as methods of ``Hub`` (hub/state.py): a national
coordinator's authority and first user registered with a one-time code, a node enrolling its
key with that code, a new code for a registered user, a key revoked. Each is the operator's own
events, sequenced at once (``Hub.append_own``).
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import Any, Protocol

from imi_cli.directory.invitations import invitation_event
from imi_cli.errors import Rejected
from imi_cli.i18n import N_, t
from imi_cli.log import clock
from imi_cli.log.crypto import code_hash, new_invitation_code, verify_bytes
from imi_cli.log.event import make_event
from imi_cli.log.store import Store


class _Operator(Protocol):
    """What of ``Hub`` its invitations and enrolments use."""

    lock: AbstractContextManager[Any]
    store: Store

    @property
    def operator_public_key(self) -> str: ...

    def append_own(self, events: list[dict[str, Any]]) -> list[int]: ...


class Enrolment:
    """``Hub``'s invitations and enrolments."""

    def invite_coordinator(self: _Operator, authority: dict[str, Any], user: dict[str, Any]) -> str:
        """The operator registers a national coordinator's authority and first user; returns the code."""
        from imi_cli.errors import Conflict

        with self.lock:
            if self.store.query("SELECT 1 FROM authorities WHERE id = ?", (authority["id"],)) or \
                    self.store.query("SELECT 1 FROM users WHERE id = ?", (user["id"],)):
                raise Conflict(t("{authority} or {user} is registered already; nothing was changed",
                                 authority=authority["id"], user=user["id"]),
                               hint=t("`imi hub reinvite USER` gives a registered user a new code"))
        code = new_invitation_code()
        actor = {"user": "operator", "authority": None}
        events = [
            make_event("authority.registered", actor=actor, payload={"authority": authority},
                       subject={"entity": f"authority/{authority['id']}"}),
            make_event("user.registered", actor=actor, payload={"user": user},
                       subject={"entity": f"user/{user['id']}"}),
            invitation_event(actor, user["id"], code),
        ]
        self.append_own(events)
        return code

    def enrol(self: _Operator, code: str, public_key: str, proof: str) -> dict[str, Any]:
        digest = code_hash(code)
        with self.lock:
            row = self.store.query("SELECT user_id, expires_at, used_at FROM invitations WHERE code_hash = ?",
                                   (digest,))
            if not row or row[0][2] or row[0][1] < clock.iso(clock.now()):
                # the hub's answer to a node (its HTTP JSON is English; the node translates the text)
                raise Rejected(N_("the invitation code is unknown, used or expired"), reason="invalid_invitation")
            if not verify_bytes(public_key, proof, digest.encode()):
                raise Rejected(N_("the enrolment proof does not match the key"), reason="bad_signature")
            user_id = row[0][0]
            user = json.loads(self.store.query("SELECT record FROM users WHERE id = ?", (user_id,))[0][0])
            operator = {"user": "operator", "authority": None}
            enrolled = make_event("user.enrolled", actor=operator,
                                  payload={"user": user_id, "authority": user["authority"], "public_key": public_key},
                                  subject={"entity": f"principal/{user_id}/{digest[:12]}"})
            # Spending the code is an event too (a rebuilt hub keeps it spent), in the same
            # transaction as the key: a crash leaves neither or both.
            spent = make_event("invitation.spent", actor=operator, payload={"code_hash": digest},
                               subject={"entity": f"invitation/{digest[:16]}"})
            self.append_own([enrolled, spent])
        return {"user": user_id, "authority": user["authority"], "operator_key": self.operator_public_key}

    def reinvite(self: _Operator, user_id: str) -> str:
        """The operator gives a registered user a new one-time code: for a key that was lost
        or revoked (enrolling with it replaces the key and lifts the revocation)."""
        from imi_cli.errors import NotFound

        with self.lock:
            if not self.store.query("SELECT 1 FROM users WHERE id = ?", (user_id,)):
                raise NotFound(t("no user {user!r} on this hub", user=user_id))
        code = new_invitation_code()
        self.append_own([invitation_event({"user": "operator", "authority": None}, user_id, code)])
        return code

    def revoke(self: _Operator, user_id: str) -> int:
        """The operator revokes a user's key: its requests and events are refused from now on."""
        from imi_cli.errors import NotFound

        with self.lock:
            if not self.store.query("SELECT 1 FROM principals WHERE user_id = ?", (user_id,)):
                raise NotFound(t("no enrolled user {user!r} on this hub", user=user_id))
            user = self.store.query("SELECT authority_id FROM principals WHERE user_id = ?", (user_id,))[0][0]
        event = make_event("user.revoked", actor={"user": "operator", "authority": None},
                           payload={"user": user_id, "authority": user}, subject={"entity": f"user/{user_id}"})
        return self.append_own([event])[0]
