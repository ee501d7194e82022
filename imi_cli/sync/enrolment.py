"""A node's identity: the user's Ed25519 key made here, kept only in the encrypted store,
and enrolment with a hub through a one-time invitation code."""

from __future__ import annotations

from typing import Any

from imi_cli.errors import UsageError
from imi_cli.log.crypto import Signer, code_hash, new_private_key, public_key_of
from imi_cli.sync.hubclient import HubClient, check_url


def enrol(store: Any, hub_url: str, code: str, *, insecure: bool = False) -> dict[str, Any]:
    """Make a key pair, prove it with the code, and record who this store acts for."""
    if store.meta("private_key"):
        raise UsageError("this store is already enrolled", hint="use a new store for another identity")
    url = check_url(hub_url, insecure=insecure)
    key = new_private_key()
    proof = Signer("new", key).sign_bytes(code_hash(code).encode())
    with HubClient(url) as client:
        who = client.enrol(code, public_key_of(key), proof)
    with store.transaction():
        for name, value in (("hub", url), ("user_id", who["user"]), ("authority_id", who["authority"]),
                            ("operator_key", who["operator_key"]), ("private_key", key), ("cursor", "0")):
            store.set_meta(name, value)
    return {"user": who["user"], "authority": who["authority"], "hub": url}


def client_for(store: Any, url: str | None = None) -> HubClient:
    url = url or store.meta("hub")
    key = store.meta("private_key")
    if not url or not key:
        raise UsageError("this store is not enrolled with a hub",
                         hint="create one with `imi init --hub URL --invite CODE`")
    return HubClient(url, Signer(store.meta("user_id"), key))
