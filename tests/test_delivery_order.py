"""One send per chat in flight, each chat's pushes in order, and group -> supergroup moves."""

from __future__ import annotations

from dataclasses import replace

from storage import Store
from storage.settings import FeedSettings
from storage.store import FileState
from tests.conftest import eventually
from tests.feeds import follow
from tests.outbox import ARTICLE, publish
from tests.publishing import PUBLISHING
from tests.sending import sending
from tests.standin import StandIn


def sends_to(standin: StandIn, chat_id: int) -> int:
    return sum(1 for method, params in standin.calls
               if method.startswith("send") and int(params["chat_id"]) == chat_id)  # fmt: skip


def test_ready_hands_out_one_row_per_chat_whichever_thread_it_is_for(store: Store) -> None:
    """A chat's later rows (in any of its threads) wait until its oldest open row settles."""
    follow(store, -100, ["AI"], "supergroup")
    store.feeds.subscribe(store.feeds.ensure(-100, 7).id, ["AI"])
    follow(store, 6, ["AI"])
    publish(store, "a")
    publish(store, "b")
    ready = store.outbox.ready(10, now=1e12)
    assert sorted(row.chat_id for row in ready) == [-100, 6]
    first = min(row.id for row in ready if row.chat_id == -100)
    assert store.outbox.claim(first, 1e12)
    assert [row.chat_id for row in store.outbox.ready(10, now=1e12)] == [6]
    store.outbox.mark_sent(first, 1, 1e12)
    [next_row] = [row for row in store.outbox.ready(10, now=1e12) if row.chat_id == -100]
    assert next_row.id > first


def test_a_chat_waiting_out_a_retry_holds_its_later_rows(store: Store) -> None:
    """Order holds across retries: a row waiting to go again is not overtaken."""
    follow(store, 5, ["AI"])
    publish(store, "a")
    publish(store, "b")
    [first] = store.outbox.ready(10, now=1e12)
    assert store.outbox.claim(first.id, 1e12)
    store.outbox.mark_retry(first.id, "network: down", 2e12, 1e12)
    assert store.outbox.ready(10, now=1e12) == []


async def test_migrated_group_gets_every_push_at_the_new_id_in_order(
    store: Store, standin: StandIn
) -> None:
    """Three pushes to a group that just moved: one request to the old id, then all three
    at the new id, in the order they were queued."""
    follow(store, -300, ["AI"], "group")
    standin.migrated[-300] = -1000300
    for name in ("a", "b", "c"):
        publish(store, name)
    async with sending(store, standin):
        await eventually(lambda: store.outbox.pending_count() == 0)
    assert sends_to(standin, -300) == 1
    titles = [(m.text or "").split("\n")[0] for m in standin.messages_to(-1000300)]
    assert titles == ["Article a", "Article b", "Article c"]


async def test_group_moving_into_a_known_supergroup_leaves_nothing_for_the_old_id(
    store: Store, standin: StandIn
) -> None:
    """The supergroup already had the push: it gets it once, and the old id is not retried."""
    follow(store, -300, ["AI"], "group")
    follow(store, -1000300, ["AI"], "supergroup")
    standin.migrated[-300] = -1000300
    publish(store, "a")
    async with sending(store, standin) as sender:
        await eventually(lambda: store.outbox.pending_count() == 0)
        publish(store, "b")
        sender.wake()  # as the live bot does for what a change queued
        await eventually(lambda: store.outbox.pending_count() == 0)
    assert sends_to(standin, -300) <= 1
    assert len(standin.messages_to(-1000300)) == 2
    assert store.chats.get(-300) is None


async def test_a_group_moving_into_a_known_supergroup_keeps_its_settings_and_filters(
    store: Store, standin: StandIn
) -> None:
    """The supergroup was registered before the move showed (a command typed there
    first): the group's feed still moves whole, so a group that followed everything,
    muted a word and took text pushes goes on so, instead of getting nothing."""
    group = follow(store, -310, [], "group")
    store.feeds.set_all_topics(group, True)
    store.feeds.mute(group, "laundry")
    store.settings.save(group, FeedSettings(format="text"))
    store.chats.register(-1000310, "supergroup", None)  # a fresh feed, nothing followed
    standin.migrated[-310] = -1000310
    publish(store, "a")
    async with sending(store, standin) as sender:
        await eventually(lambda: store.outbox.pending_count() == 0)
        publish(store, "b")
        muted = replace(ARTICLE, url="https://news.example.com/m", title="Robots do laundry")
        PUBLISHING.store_article(store, "m.txt", FileState(1, 1, "m"), muted, queue=True)
        sender.wake()
        await eventually(lambda: store.outbox.pending_count() == 0)
    pushed = standin.messages_to(-1000310)
    assert [(m.method, (m.text or "").split("\n")[0]) for m in pushed] == [
        ("sendMessage", "Article a"),
        ("sendMessage", "Article b"),
    ]


def test_a_supergroup_with_settings_of_its_own_keeps_them_when_the_group_joins(
    store: Store,
) -> None:
    """Someone already set the supergroup up: its settings and filters stay; the group's
    topics (and following everything) join them."""
    group = follow(store, -320, [], "group")
    store.feeds.set_all_topics(group, True)
    store.settings.save(group, FeedSettings(format="text"))
    supergroup = follow(store, -1000320, ["Space"], "supergroup")
    store.settings.save(supergroup, FeedSettings(format="compact", silent=True))
    store.chats.migrate(-320, -1000320)
    assert store.settings.get(supergroup) == FeedSettings(format="compact", silent=True)
    assert store.feeds.subscriptions(supergroup) == (True, ["space"])
