"""Edits and retractions as outbox rows, on a real SQLite file (no Telegram)."""

from __future__ import annotations

from dataclasses import replace

from storage import Article, Store
from storage.followups import DELETED, EDIT_INTERVAL
from storage.store import FileState
from tests.outbox import edit, sent_push
from tests.publishing import FOLLOWING, PUBLISHING

ARTICLE = Article(url="https://news.example.com/a", title="Robots fold", topics=("AI",))


def rows(store: Store) -> list[tuple[str, str, float]]:
    return list(
        store.db.execute("SELECT kind, state, not_before FROM deliveries WHERE kind != 'push'")
    )


def test_rapid_changes_share_one_waiting_edit_per_message(store: Store) -> None:
    """Three changes before the edit went: one waiting row per message, not three."""
    sent_push(store, 5, 6)
    assert edit(store, "one") == 2
    assert edit(store, "two") == 0
    assert edit(store, "three") == 0
    assert [(kind, state) for kind, state, _ in rows(store)] == [("edit", "pending")] * 2


def test_an_edit_waits_a_minute_after_the_last_edit_of_its_message(store: Store) -> None:
    """The next edit of a message goes no sooner than a minute after the previous one."""
    sent_push(store, 5)
    edit(store, "one")
    [row] = store.outbox.ready(10, 10**12)
    store.outbox.claim(row.id, 10**10)
    store.outbox.mark_sent(row.id, 505, 10**10)  # an edit sent far in the future
    edit(store, "two")
    assert rows(store)[-1][2] == 10**10 + EDIT_INTERVAL


def test_new_pushes_go_before_edits_and_retractions(store: Store) -> None:
    """An older edit waits behind a newer push of another article to the same chat."""
    sent_push(store, 5)
    edit(store, "one")
    other = replace(ARTICLE, url="https://news.example.com/b")
    FOLLOWING.store_article(store, "b.txt", FileState(1, 1, "b"), other, queue=True)
    [push] = store.outbox.ready(2, 10**12)  # one row per chat: the push, though younger
    assert push.kind == "push"
    store.outbox.claim(push.id, 2000.0)
    assert store.outbox.ready(2, 10**12) == []  # nothing else while the chat has one in flight
    store.outbox.mark_sent(push.id, 900, 2000.0)
    assert [row.kind for row in store.outbox.ready(2, 10**12)] == ["edit"]


def test_withdrawal_cancels_waiting_edits_and_queues_one_retraction(store: Store) -> None:
    """Unpublished: the waiting edit is cancelled, a retraction queued per message."""
    article_id = sent_push(store, 5)
    edit(store, "one")
    change = FOLLOWING.store_article(
        store, "a.txt", FileState(1, 1, "off"), replace(ARTICLE, published=False), queue=True
    )
    assert change.followups == 1
    assert [(kind, state) for kind, state, _ in rows(store)] == [
        ("edit", "cancelled"),
        ("retract", "pending"),
    ]
    [retract] = store.outbox.ready(10, 10**12)
    assert retract.target_id is not None and retract.article_id == article_id


def test_republished_before_the_retraction_went_cancels_it(store: Store) -> None:
    """Back on before its retraction was sent: the message stays."""
    sent_push(store, 5)
    FOLLOWING.store_article(
        store, "a.txt", FileState(1, 1, "off"), replace(ARTICLE, published=False), queue=True
    )
    FOLLOWING.store_article(store, "a.txt", FileState(1, 1, "on"), ARTICLE, queue=True)
    assert [(kind, state) for kind, state, _ in rows(store)] == [("retract", "cancelled")]


def test_a_deletion_on_the_wire_when_republished_is_undone_once_recorded(store: Store) -> None:
    """Back on while its deleteMessage was in flight: the push goes again, once."""
    sent_push(store, 5)
    FOLLOWING.store_article(
        store, "a.txt", FileState(1, 1, "off"), replace(ARTICLE, published=False), queue=True
    )
    [retract] = store.outbox.ready(10, 10**12)
    store.outbox.claim(retract.id, 2000.0)  # its request is on the wire ...
    FOLLOWING.store_article(store, "a.txt", FileState(1, 1, "on"), ARTICLE, queue=True)
    store.outbox.mark_sent(retract.id, 505, 2001.0)  # ... and the message is deleted
    assert retract.target_id is not None
    store.followups.record_withdrawn(retract.target_id, DELETED, 2001.0)
    pushes = store.db.execute(
        "SELECT state, message_id, withdrawn FROM deliveries WHERE id = ?", [retract.target_id]
    )
    assert pushes.fetchall() == [("pending", None, None)]
    FOLLOWING.store_article(store, "a.txt", FileState(1, 1, "on2"), ARTICLE, queue=True)
    assert store.outbox.pending_count() == 1


def test_broadcasts_and_switched_off_followups_queue_nothing(store: Store) -> None:
    """Only pushes are followed, and only while the switches are on."""
    sent_push(store, 5)
    store.queueing.queue_broadcast("hello", 1.0)
    assert edit(store, "one", PUBLISHING) == 0
    PUBLISHING.remove_file(store, "a.txt")
    assert rows(store) == [("broadcast", "pending", 0.0)]
    figures = store.figures.counts()
    assert figures["edits_pending"] == 0 and figures["retractions_sent"] == 0
