"""Immutable domain values shared by parsing, storage, rendering and delivery."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    width: int | None = None
    height: int | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Provider:
    name: str | None = None
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class Related:
    title: str
    url: str
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class Span:
    """A run of a summary's text with its Telegram HTML tags, outermost first (`b`, `i`,
    `s`, `code`, `pre`), and the link it sits in: markup kept apart from the text, so that
    the text can be cut anywhere and each piece escaped and tagged on its own."""

    text: str
    tags: tuple[str, ...] = ()
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """One article as its file describes it; `url` (the file's `webUrl`) is its identity."""

    url: str
    title: str
    excerpt: str | None = None
    published: bool = True
    published_at: datetime | None = None
    topics: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    provider: Provider | None = None
    related: tuple[Related, ...] = ()
    category: str | None = None
    kind: str | None = None
    quality: int | None = None
    heat: int | None = None
    # the summary made from the Markdown body (no summary in the front matter): `excerpt`
    # is its text, for search and filters; pushes show it with its links and emphasis
    summary: tuple[Span, ...] = ()
    # every field of the front matter, as JSON, so that nothing a producer wrote is lost
    raw_json: str = field(default="{}", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as the database holds it, with its row id and visibility."""

    id: int
    article: Article
    path: str
    visible: bool
    first_seen_at: float


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat the bot knows: what Telegram says of it, and whether it may still write there."""

    id: int
    type: str
    title: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class Feed:
    """Where pushes go: a chat, or one forum thread of it (thread 0 is the chat itself),
    with the settings and filters of that place."""

    id: int
    chat_id: int
    thread_id: int
    chat_type: str
    active: bool
    all_topics: bool
    min_quality: int | None
    muted: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Delivery:
    """One row of the outbox: a push of an article, a broadcast text, or a digest of
    articles (`kind`), to one feed; or an edit or retraction of the sent push `target_id`."""

    id: int
    feed_id: int
    chat_id: int
    thread_id: int
    article_id: int | None
    text: str | None
    attempts: int
    last_error: str | None = None
    kind: str = "push"
    target_id: int | None = None
    plain: bool = False  # Telegram refused our HTML once: it goes as plain text


def article_to_json(article: Article) -> str:
    """Serialise an article for the `data` column (the front matter travels inside)."""
    fields: dict[str, Any] = {
        "url": article.url,
        "title": article.title,
        "excerpt": article.excerpt,
        "published": article.published,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "topics": article.topics,
        "images": [[i.url, i.width, i.height, i.title] for i in article.images],
        "provider": [article.provider.name, article.provider.domain] if article.provider else None,
        "related": [[r.title, r.url, r.provider] for r in article.related],
        "category": article.category,
        "kind": article.kind,
        "quality": article.quality,
        "heat": article.heat,
    }
    if article.summary:
        fields["summary"] = [[span.text, span.tags, span.href] for span in article.summary]
    # raw_json is JSON already: splice it in rather than load and dump it again (in one
    # join: with an emoji in it, each copy of the text is four bytes a character)
    return "".join(
        (json.dumps(fields, ensure_ascii=False)[:-1], ', "raw": ', article.raw_json, "}")
    )


def article_from_json(text: str) -> Article:
    """The inverse of `article_to_json`."""
    # the front matter is the tail that article_to_json spliced in: cut it off rather
    # than parse it (the first `, "raw": ` is ours: JSON strings before it escape quotes)
    split = text.index(', "raw": ')
    data = json.loads(text[:split] + "}")
    provider = data["provider"]
    return Article(
        url=data["url"],
        title=data["title"],
        excerpt=data["excerpt"],
        published=data["published"],
        published_at=datetime.fromisoformat(data["published_at"]) if data["published_at"] else None,
        topics=tuple(data["topics"]),
        images=tuple(Image(*image) for image in data["images"]),
        provider=Provider(*provider) if provider else None,
        related=tuple(Related(*item) for item in data["related"]),
        category=data["category"],
        kind=data["kind"],
        quality=data["quality"],
        heat=data["heat"],
        summary=tuple(
            Span(text, tuple(tags), href) for text, tags, href in data.get("summary", ())
        ),
        raw_json=text[split + 9 : -1],
    )
