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
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..errors import ListingError
from ..records import PaperRecord

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

FORMATS = ("hf-text", "hf-json", "bibtex")
#: How much of the start of a file is read to tell its format.
SNIFF_BYTES = 64 * 1024
#: No line of a daily listing is anywhere near this long.
MAX_LINE = 1024 * 1024


@dataclass(slots=True)
class Source:
    """An input: a display name and a way to open it as bytes.

    A regular file is opened afresh each time (the format is told from its
    start, then it is read as a stream). A pipe, a FIFO or standard input can
    be read only once: the first :meth:`open` reads it into memory, up to
    :data:`MAX_STREAM` bytes, and every later one reads that copy.
    """

    name: str
    path: Path | None = None
    data: bytes | None = None
    stream: BinaryIO | None = None

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> Source:
        return cls(name=str(path), path=Path(path))

    @classmethod
    def from_text(cls, text: str, name: str = "clipboard") -> Source:
        return cls(name=name, data=text.encode("utf-8", "surrogatepass"))

    @classmethod
    def from_stream(cls, stream: BinaryIO, name: str = "standard input") -> Source:
        """A stream read once, at the first :meth:`open` (for ``papershelf import -``)."""
        return cls(name=name, stream=stream)

    def open(self) -> BinaryIO:
        """The input as bytes from its start; problems raise :class:`ListingError` naming it."""
        if self.data is None and self.stream is not None:
            self.data = _read_once(self.stream, self.name)
            self.stream = None
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        try:
            # stat first: a device is never opened (opening one can act), a FIFO only once.
            kind = stat.S_IFMT(os.stat(self.path).st_mode)
            if kind == stat.S_IFDIR:
                raise ListingError(f"{self.name}: is a folder, not a listing file")
            if kind == stat.S_IFIFO:
                with open(self.path, "rb", buffering=0) as pipe:
                    self.data = _read_once(pipe, self.name)
                return io.BytesIO(self.data)
            if kind != stat.S_IFREG:
                what = "a socket" if kind == stat.S_IFSOCK else "a device"
                raise ListingError(f"{self.name}: is {what}, not a listing file")
            # O_NONBLOCK: if a FIFO took the file's place since the stat, opening it must not wait.
            fd = os.open(self.path, os.O_RDONLY | _OPEN_FLAGS)
        except FileNotFoundError:
            raise ListingError(f"{self.name}: no such file") from None
        except PermissionError:
            raise ListingError(f"{self.name}: permission denied") from None
        except OSError as exc:
            raise ListingError(f"{self.name}: cannot read ({_reason(exc)})") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ListingError(f"{self.name}: was replaced while being read; nothing was imported")
        return io.BufferedReader(_Guarded(io.FileIO(fd, "rb"), self.name), buffer_size=SNIFF_BYTES)


# Binary on Windows; not inherited by child processes.
_OPEN_FLAGS = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)

#: The most bytes read from a pipe, FIFO or standard input. Unlike a file it
#: cannot be read twice (once to tell its format, once to import), so it is
#: held in memory; a larger listing is imported from a file.
MAX_STREAM = 256 * 1024 * 1024


def _read_once(stream: BinaryIO, name: str) -> bytes:
    """All of ``stream`` (a pipe: read to its end, once), at most :data:`MAX_STREAM` bytes."""
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := stream.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_STREAM:
                limit = f"{MAX_STREAM // (1024 * 1024)} MiB"
                raise ListingError(f"{name}: more than {limit} from a pipe; save it to a file and import that")
            chunks.append(chunk)
    except OSError as exc:
        raise ListingError(f"{name}: cannot read ({_reason(exc)})") from None
    return b"".join(chunks)


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


class _Guarded(io.RawIOBase):
    """A file whose read errors are one line naming it (``/proc/self/mem: cannot read (input/output error)``)."""

    def __init__(self, raw: io.RawIOBase, name: str):
        super().__init__()
        self._raw = raw
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int | None:
        try:
            return self._raw.readinto(buffer)
        except OSError as exc:
            raise ListingError(f"{self._name}: cannot read ({_reason(exc)})") from None

    def close(self) -> None:
        self._raw.close()
        super().close()


def sniff(source: Source) -> str:
    """The format of ``source``: ``hf-json``, ``bibtex`` or ``hf-text``, from its structure.

    Only the first :data:`SNIFF_BYTES` are read, and each of their lines is
    looked at once: see :func:`shape`.
    """
    return shape(_head(source))


def _head(source: Source) -> str:
    """The decoded start of ``source``; empty, binary and non-UTF-8 files raise here."""
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
    if not text.strip() and len(head) < SNIFF_BYTES:  # a longer file may have content after the blanks
        raise ListingError(f"{source.name}: the file is empty")
    return text


# A BibTeX block: "@article{", "@string{", "@comment{" (or "@misc(key," with parentheses)
# at the start of a line. Not "@AK (Twitter)" in a page header.
_BIB_BLOCK_START = r"[ \t]*@[ \t]*[A-Za-z][\w-]*[ \t]*(?:\{|\((?=[^)\n]*[,=]))"
_BIB_BLOCK = re.compile(_BIB_BLOCK_START)
_BIB_BLOCK_ANYWHERE = re.compile("(?m)^" + _BIB_BLOCK_START)
# JSON: an array of objects, arrays or strings (or an empty one), or an object, which
# the JSON reader then refuses clearly. Not a text line such as "[Re] Reproducing …".
_JSON_START = re.compile(r"\s*(?:\[\s*(?:[{\[\]\"]|$)|\{\s*(?:[\"}]|$))")


