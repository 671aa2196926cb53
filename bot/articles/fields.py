"""Reading one field of an article's front matter: its type checked, or an ArticleError
that names the field and says what it holds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.foundation.errors import ArticleError

# scheme, a host, then anything but white space (the same test as urlsplit, cheaper)
HTTP_URL = re.compile(r"^https?://[^\s/?#@]+(?:[/?#][^\s]*)?$", re.IGNORECASE)


def describe(value: Any) -> str:
    """A value as an error message shows it: short, with its type."""
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"{type(value).__name__} {value!r}"[:80]


def required_text(data: Mapping[Any, Any], name: str) -> str:
    value = data.get(name)
    if value is None:
        raise ArticleError(f"{name} is missing")
    if not isinstance(value, str):
        raise ArticleError(f"{name} must be a string, got {describe(value)}")
    if not value.strip():
        raise ArticleError(f"{name} is empty")
    return value.strip()


def optional_str(data: Mapping[Any, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ArticleError(f"{name} must be a string, got {describe(value)}")
    return value.strip() or None


def optional_int(data: Mapping[Any, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArticleError(f"{name} must be a whole number, got {describe(value)}")
    if not -(2**63) <= value < 2**63:  # what SQLite can store
        raise ArticleError(f"{name} is out of range: {value}")
    return value


def http_url(value: Any, name: str) -> str:
    if value is None:
        raise ArticleError(f"{name} is missing")
    if not isinstance(value, str) or not value.strip():
        raise ArticleError(f"{name} must be an http(s) URL, got {describe(value)}")
    url = value.strip()
    if not HTTP_URL.match(url):
        raise ArticleError(f"{name} must be an http(s) URL, got {describe(value)}")
    return url


def list_field(data: Mapping[Any, Any], name: str) -> list[Any]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ArticleError(f"{name} must be a list, got {describe(value)}")
    return value
