"""Storing articles in tests as the bot does: the file, then the publishing rule
(`bot.articles.publishing`), in one transaction."""

from __future__ import annotations

from bot.articles.publishing import WITHOUT_FOLLOWING, Publishing

PUBLISHING = WITHOUT_FOLLOWING  # pushes queued; sent messages neither edited nor retracted
FOLLOWING = Publishing(edits=True, retractions=True)  # NEWSBOT_FOLLOW_EDITS, NEWSBOT_RETRACT on
