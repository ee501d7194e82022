"""The one exception hierarchy of imi-cli, and the exit code each error maps to.

Nothing here knows about Typer: the CLI turns these into messages and exit
codes in one place (``imi_cli.cli.app``); Python users catch them directly.
"""

from __future__ import annotations

from enum import IntEnum


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


class ImiError(Exception):
    """Base of every error imi-cli reports to a user.

    ``message`` is one sentence saying what is wrong; ``hint`` says how to fix it.
    Neither may contain secrets or personal data.
    """

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


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
        self, message: str, *, problems: list[Problem] | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems or []


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


class Rejected(ImiError):
    """The hub (or the local rules) refused an action; ``reason`` is a typed code."""

    exit_code = ExitCode.REJECTED

    def __init__(self, message: str, *, reason: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class RefusedRecords(InvalidInput):
    """Records the protocol's rules refuse (a coordinator importing authorities it may not
    register): every one is named, nothing is changed, and the exit code is that of a refusal."""

    exit_code = ExitCode.REJECTED
