"""Connecting to the hub's PostgreSQL database: the URL, the psycopg import guard, clear errors.

A database URL may carry a password (``postgresql://user:secret@host/db``): show it only
through ``shown_url``, which hides the password, in every message and log line.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from imi_cli.errors import ImiError, UsageError
from imi_cli.i18n import t

APPLICATION_NAME = "imi-hub"  # what pg_stat_activity shows for the hub's connections
CONNECT_TIMEOUT_SECONDS = 10  # unless the URL sets connect_timeout


class DatabaseUnavailable(ImiError):
    """The hub's database cannot be reached or refused the connection."""


def is_database_url(text: str) -> bool:
    """Whether ``text`` is a PostgreSQL URL (postgresql:// or postgres://) rather than a path."""
    return text.strip().lower().startswith(("postgresql://", "postgres://"))


_PASSWORD_PARAM = re.compile(r"(?i)(^|&)(password=)[^&]*")


def shown_url(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` parameter) replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    query = _PASSWORD_PARAM.sub(r"\1\2***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def require_psycopg() -> Any:
    """The psycopg module; a UsageError saying how to install it if it is missing."""
    try:
        import psycopg
    except ImportError:
        raise UsageError(t("PostgreSQL support is not installed"),
                         hint=t("install it with `pip install 'imi-cli[postgresql]'`")) from None
    return psycopg


def _reason(exc: BaseException, url: str) -> str:
    """The server's (or libpq's) one-line reason, without any password of the URL."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    reason = lines[0].removeprefix("connection failed: ") if lines else type(exc).__name__
    secret = urlsplit(url).password if "://" in url else None
    if secret:
        reason = reason.replace(secret, "***")
    return reason


def connect(url: str, *, autocommit: bool = False) -> Any:
    """A psycopg connection to the hub's database; a connection failure is a
    DatabaseUnavailable naming the URL (password hidden) and the reason, without a traceback."""
    psycopg = require_psycopg()
    options: dict[str, Any] = {"autocommit": autocommit, "application_name": APPLICATION_NAME}
    if "connect_timeout" not in url:
        options["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    try:
        return psycopg.connect(url, **options)
    except psycopg.Error as exc:
        raise DatabaseUnavailable(t("cannot connect to the database {url}: {reason}",
                                    url=shown_url(url), reason=_reason(exc, url))) from None
