"""The English text of every message id an error may carry.

Ids are stable snake_case names; the texts are ``str.format`` templates over the
error's parameters. The interface-language issue translates these templates through
gettext; code raising an error names the id, never a translated sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MESSAGES: dict[str, str] = {
    # usage of the command line
    "unknown_language": "{option} {value!r} is not an IMI language code",
    "options_go_together": "{first} and {second} go together",
    "option_needs_pairs": "{option} {value!r}: write it as {form}",
    "unknown_format": "{option} {value!r} is not one of: {choices}",
    "use_one_of": "{option} {value!r}: use {choices}",
    "plain_http_refused": "refusing plain HTTP on {host}",
    "lang_needed_for_po": "export-po needs --lang, the language to translate into",
    "no_authority_yet": "this store acts for no authority yet",
    # settings
    "config_missing": "config file {path} does not exist",
    "config_is_folder": "config file {path} is a folder, not a file",
    "config_not_toml": "config file {path} is not valid TOML: {detail}",
    "config_unknown_settings": "config file {path} has unknown settings",
    "setting_invalid": "{source}: {key} = {value!r} is not valid ({help})",
    # files named on the command line
    "output_is_folder": "{option} {path} is a folder, not a file",
    "output_folder_missing": "{option} {path}: folder {folder} does not exist",
    "output_not_writable": "{option} {path} cannot be written (permission denied)",
    "input_is_folder": "{path} is a folder, not a {kind}",
    "no_such_file": "{path}: no such file",
    # the hub
    "events_rejected": "the hub refused {count} event(s)",
    "hub_refused": "the hub refused: {detail}",
}


def english(msgid: str, params: Mapping[str, Any]) -> str:
    """The English sentence of ``msgid`` with ``params``; an unknown id (a newer hub's code,
    say) still reads as something: the id and its parameters."""
    template = MESSAGES.get(msgid)
    if template is None:
        detail = ", ".join(f"{key}={value}" for key, value in params.items())
        return f"{msgid} ({detail})" if detail else msgid
    return template.format(**params)
