"""Parsing an article: from a file's bytes to an immutable `Article`, or an ArticleError.

Pure: no disk, no database. Which files are articles and how they are read is `bot.articles.reading`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

import yaml

from bot.articles.strict_yaml import load_strict
from bot.foundation.errors import ArticleError
from storage.models import Article, Image, Provider, Related

# topics kept per article: each is a hashtag in every push and a row to store, so a file
# listing thousands (a tag cloud pasted in) would cost every push; the rest are noted
MAX_TOPICS = 50

# scheme, a host, then anything but white space (the same test as urlsplit, cheaper)
_HTTP_URL = re.compile(r"^https?://[^\s/?#@]+(?:[/?#][^\s]*)?$", re.IGNORECASE)


def parse_article_bytes(data: bytes, notes: list[str] | None = None) -> Article:
    """Decode UTF-8 and parse; see `parse_article`."""
    if not data.strip():
        raise ArticleError("empty file")
    if b"\x00" in data:
        raise ArticleError("binary file, not UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"not UTF-8 (invalid byte at offset {exc.start})") from None
    return parse_article(text, notes)


def parse_article(text: str, notes: list[str] | None = None) -> Article:
    """Parse a file's text (YAML front matter between `---` lines) into an Article.

    What was left out of a usable article (topics past `MAX_TOPICS`) is added to `notes`.
    """
    front = _front_matter(text)
    try:
        # ArticleError itself for tags and aliases
        data = load_strict(front)
    except yaml.YAMLError as exc:
        raise ArticleError(f"invalid YAML: {_yaml_reason(exc)}") from None
    except (ValueError, OverflowError) as exc:  # a timestamp like 2020-13-45 or year 99999
        raise ArticleError(f"invalid YAML value: {exc}") from None
    if not isinstance(data, Mapping):
        raise ArticleError("the front matter is not a mapping of fields")
    return article_from_fields(data, notes)


def _front_matter(text: str) -> str:
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        raise ArticleError("no front matter: the file must start with a '---' line")
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() in ("---", "..."):
            return "".join(lines[1:index])
    raise ArticleError("front matter is not closed by a second '---' line")


def _yaml_reason(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        # +1: the '---' line that we cut off before loading
        return f"{exc.problem} at line {mark.line + 2}, column {mark.column + 1}"
    return str(exc).splitlines()[0]


def article_from_fields(data: Mapping[Any, Any], notes: list[str] | None = None) -> Article:
    """Check each field of PRODUCT.md's table and build the Article (`notes`: as
    `parse_article`)."""
    quality = _optional_int(data, "quality")
    if quality is not None and not 0 <= quality <= 100:
        raise ArticleError(f"quality must be between 0 and 100, got {quality}")
    return Article(
        url=_url(data.get("webUrl"), "webUrl"),
        title=_required_text(data, "title"),
        excerpt=_optional_str(data, "excerpt"),
        published=_published(data),
        published_at=_moment(data),
        topics=_topics(data, notes),
        images=_images(data),
        provider=_provider(data.get("provider")),
        related=_related(data),
        category=_optional_str(data, "category"),
        kind=_optional_str(data, "type"),
        quality=quality,
        heat=_optional_int(data, "heat"),
        raw_json=_front_matter_json(data),
    )


def _front_matter_json(data: Mapping[Any, Any]) -> str:
    try:
        return json.dumps(data, default=str, ensure_ascii=False)
    except TypeError:  # a key that is a date or a list: YAML allows it, we do not
        raise ArticleError("every field name must be text") from None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"{type(value).__name__} {value!r}"[:80]


def _required_text(data: Mapping[Any, Any], name: str) -> str:
    value = data.get(name)
    if value is None:
        raise ArticleError(f"{name} is missing")
    if not isinstance(value, str):
        raise ArticleError(f"{name} must be a string, got {_describe(value)}")
    if not value.strip():
        raise ArticleError(f"{name} is empty")
    return value.strip()


def _optional_str(data: Mapping[Any, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ArticleError(f"{name} must be a string, got {_describe(value)}")
    return value.strip() or None


def _optional_int(data: Mapping[Any, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArticleError(f"{name} must be a whole number, got {_describe(value)}")
    if not -(2**63) <= value < 2**63:  # what SQLite can store
        raise ArticleError(f"{name} is out of range: {value}")
    return value


def _url(value: Any, name: str) -> str:
    if value is None:
        raise ArticleError(f"{name} is missing")
    if not isinstance(value, str) or not value.strip():
        raise ArticleError(f"{name} must be an http(s) URL, got {_describe(value)}")
    url = value.strip()
    if not _HTTP_URL.match(url):
        raise ArticleError(f"{name} must be an http(s) URL, got {_describe(value)}")
    return url


def _published(data: Mapping[Any, Any]) -> bool:
    if "published" not in data:
        return True
    value = data["published"]
    if not isinstance(value, bool):
        raise ArticleError(f"published must be true or false, got {_describe(value)}")
    return value


def _moment(data: Mapping[Any, Any]) -> datetime | None:
    value = data.get("publishedDateTime")
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ArticleError(
                f"publishedDateTime must be an ISO 8601 date and time, got {_describe(value)}"
            ) from None
    else:
        raise ArticleError(
            f"publishedDateTime must be an ISO 8601 date and time, got {_describe(value)}"
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset, or year 9999 with a negative one
        raise ArticleError(f"publishedDateTime is out of range: {value}") from None


def _list(data: Mapping[Any, Any], name: str) -> list[Any]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ArticleError(f"{name} must be a list, got {_describe(value)}")
    return value


def _topics(data: Mapping[Any, Any], notes: list[str] | None) -> tuple[str, ...]:
    topics: dict[str, str] = {}
    for item in _list(data, "topics"):
        if not isinstance(item, str) or not item.strip():
            raise ArticleError(f"topics must be a list of names, got {_describe(item)}")
        topics.setdefault(item.strip().casefold(), item.strip())
    if len(topics) > MAX_TOPICS and notes is not None:
        notes.append(f"{len(topics)} topics listed, the first {MAX_TOPICS} are kept")
    return tuple(topics.values())[:MAX_TOPICS]


def _images(data: Mapping[Any, Any]) -> tuple[Image, ...]:
    images = []
    for item in _list(data, "images"):
        if not isinstance(item, Mapping):
            raise ArticleError(f"images must be a list of {{url, width, height}}, got {item!r}")
        images.append(
            Image(
                url=_url(item.get("url"), "images.url"),
                width=_optional_int(item, "width"),
                height=_optional_int(item, "height"),
                title=_optional_str(item, "title"),
            )
        )
    return tuple(images)


def _provider(value: Any) -> Provider | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ArticleError(f"provider must be a mapping {{name, domain}}, got {_describe(value)}")
    return Provider(name=_optional_str(value, "name"), domain=_optional_str(value, "domain"))


def _related(data: Mapping[Any, Any]) -> tuple[Related, ...]:
    related = []
    for item in _list(data, "related"):
        if not isinstance(item, Mapping):
            raise ArticleError(f"related must be a list of articles, got {_describe(item)}")
        provider = _provider(item.get("provider"))
        related.append(
            Related(
                title=_required_text(item, "title"),
                url=_url(item.get("webUrl"), "related.webUrl"),
                provider=provider.name if provider else None,
            )
        )
    return tuple(related)
