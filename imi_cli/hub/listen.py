"""Checks before `imi hub serve` hands the socket to uvicorn: its own failures are log lines
and exit codes of its own, not messages that name the flag to fix."""

from __future__ import annotations

import errno
import socket
import ssl
from pathlib import Path

from imi_cli.errors import Conflict, ImiError, InvalidInput, NotFound, UsageError

_TLS_HINT = "README.md (TLS) shows how to make a test certificate and key with openssl"


def check_tls(cert: Path, key: Path) -> None:
    """Both files exist, are PEM, and the key belongs to the certificate."""
    for flag, path in (("--cert", cert), ("--key", key)):
        if path.is_dir():
            raise UsageError(f"{flag} {path} is a folder, not a PEM file")
        if not path.exists():
            raise NotFound(f"{flag} {path}: no such file")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        try:
            context.load_verify_locations(cafile=cert)
        except ssl.SSLError:
            raise InvalidInput(f"--cert {cert} is not a PEM certificate", hint=_TLS_HINT) from None
        try:
            context.load_cert_chain(cert, key)
        except ssl.SSLError:
            raise InvalidInput(f"--key {key} is not the PEM private key of --cert {cert}",
                               hint=_TLS_HINT) from None
    except OSError as exc:
        raise ImiError(f"--cert {cert} / --key {key} cannot be read ({exc.strerror})") from None


def check_address(host: str, port: int) -> None:
    """The address resolves and the port is free (uvicorn binds with SO_REUSEADDR too)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host!r} is not an address of this machine ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise Conflict(f"port {port} on {host} is already in use",
                               hint="stop the other server, or choose another --port") from None
            raise ImiError(f"cannot listen on {host}:{port} ({exc.strerror})",
                           hint="ports below 1024 need privileges; --host must be an address "
                                "of this machine") from None
