"""Article files for tests, in the shape of the sample."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

SAMPLE = Path(__file__).parent / "data" / "000_3f6c152225941a7d.txt"


def article_text(**fields: Any) -> str:
    """A valid article's file text; keyword arguments override or (as None) drop fields."""
    data: dict[str, Any] = {
        "title": "Robots learn to fold laundry",
        "webUrl": "https://news.example.com/robots-laundry",
        "excerpt": "A lab shows a robot that folds shirts. It is slow but steady.",
        "publishedDateTime": "2026-11-20T10:00:00Z",
        "topics": ["AI", "Robotics"],
        "images": [{"url": "https://img.example.com/robot.jpg", "width": 800, "height": 450}],
        "provider": {"name": "Example News", "domain": "example.com"},
    }
    for key, value in fields.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n"


def write_article(path: Path, *, atomic: bool = True, **fields: Any) -> Path:
    """Write an article file the way careful producers do: temp file, then rename."""
    text = article_text(**fields)
    if not atomic:
        path.write_text(text, encoding="utf-8")
        return path
    temp = path.with_name("." + path.name + ".tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
    return path
