"""An article as its database row: the columns, topics and JSON that storing it writes.

Made where the file was parsed (a worker process of a bulk import), it crosses the
process boundary as a plain tuple (`wire`, `ArticleRow(*fields)`), so the process that
writes SQLite neither rebuilds the `Article` nor serialises it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from storage.models import Article, article_from_json, article_to_json


@dataclass(frozen=True, slots=True)
class ArticleRow:
    url: str
    title: str
    excerpt: str | None
    provider: str | None
    published: bool
    published_at: str | None  # `sortable_time`
    quality: int | None
    category: str | None
    kind: str | None
    heat: int | None
    topics: tuple[tuple[str, str], ...]  # (casefolded key, name as written), one per key
    data: str  # `article_to_json`
    # the article itself when the row was made in this process; else rebuilt from `data`
    built: Article | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, article: Article, data: str | None = None) -> ArticleRow:
        """The row of an article (`data`: its `article_to_json`, when made already)."""
        topics = {topic.casefold(): topic for topic in article.topics}
        return cls(
            article.url,
            article.title,
            article.excerpt,
            article.provider.name if article.provider else None,
            article.published,
            sortable_time(article.published_at) if article.published_at else None,
            article.quality,
            article.category,
            article.kind,
            article.heat,
            tuple(topics.items()),
            data or article_to_json(article),
            article,
        )

    def article(self) -> Article:
        return self.built if self.built is not None else article_from_json(self.data)

    def wire(self) -> tuple[Any, ...]:
        """The fields but `built`, for another process: `ArticleRow(*row.wire())`."""
        return (self.url, self.title, self.excerpt, self.provider, self.published,
                self.published_at, self.quality, self.category, self.kind, self.heat,
                self.topics, self.data)  # fmt: skip

    def values(self, path: str, first_seen: float, now: float) -> dict[str, Any]:
        """The columns of the `articles` row (all but `present`, which a stored file sets)."""
        return {
            "url": self.url,
            "path": path,
            "title": self.title,
            "excerpt": self.excerpt,
            "provider": self.provider,
            "published": int(self.published),
            "visible": int(self.published),
            "published_at": self.published_at,
            "sort_at": self.published_at or sortable_time(datetime.fromtimestamp(first_seen, UTC)),
            "first_seen_at": first_seen,
            "updated_at": now,
            "quality": self.quality,
            "category": self.category,
            "kind": self.kind,
            "heat": self.heat,
            "data": self.data,
        }

    def topic_rows(self, article_id: int) -> list[tuple[int, str, str]]:
        return [(article_id, key, name) for key, name in self.topics]


def sortable_time(moment: datetime) -> str:
    """A moment as the `sort_at` column holds it: UTC text that sorts like time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
