"""`newsbot ingest`: a one-shot import of a folder into the database, no pushes queued,
with a progress bar on a terminal and a summary at the end."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from bot.articles.reconcile import Reconciliation
from bot.foundation.config import Config
from bot.foundation.errors import ConfigError
from storage import open_store


def ingest_command(config: Config, folder: Path, out: TextIO | None = None) -> int:
    """Import a folder once, without queueing any push; print a summary.

    The duplicates and errors are the files bad now, read in this pass or an earlier
    one: a rerun over unchanged bad files still reports them.
    """
    from bot.wiring import build_ingestor  # here: Telegram's library loads only when needed

    out = out or sys.stdout
    if not folder.is_dir():
        raise ConfigError(f"not a folder: {folder}")
    refuse_another_folder(config, folder)
    store = open_store(config.db_path)
    try:
        ingestor = build_ingestor(config, store, folder)
        started = time.perf_counter()
        reconciliation = Reconciliation(ingestor, queue=False, parallel=True)
        found = reconciliation.compare()
        reconciliation.remove_gone()
        outcome: Counter[str] = Counter()
        progress = Progress(len(reconciliation.to_read), sys.stderr)
        done = 0
        with reconciliation.storing():
            while (batch := reconciliation.read_next()) is not None:
                outcome.update(change.kind for change in reconciliation.store(batch))
                outcome["draft"] += sum(
                    1
                    for loaded in batch
                    if loaded.error is None and loaded.row is not None and not loaded.row.published
                )
                done += len(batch)
                progress.update(done)
        progress.done()
        elapsed = time.perf_counter() - started
        bad = store.figures.ingest_errors(limit=None)
    finally:
        store.close()
    duplicates = sum(1 for error in bad if error.duplicate_of is not None)
    errors = Counter(error.reason.split(":")[0] for error in bad if error.duplicate_of is None)
    unchanged = outcome["unchanged"] + found.total - len(reconciliation.to_read)
    print(
        f"imported {outcome['new']}, updated "
        f"{outcome['edited'] + outcome['published'] + outcome['unpublished']}, "
        f"unchanged {unchanged}, drafts {outcome['draft']}, removed {len(found.gone)}, "
        f"duplicates {duplicates}, errors {errors.total()} "
        f"in {elapsed:.1f}s (no pushes queued)",
        file=out,
    )
    for reason, count in errors.most_common():
        print(f"  {count:6d}  {reason}", file=out)
    if bad:
        print("`newsbot errors` lists the files", file=out)
    return 0


def refuse_another_folder(config: Config, folder: Path) -> None:
    """ConfigError unless `folder` is the articles folder (by any name: relative, a link).

    The database keeps files by their names inside the articles folder: the files of
    another folder would take the place of its files, which `ingest` would forget (their
    articles hidden from every listing and search; `ingest` queues no retraction, so the
    chats keep their messages), and the next scan of `run` would forget the imported ones
    in turn."""
    try:
        same = os.path.samefile(folder, config.articles_dir)
    except OSError:  # NEWSBOT_ARTICLES_DIR is missing: no folder is it
        same = False
    if not same:
        raise ConfigError(
            f"`ingest` imports the articles folder, NEWSBOT_ARTICLES_DIR ({config.articles_dir}), "
            f"not {folder}: the next scan of `run` would forget the files of another folder; "
            f"to make it the articles folder, set NEWSBOT_ARTICLES_DIR={folder}"
        )


class _Bar(tqdm):  # type: ignore[type-arg]  # generic in the stubs only
    # no monitor thread: the bar is redrawn after every batch anyway, and the
    # monitor's thread would outlive the bar
    monitor_interval = 0


class Progress:
    """tqdm's bar on a terminal; a plain line per tenth otherwise (logs, pipes, CI)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.bar = (
            _Bar(total=total, file=stream, desc="ingest", unit=" files", dynamic_ncols=True)
            if total and stream.isatty()
            else None
        )
        self.last_tenth = 0

    def update(self, done: int) -> None:
        if not self.total:
            return
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
        elif 10 * done // self.total > self.last_tenth:
            self.last_tenth = 10 * done // self.total
            print(f"ingest: {done}/{self.total} files", file=self.stream)

    def done(self) -> None:
        if self.bar is not None:
            self.bar.close()
