"""Pushes and listings: escaped HTML that Telegram accepts, within its length limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.articles.parsing import parse_article_bytes
from bot.delivery import rendering
from bot.delivery.rendering import (
    CAPTION_LIMIT,
    MIN_EXCERPT,
    TEXT_LIMIT,
    Push,
    best_image,
    render_listing,
    render_push,
)
from storage.models import Article, Image, Provider, Related, StoredArticle
from tests.articles import SAMPLE
from tests.telegram_html import utf16_len, visible_text

BASE = Article(
    url="https://news.example.com/a?x=1&y=2",
    title="Title",
    excerpt="Excerpt.",
    published_at=datetime(2026, 11, 20, tzinfo=UTC),
    topics=("AI", "Computer Vision"),
    images=(Image("https://img.example.com/a.jpg", 800, 450),),
    provider=Provider("Example News"),
    related=tuple(Related(f"Related {i}", f"https://r.example.com/{i}", "R") for i in range(5)),
)


def test_sample_push_has_every_part() -> None:
    """Photo, linked title, provider, date, excerpt, hashtags and related links."""
    article = replace(parse_article_bytes(SAMPLE.read_bytes()), published=True)
    push = render_push(article)
    assert (
        push.photo_url
        == "https://i.dailymail.co.uk/1s/2020/02/26/17/25231514-0-image-a-6_1582738618084.jpg"
    )
    assert push.html.startswith(f'<b><a href="{article.url}">Facial recognition')
    assert "<i>Mail Online</i> · 26 Feb 2020" in push.html
    assert "#AI #ComputerVision" in push.html
    assert push.html.count("• <a href=") == 2
    assert utf16_len(visible_text(push.html)) <= CAPTION_LIMIT


def test_article_text_is_escaped() -> None:
    """Markup characters in titles, excerpts and URLs never become markup."""
    article = replace(
        BASE,
        title="<b>Bold</b> & <script>",
        excerpt="1 < 2 && 3 > 2 <br>",
        provider=Provider("A&B <News>"),
    )
    push = render_push(article)
    text = visible_text(push.html)  # raises where Telegram would refuse the HTML
    assert "<b>Bold</b> & <script>" in text
    assert "1 < 2 && 3 > 2 <br>" in text
    assert 'href="https://news.example.com/a?x=1&amp;y=2"' in push.html


def test_at_most_three_related_links() -> None:
    assert render_push(BASE).html.count("https://r.example.com/") == 3


def test_long_excerpt_is_trimmed_at_a_sentence() -> None:
    """An excerpt too long for a caption ends at a sentence boundary, inside the limit."""
    sentence = "The quick brown fox jumps over the lazy dog. "
    push = render_push(replace(BASE, excerpt=sentence * 100))
    text = visible_text(push.html)
    assert utf16_len(text) <= CAPTION_LIMIT
    assert "lazy dog.\n\n#AI" in text


def test_long_word_run_is_trimmed_at_a_word_with_ellipsis() -> None:
    push = render_push(replace(BASE, excerpt="word " * 2000, images=()))
    text = visible_text(push.html)
    assert utf16_len(text) <= TEXT_LIMIT
    assert "word word…" in text


def test_article_without_image_is_a_text_push() -> None:
    push = render_push(replace(BASE, images=()))
    assert push.photo_url is None


def test_best_image_is_the_largest_usable_one() -> None:
    images = (
        Image("https://img.example.com/small.jpg", 100, 100),
        Image("https://img.example.com/huge.jpg", 9000, 9000),  # w + h over 10000
        Image("https://img.example.com/strip.jpg", 5000, 10),  # absurd aspect ratio
        Image("ftp://img.example.com/ftp.jpg", 1000, 1000),
        Image("https://img.example.com/big.jpg", 1200, 630),
    )
    chosen = best_image(images)
    assert chosen is not None and chosen.url.endswith("big.jpg")


def test_hashtags_drop_punctuation_and_join_words() -> None:
    push = render_push(replace(BASE, topics=("C++ & Rust", "self-driving cars", "2026")))
    assert "#CRust #SelfDrivingCars" in push.html
    assert "#2026" not in push.html


def test_listing_shows_linked_title_provider_and_date() -> None:
    stored = StoredArticle(1, BASE, "a.txt", True, 0.0)
    html = render_listing([stored], "Latest")
    assert '1. <a href="https://news.example.com/a?x=1&amp;y=2">Title</a>' in html
    assert "Example News · 20 Nov 2026" in html
    visible_text(html)


def test_listing_stays_within_a_message() -> None:
    long = replace(BASE, title="T" * 3000)
    html = render_listing([StoredArticle(i, long, "a", True, 0.0) for i in range(20)], "Latest")
    assert utf16_len(visible_text(html)) <= TEXT_LIMIT


nasty_text = st.lists(
    st.one_of(
        st.sampled_from(list("<>&\"' \n\t.!?…")),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
        st.sampled_from(["😀", "👨‍👩‍👧", "𝕏", "&amp;", "<b>", "</a>", "word "]),
    ),
    max_size=1500,
).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=nasty_text.filter(lambda t: t.strip()), excerpt=nasty_text, with_image=st.booleans())
def test_every_rendering_is_valid_telegram_html_within_the_limit(
    title: str, excerpt: str, with_image: bool
) -> None:
    """Whatever the title and excerpt, Telegram would parse the push and accept its length."""
    article = replace(BASE, title=title, excerpt=excerpt)
    push = render_push(article, with_image=with_image)
    limit = CAPTION_LIMIT if push.photo_url else TEXT_LIMIT
    text = visible_text(push.html)
    assert 0 < utf16_len(text) <= limit


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(titles=st.lists(nasty_text.filter(lambda t: t.strip()), min_size=1, max_size=20))
def test_every_listing_is_valid_telegram_html(titles: list[str]) -> None:
    items = [StoredArticle(i, replace(BASE, title=t), "a", True, 0.0) for i, t in enumerate(titles)]
    assert utf16_len(visible_text(render_listing(items, "Found for “<x>”"))) <= TEXT_LIMIT


def test_huge_emoji_title_and_markup_excerpt_still_fit() -> None:
    """Emoji count double in UTF-16; markup characters grow when escaped: both still fit."""
    article = replace(BASE, title="😀" * 5000, excerpt="<&>" * 5000)
    for with_image in (True, False):
        push = render_push(article, with_image=with_image)
        limit = CAPTION_LIMIT if push.photo_url else TEXT_LIMIT
        assert utf16_len(visible_text(push.html)) <= limit


def test_hashtags_are_fitted_in_one_pass_however_many_topics() -> None:
    """Dropping one hashtag at a time and composing the message again made 5,000 topics
    a second per render: the message is composed a few times, for 5,000 topics as for 100, and
    keeps the most hashtags that leave the excerpt its room, in the topics' order."""
    composed = 0
    compose = rendering._compose

    def counting(*args: Any) -> str:
        nonlocal composed
        composed += 1
        return compose(*args)

    counts = {}
    for topics in (100, 5000):
        article = replace(
            BASE, excerpt="Words. " * 200, topics=tuple(f"Topic{i}" for i in range(topics))
        )
        composed = 0
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(rendering, "_compose", counting)
            push = render_push(article)
        counts[topics] = composed
        tags = [word for word in visible_text(push.html).split() if word.startswith("#")]
        assert tags == [f"#Topic{i}" for i in range(len(tags))] and tags
        assert push.tags_left_out == topics - len(tags)
        assert visible_len_of(push) <= CAPTION_LIMIT
        if len(tags) == topics:
            continue  # all fit (the related links made room)
        kept = replace(article, topics=article.topics[: len(tags)], excerpt=None)
        crowded = visible_len_of(render_push(kept)) + len(f" #Topic{len(tags)}")
        assert CAPTION_LIMIT - crowded - 2 < MIN_EXCERPT  # one more would crowd the excerpt
    # once, once more per related link shed (3), and once each for hashtags, title, result
    assert max(counts.values()) <= 7


def visible_len_of(push: Push) -> int:
    return utf16_len(visible_text(push.html))
