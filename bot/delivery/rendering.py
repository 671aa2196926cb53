"""Articles into Telegram messages: escaped HTML that fits the caption and text limits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html import escape, unescape

from bot.foundation.translations import Words
from storage.models import Article, Image, Span, StoredArticle

CAPTION_LIMIT = 1024  # telegram.constants.MessageLimit.CAPTION_LENGTH
TEXT_LIMIT = 4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH
MAX_RELATED = 3
MIN_EXCERPT = 60  # what an excerpt needs to say something; other parts are shed for it
ELLIPSIS = "…"
_TAG = re.compile(r"<[^>]*>")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s")


@dataclass(frozen=True, slots=True)
class Push:
    """A rendered article: a photo with an HTML caption, or (photo_url None) an HTML text,
    perhaps with `preview_url` previewed large above it (the `preview` look)."""

    html: str
    photo_url: str | None = None
    preview_url: str | None = None
    tags_left_out: int = 0  # hashtags the message had no room for


@dataclass(frozen=True, slots=True)
class _Piece:
    """A run of visible text and the HTML that shows it."""

    text: str
    html: str


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def best_image(images: tuple[Image, ...]) -> Image | None:
    """The largest http(s) image that Telegram accepts as a photo (w + h <= 10000)."""
    usable = [
        image
        for image in images
        if image.url.startswith(("http://", "https://"))
        and (image.width or 0) + (image.height or 0) <= 10000
        and _aspect_ok(image)
    ]
    return max(usable, key=lambda image: (image.width or 0) * (image.height or 0), default=None)


def _aspect_ok(image: Image) -> bool:
    if not image.width or not image.height:
        return True
    return max(image.width, image.height) <= 20 * min(image.width, image.height)


def render_push(article: Article, *, with_image: bool = True, caption: bool = False) -> Push:
    """The push (docs/articles.md shows one): linked title, provider and date, excerpt,
    hashtags, related.

    `caption`: fit a photo's caption even without an image (a photo push that lost its
    image keeps its photo and gets a new caption).
    """
    image = best_image(article.images) if with_image else None
    limit = CAPTION_LIMIT if image or caption else TEXT_LIMIT
    title = article.title
    tags = _hashtags(article.topics)
    related = _related(article)
    # the excerpt takes the room that is left; when the rest leaves too little, shed the
    # least useful parts first: related links, then hashtags, then the title's length
    room = _room(article, title, tags, related, limit)
    while room < MIN_EXCERPT and related:  # at most MAX_RELATED times
        related = related[:-1]
        room = _room(article, title, tags, related, limit)
    if room < MIN_EXCERPT and tags:
        tags = _fitting_tags(tags, room - MIN_EXCERPT)
        room = _room(article, title, tags, related, limit)
    if room < MIN_EXCERPT and utf16_len(title) > limit // 2:
        title = _trim(title, limit // 2)
        room = _room(article, title, tags, related, limit)
    html = _compose(article, title, _excerpt_html(article, max(room, 0)), tags, related)
    left_out = len(article.topics) - len(tags)
    return Push(html=html, photo_url=image.url if image else None, tags_left_out=left_out)


def _room(
    article: Article, title: str, tags: list[_Piece], related: list[_Piece], limit: int
) -> int:
    """What is left for the excerpt (and the blank line before it) of `limit`."""
    return limit - visible_len(_compose(article, title, "", tags, related)) - 2


def _fitting_tags(tags: list[_Piece], over: int) -> list[_Piece]:
    """The most hashtags, from the first, that free `-over` units of the whole (`over` < 0):
    widths are added in one pass, never the message composed again for each tag dropped
    (which made 5,000 topics a second of rendering)."""
    block = utf16_len(" ".join(tag.text for tag in tags)) + 2  # with the blank line before
    keep = block + over  # what the hashtags may still take
    width = 0
    for count, tag in enumerate(tags):
        width += utf16_len(tag.text) + (1 if count else 2)  # a space, or the blank line
        if width > keep:
            return tags[:count]
    return tags


def render_preview(article: Article) -> Push:
    """The `preview` push: the text of up to 4096 characters, under a large preview of the
    article's image (its link when it has no usable image)."""
    image = best_image(article.images)
    text = render_push(article, with_image=False)
    return Push(html=text.html, preview_url=image.url if image else article.url)


def render_withdrawn(article: Article, words: Words) -> str:
    """The notice a sent push becomes when its article is withdrawn too late to delete,
    in the language of `words` (the feed's)."""
    title = escape(_trim(article.title, 300), quote=False)
    notice = words.gettext("This article was withdrawn.")
    return f"<s>{title}</s>\n\n<i>{notice}</i>"


def visible_text(html: str) -> str:
    """What Telegram shows of our HTML: the text without tags, entities decoded."""
    return unescape(_TAG.sub("", html))


def visible_len(html: str) -> int:
    """What Telegram counts of our HTML, in UTF-16 units."""
    return utf16_len(visible_text(html))


def _compose(
    article: Article, title: str, excerpt: str, tags: list[_Piece], related: list[_Piece]
) -> str:
    blocks = [
        _link(title, article.url, bold=True).html,
        _join(_meta_line(article), " · "),
        excerpt,
        _join(tags, " "),
        _related_block(related),
    ]
    return "\n\n".join(block for block in blocks if block)


def render_listing(items: list[StoredArticle], heading: str) -> str:
    """A `/latest`, `/topic` or `/search` reply: one line per article, within 4096."""
    lines = [f"<b>{escape(heading, quote=False)}</b>"]
    used = utf16_len(heading)
    for number, stored in enumerate(items, start=1):
        article = stored.article
        details = [piece.text for piece in _meta_line(article)]
        title = _trim(article.title, 200)
        line = f"{number}. " + _link(title, article.url).html
        if details:
            line += " — " + escape(" · ".join(details), quote=False)
        visible = utf16_len(f"{number}. {title} — {' · '.join(details)}") + 1
        if used + visible > TEXT_LIMIT:
            break
        used += visible
        lines.append(line)
    return "\n".join(lines)


