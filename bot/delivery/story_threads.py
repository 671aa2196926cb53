"""Story threads: a new push of a developing story answers the feed's message of an
earlier article it lists in `related` (NEWSBOT_STORY_THREADS), so the story reads as one
thread in each chat."""

from __future__ import annotations

from telegram import ReplyParameters

from storage import Article, Delivery, Store


class StoryThreads:
    """Picks the earlier message a push replies to."""

    def __init__(self, store: Store, *, enabled: bool) -> None:
        self.store = store
        self.enabled = enabled

    def reply_to(self, row: Delivery, article: Article) -> ReplyParameters | None:
        """A new push of a developing story answers the feed's message of an earlier one."""
        if not self.enabled or not article.related:
            return None
        anchor = self.store.followups.reply_anchor(row.feed_id, [r.url for r in article.related])
        if anchor is None:
            return None
        return ReplyParameters(anchor, allow_sending_without_reply=True)
