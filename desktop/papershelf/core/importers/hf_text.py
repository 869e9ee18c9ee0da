"""The Hugging Face Daily Papers page, as text a user saved or copied.

Shape: an optional page header, a date line such as ``Sep 11``, then each
paper as a title paragraph followed by an abstract paragraph, separated by
blank lines.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from ..errors import ListingError
from ..records import PaperRecord
from . import Source, text_lines

MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
DATE_LINE = re.compile(r"^([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2})(?:,?\s+(\d{4}))?$")
#: Lines of the page's chrome that a copy picks up between a title and its
#: abstract: upvote counts, "Submitted by …", bullets. Never a title or abstract.
NOISE = re.compile(r"(?:\d[\d,.]*\s*[kK]?|(?:Submitted by|Upvote|Upvoted)\b.*|\W*)", re.IGNORECASE)
CODE_URL = re.compile(
    r"https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co)/[^\s()<>\[\]{}\"',;]+",
    re.IGNORECASE,
)


def code_urls(text: str) -> list[str]:
    """GitHub, GitLab and Hugging Face links in ``text``, in order, without duplicates."""
    found: list[str] = []
    for match in CODE_URL.finditer(text):
        url = match.group(0).rstrip(".:!?")
        if url.count("/") >= 4 and url not in found:  # a repository, not a bare host
            found.append(url)
    return found


def parse_date_line(line: str) -> tuple[int, int, int | None] | None:
    """``(month, day, year or None)`` for a line like ``Sep 11``, else ``None``."""
    match = DATE_LINE.match(line)
    if not match:
        return None
    month = MONTHS.get(match.group(1).lower())
    day = int(match.group(2))
    year = int(match.group(3)) if match.group(3) else None
    if month is None or not 1 <= day <= 31:
        return None
    try:
        dt.date(year or 2000, month, day)  # 2000 is a leap year: Feb 29 passes
    except ValueError:
        return None
    return month, day, year


def resolve_year(month: int, day: int, today: dt.date) -> dt.date:
    """The most recent date on or before ``today`` with this month and day."""
    for year in range(today.year, today.year - 9, -1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:  # Feb 29 in a common year
            continue
        if candidate <= today:
            return candidate
    raise AssertionError("a month and day recur within 8 years")


def _paragraphs(source: Source) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each paragraph; lines inside one are joined."""
    start = 0
    lines: list[str] = []
    for number, line in text_lines(source):
        line = line.strip()
        if line:
            if not lines:
                start = number
            lines.append(line.replace("\t", " "))
        elif lines:
            yield start, " ".join(lines)
            lines = []
    if lines:
        yield start, " ".join(lines)


def parse(source: Source, listing_date: dt.date | None = None, today: dt.date | None = None) -> Iterator[PaperRecord]:
    """Records from a saved daily papers page; ``listing_date`` overrides the date line."""
    paragraphs = _paragraphs(source)
    date = None
    for _number, text in paragraphs:
        parsed = parse_date_line(text)
        if parsed:
            month, day, year = parsed
            date = dt.date(year, month, day) if year else resolve_year(month, day, today or dt.date.today())
            break
    if date is None:
        raise ListingError(
            f"{source.name}: no listing date line such as 'Sep 11' found; "
            "this does not look like a daily papers listing"
        )
    date = listing_date or date
    position = 0
    pending_title: tuple[int, str] | None = None
    for number, text in paragraphs:
        if NOISE.fullmatch(text):
            continue
        if pending_title is None:
            pending_title = (number, text)
            continue
        position += 1
        title_line, title = pending_title
        pending_title = None
        yield PaperRecord(
            title=title,
            abstract=text,
            code_urls=code_urls(text),
            listing_date=date,
            position=position,
            source="hf-daily",
            where=f"line {title_line}",
        )
    if pending_title is not None:
        raise ListingError(
            f"{source.name}: line {pending_title[0]}: a title with no abstract after it (truncated file?)"
        )
    if position == 0:
        raise ListingError(f"{source.name}: no papers after the date line")
