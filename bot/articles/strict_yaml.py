"""Loading an article's YAML front matter: safe, strict, and quick about plain data.

Safe: libyaml's parser with SafeLoader's resolver and scalar constructors, nothing that
builds Python objects. Strict: no aliases and no tags beyond plain data (`StrictLoader`
checks every node as SafeConstructor constructs it, and its refusals are ArticleErrors).

SafeConstructor's generic machinery (a generator per mapping and list, a lookup of the
constructor and two identity tables per node) and SafeLoader's resolver were 60% of the
load time of a generated article; `load_strict` first builds the dicts, lists and
scalars straight from libyaml's node tree (`_PlainDataLoader`, about 40% faster), and
gives the document to `StrictLoader` whenever it meets anything else: an unusual tag, a
merge key, a key that is not a scalar, an alias, an error of any kind. So the value or
the error is always the one `StrictLoader` gives; only plain data takes the short way.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from bot.foundation.errors import ArticleError

try:  # the C loader is several times faster; the pure one behaves the same
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = _TAG + "str", _TAG + "map", _TAG + "seq"
_PLAIN_TAGS = frozenset(
    _TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)
# scalars other than text, by tag: SafeConstructor's own constructors
_SCALARS = {
    _TAG + "int": SafeConstructor.construct_yaml_int,
    _TAG + "float": SafeConstructor.construct_yaml_float,
    _TAG + "bool": SafeConstructor.construct_yaml_bool,
    _TAG + "null": SafeConstructor.construct_yaml_null,
    _TAG + "timestamp": SafeConstructor.construct_yaml_timestamp,
}
# SafeLoader's implicit resolvers by a plain scalar's first character, in its order
_WILDCARD: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    _BaseLoader.yaml_implicit_resolvers.get(None, [])
)
_RESOLVERS: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    first: tuple(resolvers) + _WILDCARD
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    if first is not None
}


class StrictLoader(_BaseLoader):
    """Safe loading, and no aliases or unusual tags: a file is plain data or it is refused."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise ArticleError("YAML anchors and aliases are not allowed")
        if node.tag not in _PLAIN_TAGS:
            raise ArticleError(f"YAML tag {node.tag} is not allowed")
        try:
            return super().construct_object(node, deep=deep)
        except (LookupError, AttributeError):
            # a plain tag written out on a value it cannot read (`!!bool maybe`,
            # `!!timestamp soon`): SafeConstructor fails there with these, not a YAMLError
            kind = node.tag.rsplit(":", 1)[-1]
            raise ArticleError(
                f"invalid YAML value: {node.value!r} cannot be read as {kind}"
            ) from None


def load_strict(text: str) -> Any:
    """What `yaml.load(text, Loader=StrictLoader)` returns or raises, sooner for plain data."""
    # an alias is the one way for a node to appear twice in the tree, and starts with '*'
    loader = _PlainDataLoader(text) if "*" not in text else _PlainDataOnceLoader(text)
    try:
        return loader.get_single_data()
    except Exception:  # anything but plain data, or an error: StrictLoader decides
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - safe and strict
    finally:
        loader.dispose()


class _NotPlainData(Exception):
    """The document holds more than plain data: `StrictLoader` is to judge it."""


class _PlainDataLoader(_BaseLoader):
    """Builds plain data from the node tree in one recursion; raises on anything else."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        # BaseResolver.resolve, less its generality: SafeLoader has no path resolvers
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, pattern in _RESOLVERS.get(value[:1], _WILDCARD):
                    if pattern.match(value):
                        return tag
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP

    def construct_document(self, node: yaml.Node) -> Any:
        return self.build(node)

    def build(self, node: yaml.Node) -> Any:
        kind = type(node)
        if type(node) is yaml.ScalarNode:
            if node.tag == _STR:
                return node.value
            construct = _SCALARS.get(node.tag)
            if construct is None:
                raise _NotPlainData
            return construct(self, node)
        build = self.build
        if kind is yaml.MappingNode and node.tag == _MAP:
            mapping = {}
            for key, value in node.value:
                # a merge key (<<) or a value key (=) has its own tag: not plain data; a
                # list or mapping as a key is unhashable (TypeError)
                mapping[key.value if key.tag == _STR else build(key)] = build(value)
            return mapping
        if kind is yaml.SequenceNode and node.tag == _SEQ:
            return [build(item) for item in node.value]
        raise _NotPlainData


class _PlainDataOnceLoader(_PlainDataLoader):
    """The same, refusing a node met twice (an alias), for a text with a '*' in it."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.seen: set[yaml.Node] = set()

    def build(self, node: yaml.Node) -> Any:
        if node in self.seen:
            raise _NotPlainData
        self.seen.add(node)
        return super().build(node)
