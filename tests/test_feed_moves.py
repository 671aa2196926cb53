"""Moving a deleted forum topic's feed to General, on a real SQLite file."""

from __future__ import annotations

from storage import Article, Store
from storage.store import FileState
from tests.publishing import PUBLISHING

FORUM = -1005
AI = Article(url="https://news.example.com/ai", title="Robots", topics=("AI",))


def queue(store: Store, article: Article) -> int:
    change = PUBLISHING.store_article(store, "a.txt", FileState(1, 1, "a"), article, queue=True)
    assert change.article_id is not None
    return change.article_id


def rows(store: Store) -> list[tuple[int, str]]:
    return [
        (thread, state)
        for thread, state in store.db.execute(
            "SELECT f.thread_id, d.state FROM deliveries d JOIN feeds f ON f.id = d.feed_id"
        )
    ]


def test_topic_feed_joins_general_with_its_subscriptions_and_queue(store: Store) -> None:
    """General gains the topic's topics (and 'all'), keeps its own filters, takes its queue."""
    store.chats.register(FORUM, "supergroup", "forum")
    general = store.feeds.ensure(FORUM)
    store.feeds.subscribe(general.id, ["Space"])
    store.feeds.mute(general.id, "crypto")
    topic = store.feeds.ensure(FORUM, 9)
    store.feeds.subscribe(topic.id, ["AI"])
    store.feeds.set_all_topics(topic.id, True)
    store.feeds.set_min_quality(topic.id, 90)
    queue(store, AI)
    assert rows(store) == [(9, "pending")]
    assert store.feeds.move_to_general(topic.id) == 1
    assert store.feeds.find(FORUM, 9) is None
    moved = store.feeds.find(FORUM)
    assert moved is not None and moved.all_topics and moved.min_quality is None
    assert moved.muted == ("crypto",)
    assert store.feeds.subscriptions(moved.id) == (True, ["ai", "space"])
    assert rows(store) == [(0, "pending")]


def test_a_push_general_has_already_is_not_moved_twice(store: Store) -> None:
    """When both feeds had the article queued, General keeps one row and the other goes."""
    store.chats.register(FORUM, "supergroup", "forum")
    for thread in (0, 9):
        store.feeds.subscribe(store.feeds.ensure(FORUM, thread).id, ["AI"])
    queue(store, AI)
    topic = store.feeds.find(FORUM, 9)
    assert topic is not None
    assert store.feeds.move_to_general(topic.id) == 0
    assert rows(store) == [(0, "pending")]
    assert store.outbox.pending_count() == 1


def test_general_and_unknown_feeds_do_not_move(store: Store) -> None:
    """Only a topic's feed moves: General itself, or a feed already gone, answer None."""
    store.chats.register(FORUM, "supergroup", "forum")
    general = store.feeds.ensure(FORUM)
    assert store.feeds.move_to_general(general.id) is None
    assert store.feeds.move_to_general(general.id + 1000) is None
    assert store.feeds.find(FORUM) is not None
