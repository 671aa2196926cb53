"""Articles stored and pushes queued or settled straight through the store, for the send side's tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.articles.publishing import Publishing
from storage import Article, Image, Store
from storage.store import FileState
from tests.feeds import follow
from tests.publishing import FOLLOWING

ARTICLE = Article(
    url="https://news.example.com/a",
    title="Robots fold laundry",
    excerpt="A robot folds shirts.",
    topics=("AI",),
    images=(Image("https://img.example.com/a.jpg", 800, 450),),
)

# an article of two topics, without an image
TWO_TOPICS = Article(url="https://news.example.com/a", title="Robots", topics=("AI", "Robotics"))


def publish(store: Store, name: str) -> None:
    article = replace(ARTICLE, url=f"https://news.example.com/{name}", title=f"Article {name}")
    FOLLOWING.store_article(store, f"{name}.txt", FileState(1, 1, name), article, queue=True)


def sent_push(store: Store, *chats: int) -> int:
    """Store the article with the followups on, and mark its pushes sent at time 1000."""
    for chat in chats:
        follow(store, chat, ["AI"])
    change = FOLLOWING.store_article(store, "a.txt", FileState(1, 1, "a"), ARTICLE, queue=True)
    assert change.article_id is not None
    for row in store.outbox.ready(100, 2000.0):
        store.outbox.claim(row.id, 1000.0)
        store.outbox.mark_sent(row.id, 500 + row.chat_id, 1000.0)
    return change.article_id


def edit(store: Store, title: str, publishing: Publishing = FOLLOWING) -> int:
    change = publishing.store_article(
        store, "a.txt", FileState(1, 1, title), replace(ARTICLE, title=title), queue=True
    )
    return change.followups


def traced_reads(store: Store, action: Callable[[], object]) -> list[str]:
    """How each statement that `action` runs reads the outbox (its query plan's lines)."""
    traced: list[str] = []  # each statement with its parameters filled in
    store.db.conn.set_trace_callback(traced.append)
    try:
        action()
    finally:
        store.db.conn.set_trace_callback(None)
    steps = [line for sql in traced for line in plan(store, sql)]
    return [line for line in steps if line.startswith(("SCAN", "SEARCH")) and "deliveries" in line]


def plan(store: Store, sql: str) -> list[str]:
    return [row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}")]