def shape(text: str) -> str:
    """The format whose structure the start of a file has.

    - ``hf-json``: a JSON array of objects, arrays or strings, or a JSON object
      (the JSON reader then says clearly what is wrong).
    - ``bibtex``: the first line with content is a ``@type{`` block or a ``%``
      comment; or a ``@type{`` line comes before anything that could be a
      listing's date line (free text before the first entry is a comment in
      BibTeX, e.g. JabRef's "This file was created with JabRef").
    - ``hf-text``: anything else, in particular a listing whose date line comes
      before an abstract that holds a line starting ``@misc{``.

    Linear in ``text``: each line is matched once, with anchored patterns.
    """
    from .hf_text import parse_date_line

    if _JSON_START.match(text):
        return "hf-json"
    first = True
    for line in text.splitlines():
        content = line.strip()
        if not content:
            continue
        if _BIB_BLOCK.match(line) or (first and content.startswith("%")):
            return "bibtex"
        first = False
        if len(content) < 40 and parse_date_line(content):
            return "hf-text"
    return "hf-text"


def _looks_like_bibtex(text: str) -> bool:
    """Whether ``text`` has at least one BibTeX block (a line starting ``@type{``)."""
    return _BIB_BLOCK_ANYWHERE.search(text) is not None or shape(text[:SNIFF_BYTES]) == "bibtex"


@dataclass(slots=True)
class Reading:
    """A listing being read: its format, its records, and what was found so far.

    ``skipped`` names entries that were not imported (BibTeX only);
    ``warnings`` names records kept with a change worth knowing. Anything
    worse raises :class:`ListingError` while iterating. Both lists fill as
    the records are consumed.
    """

    format: str
    records: Iterator[PaperRecord]
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_records(
    source: Source, fmt: str = "auto", listing_date: dt.date | None = None, today: dt.date | None = None
) -> Reading:
    """Start reading ``source``; format problems found at the start raise here.

    Later problems are raised while iterating, so callers must consume the
    records inside their transaction.
    """
    head = _head(source)  # refuses empty, binary and undecodable files up front
    detected = shape(head)
    if fmt == "auto":
        fmt = detected
    elif fmt not in FORMATS:
        raise ListingError(f"{source.name}: unknown format {fmt!r} (use one of {', '.join(FORMATS)})")
    reading = Reading(fmt, iter(()))
    if fmt == "hf-text":
        from .hf_text import parse as parse_text

        records = parse_text(source, listing_date=listing_date, today=today)
    elif fmt == "hf-json":
        from .hf_json import parse as parse_json

        records = parse_json(source, listing_date=listing_date)
    else:
        records = _bibtex_records(source, reading, checked=detected == "bibtex")
    reading.records = _whole_characters(records, source.name, reading.warnings)
    return reading


def _bibtex_records(source: Source, reading: Reading, checked: bool) -> Iterator[PaperRecord]:
    from .bibtex import read_bibtex

    with source.open() as fh:
        data = fh.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ListingError(f"{source.name}: line {line}: invalid UTF-8") from None
    del data
    if not checked and not _looks_like_bibtex(text):
        # --format bibtex on a listing would import nothing and say "0 added".
        raise ListingError(
            f"{source.name}: not BibTeX: no line starts an entry such as '@article{{key,'"
            f" (it looks like {FORMAT_NAMES[shape(text[:SNIFF_BYTES])]}; try --format auto)"
        )
    found = read_bibtex(text, source.name)
    reading.skipped.extend(found.skipped)
    reading.warnings.extend(found.warnings)
    yield from found.records


FORMAT_NAMES = {"hf-text": "a daily papers text listing", "hf-json": "daily papers JSON", "bibtex": "BibTeX"}

_SURROGATE = re.compile("[\ud800-\udfff]")


def _whole_characters(records: Iterator[PaperRecord], name: str, warnings: list[str]) -> Iterator[PaperRecord]:
    """The records, with any lone surrogate replaced by U+FFFD and a warning.

    JSON can escape half of a character (``"\\ud800"``); it is not a
    character, cannot be stored as UTF-8, and would fail the whole import.
    The rest of the text is kept, and the warning says where it was.
    """
    for record in records:
        text = "".join(
            [record.title, record.abstract, *record.authors, *record.code_urls, *record.tags, *record.extra_fields]
            + [*record.extra_fields.values()]
            + [v for v in (record.url, record.project_url, record.citation_key, record.primary_class) if v]
        )
        # One scan per record, and none for ASCII text (isascii() is O(1)): imports of 100,000 papers run this.
        if not text.isascii() and _SURROGATE.search(text):
            _repair(record, name, warnings)
        yield record


def _repair(record: PaperRecord, name: str, warnings: list[str]) -> None:
    for attr in ("title", "abstract", "url", "project_url", "citation_key", "primary_class"):
        value = getattr(record, attr)
        if value and _SURROGATE.search(value):
            setattr(record, attr, _replace_surrogates(value, name, record.where, attr, warnings))
    for attr in ("authors", "code_urls", "tags"):
        values = getattr(record, attr)
        if any(_SURROGATE.search(v) for v in values):
            setattr(record, attr, [_replace_surrogates(v, name, record.where, attr, warnings) for v in values])
    if any(_SURROGATE.search(k) or _SURROGATE.search(v) for k, v in record.extra_fields.items()):
        record.extra_fields = {
            _replace_surrogates(k, name, record.where, "field name", warnings): _replace_surrogates(
                v, name, record.where, k, warnings
            )
            for k, v in record.extra_fields.items()
        }


def _replace_surrogates(value: str, name: str, where: str, what: str, warnings: list[str]) -> str:
    found = _SURROGATE.search(value)
    if found is None:
        return value
    warnings.append(
        f"{name}: {where}: {what}: a lone surrogate \\u{ord(found.group()):04x} (half a character) "
        "is not text; kept as U+FFFD"
    )
    return _SURROGATE.sub("\ufffd", value)


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
