"""What a command needs from its surroundings: settings, output mode, language.

Commands read it with ``state()``; tests run the CLI in a fresh process or
with their own environment variables, so nothing here is global beyond one run.
"""

from __future__ import annotations

import locale
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imi_cli.cli.settings import Settings
from imi_cli.reference.languages import DEFAULT_LANGUAGE, is_language


@dataclass
class State:
    settings: Settings
    as_json: bool = False

    @property
    def store_path(self) -> Path:
        return Path(self.settings.store).expanduser()

    @property
    def lang(self) -> str:
        """Display language: --lang / IMI_LANG / config, then the locale, then English."""
        chosen = self.settings.lang
        if chosen:
            return chosen
        return locale_language()

    def open_store(self, *, create: bool = False) -> Any:
        from imi_cli.log.unlock import open_store

        return open_store(self.store_path, self.settings, create=create)


def locale_language() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        code = value.split("_")[0].split(".")[0].lower()
        if code == "nb" or code == "nn":
            code = "no"
        if is_language(code):
            return code
    code = (locale.getlocale()[0] or "").split("_")[0].lower()
    return code if is_language(code) else DEFAULT_LANGUAGE


_STATE: State | None = None


def set_state(state: State) -> None:
    global _STATE
    _STATE = state


def state() -> State:
    if _STATE is None:  # called as a library, outside the CLI
        from imi_cli.cli.settings import resolve

        set_state(State(resolve({})))
    assert _STATE is not None
    return _STATE
