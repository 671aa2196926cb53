"""A post's summary from its Markdown body, as runs of text with Telegram's tags (`Span`).

The summary is the body up to `<!--more-->` (Jekyll's and Hugo's divider) where there is
one, else its first blocks until 70 words (Hugo's `summaryLength`: whole paragraphs, a
list counts as one). Markdown is read by markdown-it-py (CommonMark, with strikethrough
and tables); links, emphasis, code and lists survive as Telegram shows them, everything
else as plain text. Never shown: raw HTML, images, tables, template tags (Liquid's
`{% ... %}`, `{{ ... }}`, Hugo's shortcodes) and kramdown's `{: ...}` attributes. A link
whose target holds a template tag, or a reference link with no definition (Jekyll
generates some with a loop), is left as its text. Relative links are made absolute
against the post's own link; anything but http(s) is left as text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin

from storage.models import Span

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

MORE = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)
SUMMARY_WORDS = 70
SUMMARY_LIMIT = 4096  # characters: no push shows more (a text message's limit)
SOURCE_LIMIT = 16 * 1024  # characters of Markdown read for the first blocks
# where a template tag stood: a character of Unicode's private use area, no one's text
_TAG_MARK = "\ue000"
_TAG_MARK_IN_URL = quote(_TAG_MARK)
_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.DOTALL)
_FENCE_OPEN = re.compile(
    r"\{%-?\s*highlight\s+([\w+-]+)[^%]*%\}|\{\{[<%]\s*highlight\s+([\w+-]+)[^}]*[>%]\}\}"
)
_FENCE_CLOSE = re.compile(r"\{%-?\s*endhighlight\s*-?%\}|\{\{[<%]\s*/highlight\s*[>%]\}\}")
_RAW = re.compile(r"\{%-?\s*(?:end)?raw\s*-?%\}")
_TEMPLATE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
_ATTRIBUTES = re.compile(r"\{:[^}\n]*\}")
_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S.*$", re.MULTILINE)
_REFERENCE = re.compile(r"\[([^\[\]\n]+)\]\[([^\[\]\n]*)\]")
_LINE_SPACE = re.compile(r"[ \t]+")
# a tag's mark goes, and the space before it when punctuation follows ("Done {{< x >}}.")
_MARK_AND_SPACE = re.compile(rf"[ \t]*{_TAG_MARK}(?=[.,;:!?)]|$)|{_TAG_MARK}")


def summarize(body: str, base: str) -> tuple[Span, ...]:
    """The summary of a post whose link is `base`; () when its body shows no text."""
    more = MORE.search(body)
    source = body[: more.start()] if more else _head(body)
    rest = _untemplated(body[len(source) :])
    source = _untemplated(source)
    definitions = "\n".join(_DEFINITION.findall(rest))
    source += "\n\n" + definitions + "\n" + _undefined(source + "\n" + definitions)
    blocks = _blocks(_parser().parse(source, {}), base)
    if not more:
        blocks = _first(blocks)
    spans: list[Span] = []
    for block in blocks:
        spans.extend([Span("\n\n")] if spans else [])
        spans.extend(block)
    return _capped(spans)


def plain_text(spans: Sequence[Span]) -> str:
    """What a summary says, without its markup."""
    return "".join(span.text for span in spans).strip()


@functools.cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # here: only files with a body need it

    # html on: raw HTML becomes tokens of its own, which are left out (off, it would be text)
    parser = MarkdownIt("commonmark", {"html": True}).enable(["strikethrough", "table"])
    # every target is a link, so that one we refuse (javascript:) shows its text, not
    # its Markdown; `_address` keeps only http(s)
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    return parser


def _head(body: str) -> str:
    """The start of a long body, cut between paragraphs."""
    if len(body) <= SOURCE_LIMIT:
        return body
    cut = body.rfind("\n\n", 0, SOURCE_LIMIT)
    return body[: cut if cut > 0 else SOURCE_LIMIT]


def _untemplated(text: str) -> str:
    """Template tags out: highlight blocks become code fences, the rest a mark."""
    text = _COMMENT.sub("", text)
    text = _FENCE_OPEN.sub(lambda match: "```" + (match[1] or match[2]), text)
    text = _FENCE_CLOSE.sub("```", text)
    text = _RAW.sub("", text)
    text = _TEMPLATE.sub(_TAG_MARK, text)
    return _ATTRIBUTES.sub("", text)


def _undefined(text: str) -> str:
    """Definitions for the `[text][label]` references that have none, to a template
    mark: they are then left as their text, like any link that cannot be made."""
    defined = {
        _label(line[line.index("[") + 1 : line.index("]:")]) for line in _DEFINITION.findall(text)
    }
    wanted = {_label(label or name) for name, label in _REFERENCE.findall(text)}
    return "\n".join(f"[{label}]: {_TAG_MARK}" for label in sorted(wanted - defined) if label)


def _label(text: str) -> str:
    return " ".join(text.split()).casefold()


def _first(blocks: list[list[Span]]) -> list[list[Span]]:
    """Whole blocks from the start until SUMMARY_WORDS words."""
    chosen, words = [], 0
    for block in blocks:
        chosen.append(block)
        words += len(plain_text(block).split())
        if words >= SUMMARY_WORDS:
            break
    return chosen


def _capped(spans: list[Span]) -> tuple[Span, ...]:
    kept, used = [], 0
    for span in spans:
        if used + len(span.text) > SUMMARY_LIMIT:
            kept.append(Span(span.text[: SUMMARY_LIMIT - used], span.tags, span.href))
            break
        kept.append(span)
        used += len(span.text)
    while kept and not kept[-1].text.strip():
        kept.pop()
    return tuple(kept)


def _blocks(tokens: list[Token], base: str) -> list[list[Span]]:
    """The body's top-level blocks (paragraphs, headings, lists, code), each as spans."""
    blocks: list[list[Span]] = []
    current: list[Span] = []
    lists: list[int | None] = []  # per open list: the next number, or None for bullets
    hidden = 0  # inside a table
    fresh = True  # nothing on the current line yet (a list item's marker aside)
    previous = ""
    for token in tokens:
        kind = token.type
        heading, previous = previous == "heading_open", kind
        hidden += (kind == "table_open") - (kind == "table_close")
        if hidden or kind == "table_close":
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = token.attrGet("start")
            lists.append(None if kind == "bullet_list_open" else int(start or 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open" and lists:
            number = lists[-1]
            marker = "• " if number is None else f"{number}. "
            if number is not None:
                lists[-1] = number + 1
            current.extend([Span("\n")] if current else [])
            current.append(Span("  " * (len(lists) - 1) + marker))
            fresh = True
        elif kind in ("paragraph_open", "heading_open", "fence", "code_block"):
            current.extend([] if fresh else [Span("\n")])
            if kind in ("fence", "code_block"):
                current.append(Span(token.content.rstrip("\n").replace(_TAG_MARK, ""), ("pre",)))
                fresh = False
        elif kind == "inline":
            spans = _inline(token.children or [], base, ("b",) if heading else ())
            current.extend(spans)
            fresh = fresh and not spans
        if token.level == 0 and (token.nesting == -1 or kind in ("fence", "code_block")):
            if plain_text(current):
                blocks.append(current)
            current, fresh = [], True
    return blocks


def _inline(children: list[Token], base: str, outer: tuple[str, ...]) -> list[Span]:
    """An inline token's children as spans: emphasis, links and code kept, HTML left out."""
    tags: list[str] = list(outer)
    href: str | None = None
    spans: list[Span] = []
    for child in children:
        kind = child.type
        if kind in ("strong_open", "em_open", "s_open"):
            tags.append({"strong_open": "b", "em_open": "i", "s_open": "s"}[kind])
        elif kind in ("strong_close", "em_close", "s_close") and tags:
            tags.pop()
        elif kind == "link_open":
            href = _address(str(child.attrGet("href") or ""), base)
        elif kind == "link_close":
            href = None
        elif kind in ("text", "code_inline", "softbreak", "hardbreak"):  # not an image's alt
            text = {"softbreak": " ", "hardbreak": "\n"}.get(kind, child.content)
            text = _LINE_SPACE.sub(" ", _MARK_AND_SPACE.sub("", text))
            # code inside a link is shown as the link's text: Telegram nests no entity in code
            code = kind == "code_inline" and href is None
            if text:
                spans.append(Span(text, (*tags, "code") if code else tuple(tags), href))
    return _tidy(spans)


def _tidy(spans: list[Span]) -> list[Span]:
    """Neighbours with the same markup joined; no space twice where a tag mark was cut."""
    joined: list[Span] = []
    for span in spans:
        if joined and (joined[-1].tags, joined[-1].href) == (span.tags, span.href):
            last = joined.pop()
            span = Span(last.text + span.text, span.tags, span.href)
        joined.append(span)
    tidy = []
    for index, span in enumerate(joined):
        text = span.text
        if index == 0:
            text = text.lstrip()
        if "code" not in span.tags:
            text = re.sub(r" {2,}", " ", text)
        if index == len(joined) - 1:
            text = text.rstrip()
        if text:
            tidy.append(Span(text, span.tags, span.href))
    return tidy


def _address(href: str, base: str) -> str | None:
    """A link's target as a full http(s) URL, or None when it cannot be one."""
    if not href or _TAG_MARK_IN_URL in href or _TAG_MARK in href or href.startswith("#"):
        return None
    url = urljoin(base, href)
    return url if re.match(r"^https?://[^\s/?#]+", url, re.IGNORECASE) else None
