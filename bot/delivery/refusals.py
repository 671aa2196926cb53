"""What Telegram's 400 answers say, as phrases to look for in them (PTB gives us only
the description, as `BadRequest`'s text)."""

from __future__ import annotations

from telegram.error import BadRequest

# an image by URL that Telegram could not fetch or use: the message goes without it
IMAGE_REFUSALS = (
    "failed to get http url content",
    "wrong type of the web page content",
    "wrong file identifier",
    "photo_invalid_dimensions",
    "image_process_failed",
    "wrong remote file identifier",
)
# an edit that would leave the message as it is (a button pressed twice, an edit of an
# article whose message already shows it)
NOT_MODIFIED = ("message is not modified",)


def matches(error: BadRequest, phrases: tuple[str, ...]) -> bool:
    """Whether Telegram's answer says one of `phrases` (any case)."""
    text = str(error).lower()
    return any(phrase in text for phrase in phrases)
