"""The `preview` format: a text of up to 4096 characters under a large preview of the
article's image, sent, shown in /settings, exported and edited like the other formats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from bot.foundation.config import Config
from storage.settings import FeedSettings
from tests.conftest import Running, eventually, stop_bot
from tests.feeds import follow
from tests.standin import TOKEN, StandIn
from tests.test_following import IMAGE, URL, Following, start_following
from tests.test_settings import ARTICLE, publish, pushed

LARGE_ABOVE = {"prefer_large_media": True, "show_above_text": True}
LONG_EXCERPT = "The robot folds one shirt after another with great care. " * 40  # ~2300


async def test_preview_format_sends_text_under_a_large_image_preview(running: Running) -> None:
    """`/set format preview`: sendMessage with the image as a large preview above the text,
    and the excerpt past a caption's 1024 characters."""
    follow(running.store, 1, ["AI"])
    assert await running.command(1, "/set format preview") == "Format is now preview."
    publish(running, replace(ARTICLE, excerpt=LONG_EXCERPT))
    await pushed(running, 1, 2)
    message = running.standin.messages_to(1)[-1]
    assert message.method == "sendMessage" and message.photo is None
    assert message.params["link_preview_options"] == {
        "url": "https://img.example.com/a.jpg",
        **LARGE_ABOVE,
    }
    assert message.text is not None and 2000 < len(message.text) <= 4096


async def test_preview_format_without_an_image_previews_the_link(running: Running) -> None:
    """An article without an image, in the preview format: its own link previewed."""
    follow(running.store, 1, ["AI"])
    await running.command(1, "/set format preview")
    publish(running, replace(ARTICLE, images=()))
    await pushed(running, 1, 2)
    message = running.standin.messages_to(1)[-1]
    assert message.params["link_preview_options"] == {"url": ARTICLE.url, **LARGE_ABOVE}


async def test_settings_offer_the_preview_format_and_export_it(running: Running) -> None:
    """/settings has a preview button that sets it, and /export writes it."""
    follow(running.store, 1, ["AI"])
    await running.command(1, "/settings")
    buttons = running.standin.messages_to(1)[-1].params["reply_markup"]["inline_keyboard"]
    assert "cfg:format:preview" in [button["callback_data"] for button in buttons[0]]
    running.standin.press(1, "cfg:format:preview")
    await eventually(lambda: running.store.settings.get(1).format == "preview")
    await running.command(1, "/export")
    exported = running.standin.messages_to(1)[-1].params["document"]
    assert b"format: preview" in exported


@pytest.fixture
async def live(config: Config, standin: StandIn, articles: Path) -> AsyncIterator[Following]:
    following = await start_following(config, standin, articles)
    yield following
    await stop_bot(following.running.bot, following.task, following.stop)


async def test_preview_push_is_edited_with_its_new_image_preview(live: Following) -> None:
    """An edited article's preview push gets editMessageText, previewing the new image."""
    feed = follow(live.running.store, 5, ["AI"])
    live.running.store.settings.save(feed, FeedSettings(format="preview"))
    live.write(images=[IMAGE])
    await live.standin.until(lambda: bool(live.standin.messages_to(5)))
    await eventually(lambda: live.rows("push") == [(5, "sent")])
    new_image = {**IMAGE, "url": "https://img.example.com/robot-2.jpg"}
    live.write(images=[new_image], excerpt="Now with towels.")
    await eventually(lambda: live.rows("edit") == [(5, "pending")])
    await live.edits_due()
    [edit] = live.standin.edits_to(5)
    assert edit.method == "editMessageText" and "Now with towels." in (edit.text or "")
    assert edit.params["link_preview_options"] == {"url": new_image["url"], **LARGE_ABOVE}
    assert URL in (edit.html or "")


@pytest.mark.parametrize(
    "options",
    ['"large"', '{"prefer_large_media": "yes"}', '{"url": 5}', '{"show_above": true}'],
)
def test_standin_refuses_malformed_link_preview_options(standin: StandIn, options: str) -> None:
    """The stand-in parses link_preview_options as Telegram does: 400 when malformed."""
    for method, extra in [("sendMessage", {}), ("editMessageText", {"message_id": "1"})]:
        reply = httpx.post(
            f"{standin.base_url}{TOKEN}/{method}",
            data={"chat_id": "1", "text": "hi", "link_preview_options": options, **extra},
        )
        assert reply.status_code == 400
        assert "link preview options" in reply.json()["description"]
