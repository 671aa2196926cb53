"""`newsbot run --dry-run`: the whole file side, with pushes printed instead of sent."""

from __future__ import annotations

import asyncio
import logging
import sys

from bot.articles.reading import printable
from bot.delivery.rendering import render_push
from bot.foundation.config import Config
from bot.foundation.health import HealthServer
from bot.foundation.metrics import Metrics
from bot.wiring import build_watcher, count_change
from storage import Store
from storage.store import Change

log = logging.getLogger(__name__)


async def run_dry(config: Config, store: Store, stop: asyncio.Event) -> None:
    """Watch and store as `run` does; print each article that would be pushed."""

    def show(change: Change) -> None:
        count_change(metrics, change)
        if change.kind not in ("new", "published") or change.article_id is None:
            return
        if watcher.in_baseline:  # the first start's files are the baseline: never pushed
            return
        stored = store.listing.article(change.article_id)
        if stored is None or not stored.visible:
            return
        push = render_push(stored.article)
        photo = f"[photo: {push.photo_url}]\n" if push.photo_url else ""
        reach = describe_audience(*store.queueing.audience(change.article_id, stored.article))
        shown = f"--- push of {printable(stored.path)}: {reach}\n{photo}{push.html}\n"
        print(shown, file=sys.stdout, flush=True)

    # the live bot's watcher, storing as it does
    metrics = Metrics()
    watcher = build_watcher(config, store, on_change=show, metrics=metrics, queue_pushes=False)
    health = None
    if config.metrics_port is not None:
        health = HealthServer(
            metrics, watcher.problems, lambda: None, config.metrics_host, config.metrics_port
        )
        await health.start()
    log.info("dry run: watching %s; pushes are printed, not sent", config.articles_dir)
    task = asyncio.create_task(watcher.run())
    try:
        await stop.wait()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if health is not None:
            await health.stop()


def describe_audience(feeds: int, chats: int) -> str:
    """Who a printed push would reach: `would go to 2 chats`, or that nobody follows it."""
    if feeds == 0:
        return "no chat follows these topics yet"
    if feeds == chats:
        return f"would go to {chats} chat{'s' * (chats != 1)}"
    # forum topics subscribed on their own: a push to each
    return f"would go to {feeds} feeds in {chats} chat{'s' * (chats != 1)}"
