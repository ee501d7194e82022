"""`imi demo`: the product's main job, end to end, on embedded data, without prompts.

Each step is a call into the same core a Python user would make; ``say`` tells
the story so a reader can follow it.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

Say = Callable[[str], None]


def sample_directory() -> Path:
    return Path(str(resources.files("imi_cli.reference.data").joinpath("demo_directory.yaml")))


def run_demo(say: Say, workdir: Path | None = None) -> dict:
    """Run the demo in ``workdir`` (a fresh temp folder by default); returns what it found."""
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="imi-demo-") as tmp:
            return run_demo(say, Path(tmp))
    from imi_cli.directory.authorities import Directory
    from imi_cli.log.store import Store

    path = workdir / "coordinator.db"
    say(f"1. A coordinator creates an encrypted store: {path}")
    store = Store.create(path, secrets.token_urlsafe(24))
    with store:
        report = Directory(store).import_authorities(sample_directory())
        say(f"2. Imports the sample directory: {len(report.created)} authorities registered "
            f"(every registration is an event in the store's log).")
        again = Directory(store).import_authorities(sample_directory())
        say(f"   Importing it again changes nothing: {len(again.unchanged)} unchanged.")
        found = _searches(Directory(store), say)
    shown = _questionnaire(say)
    from imi_cli.demo.network import run_network

    network = run_network(say, workdir)
    say("Done. Every store above is encrypted; nothing readable was written beside them.")
    return {"store": str(path), "found": found, "questionnaire": shown, "network": network}


def _searches(directory, say: Say) -> dict[str, list[str]]:
    found = {}
    for number, (query, filters, lang) in enumerate([
        ("epitesz", {"country": "HU"}, "en"),
        ("architect", {"area": "professional-qualifications"}, "hu"),
        ("zamowienia", {}, "pl"),
    ], start=3):
        hits = directory.search(query, lang=lang, **filters)
        extra = "".join(f" --{k} {v}" for k, v in filters.items())
        say(f"{number}. Search {query!r}{extra}, shown in {lang}:")
        for hit in hits:
            say(f"     {hit['id']:<8} {hit['country']}  {hit['name']}")
        found[query] = [hit["id"] for hit in hits]
    return found


def _questionnaire(say: Say) -> str | None:
    try:
        from imi_cli.questionnaires.sidebyside import side_by_side
    except ImportError:
        return None
    text, set_id = side_by_side("en", "hu")
    if not text:
        return None
    say(f"6. The question set {set_id}, English and Hungarian side by side:")
    say(text)
    return set_id
