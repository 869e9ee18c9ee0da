"""The JSON of the Hugging Face daily papers API: an array of items.

The array is read item by item with ``json.JSONDecoder.raw_decode`` over a
sliding buffer, so memory stays bounded by the largest item, not the file.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from .. import normalize
from ..errors import ListingError
from ..records import PaperRecord
from . import Source
from .hf_text import code_urls

CHUNK = 1024 * 1024
#: The largest single item we accept; real items are a few kilobytes.
MAX_ITEM = 16 * 1024 * 1024
_WS = " \t\r\n"


def iter_array(source: Source) -> Iterator[tuple[int, Any]]:
    """(1-based index, value) for each element of the top-level JSON array."""
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8-sig")()
    with source.open() as raw:
        buf, pos, eof, consumed_lines = "", 0, False, 0

        def fill() -> bool:
            nonlocal buf, pos, eof, consumed_lines
            if eof:
                return False
            data = raw.read(CHUNK)
            try:
                text = utf8.decode(data, final=not data)
            except UnicodeDecodeError:
                raise ListingError(f"{source.name}: line {line_no(pos) + 1}: invalid UTF-8") from None
            if "\x00" in text:
                raise ListingError(f"{source.name}: binary data (NUL byte), not JSON")
            consumed_lines += buf.count("\n", 0, pos)
            buf = buf[pos:] + text
            pos = 0
            eof = not data
            return bool(data)

        def line_no(at: int) -> int:
            return consumed_lines + buf.count("\n", 0, at) + 1

        def skip_ws() -> str:
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in _WS:
                    pos += 1
                if pos < len(buf):
                    return buf[pos]
                if not fill():
                    return ""

        first = skip_ws()
        if first != "[":
            raise ListingError(
                f"{source.name}: line {line_no(pos)}: expected a JSON array of daily papers, found {first or 'nothing'!r}"
            )
        pos += 1
        index = 0
        if skip_ws() == "]":
            pos += 1
        else:
            while True:
                index += 1
                while True:
                    try:
                        value, end = decoder.raw_decode(buf, pos)
                        break
                    except json.JSONDecodeError as exc:
                        if len(buf) - pos > MAX_ITEM:
                            raise ListingError(
                                f"{source.name}: item {index}: larger than 16 MiB; not a daily papers item"
                            ) from None
                        if not fill():
                            raise ListingError(
                                f"{source.name}: item {index} (line {line_no(exc.pos)}): invalid JSON: {exc.msg}"
                            ) from None
                    except RecursionError:
                        raise ListingError(f"{source.name}: item {index}: JSON nested too deeply") from None
                pos = end
                yield index, value
                sep = skip_ws()
                if sep == ",":
                    pos += 1
                    skip_ws()
                    continue
                if sep == "]":
                    pos += 1
                    break
                raise ListingError(
                    f"{source.name}: item {index} (line {line_no(pos)}): expected ',' or ']' after the item, "
                    f"found {sep or 'the end of the file'!r}"
                )
        if skip_ws():
            raise ListingError(f"{source.name}: line {line_no(pos)}: unexpected data after the JSON array")


def _string(value: Any, where: str, field: str, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise ListingError(f"{where}: {field} is missing")
        return None
    if not isinstance(value, str):
        raise ListingError(f"{where}: {field} should be a string, not {type(value).__name__}")
    return value


def _date(value: Any, where: str, field: str) -> dt.date | None:
    text = _string(value, where, field)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ListingError(f"{where}: {field} is not a date: {text[:40]!r}") from None


def record_from_item(item: Any, index: int, name: str, listing_date: dt.date | None) -> PaperRecord:
    where = f"{name}: item {index}"
    if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
        raise ListingError(f"{where}: not a daily papers item (no 'paper' object)")
    paper = item["paper"]
    title = " ".join((_string(paper.get("title"), where, "paper.title", required=True) or "").split())
    if not title:
        raise ListingError(f"{where}: paper.title is empty")
    abstract = (_string(paper.get("summary"), where, "paper.summary") or "").strip()
    raw_id = _string(paper.get("id"), where, "paper.id")
    arxiv = normalize.arxiv_id(raw_id)
    authors_raw = paper.get("authors", [])
    if not isinstance(authors_raw, list):
        raise ListingError(f"{where}: paper.authors should be a list")
    authors: list[str] = []
    for i, author in enumerate(authors_raw, start=1):
        if not isinstance(author, dict):
            raise ListingError(f"{where}: paper.authors[{i}] should be an object with a name")
        name_ = _string(author.get("name"), where, f"paper.authors[{i}].name")
        if name_ and name_.strip():
            authors.append(" ".join(name_.split()))
    github = _string(paper.get("githubRepo"), where, "paper.githubRepo")
    project = _string(paper.get("projectPage"), where, "paper.projectPage")
    links = [github] if github else []
    links += [u for u in code_urls(abstract) if u not in links]
    listed = listing_date or _date(paper.get("submittedOnDailyAt"), where, "paper.submittedOnDailyAt")
    if listed is None:
        listed = _date(paper.get("publishedAt") or item.get("publishedAt"), where, "paper.publishedAt")
    if listed is None:
        raise ListingError(f"{where}: no listing date (paper.submittedOnDailyAt); pass --date")
    return PaperRecord(
        title=title,
        abstract=abstract,
        authors=authors,
        arxiv_id=arxiv,
        url=f"https://huggingface.co/papers/{arxiv}" if arxiv else None,
        code_urls=links,
        project_url=project or None,
        published=_date(paper.get("publishedAt"), where, "paper.publishedAt"),
        listing_date=listed,
        position=index,
        source="hf-daily",
        where=f"item {index}",
    )


def parse(source: Source, listing_date: dt.date | None = None) -> Iterator[PaperRecord]:
    """Records from a daily papers API response; ``listing_date`` overrides the item dates."""
    count = 0
    for index, item in iter_array(source):
        count += 1
        yield record_from_item(item, index, source.name, listing_date)
    if count == 0:
        raise ListingError(f"{source.name}: the JSON array holds no papers")
