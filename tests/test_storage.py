"""The SQLite store on a real file: migrations, lifecycle transitions, the outbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import Article, StorageError, Store, StoreLocked, open_store
from storage.rows import ArticleRow
from storage.store import FileState
from tests.conftest import write_lock
from tests.feeds import feed_of, follow, follows
from tests.publishing import PUBLISHING

ARTICLE = Article(
    url="https://news.example.com/a",
    title="Robots fold laundry",
    excerpt="A robot folds shirts.",
    topics=("AI", "Robotics"),
    quality=60,
)
STATE = FileState(100, 1, "h1")


def subscribe(store: Store, chat_id: int, *topics: str, chat_type: str = "private") -> None:
    follow(store, chat_id, list(topics), chat_type)


def deliveries(store: Store) -> list[tuple[int, str]]:
    return [
        tuple(row)
        for row in store.db.execute(
            "SELECT f.chat_id, d.state FROM deliveries d JOIN feeds f ON f.id = d.feed_id ORDER BY f.chat_id"
        )
    ]


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="cannot use the database"):
        open_store(path)


def test_second_exclusive_open_is_refused_and_lock_dies_with_the_holder(tmp_path: Path) -> None:
    first = open_store(tmp_path / "db", exclusive=True)
    with pytest.raises(StoreLocked, match=r"another newsbot \(pid \d+\) is already running"):
        open_store(tmp_path / "db", exclusive=True)
    first.close()
    open_store(tmp_path / "db", exclusive=True).close()


def test_new_published_article_is_queued_once_per_matching_chat(store: Store) -> None:
    subscribe(store, 1, "ai")
    subscribe(store, 2, "Robotics", "AI")
    subscribe(store, 3, "Cooking")
    change = PUBLISHING.store_article(store, "a.txt", STATE, ARTICLE, queue=True)
    assert change.kind == "new" and change.queued == 2
    assert deliveries(store) == [(1, "pending"), (2, "pending")]


def test_baseline_and_ingest_store_without_queueing(store: Store) -> None:
    subscribe(store, 1, "AI")
    assert PUBLISHING.store_article(store, "a.txt", STATE, ARTICLE, queue=False).kind == "new"
    assert deliveries(store) == []


def test_draft_is_queued_only_when_published(store: Store) -> None:
    subscribe(store, 1, "AI")
    draft = replace(ARTICLE, published=False)
    assert PUBLISHING.store_article(store, "a.txt", STATE, draft, queue=True).queued == 0
    assert store.listing.latest(10) == []
    change = PUBLISHING.store_article(
        store, "a.txt", replace(STATE, hash="h2"), ARTICLE, queue=True
    )
    assert (change.kind, change.queued) == ("published", 1)


def test_edit_of_published_article_is_not_queued_again(store: Store) -> None:
    subscribe(store, 1, "AI")
    PUBLISHING.store_article(store, "a.txt", STATE, ARTICLE, queue=True)
    change = PUBLISHING.store_article(
        store,
        "a.txt",
        replace(STATE, hash="h2"),
        replace(ARTICLE, title="Better title"),
        queue=True,
    )
    assert (change.kind, change.queued) == ("edited", 0)
    assert store.listing.latest(1)[0].article.title == "Better title"


def test_unpublish_cancels_pending_and_republish_skips_chats_that_had_it(store: Store) -> None:
    subscribe(store, 1, "AI")
    subscribe(store, 2, "AI")
    PUBLISHING.store_article(store, "a.txt", STATE, ARTICLE, queue=True)
    first = store.db.execute(
        "SELECT d.id FROM deliveries d JOIN feeds f ON f.id = d.feed_id WHERE f.chat_id = 1"
    ).fetchone()[0]
    store.outbox.claim(first, time.time())
    store.outbox.mark_sent(first, 7, time.time())
    change = PUBLISHING.store_article(
        store, "a.txt", replace(STATE, hash="h2"), replace(ARTICLE, published=False), queue=True
    )
    assert (change.kind, change.cancelled) == ("unpublished", 1)
    assert deliveries(store) == [(1, "sent"), (2, "cancelled")]
    assert store.listing.latest(10) == []
    change = PUBLISHING.store_article(
        store, "a.txt", replace(STATE, hash="h3"), ARTICLE, queue=True
    )
    assert (change.kind, change.queued) == ("published", 1)
    assert deliveries(store) == [(1, "sent"), (2, "pending")]


def test_removed_file_hides_the_article_and_cancels_its_pushes(store: Store) -> None:
    subscribe(store, 1, "AI")
    PUBLISHING.store_article(store, "a.txt", STATE, ARTICLE, queue=True)
    change, others = PUBLISHING.remove_file(store, "a.txt")
    assert (change.kind, change.cancelled, others) == ("removed", 1, [])
    assert store.listing.latest(10) == [] and store.listing.search("robots", 10) == []


def test_second_file_with_the_same_url_is_a_duplicate(store: Store) -> None:
    """The file that held the webUrl first stays the article; the other is listed as an error."""
    PUBLISHING.store_article(store, "a.txt", STATE, ARTICLE, queue=False)
    change = PUBLISHING.store_article(
        store, "b.txt", STATE, replace(ARTICLE, title="Copy"), queue=False
    )
    assert (change.kind, change.other_path) == ("duplicate", "a.txt")
    assert store.listing.latest(1)[0].article.title == "Robots fold laundry"
    assert [(e.path, e.duplicate_of) for e in store.figures.ingest_errors()] == [("b.txt", "a.txt")]
    _, others = PUBLISHING.remove_file(store, "a.txt")
    assert others == ["b.txt"]  # the duplicate can take over


def test_filters_keep_low_quality_and_muted_articles_from_a_chat(store: Store) -> None:
    for chat in (1, 2, 3):
        subscribe(store, chat, "AI")
    store.feeds.set_min_quality(feed_of(store, 2), 80)
    store.feeds.mute(feed_of(store, 3), "LAUNDRY")
    assert (
        PUBLISHING.store_article(
            store, "a.txt", STATE, replace(ARTICLE, excerpt="Laundry day"), queue=True
        ).queued
        == 1
    )
    assert deliveries(store) == [(1, "pending")]


def test_subscribe_all_receives_every_topic(store: Store) -> None:
    store.chats.register(5, "private", None)
    store.feeds.set_all_topics(feed_of(store, 5), True)
    assert (
        PUBLISHING.store_article(
            store, "a.txt", STATE, replace(ARTICLE, topics=("Gardening",)), queue=True
        ).queued
        == 1
    )


def test_inactive_chat_gets_nothing_and_its_pending_rows_are_cancelled(store: Store) -> None:
    subscribe(store, 1, "AI")
    PUBLISHING.store_article(store, "a.txt", STATE, ARTICLE, queue=True)
    assert store.chats.deactivate(1) == 1
    PUBLISHING.store_article(
        store, "b.txt", STATE, replace(ARTICLE, url="https://news.example.com/b"), queue=True
    )
    assert deliveries(store) == [(1, "cancelled")]


def test_migrated_chat_keeps_subscriptions_and_queue(store: Store) -> None:
    subscribe(store, -100, "AI", chat_type="group")
    PUBLISHING.store_article(store, "a.txt", STATE, ARTICLE, queue=True)
    store.chats.migrate(-100, -1009)
    assert follows(store, -1009) == (False, ["ai"])
    assert store.chats.get(-100) is None
    assert deliveries(store) == [(-1009, "pending")]


def test_search_finds_words_in_titles_and_excerpts_newest_first(store: Store) -> None:
    PUBLISHING.store_article(
        store, "a.txt", STATE, replace(ARTICLE, title="Old robots"), queue=False
    )
    newer = replace(ARTICLE, url="https://b.example/b", title="New robots", excerpt="Quantum")
    PUBLISHING.store_article(store, "b.txt", STATE, newer, queue=False)
    assert [s.article.title for s in store.listing.search("robots", 10)] == [
        "New robots",
        "Old robots",
    ]
    assert [s.article.title for s in store.listing.search("quantum", 10)] == ["New robots"]
    assert store.listing.search('" OR * NEAR(', 10) == []  # user text is never FTS syntax


def test_update_ids_are_claimed_once(store: Store) -> None:
    assert store.chats.claim_update(5) is True
    assert store.chats.claim_update(5) is False


def test_crash_recovery_puts_sending_rows_back(store: Store) -> None:
    subscribe(store, 1, "AI")
    PUBLISHING.store_article(store, "a.txt", STATE, ARTICLE, queue=True)
    store.outbox.claim(1, time.time())
    assert store.outbox.recover_in_flight(time.time(), 0.0) == 1
    assert deliveries(store) == [(1, "pending")]


def test_database_rows_survive_reopening(tmp_path: Path) -> None:
    """Subscriptions, articles and the search index are on disk, not in the connection."""
    store = open_store(tmp_path / "db")
    subscribe(store, 1, "AI")
    PUBLISHING.store_article(store, "a.txt", STATE, ARTICLE, queue=False)
    store.close()
    again = open_store(tmp_path / "db")
    assert follows(again, 1) == (False, ["ai"])
    assert [s.path for s in again.listing.latest(5)] == ["a.txt"]
    assert [s.path for s in again.listing.search("laundry", 5)] == ["a.txt"]
    assert again.files.file_states() == {"a.txt": STATE}
    again.close()


def test_muted_words_match_whole_words_only(store: Store) -> None:
    """Muting "AI" mutes "AI news" but not "said"; phrases and punctuation work too."""
    for chat in (1, 2, 3, 4):
        subscribe(store, chat, "AI")
    store.feeds.mute(feed_of(store, 1), "ai")
    store.feeds.mute(feed_of(store, 2), "fold laundry")
    store.feeds.mute(feed_of(store, 3), "c++")
    article = replace(ARTICLE, title="Robots fold laundry, they said", excerpt="Written in C++.")
    assert PUBLISHING.store_article(store, "a.txt", STATE, article, queue=True).queued == 2
    assert deliveries(store) == [(1, "pending"), (4, "pending")]


def test_stored_article_round_trips_with_its_front_matter() -> None:
    """What the database keeps gives back the same article, extra fields included."""
    from bot.articles.parsing import parse_article_bytes
    from storage.models import article_from_json, article_to_json
    from tests.articles import SAMPLE

    article = parse_article_bytes(
        SAMPLE.read_bytes().replace(b"title:", b'note: ", \\"raw\\": x"\ntitle:', 1)
    )
    again = article_from_json(article_to_json(article))
    assert again == article and again.raw_json == article.raw_json
    assert '"secured"' in again.raw_json and '"note"' in again.raw_json


def test_storing_a_batch_does_what_storing_one_by_one_does(tmp_path: Path) -> None:
    """New files, a duplicate inside the batch, an edit and a duplicate of a stored article."""

    def seed(store: Store) -> None:
        subscribe(store, 1, "AI")
        PUBLISHING.store_article(
            store, "old.txt", STATE, replace(ARTICLE, url="https://a.example/old"), queue=False
        )

    items = [
        ("new.txt", STATE, replace(ARTICLE, url="https://a.example/new"), None),
        (
            "draft.txt",
            STATE,
            replace(ARTICLE, url="https://a.example/draft", published=False),
            None,
        ),
        ("copy.txt", STATE, replace(ARTICLE, url="https://a.example/new", title="Copy"), None),
        (
            "old.txt",
            replace(STATE, hash="h2"),
            replace(ARTICLE, url="https://a.example/old", title="Edited"),
            None,
        ),
        ("other.txt", STATE, replace(ARTICLE, url="https://a.example/old"), None),
    ]
    batch, single = open_store(tmp_path / "batch.db"), open_store(tmp_path / "single.db")
    seed(batch)
    seed(single)
    together = PUBLISHING.store_articles(
        batch, [(p, s, ArticleRow.of(a)) for p, s, a, _ in items], queue=True
    )
    apart = [PUBLISHING.store_article(single, p, s, a, queue=True) for p, s, a, _ in items]
    assert [(c.kind, c.queued) for c in together] == [(c.kind, c.queued) for c in apart]
    assert [c.kind for c in together] == ["new", "new", "duplicate", "edited", "duplicate"]

    def snapshot(store: Store) -> list[object]:
        return [
            list(
                store.db.execute(
                    "SELECT url, path, title, visible, sort_at FROM articles ORDER BY url"
                )
            ),
            list(
                store.db.execute(
                    "SELECT a.url, t.topic FROM article_topics t JOIN articles a ON a.id = t.article_id ORDER BY 1, 2"
                )
            ),
            list(store.db.execute("SELECT path, hash, url FROM files ORDER BY path")),
            list(
                store.db.execute(
                    "SELECT a.url, f.chat_id FROM deliveries d JOIN articles a ON a.id = d.article_id "
                    "JOIN feeds f ON f.id = d.feed_id"
                )
            ),
            [e.path for e in store.figures.ingest_errors()],
        ]

    assert snapshot(batch)[1:] == snapshot(single)[1:]
    assert [row[:4] for row in snapshot(batch)[0]] == [row[:4] for row in snapshot(single)[0]]  # type: ignore[attr-defined]
    assert batch.listing.search("robots", 10) and len(batch.listing.latest(10)) == 2
    batch.close()
    single.close()


@pytest.fixture(scope="module")
def one_article(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A database holding one article, for examples that only read it."""
    store = open_store(tmp_path_factory.mktemp("search") / "newsbot.db")
    PUBLISHING.store_article(store, "a.txt", STATE, ARTICLE, queue=False)
    yield store
    store.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=st.text(max_size=60))
