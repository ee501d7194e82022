"""A finding: one thing a check found wrong, located in a file."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int  # 1-based
    col: int  # 1-based
    check: str  # e.g. "L002"
    level: str  # "error" | "warning"
    message: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @property
    def key(self) -> tuple[str, str]:
        """What a finding says, without where: compares findings across edits of a file."""
        return (self.check, self.message)


def has_failures(findings: list[Finding], strict: bool) -> bool:
    return any(f.level == ERROR or strict for f in findings)
