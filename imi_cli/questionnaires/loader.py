"""YAML text -> plain Python data plus the position of every node.

``yaml.safe_load`` forgets positions and silently keeps the last of two
duplicate keys, so the nodes composed by the one YAML loader (``imi_cli.bulk.yaml_loader``,
which also keeps a hostile file within limits) are converted here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from imi_cli.bulk.files import MiB
from imi_cli.i18n import N_, t
from imi_cli.questionnaires.findings import ERROR, Finding

Path_ = tuple  # a path into the data: keys and list indices
STR_TAG = "tag:yaml.org,2002:str"
CATALOG_MAX_BYTES = 4 * MiB  # the largest shipped catalog, 26 languages, is about 100 KB


@dataclass
class Document:
    """One parsed YAML file: ``data`` with 1-based (line, col) for every path."""

    file: str
    data: Any = None
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    raw: dict[Path_, str] = field(default_factory=dict)  # source text of bare non-string scalars
    nodes: dict[Path_, Any] = field(default_factory=dict)  # for edits in place (po import)
    findings: list[Finding] = field(default_factory=list)

    def at(self, path: Path_) -> tuple[int, int]:
        """Position of ``path``, or of its nearest ancestor that has one."""
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, (1, 1))

    def key_at(self, path: Path_) -> tuple[int, int]:
        return self.key_positions.get(path) or self.at(path)

    def finding(self, path: Path_, check: str, message: str, level: str = ERROR,
                *, on_key: bool = False) -> Finding:
        line, col = self.key_at(path) if on_key else self.at(path)
        return Finding(self.file, line, col, check, level, message)


def _mark(node: Any) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def parse(text: str, file: str) -> Document:
    """Parse ``text``; a YAML syntax error becomes finding Y001, a file over the loader's limits
    (size, nesting, aliases: a hostile pull request) Y004, and ``data`` stays None."""
    import yaml

    from imi_cli.bulk.yaml_loader import Limits, YamlError, compose

    doc = Document(file)
    try:
        root = compose(text, file, schema="yaml1.1", limits=Limits(max_chars=CATALOG_MAX_BYTES))
    except YamlError as error:
        check = "Y004" if error.over_limit else "Y001"
        doc.findings.append(Finding(file, error.line, error.col, check, ERROR, error.problem))
        return doc
    if root is not None:
        doc.data = _convert(root, (), doc, yaml.constructor.SafeConstructor())
    return doc


def _convert(node: Any, path: Path_, doc: Document, ctor: Any) -> Any:
    import yaml

    doc.positions[path] = _mark(node)
    doc.nodes[path] = node
    if isinstance(node, yaml.MappingNode):
        return _convert_mapping(node, path, doc, ctor)
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), doc, ctor) for i, item in enumerate(node.value)]
    value = ctor.construct_object(node, deep=True)
    if node.tag != STR_TAG and not isinstance(value, str):
        doc.raw[path] = node.value
    return value


def _convert_mapping(node: Any, path: Path_, doc: Document, ctor: Any) -> dict:
    import yaml

    out: dict = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            doc.findings.append(Finding(doc.file, *_mark(key_node), "S004", ERROR,
                                        t("a mapping key must be a plain text")))
            continue
        key = _key(key_node, doc)
        if key in out:
            doc.findings.append(Finding(doc.file, *_mark(key_node), "Y002", ERROR,
                                        t("duplicate key {key!r}: YAML would keep only the last", key=key)))
            continue
        doc.key_positions[path + (key,)] = _mark(key_node)
        out[key] = _convert(value_node, path + (key,), doc, ctor)
    return out


def _key(node: Any, doc: Document) -> str:
    """Every key of the format is a string: a bare ``no:`` or ``1.10:`` is reported and kept as text."""
    if node.tag != STR_TAG:
        kind = tag_kind(node.tag)
        template = _READ_AS.get(kind, _READ_AS_OTHER)
        doc.findings.append(Finding(doc.file, *_mark(node), "Y003", ERROR,
                                    t(template, key=node.value, kind=kind)))
    return node.value


# One sentence per kind of value YAML reads a bare key as (a kind is no word to glue in).
_READ_AS = {
    "bool": N_("key {key} is read by YAML as a boolean; quote it: \"{key}\""),
    "int": N_("key {key} is read by YAML as a number; quote it: \"{key}\""),
    "float": N_("key {key} is read by YAML as a number; quote it: \"{key}\""),
    "null": N_("key {key} is read by YAML as a null; quote it: \"{key}\""),
}
# Translators: {kind} is a YAML tag name (timestamp, binary, ...), shown as it is
_READ_AS_OTHER = N_("key {key} is read by YAML as a {kind}; quote it: \"{key}\"")


def tag_kind(tag: str) -> str:
    """The last part of a YAML tag (``tag:yaml.org,2002:bool`` -> ``bool``)."""
    return tag.rsplit(":", 1)[-1]
