"""Messages follow their article: edits and retractions of sent pushes, as outbox rows.

An article edited after it was pushed gets one 'edit' row per sent push message; one
unpublished or deleted gets one 'retract' row per message. Each row names the push row
it acts on (`target_id`) and is sent by the same sender, pacer and window as pushes.
Edits are coalesced: an edit waits `EDIT_INTERVAL` seconds after the change that made it
(and after the message's previous edit), and later changes ride on the waiting row (a
message has at most one waiting row; one more may be queued while one is in flight),
which is rendered only when it goes, so a message gets at most one edit a minute and
always the latest version. A push on the wire when its article changes or goes is
followed too, in the transaction of the change: its row waits until the push is settled,
then acts on its message (or ends, when none came of it). Only pushes are followed:
broadcasts and digests never are.

A sent retraction is recorded on its push (`withdrawn`): 'deleted' (the message is gone,
its id forgotten) or 'notice' (the message shows the withdrawn notice). An article
published again restores both: a deleted push is pending again, a fresh push of the
same row, and a notice gets an edit back to the article; each at most once, since the
restoration clears `withdrawn`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlite_utils import Database

from storage.models import Article, article_from_json
from storage.outbox import OPEN, PENDING, SENDING, SENT, Outbox

EDIT_INTERVAL = 60.0
FOLLOW_KINDS = ("edit", "retract")
DELETED, NOTICE = "deleted", "notice"  # what a sent retraction left (`withdrawn`)
# pushes whose message an edit or a retraction acts on: sent with a message, or on the
# wire now (the row waits until the push is settled, then finds its message or ends)
MESSAGED = f"(d.state = '{SENT}' AND d.message_id IS NOT NULL OR d.state = '{SENDING}')"


@dataclass(frozen=True, slots=True)
class Shown:
    """What a sent push shows: a photo with an HTML caption, or a text (html None: plain;
    `compact`: the one-line look, without a link preview; `preview`: the link previewed
    large above the text, in the `preview` look)."""

    as_photo: bool
    photo: str | None
    html: str | None
    compact: bool = False
    preview: str | None = None


@dataclass(frozen=True, slots=True)
class FollowTarget:
    """The sent push an edit or retraction acts on."""

    push_id: int
    message_id: int
    sent_at: float
    shown: Shown | None


class Followups:
    """Queues edits and retractions of sent pushes (when, is the bot's rule:
    `bot.articles.publishing`)."""

    def __init__(self, db: Database, outbox: Outbox) -> None:
        self.db = db
        self.outbox = outbox

    def on_edited(self, article_id: int, before_json: str, after: Article, now: float) -> int:
        """An article still visible changed: queue edits when something its push shows did."""
        if not shows_differently(article_from_json(before_json), after):
            return 0
        cursor = self.db.execute(
            f"""
            INSERT INTO deliveries (kind, article_id, feed_id, target_id, state, not_before,
                                    created_at, updated_at)
            SELECT 'edit', d.article_id, d.feed_id, d.id, '{PENDING}',
                   MAX(:now, COALESCE((SELECT MAX(e.updated_at) FROM deliveries e
                                       WHERE e.target_id = d.id AND e.kind = 'edit'
                                         AND e.state = '{SENT}'), 0)) + :interval,
                   :now, :now
            FROM deliveries d
            WHERE d.article_id = :article AND d.kind = 'push' AND {MESSAGED}
              AND NOT EXISTS (SELECT 1 FROM deliveries w WHERE w.target_id = d.id
                              AND w.state = '{PENDING}')
            """,  # noqa: S608 (MESSAGED and the states are constants)
            {"article": article_id, "now": now, "interval": EDIT_INTERVAL},
        )
        return cursor.rowcount

    def on_withdrawn(self, article_id: int, now: float) -> int:
        """An article was unpublished or deleted: retract every message of it.

        Its pending pushes and edits were cancelled by the caller (`Outbox.cancel_article`).
        """
        cursor = self.db.execute(
            f"""
            INSERT INTO deliveries (kind, article_id, feed_id, target_id, state, created_at,
                                    updated_at)
            SELECT 'retract', d.article_id, d.feed_id, d.id, '{PENDING}', :now, :now
            FROM deliveries d
            WHERE d.article_id = :article AND d.kind = 'push' AND {MESSAGED}
              AND d.withdrawn IS NULL
              AND NOT EXISTS (SELECT 1 FROM deliveries r WHERE r.target_id = d.id
                              AND r.kind = 'retract' AND r.state IN {OPEN})
            """,  # noqa: S608 (MESSAGED and the states are constants)
            {"article": article_id, "now": now},
        )
        return cursor.rowcount

    def on_republished(self, article_id: int, now: float, *, restore: bool) -> int:
        """Visible again: retractions not sent need not go; with `restore`, what the sent
        ones did is undone. How many rows were queued."""
        self.outbox.cancel_retractions(article_id, now)
        return self._restore(article_id, None, now) if restore else 0

    def record_withdrawn(self, push_id: int, left: str, now: float) -> None:
        """A retraction of the push went and left its message `DELETED` or a `NOTICE`
        (in the transaction that marks the retraction sent)."""
        self.db.execute(
            "UPDATE deliveries SET withdrawn = ?, "
            "message_id = CASE WHEN ? = 'deleted' THEN NULL ELSE message_id END WHERE id = ?",
            [left, left, push_id],
        )
        row = self.db.execute(
            "SELECT a.id FROM deliveries d JOIN articles a ON a.id = d.article_id "
            "WHERE d.id = ? AND a.visible = 1",
            [push_id],
        ).fetchone()
        if row is not None:  # published again while the retraction was on the wire
            self._restore(row[0], push_id, now)

    def _restore(self, article_id: int, push_id: int | None, now: float) -> int:
        """Undo the sent retractions of an article visible again (of one push, or all):
        a notice is edited back to the article, a deleted message is pushed afresh (to
        an active chat). How many rows were queued."""
        withdrawn = self.db.execute(
            "SELECT id, withdrawn FROM deliveries WHERE article_id = ? AND kind = 'push' "  # noqa: S608
            f"AND state = '{SENT}' AND withdrawn IS NOT NULL AND (? IS NULL OR id = ?)",
            [article_id, push_id, push_id],
        ).fetchall()
        notices = json.dumps([push for push, left in withdrawn if left == NOTICE])
        edits = self.db.execute(
            f"""
            INSERT INTO deliveries (kind, article_id, feed_id, target_id, state, not_before,
                                    created_at, updated_at)
            SELECT 'edit', d.article_id, d.feed_id, d.id, '{PENDING}',
                   MAX(:now, COALESCE((SELECT MAX(e.updated_at) + :gap FROM deliveries e
                                       WHERE e.target_id = d.id AND e.state = '{SENT}'), 0)),
                   :now, :now
            FROM deliveries d WHERE d.id IN (SELECT value FROM json_each(:notices))
            """,  # noqa: S608 (the states are constants)
            {"now": now, "gap": EDIT_INTERVAL, "notices": notices},
        ).rowcount
        pushes = self.outbox.repush([push for push, left in withdrawn if left == DELETED], now)
        self.db.execute(
            "UPDATE deliveries SET withdrawn = NULL WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps([push for push, _ in withdrawn])],
        )
        return edits + pushes

    def target(self, push_id: int) -> FollowTarget | None:
        """The sent push row `push_id`, or None when it has no message (any more)."""
        row = self.db.execute(
            "SELECT id, message_id, updated_at, shown FROM deliveries "  # noqa: S608 (a state)
            f"WHERE id = ? AND kind = 'push' AND state = '{SENT}' AND message_id IS NOT NULL",
            [push_id],
        ).fetchone()
        if row is None:
            return None
        return FollowTarget(row[0], row[1], row[2], _shown_from_json(row[3]))

    def record_shown(self, push_id: int, shown: Shown) -> None:
        """What the push's message shows now (after its send, or an edit)."""
        self.db.execute(
            "UPDATE deliveries SET shown = ? WHERE id = ?",
            [
                json.dumps([shown.as_photo, shown.photo, shown.html, shown.compact, shown.preview]),
                push_id,
            ],
        )

    def reply_anchor(self, feed_id: int, urls: list[str]) -> int | None:
        """The newest message in this feed of an article among `urls` (a story's thread)."""
        if not urls:
            return None
        row = self.db.execute(
            f"""
            SELECT d.message_id FROM articles a
            JOIN deliveries d ON d.article_id = a.id AND d.kind = 'push' AND d.feed_id = ?
            WHERE a.url IN (SELECT value FROM json_each(?)) AND d.state = '{SENT}'
              AND d.message_id IS NOT NULL
            ORDER BY d.updated_at DESC LIMIT 1
            """,  # noqa: S608 (a state)
            [feed_id, json.dumps(urls)],
        ).fetchone()
        return None if row is None else int(row[0])


def shows_differently(before: Article, after: Article) -> bool:
    """Whether a field that a push shows changed (rendering decides what really differs)."""
    return _shown_fields(before) != _shown_fields(after)


def _shown_fields(article: Article) -> tuple[object, ...]:
    return (
        article.title,
        article.excerpt,
        article.url,
        article.published_at,
        article.topics,
        article.images,
        article.provider,
        article.related,
    )


def _shown_from_json(text: str | None) -> Shown | None:
    if text is None:
        return None
    # older rows lack the later fields: compact (false), preview (none)
    as_photo, photo, html, *later = json.loads(text)
    compact, preview = [*later, False, None][:2]
    return Shown(bool(as_photo), photo, html, bool(compact), preview)
