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

from imi_cli.i18n import _, language, nt, t

Say = Callable[[str], None]

# The story is told in the interface language of the run (``imi --lang hu demo``); what an
# actor reads is shown in that actor's own language (``imi_cli.i18n.language``), as if the
# actor ran the command with ``--lang`` of their own.


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
    say(t("{step}. A coordinator creates an encrypted store: {path}", step=1, path=path))
    store = Store.create(path, secrets.token_urlsafe(24))
    with store:
        report = Directory(store).import_authorities(sample_directory())
        say(nt("{step}. Imports the sample directory: {n} authority registered "
               "(every registration is an event in the store's log).",
               "{step}. Imports the sample directory: {n} authorities registered "
               "(every registration is an event in the store's log).", len(report.created), step=2))
        again = Directory(store).import_authorities(sample_directory())
        say("   " + nt("Importing it again changes nothing: {n} unchanged.",
                       "Importing it again changes nothing: {n} unchanged.", len(again.unchanged)))
        found = _searches(Directory(store), say)
    shown = _questionnaire(say)
    from imi_cli.demo.network import run_network

    network = run_network(say, workdir)
    say(_("Done. Every store above is encrypted; nothing readable was written beside them."))
    return {"store": str(path), "found": found, "questionnaire": shown, "network": network}


def _searches(directory, say: Say) -> dict[str, list[str]]:
    found = {}
    for number, (query, filters, lang) in enumerate([
        ("epitesz", {"country": "HU"}, "en"),
        ("architect", {"area": "professional-qualifications"}, "hu"),
        ("zamowienia", {}, "pl"),
    ], start=3):
        with language(lang):  # as `imi --lang <lang> directory search` shows it
            hits = directory.search(query, lang=lang, **filters)
        extra = "".join(f" --{k} {v}" for k, v in filters.items())
        # Translators: {options} is a part of a command line (" --country HU"), {lang} a language code
        say(t("{step}. Search {query!r}{options}, shown in {lang}:", step=number, query=query, options=extra,
              lang=lang))
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
    say(t("{step}. The question set {id}, English and Hungarian side by side:", step=6, id=set_id))
    say(text)
    return set_id
