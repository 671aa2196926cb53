"""Muted and required words: capped per feed, and matched with one pattern a feed that is
kept until the feed's words change."""

from __future__ import annotations

import pytest

from bot.chat.exports import ImportRefused, parse_import
from bot.chat.filters import MAX_FEED_WORDS
from storage import Store
from storage.words import FeedWords
from tests.conftest import Running
from tests.feeds import follow


def test_words_stand_whole_in_any_case_phrases_too(store: Store) -> None:
    """A feed's words match whole (words or phrases, any case), not inside other words."""
    one, two, three = (follow(store, chat, ["AI"]) for chat in (1, 2, 3))
    store.feeds.mute(one, "AI")
    store.feeds.mute(two, "Machine Learning")
    store.feeds.mute(two, "c++")
    store.feeds.mute(three, "robot")
    words = FeedWords(store.db, "mutes")
    assert words.found_in("new ai chips, said the c++ team") == {one: True, two: True, three: False}
    assert words.found_in("she said: machine learning!") == {one: False, two: True, three: False}
    assert words.found_in("robots") == {one: False, two: False, three: False}


def test_a_feeds_pattern_is_kept_until_its_words_change(store: Store) -> None:
    """Each feed's words are compiled once, and again only when they change; a feed whose
    words are gone is forgotten."""
    one, two = follow(store, 1, ["AI"]), follow(store, 2, ["AI"])
    store.feeds.mute(one, "crypto")
    store.feeds.mute(two, "gold")
    words = FeedWords(store.db, "mutes")
    words.found_in("a")
    first = {feed: words.pattern(feed) for feed in (one, two)}
    words.found_in("b")
    assert first[one] is not None and words.pattern(one) is first[one]
    store.feeds.mute(two, "silver")
    store.feeds.unmute(one, "crypto")
    assert words.found_in("silver coins") == {two: True}
    assert words.pattern(two) is not first[two] and words.pattern(one) is None


async def test_a_feed_mutes_and_requires_at_most_a_hundred_words(running: Running) -> None:
    """The 101st muted (or required) word is refused with the way out; a word already
    there may be given again."""
    feed = follow(running.store, 1, ["AI"])
    for number in range(MAX_FEED_WORDS):
        running.store.feeds.mute(feed, f"word{number}")
        running.store.settings.require(feed, f"word{number}")
    assert await running.command(1, "/filter mute one more") == (
        "This chat mutes 100 words already, the most it may: unmute one first "
        "(/subscriptions lists them)."
    )
    assert (await running.command(1, "/filter require more")).startswith(
        "This chat requires 100 words already"
    )
    assert "will not be pushed" in await running.command(1, "/filter mute Word7")
    feed_now = running.store.feeds.find(1)
    assert feed_now is not None and len(feed_now.muted) == MAX_FEED_WORDS
    assert len(running.store.settings.required(feed)) == MAX_FEED_WORDS


@pytest.mark.parametrize("key", ["mute", "require"])
def test_an_import_holds_at_most_a_hundred_words_of_each(key: str) -> None:
    """/import is capped as /filter is."""
    words = ", ".join(f"w{number}" for number in range(MAX_FEED_WORDS + 1))
    with pytest.raises(ImportRefused, match=f"filters.{key}: at most 100 words"):
        parse_import(f"filters: {{{key}: [{words}]}}\n")
    parse_import(f"filters: {{{key}: [{words.rsplit(', ', 1)[0]}]}}\n")
