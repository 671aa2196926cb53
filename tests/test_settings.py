"""Per-feed settings through Telegram: /settings, /set, required words, /top, and how each
setting changes the push the stand-in receives."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from storage import Article, Image, Provider
from storage.store import FileState
from tests.conftest import Running, eventually
from tests.feeds import follow
from tests.publishing import FOLLOWING

ARTICLE = Article(
    url="https://news.example.com/a",
    title="Robots fold laundry",
    excerpt="A robot folds shirts with care.",
    topics=("AI",),
    images=(Image("https://img.example.com/a.jpg", 800, 450),),
    provider=None,
)


def publish(running: Running, article: Article = ARTICLE, *, queue: bool = True) -> None:
    slug = article.url.rsplit("/", 1)[1]
    FOLLOWING.store_article(
        running.store, f"{slug}.txt", FileState(1, 1, slug), article, queue=queue
    )
    running.bot.sender.wake()


async def pushed(running: Running, chat_id: int, count: int = 1) -> None:
    await running.standin.until(lambda: len(running.standin.messages_to(chat_id)) >= count)


async def test_default_push_is_a_photo_with_notification(running: Running) -> None:
    """Without settings the push is sendPhoto and does not ask to be silent."""
    follow(running.store, 1, ["AI"])
    publish(running)
    await pushed(running, 1, 1)
    [message] = running.standin.messages_to(1)
    assert message.method == "sendPhoto"
    assert "disable_notification" not in message.params


async def test_text_format_sends_a_message_with_a_large_link_preview(running: Running) -> None:
    """`/set format text` turns the photo push into sendMessage with a large preview."""
    follow(running.store, 1, ["AI"])
    assert await running.command(1, "/set format text") == "Format is now text."
    publish(running)
    await pushed(running, 1, 2)
    message = running.standin.messages_to(1)[-1]
    assert message.method == "sendMessage" and message.photo is None
    assert message.params["link_preview_options"] == {
        "url": ARTICLE.url,
        "prefer_large_media": True,
    }
    assert message.text is not None and "A robot folds shirts" in message.text


async def test_compact_format_is_one_line_of_linked_title_and_provider(running: Running) -> None:
    """`/set format compact` sends one line: the linked title and the provider."""
    follow(running.store, 1, ["AI"])
    await running.command(1, "/set format compact")
    publish(running, replace(ARTICLE, provider=Provider("Daily Planet")))
    await pushed(running, 1, 2)
    message = running.standin.messages_to(1)[-1]
    assert message.method == "sendMessage"
    assert message.text == "Robots fold laundry — Daily Planet"
    assert message.html is not None and f'<a href="{ARTICLE.url}">' in message.html
    assert message.params["link_preview_options"] == {"is_disabled": True}


async def test_silent_feed_gets_pushes_without_notification(running: Running) -> None:
    """`/set silent on` adds disable_notification to the push."""
    follow(running.store, 1, ["AI"])
    await running.command(1, "/set silent on")
    publish(running)
    await pushed(running, 1, 2)
    message = running.standin.messages_to(1)[-1]
    assert message.method == "sendPhoto"
    assert message.params["disable_notification"] in (True, "true", "True")


async def test_required_words_let_only_matching_articles_through(running: Running) -> None:
    """With a required word, an article mentioning none of them is not pushed."""
    follow(running.store, 1, ["AI"])
    reply = await running.command(1, "/filter require shirts")
    assert "shirts" in reply
    publish(running, replace(ARTICLE, url="https://news.example.com/b", excerpt="Socks only."))
    publish(running)  # mentions "shirts"
    await pushed(running, 1, 2)
    assert [m.method for m in running.standin.messages_to(1)] == ["sendMessage", "sendPhoto"]
    assert "Required words: shirts" in await running.command(1, "/subscriptions")
    assert await running.command(1, "/filter unrequire shirts") == "“shirts” is no longer required."


async def test_settings_shows_every_setting_and_a_button_edits_it_in_place(
    running: Running,
) -> None:
    """/settings lists each setting; a button changes it and edits that message."""
    reply = await running.command(1, "/settings")
    for line in ("Format: photo", "Silent: off", "Quiet hours: off", "Time zone: UTC"):
        assert line in reply
    assert "Digest: off" in reply and "Language: automatic" in reply
    running.standin.press(1, "cfg:format:compact")
    await running.standin.until(
        lambda: any(m == "editMessageText" for m, _ in running.standin.calls)
    )
    edited = [p for m, p in running.standin.calls if m == "editMessageText"][-1]
    assert "Format: compact" in edited["text"]
    labels = [b["text"] for row in edited["reply_markup"]["inline_keyboard"] for b in row]
    assert "✅ compact" in labels and "photo" in labels
    feed = running.store.feeds.ensure(1)
    assert running.store.settings.get(feed.id).format == "compact"


# six commands from one user, each after the last one's reply: at Telegram's pace, as a
# person types them; at the tests' faster pace the update guard would rightly slow them down
@pytest.mark.telegram_pace
async def test_set_stores_every_setting_and_settings_shows_it(running: Running) -> None:
    """Each /set text form is stored and shown by /settings."""
    for text, answer in [
        ("/set timezone europe/berlin", "Time zone is now Europe/Berlin."),
        ("/set quiet 22:00-07:00", "Quiet hours is now 22:00-07:00."),
        ("/set digest daily 8:30", "Digest is now daily 08:30."),
        ("/set silent on", "Silent is now on."),
        ("/set language de", "Sprache: jetzt Deutsch."),  # answered in the new language
    ]:
        assert await running.command(1, text) == answer
    reply = await running.command(1, "/settings")
    for line in (
        "Zeitzone: Europe/Berlin",
        "Ruhezeiten: 22:00-07:00",
        "Zusammenfassung: täglich 08:30",
    ):
        assert line in reply
    assert "Sprache: Deutsch" in reply and "Lautlos: an" in reply


async def test_bad_settings_are_refused_with_the_reason(running: Running) -> None:
    """Unknown zones get close names; empty windows, bad digests and names a usage line."""
    reply = await running.command(1, "/set timezone Europe/Berln")
    assert "not a time zone" in reply and "Europe/Berlin" in reply
    reply = await running.command(1, "/set quiet 22:00-22:00")
    assert "different start and end" in reply
    assert "digest is off, hourly, or daily" in await running.command(1, "/set digest weekly")
    assert "language is one of" in await running.command(1, "/set language fr")
    assert (await running.command(1, "/set colour red")).startswith("Usage: /set format")
    feed = running.store.feeds.ensure(1)
    assert running.store.settings.get(feed.id).plain


async def test_group_members_who_are_not_admins_cannot_change_settings(running: Running) -> None:
    """In a group, /set and the buttons follow the /subscribe rule."""
    reply = await running.command(-50, "/set silent on", user_id=7, chat_type="group")
    assert "only this group's administrators" in reply
    running.standin.press(-50, "cfg:silent:on", user_id=7, chat_type="group")
    await running.standin.until(
        lambda: any(m == "answerCallbackQuery" for m, _ in running.standin.calls)
    )
    feed = running.store.feeds.ensure(-50)
    assert not running.store.settings.get(feed.id).silent


async def test_top_lists_recent_articles_hottest_first(running: Running) -> None:
    """/top orders the last day's articles by heat and leaves older ones out."""
    now = datetime.now(UTC)
    for slug, heat, age in [("warm", 10, 1), ("hot", 90, 2), ("cold", None, 3), ("old", 99, 30)]:
        article = replace(
            ARTICLE,
            url=f"https://news.example.com/{slug}",
            title=f"{slug} story",
            heat=heat,
            published_at=now - timedelta(hours=age),
        )
        publish(running, article, queue=False)
    reply = await running.command(1, "/top")
    assert [line.split(". ", 1)[1].split(" — ")[0] for line in reply.splitlines()[1:]] == [
        "hot story",
        "warm story",
        "cold story",
    ]
    assert "old story" in await running.command(1, "/top 48")
    assert (await running.command(1, "/top 0")).startswith("Usage: /top")


