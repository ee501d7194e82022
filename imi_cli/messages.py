"""The English text of every message id an error may carry.

Ids are stable snake_case names (what a program reading ``--json`` errors acts on); the
texts are ``str.format`` templates over the error's parameters, translated through the
interface's catalogs (``imi_cli.i18n``) when the error is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from imi_cli.i18n import N_, t

MESSAGES: dict[str, str] = {
    # usage of the command line
    "unknown_language": N_("{option} {value!r} is not an IMI language code"),
    "options_go_together": N_("{first} and {second} go together"),
    "option_needs_pairs": N_("{option} {value!r}: write it as {form}"),
    "unknown_format": N_("{option} {value!r} is not one of: {choices}"),
    "use_one_of": N_("{option} {value!r}: use {choices}"),
    "plain_http_refused": N_("refusing plain HTTP on {host}"),
    "lang_needed_for_po": N_("export-po needs --to, the language to translate into"),
    "no_authority_yet": N_("this store acts for no authority yet"),
    # settings
    "config_missing": N_("config file {path} does not exist"),
    "config_is_folder": N_("config file {path} is a folder, not a file"),
    "config_not_toml": N_("config file {path} is not valid TOML: {detail}"),
    "config_unknown_settings": N_("config file {path} has unknown settings"),
    # Translators: {source} is where the value was set (a file or an environment variable); {key} a setting's name
    "setting_invalid": N_("{source}: {key} = {value!r} is not valid ({help})"),
    # files named on the command line
    "output_is_folder": N_("{option} {path} is a folder, not a file"),
    "output_folder_missing": N_("{option} {path}: folder {folder} does not exist"),
    "output_not_writable": N_("{option} {path} cannot be written (permission denied)"),
    # Translators: {kind} is what the file should be, already translated (e.g. "PO file")
    "input_is_folder": N_("{path} is a folder, not a {kind}"),
    "no_such_file": N_("{path}: no such file"),
    # the hub
    # Translators: {count} is a number; write it so that any number fits (e.g. "events refused by the hub: {count}")
    "events_rejected": N_("the hub refused {count} event(s)"),
    "hub_refused": N_("the hub refused: {detail}"),
}


def render(msgid: str, params: Mapping[str, Any]) -> str:
    """The sentence of ``msgid`` in the interface language (English where it has no translation)."""
    template = MESSAGES.get(msgid)
    return english(msgid, params) if template is None else t(template, **params)


def english(msgid: str, params: Mapping[str, Any]) -> str:
    """The English sentence of ``msgid`` with ``params``; an unknown id (a newer hub's code,
    say) still reads as something: the id and its parameters."""
    template = MESSAGES.get(msgid)
    if template is None:
        detail = ", ".join(f"{key}={value}" for key, value in params.items())
        return f"{msgid} ({detail})" if detail else msgid
    return template.format(**params)
