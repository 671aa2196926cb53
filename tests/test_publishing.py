"""The product's rule for a stored file runs on the bot side (`bot.articles.publishing`):
storage stores and says what changed; the rule queues, cancels, edits and retracts."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from bot.articles.publishing import Publishing
from storage import Store, open_store
from storage.store import FileState
from tests.feeds import follow
from tests.outbox import ARTICLE, sent_push
from tests.publishing import FOLLOWING, PUBLISHING

STATE = FileState(1, 1, "a")


def rows(store: Store) -> list[tuple[str, str]]:
    return list(store.db.execute("SELECT kind, state FROM deliveries ORDER BY id"))


def test_storing_a_file_queues_nothing_until_the_rule_runs(store: Store) -> None:
    """Files.store_article only stores: a visible article is queued by the rule."""
    follow(store, 5, ["AI"])
    change = store.files.store_article("a.txt", STATE, ARTICLE)
    assert (change.kind, change.visible, change.queued) == ("new", True, 0)
    assert rows(store) == []
    again = PUBLISHING.store_article(
        store, "b.txt", STATE, replace(ARTICLE, url="https://b.x"), queue=True
    )
    assert again.queued == 1 and rows(store) == [("push", "pending")]


def test_without_queue_a_withdrawal_still_cancels_but_retracts_nothing(store: Store) -> None:
    """The baseline's rule: waiting pushes of an unpublished article are cancelled; its
    sent messages are not retracted and a new article is not queued."""
    sent_push(store, 5)
    follow(store, 6, ["AI"])
    later = replace(ARTICLE, url="https://news.example.com/later")
    PUBLISHING.store_article(store, "b.txt", STATE, later, queue=True)
    hidden = replace(later, published=False)
    change = FOLLOWING.store_article(store, "b.txt", STATE, hidden, queue=False)
    assert (change.kind, change.cancelled, change.followups) == ("unpublished", 2, 0)
    gone = replace(ARTICLE, published=False)
    assert FOLLOWING.store_article(store, "a.txt", STATE, gone, queue=False).followups == 0
    assert ("retract", "pending") not in rows(store)


def test_the_switches_belong_to_the_rule_not_to_the_store(store: Store) -> None:
    """The same store queues edits and retractions under the rule that has them on, and
    none under one that has them off."""
    sent_push(store, 5)
    edited = replace(ARTICLE, title="Robots fold shirts")
    assert PUBLISHING.store_article(store, "a.txt", STATE, edited, queue=True).followups == 0
    again = replace(edited, title="Robots fold socks")
    assert FOLLOWING.store_article(store, "a.txt", STATE, again, queue=True).followups == 1
    _, others = Publishing(retractions=True).remove_file(store, "a.txt")
    assert others == [] and rows(store)[-1] == ("retract", "pending")


def test_a_store_gets_its_queueing_chunk_when_it_is_opened(tmp_path: Path) -> None:
    """open_store(chunk_feeds=...) builds the queueing repository with it (the writer
    thread's store); no one sets it afterwards."""
    store = open_store(tmp_path / "newsbot.db", chunk_feeds=3)
    assert store.queueing.chunk_feeds == 3
    store.close()
    store = open_store(tmp_path / "newsbot.db")
    assert store.queueing.chunk_feeds is None
    store.close()


def test_no_part_of_the_bot_sets_a_repository_up_after_it_was_built() -> None:
    """No `store.<repository>.<setting> = ...` in bot/: settings go to constructors."""
    root = Path(__file__).resolve().parent.parent / "bot"
    assignment = re.compile(r"\bstore\.\w+\.\w+\s*=[^=]")
    found = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if assignment.search(line)
    ]
    assert found == []
