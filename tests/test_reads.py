"""Listing reads at scale: the newest of topics and of words found by walking the newest
articles or by sorting the matches, whichever reads less, with the same answer either way;
and `/top`'s ranking read from the index alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import Article, Store
from storage.listing import SEARCH_WALK
from storage.models import StoredArticle
from storage.rows import sortable_time
from storage.store import FileState

FIRST = datetime(2026, 1, 1, tzinfo=UTC)
COUNT = SEARCH_WALK + 60


@pytest.fixture
def many(store: Store) -> Store:
    """COUNT articles, an hour apart, newer as the number grows (ids in another order):
    every one about "common" words and topic; every 50th also "rare"; one unpublished."""
    for number in range(COUNT):
        rare = number % 50 == 7
        article = Article(
            url=f"https://news.example.com/{number}",
            title=f"Story {number} common" + (" rare" if rare else ""),
            excerpt="Words.",
            topics=("Common", "Rare") if rare else ("Common",),
            published_at=FIRST + timedelta(hours=(number * 37) % COUNT),
            published=number != 1,
            heat=number % 7,
        )
        state = FileState(1, 1, f"s{number}")
        store.files.store_article(f"s{number}.txt", state, article)
    return store


def newest(store: Store, where: str = "1") -> list[str]:
    """Titles of the visible articles matching `where`, newest first (the slow way)."""
    return [
        title
        for (title,) in store.db.execute(
            f"SELECT title FROM articles WHERE visible = 1 AND {where} ORDER BY sort_at DESC"
        )
    ]


def titles(items: list[StoredArticle]) -> list[str]:
    return [stored.article.title for stored in items]


def test_search_of_a_common_word_is_the_newest_matches_page_by_page(many: Store) -> None:
    """A word in every article: the newest visible ones, page after page, as sorted."""
    every = newest(many)
    assert titles(many.listing.search("common", 20)) == every[:20]
    assert titles(many.listing.search("common", 21, skip=20)) == every[20:41]
    assert (
        titles(many.listing.search("story common", 5, skip=SEARCH_WALK))
        == every[SEARCH_WALK : SEARCH_WALK + 5]
    )


def test_search_of_a_rare_word_is_all_its_matches_newest_first(many: Store) -> None:
    """A word in a few articles, none among the newest: found all the same, in order."""
    rare = newest(many, "title LIKE '%rare%'")
    assert len(rare) == COUNT // 50 + 1
    assert titles(many.listing.search("rare", 20)) == rare
    assert titles(many.listing.search("RARE common", 3, skip=2)) == rare[2:5]
    assert many.listing.search("absent", 10) == []


def test_latest_of_a_big_and_a_small_topic_is_the_newest_of_each(many: Store) -> None:
    """Topics listed the same whether walked (many articles) or sorted (few, or none)."""
    assert titles(many.listing.latest(20, ["common"])) == newest(many)[:20]
    rare = newest(many, "title LIKE '%rare%'")
    assert titles(many.listing.latest(20, ["rare"])) == rare
    assert titles(many.listing.latest(2, ["Rare"], skip=1)) == rare[1:3]
    assert many.listing.latest(10, ["never written"]) == []


def test_hottest_of_a_window_by_heat_then_newest(many: Store) -> None:
    """/top's read: the window's articles by heat, then newest first, of the topics."""
    since = FIRST + timedelta(hours=COUNT - 50)
    rows = many.db.execute(
        "SELECT title FROM articles WHERE visible = 1 AND sort_at >= ? "
        "ORDER BY heat DESC, sort_at DESC LIMIT 10",
        [sortable_time(since)],
    ).fetchall()
    assert titles(many.listing.hottest(since, 10, ["common"])) == [t for (t,) in rows]


def test_hottest_is_ranked_from_the_index_without_reading_rows(store: Store) -> None:
    """The ranking of /top reads `articles_recent` alone (a covering index), not each
    article's row with its JSON."""
    plan = " ".join(
        row[3]
        for row in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT a.id FROM articles a WHERE a.sort_at >= ? "
            "AND a.visible = 1 ORDER BY a.heat IS NULL, a.heat DESC, a.sort_at DESC LIMIT 10",
            ["2026"],
        )
    )
    assert "COVERING INDEX articles_recent" in plan


def test_listing_reads_an_article_by_id(many: Store) -> None:
    """One article by id, and None for an id that is not there."""
    [first] = many.listing.latest(1)
    assert many.listing.article(first.id) == first
    assert many.listing.article(10**9) is None
