"""Loading front matter: `load_strict` answers as `StrictLoader` does, value or error."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.articles.strict_yaml import StrictLoader, _PlainDataLoader, load_strict


def outcome(load: Any, text: str) -> str:
    """The value (as its repr, so that NaN equals NaN) or the error's type and message."""
    try:
        return "value " + repr(load(text))
    except Exception as error:
        return f"error {type(error).__name__}: {error}"


def strict(text: str) -> Any:
    return yaml.load(text, Loader=StrictLoader)


def plain_only(text: str) -> Any:
    loader = _PlainDataLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


# YAML that is not plain data, or is not what it seems, a line each
LINES = [
    "a: &x 1", "b: *x", "c: [*x, *x]", "d: &y {e: *y}", "<<: {m: 1}", "<<: [{n: 2}]",
    "<<: *x", "f: !!str 3", "g: !!int '4'", "h: !custom x", "i: !!python/name:os.system",
    "=: v", "j: <<", "k: =", "? [1, 2]\n: v", "l: {[1]: 2}", "m: 2020-13-45",
    "n: !!bool maybe", "o: 0x1F", "p: 1_000", "q: .inf", "r: ~", "s: 2020-02-26T17:54:00Z",
    "t: 2020-02-26", "u: yes", "v: 'quoted *x'", 'w: "a *b"', "x: [a, {b: c}, [d]]",
    "y:\n  - *x\n  - 2", "z: !!str {a: 1}", "1: int key", "2020-01-01: date key", "null: k",
    "a: duplicate", "b: !!timestamp soon", "c: !!float x", "d: .nan", "e: 0o17", "f: 017",
    "g: -0b101", "h: 1:30", "i: !!seq [1]", "j: !!map {a: 1}", "k: !!map [1]", "l: ! x",
    "m: 'it''s'", "n: |\n  block *x\n", "o: >\n  folded &y\n", "p: [unclosed", "- item",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.sampled_from(LINES), max_size=6))
def test_unusual_yaml_gets_the_strict_loaders_answer(lines: list[str]) -> None:
    """Anchors, aliases, merges, tags, odd keys and errors: the same value or message."""
    text = "\n".join(lines) + "\n"
    assert outcome(load_strict, text) == outcome(strict, text)


PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | st.dates() | st.datetimes(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.dictionaries(st.text(max_size=10), PLAIN, max_size=6))
def test_plain_data_takes_the_short_way_to_the_same_value(data: dict[str, Any]) -> None:
    """Plain data, as producers write it, loads without StrictLoader, to the same value."""
    text = yaml.safe_dump(data, allow_unicode=True)
    assert outcome(plain_only, text) == outcome(strict, text)
    assert outcome(load_strict, text) == outcome(strict, text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=200))
def test_any_text_gets_the_strict_loaders_answer(text: str) -> None:
    assert outcome(load_strict, text) == outcome(strict, text)


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 990 + "]" * 990 + "\n",  # deeper than the recursion limit allows us
        "a: " + "[" * 1001 + "]" * 1001 + "\n",  # deeper than libyaml allows
        "a: &a [*a]\n",  # a list inside itself
        "title: x\nexcerpt: AT&T *and* Q&A, 5 * 3\n",  # '*' and '&' in text, no alias
        "title: &t x\n",  # an anchor without an alias is plain data
        "a: &x 1\nb: *x\n",  # a scalar twice
        "a: &x [1]\nb: [*x]\n",
        "a: &x {m: 1}\nb:\n  <<: *x\n",  # a merge of an alias
        "<<: {m: 1}\nn: 2\n",  # an inline merge, allowed
        "=: v\n",  # a value key, read as the text '='
        "? [1]\n: v\n",  # a list as a key
        "a: !!str {b: 1}\n",  # a plain tag on the wrong kind of node
        "a: !!map [1]\n",
        "a: !!python/name:os.system\n",
        "a: !!timestamp soon\n",
        "a: 2020-13-45\n",
    ],
)
def test_deep_recursive_aliased_and_tagged_documents_get_the_strict_loaders_answer(
    text: str,
) -> None:
    """Each way out of plain data ends in StrictLoader's answer."""
    assert outcome(load_strict, text) == outcome(strict, text)
