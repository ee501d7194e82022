"""The settings registry: flag > environment > config file > default, and imi.toml.example."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from imi_cli.cli.settings import REGISTRY, default_config_path, resolve
from imi_cli.errors import InvalidInput, UsageError

EXAMPLE = Path(__file__).resolve().parents[2] / "imi.toml.example"


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "imi.toml"
    path.write_text('lang = "fr"\nbusy_timeout_ms = 250\nstore = "/from/file.db"\n', encoding="utf-8")
    return path


def test_defaults(isolate):
    settings = resolve({})
    assert settings.lang is None and settings.unlock_ttl == 8 * 3600 and settings.busy_timeout_ms == 5000
    assert settings.store == isolate / ".local/share/imi/store.db"
    assert settings.config == default_config_path() == isolate / ".config/imi/imi.toml"
    assert set(settings.sources[k] for k in REGISTRY) == {"default"}


def test_file_over_default(config):
    settings = resolve({}, config)
    assert (settings.lang, settings.busy_timeout_ms, settings.store) == ("fr", 250, Path("/from/file.db"))
    assert settings.sources["lang"] == str(config)
    assert settings.unlock_ttl == 8 * 3600 and settings.sources["unlock_ttl"] == "default"


def test_env_over_file(config, monkeypatch):
    monkeypatch.setenv("IMI_LANG", "de")
    monkeypatch.setenv("IMI_BUSY_TIMEOUT_MS", "75")
    settings = resolve({}, config)
    assert (settings.lang, settings.busy_timeout_ms) == ("de", 75)
    assert settings.sources["lang"] == "IMI_LANG"


def test_flag_over_env(config, monkeypatch):
    monkeypatch.setenv("IMI_LANG", "de")
    settings = resolve({"lang": "hu", "store": Path("/flag.db")}, config)
    assert (settings.lang, settings.store) == ("hu", Path("/flag.db"))
    assert settings.sources["lang"] == "flag"


def test_config_from_the_environment(config, monkeypatch):
    monkeypatch.setenv("IMI_CONFIG", str(config))
    assert resolve({}).lang == "fr"


def test_config_in_the_users_config_folder(isolate):
    path = isolate / ".config/imi/imi.toml"
    path.parent.mkdir(parents=True)
    path.write_text("unlock_ttl = 60\n")
    assert resolve({}).unlock_ttl == 60


def test_precedence_through_the_cli(imi, config, monkeypatch):
    def area_name(*args: str) -> str:
        result = imi(*args, "area", "list", "--json")
        assert result.code == 0, result.err
        return next(a["name"] for a in json.loads(result.out) if a["id"] == "professional-qualifications")

    english = area_name()
    monkeypatch.setenv("IMI_CONFIG", str(config))
    french = area_name()
    monkeypatch.setenv("IMI_LANG", "de")
    german = area_name()
    hungarian = area_name("--lang", "hu")
    assert len({english, french, german, hungarian}) == 4


def test_unknown_key_in_the_config_file(tmp_path, imi):
    path = tmp_path / "imi.toml"
    path.write_text('lang = "hu"\ncolour = "red"\nbusy_timeout = 5\n')
    with pytest.raises(InvalidInput) as caught:
        resolve({}, path)
    assert [str(p) for p in caught.value.problems] == [f"{path}: [busy_timeout] unknown setting",
                                                       f"{path}: [colour] unknown setting"]
    result = imi("--config", path, "area", "list")
    assert result.code == 5
    assert result.err == (f"imi: error: config file {path} has unknown settings\n"
                          f"  {path}: [busy_timeout] unknown setting\n  {path}: [colour] unknown setting\n"
                          "  hint: see imi.toml.example for every setting\n")


def test_a_config_file_that_is_not_toml(tmp_path, imi):
    path = tmp_path / "imi.toml"
    path.write_text("lang = \n")
    result = imi("--config", path, "area", "list")
    assert result.code == 5 and result.err.startswith(f"imi: error: config file {path} is not valid TOML: ")


def test_a_named_config_file_must_exist(tmp_path, imi):
    result = imi("--config", tmp_path / "none.toml", "area", "list")
    assert result.code == 2
    assert result.err == f"imi: error: config file {tmp_path / 'none.toml'} does not exist\n"


def test_a_bad_value(tmp_path, monkeypatch):
    path = tmp_path / "imi.toml"
    path.write_text("busy_timeout_ms = -5\n")
    with pytest.raises(InvalidInput, match=r"busy_timeout_ms = '-5' is not valid"):  # a bad file: exit 5
        resolve({}, path)
    monkeypatch.setenv("IMI_UNLOCK_TTL", "soon")
    with pytest.raises(UsageError, match=r"^IMI_UNLOCK_TTL: unlock_ttl = 'soon' is not valid"):
        resolve({})


def test_a_bad_lang_flag(imi):
    result = imi("--lang", "xx", "area", "list")
    assert result.code == 2
    assert result.err.startswith("imi: error: --lang 'xx' is not an IMI language code\n")


def _example_keys() -> dict[str, object]:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    assert not [line for line in lines if line.strip() and not line.startswith("#")], "all commented"
    return tomllib.loads("\n".join(line[2:] for line in lines if re.match(r"^# [a-z_]+ = ", line)))


def test_the_example_lists_every_setting():
    assert set(_example_keys()) == set(REGISTRY)


def test_the_example_uncommented_is_a_valid_config(tmp_path):
    path = tmp_path / "imi.toml"
    path.write_text("\n".join(f"{k} = {json.dumps(v)}" for k, v in _example_keys().items()))
    settings = resolve({}, path)
    assert all(settings.sources[key] == str(path) for key in REGISTRY)


def test_the_example_names_each_environment_variable():
    text = EXAMPLE.read_text(encoding="utf-8")
    assert all(setting.env in text for setting in REGISTRY.values())
