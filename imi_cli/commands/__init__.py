"""Command groups: one Typer app per module, joined here with ``add_typer``.

Each module keeps heavy imports inside its functions so that ``imi --help`` stays fast.
"""

from __future__ import annotations

import importlib

import typer

# (module, name of the group, or None for top-level commands the module adds itself)
GROUPS: list[tuple[str, str | None, str]] = [
    ("store", None, ""),
    ("demo", None, ""),
    ("sync", None, ""),
    ("hub", "hub", "The hub: init, serve, invite national coordinators."),
    ("message", "message", "Messages between two authorities."),
    ("request", None, ""),
    ("authority", "authority", "The authority directory: register, import, show, search, export."),
    ("user", "user", "Users: add, import, list, show."),
    ("area", "area", "Legislative areas."),
    ("area:country_app", "country", "IMI countries."),
    ("questionnaire", "questionnaire", "Question sets: list, show, validate, translate."),
]


def register(app: typer.Typer) -> None:
    for module_name, group, help_text in GROUPS:
        module_name, _, attr = module_name.partition(":")
        module = importlib.import_module(f"imi_cli.commands.{module_name}")
        if group is None:
            module.register(app)
        else:
            app.add_typer(getattr(module, attr or "app"), name=group, help=help_text)