def test_any_search_text_is_a_search_not_an_error(one_article: Store, words: str) -> None:
    """Whatever a user types after /search, SQLite's full-text syntax never sees it raw."""
    found = [stored.path for stored in one_article.listing.search(words, 10)]
    # the one article or nothing, never an error; white space alone finds nothing
    assert found in ([], ["a.txt"])
    if not words.split():
        assert found == []


def test_group_moving_into_a_known_supergroup_merges_follows_and_queue(store: Store) -> None:
    """The supergroup keeps its own settings, gains the group's topics and pending pushes."""
    subscribe(store, -100, "AI", chat_type="group")
    subscribe(store, -1009, "Space", chat_type="supergroup")
    PUBLISHING.store_article(store, "a.txt", STATE, ARTICLE, queue=True)
    store.chats.migrate(-100, -1009)
    assert follows(store, -1009) == (False, ["ai", "space"])
    assert store.chats.get(-100) is None and store.feeds.find(-100) is None
    assert deliveries(store) == [(-1009, "pending")]


def test_opening_while_another_process_holds_the_write_lock_does_not_wait_for_it(
    tmp_path: Path,
) -> None:
    """The check that a writer's database is writable cannot tell while an operator's
    `sqlite3` shell holds the lock; `run` starts anyway, and its writes wait as ever."""
    db = tmp_path / "newsbot.db"
    open_store(db).close()
    with write_lock(db):
        started = time.monotonic()
        store = open_store(db, exclusive=True)
        assert time.monotonic() - started < 1.0  # not the 5 s busy timeout
    try:
        store.chats.register(7, "private", None)  # the lock is gone: writes go through
    finally:
        store.close()
