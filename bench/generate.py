"""Generate realistic article files in the sample's shape: `python -m bench.generate DIR N`.

Titles, excerpts, topics, images, related articles and providers vary in length and
content, with non-ASCII text and emoji; about 5% are drafts. The same seed gives the
same files.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from storage import Store

TIMESTAMP = re.compile(r"'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)'")
WORDS = (
    "robot learning model data privacy breach cloud chip quantum vision language "
    "startup funding market regulation energy battery climate satellite network "
    "security software hardware research university patent lawsuit release update "
    "café naïve Zürich São Paulo Москва 東京 데이터 🚀 🤖 📈"
).split()
TOPICS = [
    "AI", "Computer Vision", "Robotics", "Privacy", "Security", "Cloud", "Quantum",
    "Startups", "Climate", "Energy", "Space", "Chips", "Policy", "Health", "Finance",
    "Mobile", "Gaming", "Open Source", "Data", "Networks",
]  # fmt: skip
PROVIDERS = [("Mail Online", "dailymail.co.uk"), ("NBC News", "nbcnews.com"),
             ("Government Technology", "govtech.com"), ("Le Monde", "lemonde.fr"),
             ("Nikkei Asia", "asia.nikkei.com"), ("TechCrunch", "techcrunch.com")]  # fmt: skip


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize()


def article(rng: random.Random, index: int) -> dict[str, object]:
    provider = rng.choice(PROVIDERS)
    published = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 3_000_000))
    slug = f"article-{index}-{rng.getrandbits(32):08x}"
    data: dict[str, object] = {
        "category": "news",
        "title": sentence(rng, 5, 18),
        "excerpt": ". ".join(sentence(rng, 8, 25) for _ in range(rng.randint(1, 4))) + " ...",
        "publishedDateTime": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "webUrl": f"https://www.{provider[1]}/news/{slug}.html",
        "ampWebUrl": f"https://www.{provider[1]}/amp/{slug}.html",
        "cdnAmpWebUrl": f"https://cdn.ampproject.org/c/s/www.{provider[1]}/amp/{slug}.html",
        "type": "article",
        "quality": rng.randint(0, 100),
        "heat": rng.randint(-1, 500),
        "published": rng.random() > 0.05,
        "provider": {"name": provider[0], "domain": provider[1]},
        "topics": rng.sample(TOPICS, rng.randint(1, 4)),
        "images": [
            {
                "url": f"https://img.{provider[1]}/{slug}-{n}.jpg",
                "width": rng.choice([320, 636, 800, 1200, 1920]),
                "height": rng.choice([180, 382, 450, 630, 1080]),
                "title": sentence(rng, 3, 10),
            }
            for n in range(rng.randint(0, 3))
        ],
        "related": [
            {
                "title": sentence(rng, 4, 12),
                "excerpt": sentence(rng, 10, 30),
                "publishedDateTime": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "webUrl": f"https://www.{p[1]}/related/{slug}-{n}.html",
                "type": "article",
                "provider": {"name": p[0], "domain": p[1]},
                "quality": rng.randint(0, 100),
            }
            for n, p in enumerate(rng.choices(PROVIDERS, k=rng.randint(0, 3)))
        ],
        "secured": "".join(
            rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop0123456789+/", k=400)
        ),
    }
    return data


def article_file_text(rng: random.Random, index: int) -> str:
    text = yaml.safe_dump(article(rng, index), allow_unicode=True, sort_keys=False)
    # timestamps unquoted, as in the sample (YAML then reads them as timestamps)
    return "---\n" + TIMESTAMP.sub(r"\1", text) + "---\n"


def generate(folder: Path, count: int, seed: int = 7) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for index in range(count):
        (folder / f"{index:06d}.txt").write_text(article_file_text(rng, index), encoding="utf-8")


def add_chats(
    store: Store, chats: list[tuple[int, str]], topics: Callable[[int], list[str]]
) -> None:
    """Chats (id, type), each with its own feed following `topics(id)`, in one transaction."""
    now = time.time()
    with store.batch():
        store.db.conn.executemany(
            "INSERT INTO chats (id, type, created_at) VALUES (?, ?, ?)",
            [(chat, kind, now) for chat, kind in chats],
        )
        store.db.conn.executemany(
            "INSERT INTO feeds (chat_id, created_at) VALUES (?, ?)",
            [(chat, now) for chat, _ in chats],
        )
        feeds = dict(store.db.execute("SELECT chat_id, id FROM feeds"))
        store.db.conn.executemany(
            "INSERT INTO subscriptions (topic, feed_id) VALUES (?, ?)",
            [(topic, feeds[chat]) for chat, _ in chats for topic in topics(chat)],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("count", type=int)
    args = parser.parse_args()
    generate(args.folder, args.count)
    print(f"wrote {args.count} files to {args.folder}")


if __name__ == "__main__":
    main()
