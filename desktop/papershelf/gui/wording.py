"""How the window words a count in its messages: "1 paper", "2 papers", "1,200 papers"."""

from __future__ import annotations


def plural(n: int, word: str) -> str:
    """``n`` with thousands separators and ``word``, with an "s" unless ``n`` is 1."""
    return f"{n:,} {word}{'s' if n != 1 else ''}"
