"""Telegram's HTML parse mode, as strictly as the Bot API applies it (for the stand-in)."""

from __future__ import annotations

from html.parser import HTMLParser

ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "span", "tg-spoiler", "tg-emoji", "blockquote",
}  # fmt: skip
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityError(ValueError):
    """What Telegram answers as `Bad Request: can't parse entities: ...`."""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise EntityError(f'unsupported start tag "{tag}"')
        if tag == "a" and not any(name == "href" and value for name, value in attrs):
            raise EntityError("a tag without href")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise EntityError(f'unmatched end tag "{tag}"')
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise EntityError('unexpected "<"; use &lt;')
        if "&" in data:
            raise EntityError('unexpected "&"; use &amp;')
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED_ENTITIES:
            raise EntityError(f'unsupported entity "&{name};"')
        self.text.append(NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        code = int(name[1:], 16) if name.lower().startswith("x") else int(name)
        if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:  # no such character
            raise EntityError(f'unsupported entity "&#{name};"')
        self.text.append(chr(code))


def visible_text(html: str) -> str:
    """The text a user sees; raises EntityError where Telegram would refuse the markup."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    if parser.rawdata:
        raise EntityError('unexpected "<"; use &lt;')
    if parser.open:
        raise EntityError(f'unclosed start tag "{parser.open[-1]}"')
    return "".join(parser.text)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
