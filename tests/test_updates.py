"""How updates are taken: an edited message is not a new command; a locked database is
answered, not ignored."""

from __future__ import annotations

from bot.app import BUSY_REPLY
from bot.foundation.config import Config
from tests.conftest import ADMIN_ID, Running, write_lock


def broadcasts(running: Running) -> int:
    rows = running.store.db.execute("SELECT COUNT(*) FROM deliveries WHERE kind = 'broadcast'")
    return int(rows.fetchone()[0])


async def test_edited_broadcast_is_not_broadcast_again(running: Running) -> None:
    """Editing the message that held /broadcast sends nothing more and answers nothing."""
    await running.command(11, "/start")
    assert await running.command(ADMIN_ID, "/broadcast once") == "Broadcast queued for 1 chat."
    await running.standin.until(lambda: len(running.standin.messages_to(11)) == 2)
    running.standin.say(ADMIN_ID, "/broadcast twice", edited=True)
    # updates are handled in order: once /help is answered, the edit has been handled
    assert "/latest" in await running.command(ADMIN_ID, "/help")
    assert broadcasts(running) == 1
    replies = [m.text for m in running.standin.messages_to(ADMIN_ID)]
    assert sum(text == "Broadcast queued for 1 chat." for text in replies) == 1
    assert [m.text for m in running.standin.messages_to(11)][-1] == "once"


async def test_edited_unknown_command_gets_no_reply(running: Running) -> None:
    """Only a fresh message is answered, an unknown command included."""
    running.standin.say(1, "/frobnicate", edited=True)
    assert "/latest" in await running.command(1, "/help")
    assert len(running.standin.messages_to(1)) == 1


async def test_command_during_a_long_database_lock_is_answered_busy_then_works(
    running: Running, config: Config
) -> None:
    """A command is never met with silence: busy while another process holds the lock."""
    running.store.db.execute("PRAGMA busy_timeout = 50")  # give up in 50 ms, not seconds
    with write_lock(config.db_path):
        assert await running.command(1, "/start") == BUSY_REPLY
    assert "/subscribe" in await running.command(1, "/start")
    assert running.store.chats.get(1) is not None
