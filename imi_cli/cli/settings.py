"""One registry of settings: flag > environment variable > config file > default.

Every setting is declared once here; ``imi.toml.example`` documents the same
keys and a test keeps the two in step.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from imi_cli.errors import InvalidInput, Problem, UsageError
from imi_cli.i18n import N_, _


class Setting(NamedTuple):  # (not a frozen dataclass: making one costs ~0.7 ms of every command)
    key: str
    env: str
    default: Callable[[], Any]
    help: str  # marked with N_: shown translated in the error of a bad value
    parse: Callable[[str], Any] = str


def _data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("imi", appauthor=False))


def _config_dir() -> Path:
    found = _linux_config_dir()
    if found is not None:
        return found
    from platformdirs import user_config_dir

    return Path(user_config_dir("imi", appauthor=False))


def _linux_config_dir() -> Path | None:
    """On Linux, where an absolute XDG_CONFIG_HOME, else an absolute HOME, settles it: the
    folder platformdirs names (``$XDG_CONFIG_HOME/imi``, ``~/.config/imi``), without importing it
    (~3 ms of every command: tests/cli/test_startup_sync.py compares the two); None otherwise."""
    if sys.platform != "linux" or hasattr(sys, "getandroidapilevel") or os.environ.get("ANDROID_ROOT"):
        return None
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    if xdg:
        return Path(xdg, "imi") if xdg.startswith("/") else None
    home = os.environ.get("HOME", "")
    return Path(os.path.expanduser("~/.config"), "imi") if home.startswith("/") else None


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("must be positive")
    return value


def _time_zone(text: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not a time zone") from None
    return text


REGISTRY: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("store", "IMI_STORE", lambda: _data_dir() / "store.db",
                N_("Path of the encrypted store."), Path),
        Setting("lang", "IMI_LANG", lambda: None,
                N_("Display language (an IMI language code)."), str),
        Setting("unlock_ttl", "IMI_UNLOCK_TTL", lambda: 8 * 3600,
                N_("Seconds an `imi unlock` lasts."), _positive_int),
        Setting("busy_timeout_ms", "IMI_BUSY_TIMEOUT_MS", lambda: 5000,
                N_("How long to wait for another process's write lock, in milliseconds."), _positive_int),
        Setting("hub", "IMI_HUB", lambda: None,
                N_("URL of the hub this store synchronises with."), str),
        Setting("hub_retention_days", "IMI_HUB_RETENTION_DAYS", lambda: None,
                N_("Hub only: days an exchange stays on the hub (directory entries stay); none = keep all."),
                _positive_int),
        Setting("hub_database", "IMI_HUB_DATABASE", lambda: None,
                N_("Hub only: URL of the PostgreSQL database that holds the hub (postgresql://...)."), str),
        Setting("hub_key_file", "IMI_HUB_KEY_FILE", lambda: None,
                N_("Hub only: the file of the hub key that encrypts what the hub keeps in PostgreSQL."), Path),
        Setting("hub_replica_dir", "IMI_HUB_REPLICA_DIR", lambda: None,
                N_("Hub only: folder of each hub process's private encrypted copy of the PostgreSQL hub."), Path),
        Setting("timezone", "IMI_TIMEZONE", lambda: None,
                N_("Time zone times are shown in, e.g. Europe/Budapest (default: the machine's)."), _time_zone),
        Setting("questionnaires", "IMI_QUESTIONNAIRES", lambda: None,
                N_("Folder of questionnaire catalogs (default: the ones shipped)."), Path),
    )
}


def default_config_path() -> Path:
    return _config_dir() / "imi.toml"


@dataclass
class Settings:
    """Resolved settings. ``sources`` tells where each value came from."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, key: str) -> Any:
        try:
            return self.values[key]
        except KeyError:
            raise AttributeError(key) from None


def _read_config(path: Path, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise UsageError(msgid="config_missing", params={"path": str(path)})
        return {}
    if path.is_dir():
        raise UsageError(msgid="config_is_folder", params={"path": str(path)},
                         hint=_("point --config or IMI_CONFIG at an imi.toml (see imi.toml.example)"))
    import tomllib  # (here: ~2 ms, and most runs have no settings file)

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(msgid="config_not_toml", params={"path": str(path), "detail": str(exc)}) from None
    unknown = sorted(set(data) - set(REGISTRY))
    if unknown:
        raise InvalidInput(
            msgid="config_unknown_settings", params={"path": str(path)},
            problems=[Problem(str(path), key, _("unknown setting")) for key in unknown],
            hint=_("see imi.toml.example for every setting"),
        )
    return data


def resolve(flags: dict[str, Any], config_path: Path | None = None) -> Settings:
    """Resolve every setting: a flag given (not None) wins, then env, then file, then default."""
    env_config = os.environ.get("IMI_CONFIG")
    explicit = config_path is not None or bool(env_config)
    path = config_path or (Path(env_config) if env_config else default_config_path())
    file_values = _read_config(path, explicit)
    out = Settings()
    for key, setting in REGISTRY.items():
        value, source = _resolve_one(setting, flags.get(key), file_values, path)
        out.values[key], out.sources[key] = value, source
    out.values["config"], out.sources["config"] = path, "flag/env" if explicit else "default"
    return out


def _resolve_one(setting: Setting, flag: Any, file_values: dict[str, Any], path: Path):
    if flag is not None:
        return flag, "flag"
    raw, source = os.environ.get(setting.env), setting.env
    if not raw and setting.key in file_values:
        raw, source = str(file_values[setting.key]), str(path)
    if not raw:
        return setting.default(), "default"
    try:
        return setting.parse(raw), source
    except ValueError:
        # a bad value in the file is a bad file (like an unknown key); in the environment, usage
        from imi_cli.messages import render

        error = InvalidInput if source == str(path) else UsageError
        params = {"source": source, "key": setting.key, "value": raw, "help": setting.help}
        # the sentence with the setting's help in the interface language; params keep the English
        raise error(render("setting_invalid", {**params, "help": _(setting.help)}),
                    msgid="setting_invalid", params=params) from None
