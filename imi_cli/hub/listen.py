"""Checks before `imi hub serve` hands the socket to uvicorn: its own failures are log lines
and exit codes of its own, not messages that name the flag to fix."""

from __future__ import annotations

import errno
import socket
import ssl
from pathlib import Path

from imi_cli.errors import Conflict, ImiError, InvalidInput, NotFound, UsageError
from imi_cli.i18n import N_, _, t

_TLS_HINT = N_("README.md (TLS) shows how to make a test certificate and key with openssl")


def check_tls(cert: Path, key: Path) -> None:
    """Both files exist, are PEM, and the key belongs to the certificate."""
    for flag, path in (("--cert", cert), ("--key", key)):
        if path.is_dir():
            raise UsageError(t("{option} {path} is a folder, not a PEM file", option=flag, path=str(path)))
        if not path.exists():
            raise NotFound(t("{option} {path}: no such file", option=flag, path=str(path)))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        try:
            context.load_verify_locations(cafile=cert)
        except ssl.SSLError:
            raise InvalidInput(t("--cert {path} is not a PEM certificate", path=str(cert)), hint=_(_TLS_HINT)) from None
        try:
            context.load_cert_chain(cert, key)
        except ssl.SSLError:
            raise InvalidInput(t("--key {key} is not the PEM private key of --cert {cert}", key=str(key),
                                 cert=str(cert)), hint=_(_TLS_HINT)) from None
    except OSError as exc:
        raise ImiError(t("--cert {cert} / --key {key} cannot be read ({error})", cert=str(cert), key=str(key),
                         error=exc.strerror)) from None


def check_address(host: str, port: int) -> None:
    """The address resolves and the port is free (uvicorn binds with SO_REUSEADDR too)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(t("--host {host!r} is not an address of this machine ({error})", host=host,
                           error=exc.strerror)) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise Conflict(t("port {port} on {host} is already in use", port=port, host=host),
                               hint=t("stop the other server, or choose another --port")) from None
            raise ImiError(t("cannot listen on {host}:{port} ({error})", host=host, port=port, error=exc.strerror),
                           hint=t("ports below 1024 need privileges; --host must be an address "
                                  "of this machine")) from None
