"""Readers for listing files, told apart by content rather than file extension.

Each reader is a generator of :class:`~papershelf.core.records.PaperRecord`
that reads its input as a stream, so that a listing of 100,000 papers is
never held in memory at once. Every problem is raised as a
:class:`~papershelf.core.errors.ListingError` with a one-line message that
names the file and the line or item.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import ListingError
from ..records import PaperRecord

FORMATS = ("hf-text", "hf-json", "bibtex")
#: How much of the start of a file is read to tell its format.
SNIFF_BYTES = 64 * 1024
#: No line of a daily listing is anywhere near this long.
MAX_LINE = 1024 * 1024


@dataclass(slots=True)
class Source:
    """An input: a display name and a way to open it as bytes."""

    name: str
    path: Path | None = None
    data: bytes | None = None

    @classmethod
    def from_path(cls, path: str | os.PathLike) -> Source:
        return cls(name=str(path), path=Path(path))

    @classmethod
    def from_text(cls, text: str, name: str = "clipboard") -> Source:
        return cls(name=name, data=text.encode("utf-8", "surrogatepass"))

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        try:
            if self.path.is_dir():
                raise ListingError(f"{self.name}: is a folder, not a listing file")
            return open(self.path, "rb")
        except FileNotFoundError:
            raise ListingError(f"{self.name}: no such file") from None
        except PermissionError:
            raise ListingError(f"{self.name}: permission denied") from None
        except OSError as exc:
            raise ListingError(f"{self.name}: cannot read ({exc.strerror or exc})") from None


def sniff(source: Source) -> str:
    """The format of ``source``: ``hf-json``, ``bibtex`` or ``hf-text``."""
    with source.open() as fh:
        head = fh.read(SNIFF_BYTES)
    if not head:
        raise ListingError(f"{source.name}: the file is empty")
    if b"\x00" in head:
        raise ListingError(f"{source.name}: binary data, not a listing")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    try:
        # The cut may fall inside a multi-byte character; only its start matters.
        text = head.decode("utf-8", "ignore" if len(head) >= SNIFF_BYTES - 3 else "strict")
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        raise ListingError(f"{source.name}: line {line}: invalid UTF-8") from None
    stripped = text.lstrip()
    if not stripped:
        raise ListingError(f"{source.name}: the file is empty")
    if stripped[0] in "[{":
        return "hf-json"
    import re

    if re.search(r"(?m)^\s*@\s*[A-Za-z]+\s*[{(]", text):
        return "bibtex"
    return "hf-text"


@dataclass(slots=True)
class Reading:
    """A listing being read: its format, its records, and problems found so far.

    ``problems`` are entries that were skipped but reported (BibTeX only);
    anything worse raises :class:`ListingError` while iterating.
    """

    format: str
    records: Iterator[PaperRecord]
    problems: list[str]


def read_records(
    source: Source, fmt: str = "auto", listing_date: dt.date | None = None, today: dt.date | None = None
) -> Reading:
    """Start reading ``source``; format problems found at the start raise here.

    Later problems are raised while iterating, so callers must consume the
    records inside their transaction.
    """
    if fmt == "auto":
        fmt = sniff(source)
    elif fmt not in FORMATS:
        raise ListingError(f"{source.name}: unknown format {fmt!r} (use one of {', '.join(FORMATS)})")
    else:
        sniff(source)  # still refuse empty, binary and undecodable files up front
    problems: list[str] = []
    if fmt == "hf-text":
        from .hf_text import parse

        return Reading(fmt, parse(source, listing_date=listing_date, today=today), problems)
    if fmt == "hf-json":
        from .hf_json import parse

        return Reading(fmt, parse(source, listing_date=listing_date), problems)
    return Reading(fmt, _bibtex_records(source, problems), problems)


def _bibtex_records(source: Source, problems: list[str]) -> Iterator[PaperRecord]:
    from .bibtex import parse_bibtex

    with source.open() as fh:
        data = fh.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ListingError(f"{source.name}: line {line}: invalid UTF-8") from None
    records, found = parse_bibtex(text, source.name)
    problems.extend(found)
    yield from records


def text_lines(source: Source) -> Iterator[tuple[int, str]]:
    """Decoded lines with their numbers, without line endings; BOM and CRLF handled."""
    with source.open() as raw:
        number = 0
        for chunk_line in iter(lambda: raw.readline(MAX_LINE + 1), b""):
            if len(chunk_line) > MAX_LINE:
                raise ListingError(
                    f"{source.name}: line {number + 1}: longer than {MAX_LINE // (1024 * 1024)} MiB; not a listing"
                )
            number += 1
            line = chunk_line
            if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if b"\x00" in line:
                raise ListingError(f"{source.name}: line {number}: binary data (NUL byte)")
            try:
                decoded = line.decode("utf-8")
            except UnicodeDecodeError:
                raise ListingError(f"{source.name}: line {number}: invalid UTF-8") from None
            # Old Mac line endings: a bare CR splits lines too.
            parts = decoded.rstrip("\r\n").split("\r")
            for offset, part in enumerate(parts):
                yield number + offset, part
            number += len(parts) - 1
