"""The front matter of static sites (Jekyll, Hugo) beside our own: which names mean what,
and which wins when a file has several (the README's "Article files" table says the same).

| ours | also read | the first present wins |
|---|---|---|
| `publishedDateTime` | `date` (a YAML time, or text such as `2024-06-23 21:56:58 -0700`) | ours |
| `published: false` | `draft: true` | either makes a draft |
| `topics` | `tags`, `categories`, `category` | all are joined; `category` only without `topics` |
| `excerpt` | `summary`, `description` | in that order |
| `images` | `image`, `cover` | in that order |
| `provider` | `author` | ours |
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from bot.articles.fields import (
    HTTP_URL,
    describe,
    http_url,
    list_field,
    optional_int,
    optional_str,
)
from bot.articles.permalinks import Place, site_address
from bot.foundation.errors import ArticleError
from storage.models import Image

SUMMARY_NAMES = ("excerpt", "summary", "description")
# Jekyll's dates as people write them: a space before the offset, no colon in it
_LOOSE_MOMENT = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)


def read_moment(data: Mapping[Any, Any]) -> datetime | None:
    """When the post was published, in the offset it was written with (naive: UTC)."""
    name = "publishedDateTime" if data.get("publishedDateTime") is not None else "date"
    value = data.get(name)
    if value is None:
        return None
    wrong = f"{name} must be an ISO 8601 date and time, got {describe(value)}"
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        moment = _moment_text(value.strip(), wrong)
    else:
        raise ArticleError(wrong)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset, or year 9999 with a negative one
        raise ArticleError(f"{name} is out of range: {value}") from None
    return moment


def _moment_text(text: str, wrong: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    match = _LOOSE_MOMENT.fullmatch(text)
    if match is None:
        raise ArticleError(wrong)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    iso = f"{year}-{int(month):02d}-{int(day):02d}"
    if hour is not None:
        iso += f"T{int(hour):02d}:{minute}:{second or '00'}{fraction or ''}"
    if offset and offset.upper() != "Z":
        iso += offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"
    elif offset:
        iso += "+00:00"
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        raise ArticleError(wrong) from None


def is_draft(data: Mapping[Any, Any]) -> bool:
    """`published: false` (ours, Jekyll) or `draft: true` (Hugo); both must be booleans."""
    for name, draft_when in (("published", False), ("draft", True)):
        value = data.get(name)
        if name not in data or (name == "draft" and value is None):
            continue
        if not isinstance(value, bool):
            raise ArticleError(f"{name} must be true or false, got {describe(value)}")
        if value is draft_when:
            return True
    return False


def topic_names(data: Mapping[Any, Any]) -> list[str]:
    """`topics`, `tags`, `categories`, and `category` when there are no `topics` (in our
    own files `category` is a coarse class such as "news", carried beside the topics)."""
    names = []
    for item in list_field(data, "topics"):
        if not isinstance(item, str) or not item.strip():
            raise ArticleError(f"topics must be a list of names, got {describe(item)}")
        names.append(item.strip())
    names.extend(site_categories(data, "tags"))
    names.extend(site_categories(data, "categories"))
    if "topics" not in data:
        names.extend(site_categories(data, "category"))
    return names


def site_categories(data: Mapping[Any, Any], name: str) -> list[str]:
    """A list of names, or one string: Jekyll splits `tags` and `categories` at spaces."""
    value = data.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return value.split() if name != "category" else [value.strip()] if value.strip() else []
    if not isinstance(value, list):
        raise ArticleError(f"{name} must be a list of names or one name, got {describe(value)}")
    names = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise ArticleError(f"{name} must be a list of names, got {describe(item)}")
        if str(item).strip():
            names.append(str(item).strip())
    return names


def summary_text(data: Mapping[Any, Any]) -> str | None:
    """The summary written in the front matter: `excerpt`, else `summary`, else `description`."""
    for name in SUMMARY_NAMES:
        if (text := optional_str(data, name)) is not None:
            return text
    return None


def author_name(data: Mapping[Any, Any]) -> str | None:
    """`author`: a name, a list of names, or a mapping with a `name`."""
    value = data.get("author")
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(item.strip() for item in value if item.strip()) or None
    if isinstance(value, Mapping):
        return optional_str(value, "name")
    return optional_str(data, "author")


def site_images(data: Mapping[Any, Any], place: Place, link: str) -> tuple[Image, ...]:
    """`images` (ours: mappings; Hugo: paths), else `image`, else `cover`; paths made URLs."""
    if data.get("images") is not None:
        return tuple(_image(item, "images", place, link) for item in list_field(data, "images"))
    for name, path_key in (("image", "path"), ("cover", "image")):
        if (value := data.get(name)) is not None:
            return (_image(value, name, place, link, path_key),)
    return ()


def _image(value: Any, name: str, place: Place, link: str, path_key: str = "url") -> Image:
    if isinstance(value, str):
        return Image(url=_address(value, name, place, link))
    if not isinstance(value, Mapping):
        raise ArticleError(f"{name} must be a path, a URL or {{url, width, height}}, got {value!r}")
    key = path_key if value.get(path_key) is not None else "url"
    return Image(
        url=_address(value.get(key), f"{name}.{key}", place, link),
        width=optional_int(value, "width"),
        height=optional_int(value, "height"),
        title=optional_str(value, "title") or optional_str(value, "alt"),
    )


def _address(value: Any, name: str, place: Place, link: str) -> str:
    if isinstance(value, str) and value.strip() and not HTTP_URL.match(value.strip()):
        if re.match(r"^[a-z][a-z0-9+.-]*:", value.strip(), re.IGNORECASE):
            raise ArticleError(f"{name} must be an http(s) URL or a path, got {describe(value)}")
        value = site_address(place, link, value.strip().replace(" ", "%20"))
    return http_url(value, name)
