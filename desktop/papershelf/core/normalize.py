"""Normalising titles and arXiv ids, so the same paper is recognised twice."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+")
_ARXIV_NEW = re.compile(r"(?i)^(?:arxiv:)?(\d{4}\.\d{4,5})(v\d+)?$")
_ARXIV_OLD = re.compile(r"(?i)^(?:arxiv:)?([a-z\-]+(?:\.[a-z]{2})?/\d{7})(v\d+)?$")
_ARXIV_URL = re.compile(r"(?i)arxiv\.org/(?:abs|pdf)/([^\s?#]+?)(?:\.pdf)?(?:[?#]|$)")


def title_key(title: str) -> str:
    """The dedup key of a title: NFKC, case-folded, punctuation and whitespace collapsed.

    ``"DocThinker: Explainable  MLLMs"`` and ``"docthinker - explainable mllms"``
    share a key.
    """
    folded = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())


def arxiv_id(value: str | None) -> str | None:
    """An arXiv id without its version (``2509.01234``), or ``None`` if ``value`` is not one."""
    if not value:
        return None
    value = value.strip()
    url = _ARXIV_URL.search(value)
    if url:
        value = url.group(1)
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        match = pattern.match(value)
        if match:
            return match.group(1).lower() if pattern is _ARXIV_OLD else match.group(1)
    return None


def clean_line(text: str) -> str:
    """Tabs and runs of spaces become one space; ends are trimmed."""
    return " ".join(text.split())