async def test_settings_change_releases_held_pushes_to_be_decided_again(running: Running) -> None:
    """Turning quiet hours off sends what they held."""
    follow(running.store, 1, ["AI"])
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    await running.command(1, f"/set quiet {start:%H:%M}-{end:%H:%M}")
    publish(running)
    await eventually(
        lambda: (
            running.store.db.execute(
                "SELECT COUNT(*) FROM deliveries WHERE state = 'held'"
            ).fetchone()[0]
            == 1
        )
    )
    await running.command(1, "/set quiet off")
    await pushed(running, 1, 3)
    assert running.standin.messages_to(1)[-1].method == "sendPhoto"


async def test_a_channel_admin_changes_its_settings_from_a_private_chat(running: Running) -> None:
    """/settings @channel shows the channel's settings; its buttons and /set @channel
    change the channel's feed, not the private chat's."""
    running.standin.add_chat(-1009, "channel", username="robonews", creator=70)
    reply = await running.command(70, "/settings @robonews")
    assert reply.startswith("Settings of @robonews") and "Format: photo" in reply
    data = [
        b["callback_data"]
        for row in running.standin.messages_to(70)[-1].params["reply_markup"]["inline_keyboard"]
        for b in row
    ]
    compact = next(d for d in data if d.endswith("cfg:format:compact"))
    assert compact.startswith(">-1009.0|")
    running.standin.press(70, compact)
    channel = running.store.feeds.ensure(-1009)
    await eventually(lambda: running.store.settings.get(channel.id).format == "compact")
    assert await running.command(70, "/set @robonews silent on") == "Silent is now on."
    assert running.store.settings.get(channel.id).silent
    own = running.store.feeds.find(70)
    assert own is None or running.store.settings.get(own.id).plain
