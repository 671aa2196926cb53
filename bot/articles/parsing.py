"""Parsing an article: from a file's bytes to an immutable `Article`, or an ArticleError.

Pure: no disk, no database. Which files are articles and how they are read is `bot.articles.reading`.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

import yaml

from bot.articles.dialects import (
    author_name,
    is_draft,
    read_moment,
    site_categories,
    site_images,
    summary_text,
    topic_names,
)
from bot.articles.fields import (
    HTTP_URL,
    describe,
    http_url,
    list_field,
    optional_int,
    optional_str,
    required_text,
)
from bot.articles.permalinks import Place, site_link
from bot.articles.strict_yaml import load_strict
from bot.articles.summaries import plain_text, summarize
from bot.foundation.errors import ArticleError
from storage.models import Article, Provider, Related, Span

# topics kept per article: each is a hashtag in every push and a row to store, so a file
# listing thousands (a tag cloud pasted in) would cost every push; the rest are noted
MAX_TOPICS = 50


def parse_article_bytes(
    data: bytes, notes: list[str] | None = None, *, place: Place | None = None
) -> Article:
    """Decode UTF-8 and parse; see `parse_article`."""
    if not data.strip():
        raise ArticleError("empty file")
    if b"\x00" in data:
        raise ArticleError("binary file, not UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"not UTF-8 (invalid byte at offset {exc.start})") from None
    return parse_article(text, notes, place=place)


def parse_article(
    text: str, notes: list[str] | None = None, *, place: Place | None = None
) -> Article:
    """Parse a file's text (YAML front matter between `---` lines, then an optional
    Markdown body) into an Article; `place`: where the file sits, for a static site's link.

    What was left out of a usable article (topics past `MAX_TOPICS`) is added to `notes`.
    """
    front, body, fence = _front_matter(text)
    if fence == "+++":
        return article_from_fields(_toml_fields(front), notes, place, body)
    try:
        # ArticleError itself for tags and aliases
        data = load_strict(front)
    except yaml.YAMLError as exc:
        raise ArticleError(f"invalid YAML: {_yaml_reason(exc)}") from None
    except (ValueError, OverflowError) as exc:  # a timestamp like 2020-13-45 or year 99999
        raise ArticleError(f"invalid YAML value: {exc}") from None
    if not isinstance(data, Mapping):
        raise ArticleError("the front matter is not a mapping of fields")
    return article_from_fields(data, notes, place, body)


def _front_matter(text: str) -> tuple[str, str, str]:
    """The front matter's text, the body after it, and its fence: `---` (YAML) or `+++`
    (TOML, as Hugo sites often write it)."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    fence = lines[0].rstrip() if lines else ""
    if fence not in ("---", "+++"):
        raise ArticleError("no front matter: the file must start with a '---' line")
    ends = ("---", "...") if fence == "---" else ("+++",)
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() in ends:
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), fence
    raise ArticleError(f"front matter is not closed by a second '{fence}' line")


def _toml_fields(front: str) -> Mapping[Any, Any]:
    try:
        return tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        raise ArticleError(f"invalid TOML: {exc}") from None


def _yaml_reason(exc: yaml.YAMLError) -> str:
    """PyYAML's reason with its lines in the file's numbering; where it says where the
    problem starts (a quote or bracket left open), that comes first: the end of the front
    matter, where it was found, is rarely where it is."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return str(exc).splitlines()[0]
    found = f"{exc.problem} {_where(exc.problem_mark)}"
    start = exc.context_mark
    if exc.context and start is not None and start.line != exc.problem_mark.line:
        return f"{exc.context} {_where(start)}: {found}"
    return found


def _where(mark: yaml.Mark) -> str:
    # +2: lines count from 1, and the '---' line was cut off before loading
    return f"at line {mark.line + 2}, column {mark.column + 1}"


def article_from_fields(
    data: Mapping[Any, Any],
    notes: list[str] | None = None,
    place: Place | None = None,
    body: str = "",
) -> Article:
    """Check each field of the table in docs/articles.md (and the static sites' names, see
    `bot.articles.dialects`) and build the Article (`notes`: as `parse_article`)."""
    place = place or Place(PurePosixPath("article"))
    quality = optional_int(data, "quality")
    if quality is not None and not 0 <= quality <= 100:
        raise ArticleError(f"quality must be between 0 and 100, got {quality}")
    moment = read_moment(data)
    url = _link(data, place, moment)
    author = author_name(data)
    provider = _provider(data.get("provider")) or (Provider(name=author) if author else None)
    excerpt = summary_text(data)
    summary: tuple[Span, ...] = ()
    if excerpt is None and body.strip():
        summary = summarize(body, url)
        excerpt = plain_text(summary) or None
    return Article(
        url=url,
        title=required_text(data, "title"),
        excerpt=excerpt,
        published=not is_draft(data),
        published_at=moment.astimezone(UTC) if moment else None,
        topics=_topics(data, notes),
        images=site_images(data, place, url),
        provider=provider,
        related=_related(data),
        category=_category(data),
        kind=optional_str(data, "type"),
        quality=quality,
        heat=optional_int(data, "heat"),
        summary=summary,
        raw_json=_front_matter_json(data),
    )


def _link(data: Mapping[Any, Any], place: Place, moment: datetime | None) -> str:
    """`webUrl`; else a static site's link: the post's own `permalink` (Jekyll) or `url`
    (Hugo) pattern, else NEWSBOT_PERMALINK's, under NEWSBOT_SITE_URL."""
    if data.get("webUrl") is not None:
        return http_url(data.get("webUrl"), "webUrl")
    own = optional_str(data, "permalink") or optional_str(data, "url")
    if own is not None and HTTP_URL.match(own):
        return own
    if own is not None and not own.startswith("/"):
        own = "/" + own
    pattern = own or place.site.permalink
    return site_link(
        replace(place, site=replace(place.site, permalink=pattern)),
        slug=optional_str(data, "slug"),
        written=moment.date() if moment else None,
        categories=tuple(site_categories(data, "categories") or site_categories(data, "category")),
    )


def _category(data: Mapping[Any, Any]) -> str | None:
    names = site_categories(data, "category")
    return names[0] if names else None


def _front_matter_json(data: Mapping[Any, Any]) -> str:
    try:
        return json.dumps(data, default=str, ensure_ascii=False)
    except TypeError:  # a key that is a date or a list: YAML allows it, we do not
        raise ArticleError("every field name must be text") from None


def _topics(data: Mapping[Any, Any], notes: list[str] | None) -> tuple[str, ...]:
    topics: dict[str, str] = {}
    for name in topic_names(data):
        topics.setdefault(name.casefold(), name)
    if len(topics) > MAX_TOPICS and notes is not None:
        notes.append(f"{len(topics)} topics listed, the first {MAX_TOPICS} are kept")
    return tuple(topics.values())[:MAX_TOPICS]


def _provider(value: Any) -> Provider | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ArticleError(f"provider must be a mapping {{name, domain}}, got {describe(value)}")
    return Provider(name=optional_str(value, "name"), domain=optional_str(value, "domain"))


def _related(data: Mapping[Any, Any]) -> tuple[Related, ...]:
    related = []
    for item in list_field(data, "related"):
        if not isinstance(item, Mapping):
            raise ArticleError(f"related must be a list of articles, got {describe(item)}")
        provider = _provider(item.get("provider"))
        related.append(
            Related(
                title=required_text(item, "title"),
                url=http_url(item.get("webUrl"), "related.webUrl"),
                provider=provider.name if provider else None,
            )
        )
    return tuple(related)
