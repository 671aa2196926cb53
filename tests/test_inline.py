"""Inline mode against the stand-in: `@bot words` in any chat answers with a page of the
matching visible articles, in the user's language; and the stand-in holds the bot to
answerInlineQuery's rules."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.chat.inline import CACHE_SECONDS, PAGE
from storage import Article, Image, Provider
from storage.store import FileState
from tests.conftest import Running
from tests.publishing import FOLLOWING
from tests.standin import TOKEN, StandIn
from tests.standin.inline import TOO_OLD, InlineQuery

FIRST = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BASE = Article(
    url="https://news.example.com/0",
    title="Robots fold laundry",
    excerpt="A robot folds shirts with care.",
    topics=("AI",),
    images=(Image("https://img.example.com/a.jpg", 800, 450),),
    provider=Provider("Daily Planet"),
    published_at=FIRST,
)


def store(running: Running, number: int, **fields: object) -> Article:
    """Store article `number` (newer as the number grows), without pushing it."""
    article = replace(
        BASE,
        url=f"https://news.example.com/{number}",
        published_at=FIRST + timedelta(minutes=number),
        **fields,  # type: ignore[arg-type]
    )
    slug = f"a{number}"
    FOLLOWING.store_article(
        running.store, f"{slug}.txt", FileState(1, 1, slug), article, queue=False
    )
    return article


async def answered(running: Running, asked: InlineQuery) -> InlineQuery:
    """Wait until the bot answered (or was refused on) that query."""
    await running.standin.until(lambda: asked.answer is not None or bool(asked.refusals))
    return asked


async def test_inline_query_offers_matching_articles_to_send(running: Running) -> None:
    """A query's results: title, provider and date, thumbnail, and the article as a text
    with its link previewed; other articles are not offered; the cache is short."""
    store(running, 1)
    store(running, 2, title="Markets fall", excerpt="Stocks drop.")
    asked = await answered(running, running.standin.inline(5, "laundry"))
    [result] = asked.results
    assert result["title"] == "Robots fold laundry"
    assert result["description"] == "Daily Planet · 1 Dec 2026"
    assert result["thumbnail_url"] == "https://img.example.com/a.jpg"
    content = result["input_message_content"]
    assert content["parse_mode"] == "HTML"
    assert 'href="https://news.example.com/1"' in content["message_text"]
    assert "A robot folds shirts with care." in content["message_text"]
    assert content["link_preview_options"] == {"url": "https://news.example.com/1"}
    assert asked.answer is not None and int(asked.answer["cache_time"]) == CACHE_SECONDS


async def test_withdrawn_articles_are_never_offered(running: Running) -> None:
    """An unpublished article is not among the results, by query or among the newest."""
    store(running, 1)
    store(running, 2, published=False)
    by_words = await answered(running, running.standin.inline(5, "robots"))
    newest = await answered(running, running.standin.inline(6, ""))
    for asked in (by_words, newest):
        assert [r["input_message_content"]["message_text"] for r in asked.results] == [
            r["input_message_content"]["message_text"] for r in by_words.results
        ]
        assert [r["id"] for r in asked.results] == [r["id"] for r in by_words.results]
        assert len(asked.results) == 1


async def test_empty_query_pages_through_the_newest(running: Running) -> None:
    """An empty query offers the newest first, 20 a page; next_offset asks for the rest."""
    for number in range(1, PAGE + 6):
        store(running, number, title=f"Story {number}")
    first = await answered(running, running.standin.inline(5, ""))
    assert [r["title"] for r in first.results] == [f"Story {n}" for n in range(25, 5, -1)]
    assert first.answer is not None and first.answer["next_offset"] == str(PAGE)
    second = await answered(running, running.standin.inline(5, "", offset=str(PAGE)))
    assert [r["title"] for r in second.results] == [f"Story {n}" for n in range(5, 0, -1)]
    assert second.answer is not None and not second.answer.get("next_offset")


@pytest.mark.parametrize(
    "query", ['"robots', "robot*", "NEAR(robots laundry)", "robots\x00laundry", "a OR b AND"]
)
async def test_any_characters_in_a_query_are_text_to_find(running: Running, query: str) -> None:
    """Quotes, `*`, FTS operators and NUL are words to look for: an answer, never an error."""
    store(running, 1)
    asked = await answered(running, running.standin.inline(5, query))
    assert asked.answer is not None and asked.refusals == []
    if "\x00" in query:
        assert len(asked.results) == 1  # NUL separates words, like a space


async def test_nothing_found_says_so_in_the_users_language(running: Running) -> None:
    """No match: no results, and a button in the user's Telegram language (German)."""
    store(running, 1)
    asked = await answered(running, running.standin.inline(5, "zebra", language_code="de"))
    assert asked.results == [] and asked.answer is not None
    assert asked.answer["button"]["text"] == "Keine Artikel passen zu „zebra“"
    assert asked.answer["button"]["start_parameter"] == "inline"


