"""Button data is untrusted: a custom client can send any data for a message it sees. A
feed named in it is made only after the permission check, and only for a thread that
exists."""

from __future__ import annotations

from tests.conftest import Running, eventually

GROUP = -1007
STALE = "This button is no longer valid."
ADMINS_ONLY = "Only this group's administrators can change that."


def answers(running: Running) -> list[str | None]:
    return [p.get("text") for m, p in running.standin.calls if m == "answerCallbackQuery"]


async def test_forged_threads_in_a_private_chat_make_no_feeds(running: Running) -> None:
    """Presses naming made-up threads of this private chat change nothing and make no feed."""
    await running.command(1, "/start")
    for thread in (5, 6, 41):
        running.standin.press(1, f">1.{thread}|sub:0:AI")
    await running.standin.until(lambda: len(answers(running)) == 3)
    assert answers(running) == [STALE] * 3
    general = running.store.feeds.find(1)
    assert general is not None and running.store.feeds.of_chat(1) == [general.id]


async def test_a_refused_press_makes_no_feed(running: Running) -> None:
    """A member who may not change the group makes no feed by pressing for a thread."""
    running.standin.press(
        GROUP, f">{GROUP}.7|cfg:silent:on", user_id=8, chat_type="supergroup", thread_id=7
    )
    await running.standin.until(lambda: len(answers(running)) == 1)
    assert answers(running) == [ADMINS_ONLY]
    assert running.store.feeds.of_chat(GROUP) == []


async def test_a_feed_is_made_only_for_the_thread_the_press_came_from(running: Running) -> None:
    """An admin's press makes the feed of the thread its message sits in; a thread named
    in the data but not confirmed by Telegram (another thread, or one of another chat
    pressed from a private chat) is a stale button."""
    running.standin.admins[GROUP].add(8)
    running.standin.press(
        GROUP, f">{GROUP}.7|cfg:silent:on", user_id=8, chat_type="supergroup", thread_id=7
    )

    def silent() -> bool:
        feed = running.store.feeds.find(GROUP, 7)
        return feed is not None and running.store.settings.get(feed.id).silent

    await eventually(silent)
    running.standin.press(
        GROUP, f">{GROUP}.9|cfg:silent:on", user_id=8, chat_type="supergroup", thread_id=8
    )
    running.standin.add_chat(GROUP, "supergroup", creator=8)
    running.store.chats.register(GROUP, "supergroup", "group")
    running.standin.press(8, f">{GROUP}.9|sub:0:AI")
    await running.standin.until(lambda: len(answers(running)) == 3)
    assert answers(running)[1:] == [STALE, STALE]
    assert running.store.feeds.find(GROUP, 9) is None
    assert running.store.feeds.find(GROUP, 8) is not None  # where the press came from
