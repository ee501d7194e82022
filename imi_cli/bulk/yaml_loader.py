"""The one YAML loader of imi-cli: nodes with positions, and limits a hostile file cannot pass.

Bulk imports, answers files, question-set catalogs (which CI runs on untrusted pull
requests) and the package's own reference data all compose their YAML here. PyYAML's
composer makes an alias the *same* node again, so a 500-byte "billion laughs" file is a
graph of a hundred nodes that every consumer walking it as a tree expands to a billion.
The composer below measures each node's tree size and height as it goes and refuses, at
the alias's position, the first alias that would take the tree past the limits; nesting
is refused at the first level too deep, before Python's recursion limit is near. Nothing
is ever expanded to be measured. Explicit tags other than !!str, !!seq and !!map are
refused too: no imi file needs them, and each would fail later, in a constructor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, SequenceNode

from imi_cli.errors import InvalidInput
from imi_cli.i18n import N_, _, formats, t

__all__ = ["LIMITS", "Limits", "YamlError", "compose", "construct", "load"]


@dataclass(frozen=True)
class Limits:
    max_chars: int = 32 * 1024 * 1024
    max_depth: int = 64  # nested sequences and mappings
    max_alias_nodes: int = 10_000  # nodes that aliases add to the tree, all aliases together


LIMITS = Limits()


class YamlError(InvalidInput):
    """Not valid YAML, or over a limit: ``file:line:col: problem`` (1-based); ``problem`` is a
    sentence in the interface language."""

    def __init__(self, file: str, line: int, col: int, problem: str, *, hint: str | None = None,
                 over_limit: bool = False) -> None:
        super().__init__(f"{file}:{line}:{col}: {problem}", hint=hint)
        self.file, self.line, self.col, self.problem = file, line, col, problem
        self.over_limit = over_limit  # valid YAML, refused by a limit (else: not valid YAML)


class _OverLimit(yaml.MarkedYAMLError):
    """Raised inside the composer; becomes a YamlError with the file's name. ``problem``: the
    whole sentence, "refused: ..." (translated)."""

    def __init__(self, problem: str, mark: Any, hint: str) -> None:
        super().__init__(None, None, problem, mark)
        self.hint = hint


_FLATTEN = N_("write the data out in full, without anchors and aliases")
_SHALLOW = N_("no imi file needs that much nesting; is this the file you meant?")


class _Yaml12Resolver(yaml.resolver.Resolver):
    """YAML 1.2 booleans (only true/false), so the Norwegian code `no` stays text; dates stay text."""


_Yaml12Resolver.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Yaml12Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


_TAG_OF = {ScalarEvent: "tag:yaml.org,2002:str", SequenceStartEvent: "tag:yaml.org,2002:seq",
           MappingStartEvent: "tag:yaml.org,2002:map"}


class _LimitedComposer(Composer):
    def __init__(self, limits: Limits) -> None:
        super().__init__()
        self.limits = limits
        self.open_collections = 0
        self.aliased_nodes = 0
        self.shapes: dict[int, tuple[int, int]] = {}  # id(node) -> (tree size, height)

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            self._check_alias(self.peek_event())
            return super().compose_node(parent, index)
        self._check_tag(self.peek_event())
        collection = self.check_event(SequenceStartEvent, MappingStartEvent)
        if collection:
            if self.open_collections >= self.limits.max_depth:
                raise _OverLimit(t("refused: nested deeper than {limit} levels", limit=self.limits.max_depth),
                                 self.peek_event().start_mark, _(_SHALLOW))
            self.open_collections += 1
        node = super().compose_node(parent, index)
        self.open_collections -= collection
        self.shapes[id(node)] = _shape(node, self.shapes)
        return node

    def _check_tag(self, event: Any) -> None:
        """No explicit tags but the ones that cannot fail: `!!int abc`, `!!binary`, `!foo` or
        `!!python/...` would only end in an error (or a traceback) later."""
        if event.tag not in (None, "!", _TAG_OF.get(type(event))):
            tag = event.tag.replace("tag:yaml.org,2002:", "!!")
            raise _OverLimit(t("refused: the tag {tag}: imi files use no tags but !!str", tag=tag), event.start_mark,
                             _("write the value plainly, in quotes if it is text"))

    def _check_alias(self, event: AliasEvent) -> None:
        node = self.anchors.get(event.anchor)
        if node is None:
            return  # the composer reports the undefined alias
        shape = self.shapes.get(id(node))
        if shape is None:
            raise _OverLimit(t("refused: the alias *{anchor} refers to a node that contains it", anchor=event.anchor),
                             event.start_mark, _(_FLATTEN))
        size, height = shape
        if self.open_collections + height > self.limits.max_depth:
            raise _OverLimit(t("refused: the alias *{anchor} nests deeper than {limit} levels", anchor=event.anchor,
                               limit=self.limits.max_depth), event.start_mark, _(_FLATTEN))
        self.aliased_nodes += size
        if self.aliased_nodes > self.limits.max_alias_nodes:
            raise _OverLimit(t("refused: aliases expand to more than {limit} nodes (at *{anchor})",
                               limit=formats.number(self.limits.max_alias_nodes), anchor=event.anchor),
                             event.start_mark, _(_FLATTEN))


def _shape(node: Node, shapes: dict[int, tuple[int, int]]) -> tuple[int, int]:
    if isinstance(node, SequenceNode):
        children = node.value
    elif isinstance(node, MappingNode):
        children = [child for pair in node.value for child in pair]
    else:
        return 1, 0
    sizes = [shapes[id(child)] for child in children]
    return 1 + sum(s for s, _ in sizes), 1 + max((h for _, h in sizes), default=0)


if yaml.__with_libyaml__:  # libyaml parses; composing stays here, in Python, to be limited
    from yaml.cyaml import CParser

    class _Parsing(CParser):
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
else:  # pragma: no cover - PyYAML built without libyaml
    class _Parsing(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        def __init__(self, text: str) -> None:
            yaml.reader.Reader.__init__(self, text)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


def _loader_class(resolver: type[yaml.resolver.BaseResolver]) -> type:
    class Loader(_LimitedComposer, _Parsing, resolver):  # type: ignore[misc, valid-type]
        def __init__(self, text: str, limits: Limits) -> None:
            _Parsing.__init__(self, text)
            _LimitedComposer.__init__(self, limits)
            resolver.__init__(self)

    return Loader


_LOADERS = {"yaml1.2": _loader_class(_Yaml12Resolver), "yaml1.1": _loader_class(yaml.resolver.Resolver)}


def compose(text: str, file: str, *, schema: str = "yaml1.2", limits: Limits = LIMITS) -> Node | None:
    """The root node of the one document in ``text`` (None if it is empty), within ``limits``.

    ``schema`` "yaml1.2" reads only true/false as booleans and dates as text (bulk files);
    "yaml1.1" is PyYAML's own reading, which catalogs are checked against (Y003)."""
    if len(text) > limits.max_chars:
        raise YamlError(file, 1, 1, t("the file has {size} characters, over the limit of {limit}",
                                      size=formats.number(len(text)), limit=formats.number(limits.max_chars)),
                        hint=_("split it into smaller files"), over_limit=True)
    loader = _LOADERS[schema](text, limits)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise _located(file, exc, limits) from None
    except yaml.YAMLError as exc:
        raise YamlError(file, 1, 1, _not_valid(str(exc).splitlines()[0])) from None
    finally:
        loader.dispose()


