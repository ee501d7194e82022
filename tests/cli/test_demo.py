"""`imi demo`: the README's first command, end to end, as a newcomer runs it."""

from __future__ import annotations

import json
import subprocess
import sys


def test_demo_runs_the_whole_story_without_prompts(tmp_path):
    result = subprocess.run([sys.executable, "-m", "imi_cli", "--json", "demo", "--dir", str(tmp_path)],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["found"]["epitesz"] == ["HU-MEK"]
    assert "HU-MEK" in data["found"]["architect"]
    assert data["found"]["zamowienia"] == ["PL-UZP"]
    assert data["network"]["received"] == ["Architect's diploma"]
    assert data["network"]["third_party_saw"] == []
    request = data["network"]["request"]
    assert request["third_party_events"] == 0
    assert "Yes" in request["answers_en"]  # answered in Hungarian ("Igen"), read in English
    assert "Traceback" not in result.stderr


def test_demo_leaves_only_encrypted_stores(tmp_path):
    subprocess.run([sys.executable, "-m", "imi_cli", "demo", "--dir", str(tmp_path)],
                   capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=True)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert "coordinator.db" in files and "hub.db" in files
    for path in tmp_path.iterdir():
        raw = path.read_bytes()
        assert not raw.startswith(b"SQLite format 3"), path
        for secret in (b"Magyar", b"example.hu", b"Architect's diploma", "Kovács".encode()):
            assert secret not in raw, (path, secret)


def test_demo_story_shows_two_languages_side_by_side(tmp_path):
    result = subprocess.run([sys.executable, "-m", "imi_cli", "demo", "--dir", str(tmp_path)],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "English and Hungarian side by side" in result.stdout
    assert "( ) Igen" in result.stdout and "( ) Yes" in result.stdout
    assert "reads it in Hungarian, answer options included" in result.stdout
    assert "Igen / Nem" in result.stdout