def format_date(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def _link(text: str, url: str, *, bold: bool = False) -> _Piece:
    inner = escape(text, quote=False)
    html = f'<a href="{escape(url, quote=True)}">{inner}</a>'
    return _Piece(text, f"<b>{html}</b>" if bold else html)


def _meta_line(article: Article) -> list[_Piece]:
    pieces = []
    if article.provider and article.provider.name:
        name = _trim(article.provider.name, 100)
        pieces.append(_Piece(name, f"<i>{escape(name, quote=False)}</i>"))
    if article.published_at:
        when = format_date(article.published_at)
        pieces.append(_Piece(when, escape(when, quote=False)))
    return pieces


def _hashtags(topics: tuple[str, ...]) -> list[_Piece]:
    tags = []
    for topic in topics:
        # Telegram hashtags are letters, digits and underscores: "Computer Vision" -> #ComputerVision
        words = re.findall(r"\w+", topic)
        tag = "".join(word[:1].upper() + word[1:] for word in words)
        if tag and not tag.isdigit():
            tags.append(_Piece("#" + tag, "#" + escape(tag, quote=False)))
    return tags


def _related(article: Article) -> list[_Piece]:
    pieces = []
    for item in article.related[:MAX_RELATED]:
        label = _trim(item.title, 120)
        link = _link(label, item.url)
        if item.provider:
            suffix = f" — {item.provider}"
            link = _Piece(link.text + suffix, link.html + escape(suffix, quote=False))
        pieces.append(_Piece("• " + link.text, "• " + link.html))
    return pieces


def _related_block(pieces: list[_Piece]) -> str:
    if not pieces:
        return ""
    return "Related:\n" + "\n".join(piece.html for piece in pieces)


def _join(pieces: list[_Piece], separator: str = "") -> str:
    return separator.join(piece.html for piece in pieces)


def _excerpt_html(article: Article, limit: int) -> str:
    """The excerpt within `limit`: the body's summary with its markup, else the plain text."""
    if not article.summary:
        return escape(_trim(article.excerpt or "", limit), quote=False)
    kept, cut = _cut("".join(span.text for span in article.summary), limit)
    html, left = [], len(kept)
    for span in article.summary:
        if left <= 0:
            break
        html.append(_span_html(span.text[:left], span))
        left -= len(span.text)
    return "".join(html) + (ELLIPSIS if cut else "")


def _span_html(text: str, span: Span) -> str:
    """A summary's run of text, escaped, in its tags and link (each run closes its own)."""
    html = escape(text, quote=False)
    for tag in reversed(span.tags):
        html = f"<{tag}>{html}</{tag}>"
    return f'<a href="{escape(span.href, quote=True)}">{html}</a>' if span.href else html


def _trim(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` UTF-16 units, at a sentence or else a word boundary."""
    kept, cut = _cut(" ".join(text.split()), limit)
    return kept + ELLIPSIS if cut else kept


def _cut(text: str, limit: int) -> tuple[str, bool]:
    """The start of `text` that fits `limit` UTF-16 units with an ellipsis after it (cut
    at a sentence or else a word boundary), and whether it needs the ellipsis."""
    if utf16_len(text) <= limit:
        return text, False
    if limit <= 1:
        return "", False
    budget = limit - 1  # room for the ellipsis
    cut = _prefix_within(text, budget)
    sentences = [match.end() for match in _SENTENCE_END.finditer(cut + " ")]
    if sentences and sentences[-1] >= len(cut) // 2:
        return cut[: sentences[-1]].rstrip(), False
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= len(cut) // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—\n"), True


def trimmed(text: str, limit: int) -> str:
    """`text` in at most `limit` UTF-16 units, cut at a sentence or word boundary."""
    return _trim(text, limit)


def _prefix_within(text: str, budget: int) -> str:
    """The longest prefix of `text` that is at most `budget` UTF-16 units."""
    encoded = text.encode("utf-16-le")[: budget * 2]
    prefix = encoded.decode("utf-16-le", errors="ignore")
    return prefix


def render_compact(article: Article) -> str:
    """The `compact` push: one line, the linked title and the provider."""
    line = _link(_trim(article.title, 300), article.url, bold=True).html
    if article.provider and article.provider.name:
        line += " — " + escape(_trim(article.provider.name, 100), quote=False)
    return line


def render_digest(
    items: list[StoredArticle], heading: str, closing: str | None = None
) -> list[tuple[str, list[int]]]:
    """Digest messages: the heading, then one line per article (linked title, provider),
    then the `closing` line, split at the text limit between lines; each with the ids of
    the articles it lists."""
    parts: list[tuple[str, list[int]]] = []
    lines = [f"<b>{escape(heading, quote=False)}</b>"]
    ids: list[int] = []
    used = utf16_len(heading)
    rows: list[tuple[str, int | None]] = [
        ("• " + render_compact(stored.article), stored.id) for stored in items
    ]
    if closing is not None:
        rows.append((escape(closing, quote=False), None))
    body = 0  # lines of the message under way, its heading aside
    for line, article_id in rows:
        visible = visible_len(line) + 1  # and its newline
        if body and used + visible > TEXT_LIMIT:
            parts.append(("\n".join(lines), ids))
            lines, ids, used, body = [], [], 0, 0
            visible -= 1
        lines.append(line)
        body += 1
        if article_id is not None:
            ids.append(article_id)
        used += visible
    if body:
        parts.append(("\n".join(lines), ids))
    return parts
