"""Exporting papers: BibTeX, biblatex, CSL-JSON, RIS and a Markdown reading list.

Every format is produced as a stream of text chunks, so an export of 100,000
papers never holds the whole file in memory. Files are written atomically: a
failed export leaves any existing file as it was.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TYPE_CHECKING, TypedDict

from ..errors import ExportError
from ..fsutil import Protected, UnsafeTarget, write_user_file
from ..records import Paper
from .bibtex import render_bibtex
from .cache import LibraryPapers
from .common import ExportReport
from .csl_json import render_csl_json
from .markdown import render_markdown
from .ris import render_ris

if TYPE_CHECKING:  # typing.Unpack is new in Python 3.11; annotations are not evaluated at run time
    from typing import Unpack

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "ExportReport",
    "LibraryPapers",
    "RenderOptions",
    "export_to_file",
    "export_to_stream",
    "render",
]

FORMATS = ("bibtex", "biblatex", "csl-json", "ris", "markdown")
_log = logging.getLogger("papershelf.export")

#: The usual file name extension of each format.
EXTENSIONS = {"bibtex": ".bib", "biblatex": ".bib", "csl-json": ".json", "ris": ".ris", "markdown": ".md"}

_RENDERERS: dict[str, Callable[..., Iterator[str]]] = {
    "bibtex": render_bibtex,
    "biblatex": lambda papers, **opts: render_bibtex(papers, utf8=True, **opts),
    "csl-json": render_csl_json,
    "ris": render_ris,
    "markdown": render_markdown,
}


class RenderOptions(TypedDict, total=False):
    """The keyword options of :func:`render`, which the export functions pass on."""

    abstract: bool
    notes: bool
    all_fields: bool
    report: ExportReport | None


def render(
    papers: Iterable[Paper],
    fmt: str,
    *,
    abstract: bool = True,
    notes: bool = False,
    all_fields: bool = False,
    report: ExportReport | None = None,
) -> Iterator[str]:
    """Text chunks of ``papers`` in format ``fmt`` (one of :data:`FORMATS`).

    ``abstract``: include abstracts; ``notes``: include the user's notes;
    ``all_fields``: keep reference-manager fields (JabRef groups, file links…)
    that are normally left out. ``bibtex`` output is pure ASCII; ``biblatex``
    keeps accented letters as UTF-8 for biber. ``report`` (an
    :class:`ExportReport`) collects what was written in another form than asked.
    Papers given as :class:`LibraryPapers` are written from the library's
    entry cache where it has them (see :mod:`.cache`).
    """
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise ExportError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})") from None
    if fmt in ("bibtex", "biblatex") and isinstance(papers, LibraryPapers):  # from the entry cache
        return papers.render_bibtex(
            utf8=fmt == "biblatex", abstract=abstract, notes=notes, all_fields=all_fields, report=report
        )
    if fmt in ("bibtex", "biblatex"):  # the only formats that change what they cannot write as it is
        return renderer(papers, abstract=abstract, notes=notes, all_fields=all_fields, report=report)
    return renderer(papers, abstract=abstract, notes=notes, all_fields=all_fields)


#: Characters gathered before one write: renderers yield a chunk per paper
#: (a few KB), and a text stream's write costs more than joining them.
WRITE_SIZE = 1 << 18


def export_to_stream(papers: Iterable[Paper], fmt: str, stream: IO[str], **opts: Unpack[RenderOptions]) -> int:
    """Write ``papers`` to an open text stream; returns how many were written."""
    counted = papers if isinstance(papers, LibraryPapers) else _Counter(papers)
    pending: list[str] = []
    size = 0
    for chunk in render(counted, fmt, **opts):
        pending.append(chunk)
        size += len(chunk)
        if size >= WRITE_SIZE:
            stream.write("".join(pending))
            pending.clear()
            size = 0
    stream.write("".join(pending))
    return counted.count


def export_to_file(
    papers: Iterable[Paper],
    fmt: str,
    path: str | os.PathLike[str],
    *,
    protect: Protected | None = None,
    **opts: Unpack[RenderOptions],
) -> int:
    """Write ``papers`` to ``path`` (``"-"``: standard output); returns how many were written.

    Written with :func:`~papershelf.core.fsutil.write_user_file`: through
    symlinks, directly onto a FIFO or device, atomically over a regular file.
    ``protect`` (``Protected.library(...)``) is checked before anything is
    written. On any failure (folder read-only or missing, disk full, ``path`` a
    folder or the library) an existing file at ``path`` is left untouched, no
    temporary file remains, and :class:`ExportError` says why in one line.
    """
    if fmt not in _RENDERERS:
        render((), fmt)  # raises the ExportError for an unknown format
    try:
        with write_user_file(path, protect=protect) as stream:
            count = export_to_stream(papers, fmt, stream, **opts)
        _log.info("exported %d papers (%s) to %s", count, fmt, os.fspath(path))
        return count
    except BrokenPipeError:
        if os.fspath(path) == "-":
            raise  # `papershelf export -o - | head`: the CLI ends quietly
        raise ExportError(f"{os.fspath(path)}: the reader closed the pipe before the export ended") from None
    except UnsafeTarget as exc:
        raise ExportError(f"{os.fspath(path)}: {exc.reason}") from exc
    except OSError as exc:
        raise ExportError(f"{os.fspath(path)}: {_reason(exc)}") from exc
    except Exception as exc:  # a bad record: still one line, and the old file is kept
        raise ExportError(f"{os.fspath(path)}: export failed ({type(exc).__name__}: {exc})".splitlines()[0]) from exc


def _reason(exc: OSError) -> str:
    """A short, user-facing reason for an OSError."""
    reasons: dict[int | None, str] = {  # OSError.errno may be None
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "the folder is read-only",
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EISDIR: "is a folder, not a file",
        errno.ENOENT: "the folder does not exist",
        errno.ENOTDIR: "part of the path is not a folder",
        errno.ENAMETOOLONG: "the file name is too long",
        errno.ELOOP: "the symbolic links loop (too many levels of links)",
        errno.ENXIO: "no device or reader at this path",
    }
    return reasons.get(exc.errno, (exc.strerror or str(exc)).splitlines()[0].lower())


class _Counter:
    """Counts the papers as a renderer pulls them, without buffering any."""

    def __init__(self, papers: Iterable[Paper]):
        self._papers = papers
        self.count = 0

    def __iter__(self) -> Iterator[Paper]:
        for paper in self._papers:
            self.count += 1
            yield paper