def _located(file: str, exc: yaml.MarkedYAMLError, limits: Limits = LIMITS) -> YamlError:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    if isinstance(exc, _OverLimit):
        return YamlError(file, line, col, str(exc.problem), hint=exc.hint, over_limit=True)
    if exc.problem == "exceeded maximum nesting depth":  # libyaml's own limit (1000)
        return YamlError(file, line, col, t("refused: nested deeper than {limit} levels", limit=limits.max_depth),
                         hint=_(_SHALLOW), over_limit=True)
    return YamlError(file, line, col, _not_valid(exc.problem or str(exc.context)))


def _not_valid(detail: str) -> str:
    """What PyYAML says is wrong (a key this module refuses, or the parser's English words)."""
    if isinstance(detail, _Said):
        return str(detail)
    # Translators: {detail} is the YAML parser's English explanation
    return t("not valid YAML: {detail}", detail=detail)


class _Said(str):
    """A problem this module words itself (in the interface language), passed through PyYAML."""


class _StrictConstructor(yaml.constructor.SafeConstructor):
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)) or key in seen:
                problem = (_("not valid YAML: a key must be text") if isinstance(key, (list, dict))
                           else t("not valid YAML: duplicate key {key!r}", key=key))
                raise yaml.constructor.ConstructorError(None, None, _Said(problem), key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def construct(node: Node, file: str) -> Any:
    """Plain Python data of a composed node; a key used twice in one mapping is an error."""
    try:
        return _StrictConstructor().construct_object(node, deep=True)
    except yaml.MarkedYAMLError as exc:
        raise _located(file, exc) from None


def load(text: str, file: str, *, schema: str = "yaml1.2", limits: Limits = LIMITS) -> Any:
    """``compose`` then ``construct``: the data of ``text`` (None if it is empty)."""
    node = compose(text, file, schema=schema, limits=limits)
    return None if node is None else construct(node, file)