async def test_a_query_telegram_forgot_is_logged_not_an_error(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """Answered after Telegram gave up on the query: one info line, no error."""
    store(running, 1)
    asked = running.standin.inline(5, "robots")
    running.standin.age_query(asked.id, 60)
    await answered(running, asked)
    assert asked.refusals == [TOO_OLD]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def answer(standin: StandIn, asked: InlineQuery, **fields: object) -> httpx.Response:
    """answerInlineQuery as a bot sends it (results as JSON in the form)."""
    data = {"inline_query_id": asked.id, **fields}
    form = {k: json.dumps(v) if isinstance(v, list | dict) else str(v) for k, v in data.items()}
    return httpx.post(f"{standin.base_url}{TOKEN}/answerInlineQuery", data=form)


def article_result(result_id: str, text: str = "hello") -> dict[str, object]:
    return {
        "type": "article",
        "id": result_id,
        "title": "t",
        "input_message_content": {"message_text": text},
    }


@pytest.mark.parametrize(
    ("results", "extra", "description"),
    [
        ([article_result(str(n)) for n in range(51)], {}, "RESULTS_TOO_MUCH"),
        ([article_result("1"), article_result("1")], {}, "RESULT_ID_DUPLICATE"),
        ([article_result("x" * 65)], {}, "RESULT_ID_INVALID"),
        ([article_result("")], {}, "RESULT_ID_INVALID"),
        ([{**article_result("1"), "title": ""}], {}, "RESULT_TITLE_EMPTY"),
        ([article_result("1", "x" * 4097)], {}, "message is too long"),
        ([{**article_result("1"), "input_message_content": {
            "message_text": "<b>bold", "parse_mode": "HTML"}}], {}, "can't parse entities"),
        ([article_result("1")], {"next_offset": "9" * 65}, "NEXT_OFFSET_INVALID"),
    ],
)  # fmt: skip
def test_standin_refuses_answers_that_break_telegrams_rules(
    standin: StandIn, results: list[object], extra: dict[str, object], description: str
) -> None:
    """At most 50 results, unique ids of 1-64 bytes, a title, a text that fits and parses,
    a next_offset of at most 64 bytes: else a 400 naming what is wrong."""
    asked = standin.inline(5, "q")
    reply = answer(standin, asked, results=results, **extra)
    assert reply.status_code == 400 and description in reply.json()["description"]
    assert answer(standin, asked, results=[article_result("1")]).status_code == 200


def test_standin_takes_one_answer_in_time(standin: StandIn) -> None:
    """A second answer, or one after the query is forgotten, is 'query is too old'."""
    asked = standin.inline(5, "q")
    assert answer(standin, asked, results=[article_result("1")]).status_code == 200
    again = answer(standin, asked, results=[article_result("1")])
    assert again.status_code == 400 and again.json()["description"] == TOO_OLD
    late = standin.inline(5, "q")
    standin.age_query(late.id, 11)
    assert answer(standin, late, results=[]).json()["description"] == TOO_OLD


async def test_an_edited_article_is_offered_as_it_is_now(running: Running) -> None:
    """Results are kept between queries, but an article edited since is shown anew."""
    store(running, 1)
    first = await answered(running, running.standin.inline(5, "robots"))
    assert [r["title"] for r in first.results] == ["Robots fold laundry"]
    store(running, 1, title="Robots fold laundry faster")
    again = await answered(running, running.standin.inline(5, "robots"))
    assert [r["title"] for r in again.results] == ["Robots fold laundry faster"]


async def test_a_flood_of_inline_queries_is_slowed_down(running: Running) -> None:
    """Inline queries count against the sender's flood allowance like commands."""
    store(running, 1)
    # an inline query costs a quarter of a command: 40 at once are past any allowance
    queries = [running.standin.inline(5, f"robots {n}") for n in range(40)]
    await running.standin.until(lambda: sum(q.answer is not None for q in queries) >= 5, timeout=10)
    other = await answered(running, running.standin.inline(6, "robots"))
    assert other.answer is not None  # another user is not slowed down
    assert sum(q.answer is not None for q in queries) < len(queries)
