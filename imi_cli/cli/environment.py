"""What a command needs from its surroundings: settings, paths, streams, the clock, the
display language and a store factory (as httpie's ``Environment``).

``imi_cli.cli.app.main`` makes one per run (or takes the one a test passes in), the root
command fills in the settings and puts it on the click context (``ctx.obj``); commands
read it with ``environment()``. The core never reads it: commands pass in what it needs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextvars import ContextVar, Token
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the settings (TOML, platformdirs) are imported only when a command runs
    from imi_cli.cli.settings import Settings


def _now() -> datetime:
    from imi_cli.log.clock import now

    return now()


def _open_store(path: Path, settings: Settings, *, create: bool = False, keep_key: bool = False) -> Any:
    from imi_cli.log.unlock import open_store

    return open_store(path, settings, create=create, keep_key=keep_key)


class Environment:
    """One run's surroundings. Tests build their own (other streams, a fixed clock, a store
    factory) and pass it to ``main(argv, env=...)``."""

    def __init__(self, settings: Settings | None = None, *, as_json: bool = False,
                 stdout: TextIO | None = None, stderr: TextIO | None = None,
                 clock: Callable[[], datetime] = _now, store_factory: Callable[..., Any] = _open_store) -> None:
        self._settings = settings  # else resolved by the root command, or on first use
        self.as_json = as_json
        self.output_format: str | None = None  # --format: table, tsv, csv or json (None: by the stream)
        self.verbosity = 0  # -1 --quiet, 0, 1 --verbose
        self.stdout: TextIO = stdout or sys.stdout
        self.stderr: TextIO = stderr or sys.stderr
        self.clock = clock
        self.store_factory = store_factory

    @property
    def configured(self) -> bool:
        return self._settings is not None

    def configure(self, flags: dict[str, Any], config: Path | None, *, as_json: bool = False) -> None:
        """Resolve the settings (flag > env > config file > default) for this run."""
        from imi_cli.cli.settings import resolve

        if flags.get("lang") is not None:
            flags = {**flags, "lang": check_language(flags["lang"])}
        self._settings = resolve(flags, config)
        self.as_json = self.as_json or as_json
        self.configure_catalogs()

    def configure_catalogs(self) -> None:
        """The core reads catalogs from the folder given here (the ``questionnaires`` setting),
        never from the CLI's state."""
        from imi_cli.questionnaires.registry import configure

        settings = self.settings
        configure(settings.questionnaires, settings.sources["questionnaires"])

    def choose_format(self, value: str | None) -> None:
        """``--format``: how listings are printed (``imi_cli.cli.output.listing_mode``)."""
        if value is None:
            return
        from imi_cli.cli.output import MODES

        mode = str(value).strip().lower()
        if mode not in MODES:
            from imi_cli.errors import UsageError

            raise UsageError(msgid="use_one_of", params={"option": "--format", "value": value,
                                                          "choices": ", ".join(MODES)})
        self.output_format = mode
        self.as_json = mode == "json"

    def override(self, *, as_json: bool = False, lang: str | None = None, store: Path | None = None,
                 written: str | None = None, output_format: str | None = None) -> None:
        """Options given after the subcommand: they win over those given before it."""
        self.as_json = self.as_json or as_json
        if output_format is not None:
            self.choose_format(output_format)
        if written is not None:
            self._written = check_language(str(written), "--written-in")
        for key, value in (("lang", lang), ("store", store)):
            if value is None:
                continue
            if key == "lang":
                value = check_language(str(value))
            self.settings.values[key], self.settings.sources[key] = value, "flag"

    @property
    def settings(self) -> Settings:
        if self._settings is None:  # used as a library, outside `imi`
            from imi_cli.cli.settings import resolve

            self._settings = resolve({})
        return self._settings

    @property
    def store_path(self) -> Path:
        return Path(self.settings.store).expanduser()

    @property
    def lang(self) -> str:
        """Display language: --lang / IMI_LANG / config, then the locale, then English."""
        return self.settings.lang or locale_language()

    @property
    def written_language(self) -> str:
        """The language of the texts the user writes in this command: --written-in, else the
        display language."""
        return getattr(self, "_written", None) or self.lang

    @property
    def interface_language(self) -> str:
        """The language the interface speaks in this run (``imi_cli.i18n``)."""
        from imi_cli.i18n import current

        return current()

    def open_store(self, *, create: bool = False, keep_key: bool = False) -> Any:
        """``keep_key``: the store keeps its key for a second connection (a serving hub)."""
        return self.store_factory(self.store_path, self.settings, create=create, keep_key=keep_key)


def check_language(code: str, option: str = "--lang") -> str:
    """The IMI language code ``code`` names (``HU``, ``hu-HU`` and ``hu_HU.UTF-8`` are ``hu``)."""
    from imi_cli.errors import UsageError
    from imi_cli.i18n import t
    from imi_cli.i18n.choose import normalise
    from imi_cli.reference.languages import LANGUAGES

    found = normalise(code)
    if found is None:
        raise UsageError(msgid="unknown_language", params={"option": option, "value": code},
                         hint=t("use one of: {choices}", choices=" ".join(LANGUAGES)))
    return found


def locale_language() -> str:
    """The language of the locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English."""
    from imi_cli.i18n.choose import from_environment
    from imi_cli.reference.languages import DEFAULT_LANGUAGE

    return from_environment({k: v for k, v in os.environ.items() if k != "IMI_LANG"}) or DEFAULT_LANGUAGE


# The environment of the run in progress: the same object as the root context's ``obj``,
# reachable from helpers that get no context (and from the hub's threads during `hub serve`).
_CURRENT: ContextVar[Environment | None] = ContextVar("imi_environment", default=None)


def activate(env: Environment) -> Token:
    return _CURRENT.set(env)


def deactivate(token: Token) -> None:
    _CURRENT.reset(token)


def environment() -> Environment:
    """The environment of this run; outside `imi` (a library call), a new one from the
    settings as they are now (not kept: the environment variables may change)."""
    return _CURRENT.get() or Environment()


# The command modules' name for it, kept so that they change little.
state = environment
