"""A Markdown reading list: one checkbox item per paper."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..records import Paper
from .common import split_name, strip_controls
from .latex import verbatim

# Characters Markdown acts on anywhere in a line (with GFM and Obsidian's $math$
# and #tags); CommonMark allows a backslash before any ASCII punctuation.
_MARKDOWN_SPECIALS_RE = re.compile(r"([\\`*_\[\]<>#|~&$])")
# Only web pages are linked; the scheme needs a host after it.
_WEB_LINK_RE = re.compile(r"(?i)https?://[^\s/?#\\]")
# At the start of a note line these would begin a nested list or quote.
_LEADING_MARKER_RE = re.compile(r"^(\d+)([.)])|^([\-+*>=])")


def render_markdown(
    papers: Iterable[Paper], *, abstract: bool = False, notes: bool = False, all_fields: bool = False
) -> Iterator[str]:
    """``- [x] **Title** — First Author et al. (link) #tag`` per paper; read ones ticked.

    Abstracts are not part of a reading list; ``notes`` adds each note indented
    under its paper.
    """
    del abstract, all_fields
    for paper in papers:
        yield item(paper, notes=notes)


def item(paper: Paper, *, notes: bool = False) -> str:
    """The list item (with its notes) for one paper."""
    box = "[x]" if paper.status == "read" else "[ ]"
    line = f"- {box} **{escape(paper.title) or 'Untitled'}**"
    byline = _byline(paper.authors)
    if byline:
        line += f" \u2014 {escape(byline)}"
    link = paper.link
    if link and _WEB_LINK_RE.match(link.strip()):
        # An autolink: no spaces or controls (verbatim() encodes them) and no < or > inside.
        line += f" (<{verbatim(link).replace('<', '%3C').replace('>', '%3E')}>)"
    elif link:
        # javascript:, data:, file: and the like: shown, never linked (an escaped colon is no scheme).
        shown = escape(link).replace(":", "\\:")
        line += f" ({shown})"
    tags = [hashtag(t) for t in paper.tags]
    tags = [t for t in tags if t]
    if tags:
        line += " " + " ".join(tags)
    lines = [line]
    if notes:
        for note in paper.notes:
            paragraphs = [p for p in re.split(r"\n\s*\n", note.text.strip()) if p.strip()]
            for p in paragraphs:
                lines.append("    - " + escape(p))
    return "\n".join(lines) + "\n"


def escape(text: str) -> str:
    """Untrusted text as literal Markdown on one line (no HTML, links, emphasis or control characters)."""
    text = _MARKDOWN_SPECIALS_RE.sub(r"\\\1", " ".join(strip_controls(text).split()))
    return _LEADING_MARKER_RE.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", text)


def hashtag(tag: str) -> str:
    """``#machine-learning`` for the tag "machine learning"; "" if nothing is left."""
    cleaned = re.sub(r"[^\w\-/]", "", "-".join(tag.split()))
    return f"#{cleaned}" if cleaned else ""


def _byline(authors: list[str]) -> str:
    names = [_display_name(a) for a in authors if a.strip()]
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


def _display_name(name: str) -> str:
    """ "First Last" whatever form the name is stored in."""
    if "," not in name:
        return " ".join(name.split())
    last, suffix, first = split_name(name)
    return " ".join(p for p in (first, last) if p) + (f", {suffix}" if suffix else "")
