"""The one exception hierarchy of imi-cli, and the exit code each error maps to.

Nothing here knows about Typer: the CLI turns these into messages and exit
codes in one place (``imi_cli.cli.exit_codes``); Python users catch them directly.

An error may carry a message id and parameters (``msgid``, ``params``): the English
sentence is rendered from them (``imi_cli.messages``), so the interface can later show
the same error in the user's language, and a hub's refusal can travel as a code.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # generic failure, or findings (e.g. a catalog that does not validate)
    USAGE = 2  # bad command-line usage (Typer/Click's own code)
    WRONG_PASSPHRASE = 3
    NOT_FOUND = 4
    INVALID_INPUT = 5
    CONFLICT = 6
    STORE_BUSY = 7
    NOT_A_STORE = 8
    HUB_UNREACHABLE = 9
    REJECTED = 10  # the hub refused an action (not allowed, stale, illegal transition)
    CLOCK_SKEW = 11  # this computer's clock is too far from the hub's for it to take signed requests


class ImiError(Exception):
    """Base of every error imi-cli reports to a user.

    ``message`` is one sentence saying what is wrong; ``hint`` says how to fix it.
    Neither may contain secrets or personal data. Give either the sentence, or a
    ``msgid`` of ``imi_cli.messages`` with its ``params`` (the sentence is then rendered
    from them); errors raised with a plain sentence have no ``msgid``.
    """

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str | None = None, *, msgid: str | None = None,
                 params: Mapping[str, Any] | None = None, hint: str | None = None) -> None:
        self.msgid = msgid
        self.params: dict[str, Any] = dict(params or {})
        if message is None:
            if msgid is None:
                raise TypeError("an ImiError needs a message or a msgid")
            from imi_cli.messages import render

            message = render(msgid, self.params)
        super().__init__(message)
        self.message = message
        self.hint = hint

    def as_dict(self) -> dict[str, Any]:
        """What a program reads: the id and parameters as well as the sentence (in the
        interface language; ``msgid`` and ``params`` are the same in every language)."""
        return {"error": self.message, "msgid": self.msgid, "params": self.params, "hint": self.hint,
                "exit_code": int(self.exit_code)}


class UsageError(ImiError):
    exit_code = ExitCode.USAGE


class WrongPassphrase(ImiError):
    exit_code = ExitCode.WRONG_PASSPHRASE


class NotFound(ImiError):
    exit_code = ExitCode.NOT_FOUND


class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    __slots__ = ("where", "field", "message")

    def __init__(self, where: str, field: str | None, message: str) -> None:
        self.where = where  # "file.csv:12" / "file.yaml:4:7" / "row 3"
        self.field = field
        self.message = message

    def __str__(self) -> str:
        field = f" [{self.field}]" if self.field else ""
        return f"{self.where}:{field} {self.message}"

    def as_dict(self) -> dict[str, str | None]:
        return {"where": self.where, "field": self.field, "message": self.message}


class InvalidInput(ImiError):
    """Bad input. Carries every problem found, not only the first."""

    exit_code = ExitCode.INVALID_INPUT

    def __init__(
        self, message: str | None = None, *, problems: list[Problem] | None = None,
        hint: str | None = None, msgid: str | None = None, params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, msgid=msgid, params=params, hint=hint)
        self.problems = problems or []
        # how many problems a person is shown (None: all); a command with --all-problems caps it
        self.shown: int | None = None


class BadOptions(InvalidInput):
    """Option values that are not right (an unknown country for --country, ...): every one is
    reported, and the exit code is that of any usage error."""

    exit_code = ExitCode.USAGE


class Conflict(ImiError):
    exit_code = ExitCode.CONFLICT


class StoreBusy(ImiError):
    exit_code = ExitCode.STORE_BUSY


class NotAStore(ImiError):
    exit_code = ExitCode.NOT_A_STORE


class HubUnreachable(ImiError):
    exit_code = ExitCode.HUB_UNREACHABLE


class ClockSkew(ImiError):
    """The hub refused a signed request because its time is too far from the hub's clock;
    ``params["skew_seconds"]`` is how far this computer's clock is ahead (negative: behind)."""

    exit_code = ExitCode.CLOCK_SKEW


class Rejected(ImiError):
    """The hub (or the local rules) refused an action; ``reason`` is a typed code
    (not_allowed, stale, illegal_transition, invalid ...) and ``params`` what the
    sentence names (the state, the role ...), so a refusal can be told in any language."""

    exit_code = ExitCode.REJECTED

    def __init__(self, message: str | None = None, *, reason: str, msgid: str | None = None,
                 params: Mapping[str, Any] | None = None, hint: str | None = None) -> None:
        super().__init__(message, msgid=msgid, params=params, hint=hint)
        self.reason = reason

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "reason": self.reason}


class RefusedRecords(InvalidInput):
    """Records the protocol's rules refuse (a coordinator importing authorities it may not
    register): every one is named, nothing is changed, and the exit code is that of a refusal."""

    exit_code = ExitCode.REJECTED


class EventsRejected(Rejected):
    """A sync pushed events the hub refused; each one's reason is in the outbox."""

    def __init__(self, count: int) -> None:
        from imi_cli.i18n import _

        super().__init__(msgid="events_rejected", reason="rejected", params={"count": count},
                         hint=_("`imi outbox --state rejected` lists each event with its reason"))
