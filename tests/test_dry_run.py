"""`newsbot run --dry-run` tells the truth: /metrics counts what it stored and refused, and
each printed push says how many chats would get it."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

from storage import open_store
from tests.articles import write_article
from tests.feeds import follow
from tests.processes import BASELINE_TAKEN, free_port, start_dry_run, until


def metric(port: int, name: str) -> float:
    """One sample of /metrics (0 while it is not exported yet)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
        text = answer.read().decode()
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(found[1]) if found else 0.0


def test_dry_run_counts_stored_and_refused_files_in_metrics(tmp_path: Path) -> None:
    """Files stored and refused during a dry run are in /metrics, as in a live run."""
    articles = tmp_path / "articles"
    articles.mkdir()
    port = free_port()
    process, out = start_dry_run(tmp_path, articles, NEWSBOT_METRICS_PORT=str(port))
    try:
        until(lambda: BASELINE_TAKEN in out.read_text())
        write_article(articles / "fresh.txt")
        (articles / "bad.txt").write_text("---\ntitle: no link\n---\n")
        ingested = 'newsbot_articles_ingested_total{change="new"}'
        until(
            lambda: metric(port, ingested) == 1 and metric(port, "newsbot_ingest_errors_total") == 1
        )
    finally:
        process.terminate()
        assert process.wait(15) == 0


def test_each_printed_push_says_how_many_chats_would_get_it(tmp_path: Path) -> None:
    """Two chats follow AI: its push would go to 2 chats; nobody follows Space: it says so."""
    articles = tmp_path / "articles"
    articles.mkdir()
    store = open_store(tmp_path / "dry.db")
    follow(store, 5, ["AI"])
    follow(store, 6, ["ai"])
    store.close()
    process, out = start_dry_run(tmp_path, articles)
    try:
        until(lambda: BASELINE_TAKEN in out.read_text())
        write_article(articles / "robots.txt", topics=["AI"])
        write_article(
            articles / "moon.txt", webUrl="https://news.example.com/moon", topics=["Space"]
        )
        until(lambda: out.read_text().count("--- push of") == 2)
    finally:
        process.terminate()
        assert process.wait(15) == 0
    printed = out.read_text()
    assert "--- push of robots.txt: would go to 2 chats\n" in printed
    assert "--- push of moon.txt: no chat follows these topics yet\n" in printed
