"""An entity is folded again in a process that has loaded no projection yet (the data-protection
clock runs as a command opens its store, before the command imports its domain)."""

from __future__ import annotations

import subprocess
import sys

FRESH = """
from imi_cli.log import redaction
assert not redaction.FORGETTERS, sorted(redaction.FORGETTERS)
import sqlite3
conn = sqlite3.connect(":memory:")
try:
    redaction.reproject(conn, "request/01a22ef8-8f5b-7000-a28a-da84369e9f82")
except sqlite3.Error:
    pass  # no tables here: what matters is that the forgetter was found and ran
print(" ".join(sorted(redaction.FORGETTERS)))
"""


def test_reproject_finds_the_forgetters_in_a_fresh_process():
    result = subprocess.run([sys.executable, "-c", FRESH], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) >= {"request/", "alert/", "notification/", "licence/"}
