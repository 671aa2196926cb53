"""What storing an article file does to the outbox: the product's rule, run in the
transaction that stored the file.

- An article that became visible is queued for the feeds that follow it, and what its
  sent retractions did is undone (a deleted message pushed again, a notice edited back);
  its retractions not sent yet are dropped either way.
- One withdrawn (unpublished, its file gone, or its file naming another webUrl now) has
  its waiting pushes, edits and retractions cancelled, and each sent message retracted
  (`retractions`).
- One still visible whose shown fields changed gets an edit of each sent message (`edits`).

Without `queue` (the first start's baseline, `newsbot ingest`) nothing is queued and
nothing restored, retracted or edited: importing a folder of old files floods no one.
Only the withdrawal's cancellations happen always, and a file gone or moved on is
retracted always, as before this rule left storage.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from storage import Article, Store
from storage.rows import ArticleRow
from storage.store import Change, FileState


@dataclass(frozen=True, slots=True)
class Publishing:
    """The rule, with the operator's switches: edit sent messages of an edited article
    (NEWSBOT_FOLLOW_EDITS), retract those of a withdrawn one (NEWSBOT_RETRACT)."""

    edits: bool = False
    retractions: bool = False

    def store_article(
        self,
        store: Store,
        path: str,
        state: FileState,
        article: Article,
        *,
        queue: bool,
        data_json: str | None = None,
    ) -> Change:
        """Store a parsed file (`Files.store_article`) and follow the rule, in one
        transaction."""
        with store.db.atomic():
            change = store.files.store_article(path, state, article, data_json=data_json)
            return self.follow(store, change, lambda: article, queue=queue)

    def store_articles(
        self, store: Store, items: Sequence[tuple[str, FileState, ArticleRow]], *, queue: bool
    ) -> list[Change]:
        """`store_article` for many files at once (`Files.store_articles`), in order."""
        with store.db.atomic():
            stored = store.files.store_articles(items)
            return [
                self.follow(store, change, row.article, queue=queue)
                for (_, _, row), change in zip(items, stored, strict=True)
            ]

    def remove_file(self, store: Store, path: str) -> tuple[Change, list[str]]:
        """Forget a vanished file (`Files.remove_file`) and withdraw its article."""
        with store.db.atomic():
            change, others = store.files.remove_file(path)
            return self.follow(store, change, None, queue=True), others

    def follow(
        self,
        store: Store,
        change: Change,
        article: Callable[[], Article] | None,
        *,
        queue: bool,
    ) -> Change:
        """`change` (just stored, in the open transaction) with what the rule queued or
        cancelled for it; `article` gives the article stored (None for a removal), read
        only when the rule needs it."""
        now = time.time()
        queued = cancelled = followups = 0
        if change.hidden is not None:  # a file gone or naming another webUrl now
            cancelled += store.outbox.cancel_article(change.hidden, now)
            followups += self._retract(store, change.hidden, now)
        article_id = change.article_id
        if article_id is None or article is None:
            return _counted(change, 0, cancelled, followups)
        if change.kind in ("new", "published") and change.visible:
            queued = store.queueing.queue_push(article_id, article(), now) if queue else 0
            if change.kind == "published":  # its retracted messages come back
                followups += store.followups.on_republished(article_id, now, restore=queue)
        elif change.kind == "unpublished":
            cancelled += store.outbox.cancel_article(article_id, now)
            followups += self._retract(store, article_id, now) if queue else 0
        elif change.kind == "edited" and change.visible and queue and self.edits:
            assert change.before is not None
            followups += store.followups.on_edited(article_id, change.before, article(), now)
        return _counted(change, queued, cancelled, followups)

    def _retract(self, store: Store, article_id: int, now: float) -> int:
        return store.followups.on_withdrawn(article_id, now) if self.retractions else 0


def _counted(change: Change, queued: int, cancelled: int, followups: int) -> Change:
    """`change` with what the rule did; the data before an edit was the rule's alone (a
    scan's batch does not carry it on), and a change the rule left alone is returned as
    it is (a bulk import's 100,000 new drafts)."""
    if not (queued or cancelled or followups or change.before is not None):
        return change
    return replace(change, queued=queued, cancelled=cancelled, followups=followups, before=None)


# pushes queued, sent messages neither edited nor retracted: `newsbot ingest`, `run
# --dry-run`, and whoever was not given the operator's switches
WITHOUT_FOLLOWING = Publishing()
