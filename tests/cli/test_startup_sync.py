"""What `imi sync`'s start-up does without (issue 17, target 5) gives what it gave: the settings
folder as platformdirs names it, SHA-256 as hashlib makes it, a nonce as secrets makes it, the
privacy clock's month arithmetic as calendar's, text made safe as the patterns make it."""

from __future__ import annotations

import base64
import calendar
import hashlib
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from platformdirs import user_config_dir

from imi_cli.cli import settings
from imi_cli.log import redaction, unlock
from imi_cli.privacy import clock as privacy_clock
from imi_cli.protocol import signing
from imi_cli.safe_text import _FORMATS, json_text, safe_text, tsv_cell


@pytest.mark.parametrize("xdg, home", [
    ("/somewhere/config", "/home/someone"), ("/somewhere/config/", "/home/someone"), (None, "/home/someone"),
    ("", "/home/someone/"), (None, "/"), ("relative/config", "/home/someone"), (" ", "/home/someone"),
    (None, "relative-home"),
])
def test_the_settings_folder_is_the_one_platformdirs_names(monkeypatch, xdg, home):
    for name, value in (("XDG_CONFIG_HOME", xdg), ("HOME", home)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    try:
        expected = Path(user_config_dir("imi", appauthor=False))
    except RuntimeError:  # platformdirs finds no home at all: it decides, as it did
        expected = None
    fast = settings._linux_config_dir()
    if fast is not None:
        assert fast == expected
    if expected is not None:
        assert settings._config_dir() == expected
    if xdg and not xdg.startswith("/"):
        assert fast is None  # a relative one is left to platformdirs


def test_the_settings_folder_elsewhere_is_left_to_platformdirs(monkeypatch):
    monkeypatch.setattr(settings.sys, "platform", "darwin")
    assert settings._linux_config_dir() is None
    monkeypatch.setattr(settings.sys, "platform", "linux")
    monkeypatch.setenv("ANDROID_ROOT", "/system")
    assert settings._linux_config_dir() is None


@pytest.mark.parametrize("data", [b"", b"/home/someone/store.db", b"x" * 65536, b"y" * 65537, bytes(range(256)) * 9])
def test_sha256_is_hashlibs(data, monkeypatch):
    from imi_cli.log.crypto import sha256_hex

    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()  # hashlib loaded: by hashlib
    monkeypatch.delitem(sys.modules, "hashlib")  # as in `imi sync`: Python's own, for a short text
    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_the_key_cache_keeps_its_file_name(tmp_path):
    """A key cached before this change is found after it."""
    path = tmp_path / "store.db"
    assert unlock._cache_name(path) == hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32] + ".key"


def test_a_signed_request_has_a_nonce_as_secrets_made_it():
    class Signer:
        user_id = "u1"

        def sign_bytes(self, data: bytes) -> str:
            return "sig"

    headers = signing.sign_request(Signer(), "GET", "/v1/info", b"")  # type: ignore[arg-type]
    nonce = headers["X-IMI-Nonce"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", nonce)  # 16 random bytes, base64url, unpadded
    assert len(base64.urlsafe_b64decode(nonce + "==")) == 16
    assert headers["X-IMI-Body-SHA256"] == hashlib.sha256(b"").hexdigest()


def test_the_scrub_mark_is_the_redactions():
    assert privacy_clock.SCRUB_DUE == redaction.SCRUB_DUE


def test_month_arithmetic_is_calendars():
    for year in (1900, 1999, 2000, 2024, 2025, 2100, 9999):
        for month in range(1, 13):
            assert privacy_clock._days_in(year, month) == calendar.monthrange(year, month)[1]
    assert privacy_clock.add_months(datetime(2024, 8, 31, tzinfo=UTC), 6) == \
        datetime(2025, 2, 28, tzinfo=UTC)
    assert privacy_clock.add_months(datetime(2023, 8, 31), 6) == datetime(2024, 2, 29)


def test_text_is_made_safe_as_before():
    """Plain text passes untouched (without compiling a pattern); every control, format and
    separator character is escaped, in one line and in several."""
    assert safe_text("Pushed 0 accepted; ÁÉŐ ΩΣ 😀") == "Pushed 0 accepted; ÁÉŐ ΩΣ 😀"
    unsafe = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))] + [
        chr(c) for lo, hi in re.findall(r"(.)(?:-(.))?", _FORMATS) for c in range(ord(lo), ord(hi or lo) + 1)]
    for char in unsafe:
        assert not char.isprintable()
        assert char not in safe_text(f"a{char}b")
        if char != "\n":
            assert char not in safe_text(f"a{char}b", multiline=True)
    assert safe_text("one\ntwo\r\nthree", multiline=True) == "one\ntwo\nthree"
    assert safe_text("a\u202eb\x1b[31m") == "a\\u202eb\\x1b[31m"
    assert tsv_cell("a\tb\\c") == "a\\tb\\\\c"
    assert json_text('"a\u202eb"') == '"a\\u202eb"'
