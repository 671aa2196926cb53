"""Articles added and buttons read in a running bot, for the chat commands' tests."""

from __future__ import annotations

from dataclasses import replace

from storage import Article
from storage.store import FileState
from tests.conftest import Running
from tests.publishing import FOLLOWING

ARTICLE = Article(
    url="https://news.example.com/a",
    title="Robots fold laundry",
    excerpt="A robot folds shirts with care.",
    topics=("AI", "Robotics"),
    quality=70,
)


def add(
    running: Running, title: str, topics: tuple[str, ...] = ("AI",), *, published: bool = True
) -> None:
    slug = title.lower().replace(" ", "-")
    article = replace(
        ARTICLE,
        url=f"https://news.example.com/{slug}",
        title=title,
        topics=topics,
        published=published,
    )
    FOLLOWING.store_article(
        running.store, f"{slug}.txt", FileState(1, 1, slug), article, queue=False
    )


def buttons(running: Running, chat_id: int) -> list[tuple[str, str]]:
    message = running.standin.messages_to(chat_id)[-1]
    markup = message.params.get("reply_markup") or {}
    return [
        (b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row
    ]
