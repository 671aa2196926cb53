"""A static-site post's link, made as Jekyll and Hugo make it: `NEWSBOT_SITE_URL`, then
the `NEWSBOT_PERMALINK` pattern filled in from the post's front matter and file name.

The slug is the front matter's `slug`, else the file name without its extension and
without a leading `YYYY-MM-DD-` (Jekyll's rule); a Hugo page bundle (`my-post/index.md`) is
named by its folder. The date parts are the post's `date` as written (in its own offset,
as the site shows it), else the file name's date. `:section` is the first sub-folder of
the watched folder the post sits in; `:categories` its categories, lower-cased, as
folders. An empty part leaves no `//` behind, as in Jekyll.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urljoin

from bot.foundation.config import DEFAULT_PERMALINK, PERMALINK_PLACEHOLDER, Config
from bot.foundation.errors import ArticleError

_DATED_NAME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})-(.+)")
BUNDLE_NAMES = frozenset({"index.md", "index.markdown"})


@dataclass(frozen=True, slots=True)
class Site:
    """The site that the watched folder's posts belong to (the two settings)."""

    url: str | None = None  # NEWSBOT_SITE_URL, without a trailing slash
    permalink: str = DEFAULT_PERMALINK

    @classmethod
    def of(cls, config: Config) -> Site:
        return cls(config.site_url, config.permalink)


@dataclass(frozen=True, slots=True)
class Place:
    """Where an article file sits: its path under the watched folder, and the site."""

    path: PurePosixPath
    site: Site = field(default_factory=Site)

    @property
    def is_bundle(self) -> bool:
        """A Hugo page bundle's page: `posts/my-post/index.md`, named by its folder."""
        return self.path.name in BUNDLE_NAMES and len(self.path.parts) > 1

    @property
    def folders(self) -> tuple[str, ...]:
        """The sub-folders above the post (a bundle's own folder is its name, not one)."""
        parts = self.path.parts[:-1]
        return parts[:-1] if self.is_bundle else parts

    def _name(self) -> str:
        return self.path.parent.name if self.is_bundle else self.path.stem

    def name_date(self) -> date | None:
        """The date at the start of the file name (`2024-06-23-title.md`), if any."""
        match = _DATED_NAME.fullmatch(self._name())
        if match is None:
            return None
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None

    def name_slug(self) -> str:
        """The file name without its extension and leading date."""
        name = self._name()
        match = _DATED_NAME.fullmatch(name)
        return match[4] if match and self.name_date() else name


def place_of(path: Path, root: Path, site: Site) -> Place:
    """Where a file sits in the watched folder `root`, for a static site's link."""
    path, root = path.absolute(), root.absolute()
    if not path.is_relative_to(root):  # a file named outside the folder
        return Place(PurePosixPath(path.name), site)
    return Place(PurePosixPath(path.relative_to(root).as_posix()), site)


def site_link(
    place: Place, *, slug: str | None, written: date | None, categories: tuple[str, ...]
) -> str:
    """The link of a post without `webUrl`; ArticleError when the site or a date is missing."""
    site = place.site
    if site.url is None:
        raise ArticleError(
            "webUrl is missing (or set NEWSBOT_SITE_URL and NEWSBOT_PERMALINK to make "
            "links from file names)"
        )
    when = written or place.name_date()
    parts = {
        "title": _segment(slug or place.name_slug()),
        "slug": _segment(slug or place.name_slug()),
        "section": _segment(place.folders[0]) if place.folders else "",
        "categories": "/".join(_segment(name.lower()) for name in categories),
    }
    if when is not None:
        parts |= {
            "year": f"{when.year:04d}",
            "month": f"{when.month:02d}",
            "day": f"{when.day:02d}",
        }

    def fill(match: re.Match[str]) -> str:
        value = parts.get(match[1])
        if value is None:
            raise ArticleError(
                f"NEWSBOT_PERMALINK needs :{match[1]}, but the post has no date: give "
                "`date` in the front matter or start the file name with YYYY-MM-DD-"
            )
        return value

    path = re.sub(r"/{2,}", "/", PERMALINK_PLACEHOLDER.sub(fill, site.permalink))
    return site.url + path


def site_address(place: Place, link: str, path: str) -> str:
    """A path written in a post (an image) as a full URL: `http(s)://` ones as they are,
    `/x` and `x` under NEWSBOT_SITE_URL (else the link's own host), and in a page bundle
    `x` beside the page, as Hugo finds a bundle's files."""
    if re.match(r"^https?://", path, re.IGNORECASE):
        return path
    if place.is_bundle and not path.startswith("/"):
        return urljoin(link, path)
    base = place.site.url or re.sub(r"^(https?://[^/?#]+).*", r"\1", link)
    return base + "/" + path.lstrip("/")


def _segment(text: str) -> str:
    """A part of a URL path: spaces and the like escaped, its slashes kept."""
    return quote(text.strip(), safe="/-_.~")
