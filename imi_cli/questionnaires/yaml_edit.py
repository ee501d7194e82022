"""Edit a YAML file in place, by node positions, so comments and layout survive.

Round-tripping through PyYAML would drop every comment and reflow the file;
instead new values are spliced into the text where the composed nodes say.
"""

from __future__ import annotations

import json
import re
from typing import Any

from imi_cli.questionnaires.loader import Document

PLAIN_SAFE = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^:#,\[\]{}\n]*")


def scalar(value: str) -> str:
    """``value`` as a YAML scalar: plain when YAML reads it back unchanged, else double-quoted."""
    from imi_cli.bulk.yaml_loader import YamlError, load

    if PLAIN_SAFE.fullmatch(value) and value == value.strip():
        try:
            if load(value, "(value)", schema="yaml1.1") == value:  # as catalogs are read
                return value
        except YamlError:
            pass
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    return scalar(value)


def apply(text: str, doc: Document, edits: dict[tuple, Any], appends: dict[tuple, str]) -> str:
    """Set ``edits`` (path -> text, missing maps created) and append items to sequences."""
    splices: list[tuple[int, int, str]] = []
    inserts: dict[tuple, dict] = {}
    for path, value in edits.items():
        if path in doc.nodes:
            splices.append(_replace(text, doc.nodes[path], value))
        else:
            _nest(doc, path, value, inserts)
    for parent, values in inserts.items():
        splices.append(_insert(text, doc.nodes[parent], values))
    for path, item in appends.items():
        splices.append(_append(text, doc.nodes[path], item))
    for start, end, new in sorted(splices, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _nest(doc: Document, path: tuple, value: Any, inserts: dict[tuple, dict]) -> None:
    """Group a missing path under its nearest existing mapping: {key: {...nested}}."""
    cut = len(path) - 1
    while path[:cut] not in doc.nodes:
        cut -= 1
    target = inserts.setdefault(path[:cut], {})
    for key in path[cut:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def _replace(text: str, node: Any, value: str) -> tuple[int, int, str]:
    start, end = node.start_mark.index, node.end_mark.index
    old = text[start:end]
    trailing = old[len(old.rstrip("\n")):] if node.style in ("|", ">") else ""
    return start, end, scalar(value) + trailing


def _insert(text: str, node: Any, values: dict) -> tuple[int, int, str]:
    if node.flow_style:
        at = text.rindex("}", 0, node.end_mark.index)
        pairs = ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in values.items())
        return at, at, (", " if node.value else "") + pairs
    indent = " " * node.start_mark.column
    lines = "".join(f"{indent}{scalar(k)}: {flow(v)}\n" for k, v in values.items())
    return _after_last_line(text, node, lines)


def _append(text: str, node: Any, item: str) -> tuple[int, int, str]:
    if node.flow_style:
        at = text.rindex("]", 0, node.end_mark.index)
        return at, at, (", " if node.value else "") + scalar(item)
    return _after_last_line(text, node, f"{' ' * node.start_mark.column}- {scalar(item)}\n")


def _last_leaf(node: Any) -> Any:
    """The last scalar or flow collection inside ``node``: a block collection's own end mark
    lies at the next token, possibly lines further down."""
    while getattr(node, "flow_style", True) is False and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return node


def _after_last_line(text: str, node: Any, lines: str) -> tuple[int, int, str]:
    """New lines right after the line where a block collection ends (after any comment)."""
    end = _last_leaf(node).end_mark.index
    if end > 0 and text[end - 1] == "\n":
        return end, end, lines
    line_end = text.find("\n", end)
    if line_end < 0:
        return len(text), len(text), "\n" + lines.rstrip("\n")
    return line_end + 1, line_end + 1, lines
