"""arXiv PDFs for offline reading: a queue in the library, downloads that resume, and the auto-download rule.

A paper's PDF is ``GET {PAPERSHELF_ARXIV_PDF}/{arxiv_id}`` (default ``https://arxiv.org/pdf``). Papers are
queued in the library's ``download`` table (:class:`~papershelf.core.operations.downloads.QueueDownloads`), so a
download asked for and not finished is still asked for after a restart. :func:`download` fetches them one
by one into ``<files folder>/.partial/<arXiv id>.part`` (a ``/`` in an old-style id as ``_``), under a lock
(``<arXiv id>.lock``) another window or command downloading it respects; what arrived stays there if the
transfer stops (a dropped connection, a stall, Cancel, Ctrl+C, the app closed), and the next try asks only for
the rest (HTTP Range, see :meth:`~.http.Client.download`). What arrived must start with ``%PDF-`` (after
blanks or a byte order mark at most), and not come as ``text/html``: arXiv's "are you a robot?" page or an
error page is refused in one line. A PDF is attached to its paper (stored by hash in the files folder, origin
"downloaded") and leaves the queue, in one change that first checks the paper still has that arXiv id (it
may have been deleted meanwhile, and its id given to a new paper). A paper "has a PDF" only if a file of it
is where the library says now; one whose PDFs all went missing is downloaded again (the same content puts the
missing attachment's file back). A failure is reported in one line,
which says whether the paper stays queued: one that will not pass (HTTP 404/410/400 and the like, a file
larger than allowed, not an arXiv id) leaves the queue at once, so it is reported once and not tried again
at every ``papershelf download`` or start of the app; one that may pass (no network, a timeout, 5xx, 429,
a web page instead of the PDF) stays on its queue row (``attempts``, ``error``) until
:data:`~.operations.downloads.MAX_ATTEMPTS` tries failed. Asking for the paper again queues it anew.

arXiv's rules (https://info.arxiv.org/help/api/tou.html, the same as for its API): one request every
3 seconds to its host, and the wait a 429/503 asks for (Retry-After), both the client's job; the spacing is
shared by every Papershelf process of the user (:data:`SPACING_FILE` in the cache folder, see
:mod:`.spacing`), so the app and a command, or a loop of commands, together ask no faster. A PDF is at most
:data:`MAX_BYTES`, and its transfer gives up after :data:`DOWNLOAD_TIMEOUT` seconds, or when fewer than
:data:`STALL_BYTES` arrived in :data:`STALL_WINDOW` seconds.

Auto-download: the library setting ``auto_download`` names a tag or a reading list (off by default);
:func:`papers_to_queue` says which papers that just got the tag or joined the list should be queued.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import quote, urlsplit

from sqlalchemy import Connection, select

from ... import paths
from .. import db, normalize
from ..errors import PapershelfError
from ..fsutil import make_private_dirs
from ..operations import Outcome
from ..operations import downloads as ops
from ..operations.downloads import MAX_ATTEMPTS, AutoRule, read_rule
from ..schema import DL, LE, PT, RL, P, T
from . import arxiv
from .http import Client, Download, DownloadFileError, NetworkError, default_user_agent
from .spacing import SPACING_FILE, SharedSpacing

if TYPE_CHECKING:
    from ..attachments import Attachment
    from ..library import Library

_log = logging.getLogger(__name__)

DEFAULT_PDF = "https://arxiv.org/pdf"
#: The largest PDF downloaded (arXiv's own limit for a submission is 50 MB).
MAX_BYTES = 100 * 1024 * 1024
#: Seconds one PDF's transfer may take in all (each wait for data: the client's read timeout, 20 s).
DOWNLOAD_TIMEOUT = 600.0
#: A transfer that brought fewer than STALL_BYTES in STALL_WINDOW seconds has stalled: it gives up (and
#: lets go of the paper's lock) instead of dripping on until DOWNLOAD_TIMEOUT.
STALL_BYTES = 1024
STALL_WINDOW = 60.0
#: Bytes read to tell a PDF from anything else.
_MAGIC_WINDOW = 1024
#: What may come before ``%PDF-`` (a few servers send a byte order mark or a blank line first).
_LEADING = b" \t\r\n\f"
_BOM = b"\xef\xbb\xbf"
#: 4xx answers that may differ next time (a login, a block, a timeout, a conflict, too many requests); any
#: other 4xx (404, 410, 400, …) is the same at every try.
_PASSING_4XX = frozenset({401, 403, 407, 408, 409, 423, 425, 429})
_STATUS = re.compile(r"HTTP (\d{3})\b")
_TOO_LARGE = re.compile(r"more than the \d+ (bytes )?allowed")


@dataclass(frozen=True)
class DownloadProgress:
    """Where a download stands: paper ``index`` (1-based) of ``count``, ``done`` of ``total`` bytes."""

    index: int
    count: int
    paper_id: int
    arxiv_id: str
    done: int
    total: int | None  # None: the server did not say


@dataclass(frozen=True)
class DownloadResult:
    """What happened to one paper's PDF; ``message`` is one line."""

    paper_id: int
    arxiv_id: str | None
    state: Literal["downloaded", "skipped", "failed", "cancelled"]
    message: str
    attachment: Attachment | None = None
    size: int = 0
    resumed_from: int = 0  # bytes an earlier try had already fetched
    queued: bool = False  # a failure: still queued, to be tried again (False: off the queue)

    def line(self) -> str:
        """``12 (2509.01234): <message>``, for a terminal or a status bar."""
        return f"{self.paper_id}{f' ({self.arxiv_id})' if self.arxiv_id else ''}: {self.message}"


@dataclass(frozen=True)
class Queued:
    """A paper waiting for its PDF."""

    paper_id: int
    arxiv_id: str | None
    attempts: int
    error: str | None


class _Fail(Protocol):
    """Records a paper's failed try (``final``: one that will not pass) and returns its result."""

    def __call__(self, reason: str, final: bool = False) -> DownloadResult: ...


# --- Where from ---------------------------------------------------------------------------------------------


def pdf_base() -> str:
    """``$PAPERSHELF_ARXIV_PDF`` without a trailing slash, or https://arxiv.org/pdf."""
    url = os.environ.get("PAPERSHELF_ARXIV_PDF", "").strip().rstrip("/") or DEFAULT_PDF
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NetworkError(url, "PAPERSHELF_ARXIV_PDF is not an http(s) URL")
    return url


def pdf_url(arxiv_id: str) -> str:
    """The PDF's URL: ``{PAPERSHELF_ARXIV_PDF}/{arxiv_id}``, without an ``arXiv:`` prefix; a version is kept."""
    ident = arxiv_id.strip()
    if ident[:6].lower() == "arxiv:":
        ident = ident[6:]
    if normalize.arxiv_id(ident) is None:
        raise PapershelfError(f"{arxiv_id!r} is not an arXiv id")
    return f"{pdf_base()}/{quote(ident, safe='/.')}"


def min_interval() -> dict[str, float]:
    """arXiv's spacing (:data:`.arxiv.MIN_INTERVAL`) for the PDF host and for the API's host."""
    host = urlsplit(pdf_base()).hostname
    assert host is not None  # pdf_base() checked it
    return {**arxiv.min_interval(), host: arxiv.MIN_INTERVAL}


def pdf_client(
    cancelled: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Client:
    """A client for PDFs: Papershelf's User-Agent, arXiv's spacing (shared with the user's other Papershelf
    processes), :data:`MAX_BYTES`, the stall limit, no cache."""
    return Client(
        user_agent=default_user_agent(),
        min_interval=min_interval(),
        max_bytes=MAX_BYTES,
        cancelled=cancelled,
        clock=clock,
        sleep=sleep,
        shared_spacing=SharedSpacing(paths.cache_dir() / SPACING_FILE),
        stall_bytes=STALL_BYTES,
        stall_window=STALL_WINDOW,
    )


def partial_dir(library: Library) -> Path:
    """The folder of unfinished downloads: ``<files folder>/.partial``."""
    return paths.files_dir(library.path) / ".partial"


# --- The queue ----------------------------------------------------------------------------------------------


def queued(library: Library) -> list[Queued]:
    """The papers waiting for their PDF, in the order they were queued."""
    statement = (
        select(DL.c.paper_id, P.c.arxiv_id, DL.c.attempts, DL.c.error)
        .join(P, P.c.id == DL.c.paper_id)
        .order_by(DL.c.requested_at, DL.c.paper_id)
    )
    with db.read(library.engine) as conn:
        return [Queued(*row) for row in conn.execute(statement)]


def queue(library: Library, paper_ids: Iterable[int]) -> Outcome:
    """Queue papers for their PDF (one undoable operation; its result is how many were queued)."""
    return library.run(ops.QueueDownloads(tuple(paper_ids)))


def has_pdf(library: Library, ids: Sequence[int]) -> set[int]:
    """Those of ids with a PDF attached whose file is where the library says, now (not only as far as
    the last check knew: a file deleted or moved away since does not count)."""
    from ..attachments import attachments_of

    found = attachments_of(library, ids)
    return {pid for pid, files in found.items() if any(not f.missing for f in files)}


def _arxiv_ids(conn: Connection, ids: Sequence[int]) -> dict[int, str | None]:
    found: dict[int, str | None] = {}
    for start in range(0, len(ids), 30_000):
        chunk = list(ids[start : start + 30_000])
        found.update((pid, aid) for pid, aid in conn.execute(select(P.c.id, P.c.arxiv_id).where(P.c.id.in_(chunk))))
    return found


# --- Downloading --------------------------------------------------------------------------------------------


def download(
    library: Library,
    paper_ids: Sequence[int] | None = None,
    *,
    client: Client | None = None,
    progress: Callable[[DownloadProgress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    max_bytes: int = MAX_BYTES,
) -> list[DownloadResult]:
    """Download and attach the arXiv PDFs of these papers (None: of every queued paper), one at a time.

    Given papers are queued first, so what does not arrive now is still asked for next time, unless it failed
    for good or for the :data:`MAX_ATTEMPTS`-th time (see the module). A paper with no arXiv id, or that has a
    PDF already, is skipped (and leaves the queue). A cancel (``cancelled()`` true,
    checked between pieces of a file and while waiting) stops at once: the paper being fetched and those
    after it stay queued, and what arrived is kept for the next try. One result per paper, in order.
    """
    web = client if client is not None else pdf_client(cancelled)
    with db.read(library.engine) as conn:
        if paper_ids is None:
            rows = conn.execute(select(DL.c.paper_id).order_by(DL.c.requested_at, DL.c.paper_id))
            ids = [int(pid) for pid in rows.scalars()]
        else:
            ids = list(dict.fromkeys(paper_ids))
        arxiv_of = _arxiv_ids(conn, ids)
    have = has_pdf(library, ids)
    missing = [pid for pid in ids if pid not in arxiv_of]
    if missing:
        raise PapershelfError(f"no paper with id {missing[0]}")
    results: dict[int, DownloadResult] = {}
    todo: list[int] = []
    for pid in ids:
        aid = arxiv_of[pid]
        if aid is None:
            results[pid] = DownloadResult(pid, None, "skipped", "no arXiv id, so no arXiv PDF to download")
        elif pid in have:
            results[pid] = DownloadResult(pid, aid, "skipped", "already has a PDF")
        else:
            todo.append(pid)
    if paper_ids is not None and todo:
        library.run(ops.QueueDownloads(tuple(todo)))
    done_with = [pid for pid in results]  # skipped: nothing left to download for them
    if done_with:
        library.run(ops.UnqueueDownloads(tuple(done_with)))
    folder = partial_dir(library)
    for index, pid in enumerate(todo, 1):
        aid = arxiv_of[pid]
        assert aid is not None
        if cancelled is not None and cancelled():
            result = _cancelled(pid, aid)
        else:
            result = _download_one(library, web, folder, pid, aid, index, len(todo), progress, cancelled, max_bytes)
        results[pid] = result
        if result.state == "cancelled":
            for later in todo[index:]:
                results[later] = _cancelled(later, arxiv_of[later])
            break
    return [results[pid] for pid in ids]


def _cancelled(pid: int, aid: str | None) -> DownloadResult:
    return DownloadResult(pid, aid, "cancelled", "cancelled; still queued (what arrived is kept)")


def _download_one(
    library: Library,
    web: Client,
    folder: Path,
    pid: int,
    aid: str,
    index: int,
    count: int,
    progress: Callable[[DownloadProgress], None] | None,
    cancelled: Callable[[], bool] | None,
    max_bytes: int,
) -> DownloadResult:
    """Fetch, check and attach one paper's PDF; a failure is recorded on its queue row."""

    def failed(reason: str, final: bool = False) -> DownloadResult:
        recorded: ops.Failure | None = library.run(ops.RecordDownloadFailure(pid, reason, final)).result
        text = " ".join(reason.split())
        if recorded is None:  # taken out of the queue meanwhile
            return DownloadResult(pid, aid, "failed", text)
        tries = f"{recorded.attempts} of {MAX_ATTEMPTS} tries failed"
        if recorded.queued:
            return DownloadResult(pid, aid, "failed", f"{text}; still queued ({tries})", queued=True)
        return DownloadResult(pid, aid, "failed", f"{text}; no longer queued{'' if final else f' ({tries})'}")

    def report(done: int, total: int | None) -> None:
        if progress is not None:
            progress(DownloadProgress(index, count, pid, aid, done, total))

    report(0, None)
    part = folder / f"{file_key(aid)}.part"
    try:
        url = pdf_url(aid)
    except NetworkError as exc:  # PAPERSHELF_ARXIV_PDF is not a URL: the setting's fault, not the paper's
        return failed(str(exc))
    except PapershelfError as exc:  # not an arXiv id: no try will find its PDF
        return failed(str(exc), final=True)
    try:
        make_private_dirs(folder)
        with _only_one(folder / f"{file_key(aid)}.lock") as mine:
            if not mine:
                return DownloadResult(pid, aid, "skipped", "being downloaded by another Papershelf window or command")
            return _fetch_and_attach(library, web, part, url, pid, aid, report, cancelled, max_bytes, failed)
    except PapershelfError as exc:
        return failed(str(exc))
    except OSError as exc:
        return failed(f"{exc.filename or folder}: {exc.strerror or exc}")


def _fetch_and_attach(
    library: Library,
    web: Client,
    part: Path,
    url: str,
    pid: int,
    aid: str,
    report: Callable[[int, int | None], None],
    cancelled: Callable[[], bool] | None,
    max_bytes: int,
    failed: _Fail,
) -> DownloadResult:
    """Fetch into ``part``, check it is a PDF, and attach it (this process holding the paper's lock)."""
    folder = part.parent
    try:
        got = web.download(
            url, part, max_bytes=max_bytes, total_timeout=DOWNLOAD_TIMEOUT, progress=report, cancelled=cancelled
        )
    except NetworkError as exc:
        if exc.reason == "cancelled":
            return _cancelled(pid, aid)
        return failed(str(exc), final=_for_good(exc))
    except (DownloadFileError, PapershelfError) as exc:
        return failed(str(exc))
    except OSError as exc:
        return failed(f"{exc.filename or folder}: {exc.strerror or exc}")
    problem = _not_a_pdf(got)
    if problem is not None:
        _remove(part, part.with_name(part.name + ".json"))
        return failed(f"{url}: {problem}; nothing was attached")
    named = folder / f"{file_key(aid)}.pdf"  # the name the attachment keeps
    try:
        _remove(named)
        if os.path.lexists(named):  # never renamed over a link, a folder or a device
            return failed(f"{named}: not a regular file; move it away and download again")
        os.replace(part, named)
    except OSError as exc:
        return failed(f"{named}: {exc.strerror or exc}")
    try:
        attachment, found_again = _attach(library, pid, aid, named)
    except PapershelfError as exc:
        if isinstance(exc, ops.PaperChanged) or not _same_paper(library, pid, aid):
            _remove(named, part, part.with_name(part.name + ".json"))  # for another paper now: not kept
            with db.read(library.engine) as conn:  # a paper whose arXiv id changed is still queued, for the new one
                still = bool(ops.queue_rows(conn, [pid]))
            return DownloadResult(pid, aid, "failed", str(ops.PaperChanged(pid)), queued=still)
        try:
            if not os.path.lexists(part):
                os.replace(named, part)  # kept whole: the next try gets it from here without asking arXiv
        except OSError:
            pass
        return failed(str(exc))
    _remove(named, part.with_name(part.name + ".json"))
    resumed = f", resumed at {_size(got.resumed_from)}" if got.resumed_from else ""
    again = "; it is the PDF that was missing, found again" if found_again else ""
    message = f"downloaded {named.name} ({_size(got.size)}{resumed}){again}"
    return DownloadResult(pid, aid, "downloaded", message, attachment, got.size, got.resumed_from)


def file_key(arxiv_id: str) -> str:
    """The name an arXiv id's files in the .partial folder go by: ``hep-th/9901001`` → ``hep-th_9901001``.

    Keyed by the arXiv id, not the paper id: SQLite gives a deleted paper's id to the next paper made."""
    return re.sub(r"[^A-Za-z0-9.-]", "_", arxiv_id)


def _same_paper(library: Library, pid: int, aid: str) -> bool:
    with db.read(library.engine) as conn:
        return ops.same_paper(conn, pid, aid)


def _attach(library: Library, pid: int, aid: str, named: Path) -> tuple[Attachment, bool]:
    """Attach the file to paper pid if it still has the arXiv id aid (PaperChanged if not), and take it out of
    the queue, as one change; the attachment, and whether it is a missing PDF of the paper found again."""
    from .. import attachments

    if not _same_paper(library, pid, aid):  # nothing copied into the files folder for a paper that went
        raise ops.PaperChanged(pid)
    operation = attachments.prepare_attach(library, pid, named, origin="downloaded")
    outcome = attachments.run_attaching(library, ops.AttachDownloaded(operation, pid, aid), operation.row)
    attachment_id, changed = outcome.result
    found_again = changed and operation.replaces == attachment_id
    attachment = next(a for a in attachments.attachments_of(library, [pid])[pid] if a.id == attachment_id)
    return attachment, found_again


@contextmanager
def _only_one(lock: Path) -> Iterator[bool]:
    """Whether this process got the arXiv id's download lock (another window or command may hold it); kept
    until the end of the ``with``, and then its file removed (on Windows, where an open file cannot be
    removed, the file stays). A lock on a file removed meanwhile is not one: its holder was finishing."""
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0), 0o600)
    mine = False
    try:
        held = os.fstat(fd)
        if not stat.S_ISREG(held.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(lock))
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            mine = True
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EDEADLK):
                raise
        if mine:
            try:
                mine = os.path.samestat(held, os.lstat(lock))
            except FileNotFoundError:
                mine = False
        yield mine  # a lock goes with the file descriptor
    finally:
        if mine and sys.platform != "win32":
            _remove(lock)
        os.close(fd)


def _for_good(error: NetworkError) -> bool:
    """Whether the same request would fail the same way every time: a 4xx other than :data:`_PASSING_4XX`
    (no such PDF: 404, 410; a bad request: 400), or a file larger than allowed."""
    status = _STATUS.match(error.reason)
    if status is not None:
        code = int(status.group(1))
        return 400 <= code < 500 and code not in _PASSING_4XX
    return _TOO_LARGE.search(error.reason) is not None


def _not_a_pdf(got: Download) -> str | None:
    """Why what arrived is not a PDF, or None if it is one: it must start with ``%PDF-`` (after a byte order
    mark or blanks at most), and a ``text/html`` answer is a web page (arXiv's robot check or an error page)
    whatever its body says."""
    try:
        with open(got.path, "rb") as file:
            head = file.read(_MAGIC_WINDOW)
    except OSError as exc:
        return f"could not read what arrived ({exc.strerror or exc})"
    content_type = " ".join(got.headers.get("content-type", "").split())[:80] or "no Content-Type"
    web_page = f"the server sent a web page ({content_type}), not a PDF: perhaps a captcha or an error page"
    if content_type.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml"):
        return web_page
    if head.removeprefix(_BOM).lstrip(_LEADING).startswith(b"%PDF-"):
        return None
    if b"<html" in head.lower() or b"<!doctype html" in head.lower() or "html" in content_type.lower():
        return web_page
    if not head:
        return "the server sent an empty file, not a PDF"
    return f"the server sent something that is not a PDF ({content_type})"


def _remove(*files: Path) -> None:
    """Remove files of the app's own .partial folder that exist (regular files only); a file that cannot be
    removed is left (and logged): it is tidying, and the next download replaces it."""
    for file in files:
        try:
            if stat.S_ISREG(file.lstat().st_mode):
                file.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            _log.warning("%s: could not remove it: %s", file, exc.strerror or exc)


def _size(n: int) -> str:
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"
    return f"{n / (1024 * 1024):.1f} MB"


# --- Automatic downloads ------------------------------------------------------------------------------------


def auto_download(library: Library) -> AutoRule | None:
    """The auto-download rule: ("tag", NAME), ("list", NAME), or None (off, the default)."""
    with db.read(library.engine) as conn:
        return read_rule(conn)


def set_auto_download(library: Library, rule: AutoRule | None) -> Outcome:
    """Set the rule (None: off); one undoable operation."""
    return library.run(ops.SetAutoDownload(rule))


def papers_to_queue(library: Library, paper_ids: Iterable[int]) -> list[int]:
    """Those of these papers the auto-download rule asks a PDF for and that are neither queued nor have one.

    Call it after papers got a tag or joined a list; with the rule off it is always empty.
    """
    ids = list(dict.fromkeys(paper_ids))
    with db.read(library.engine) as conn:
        rule = read_rule(conn)
        if rule is None or not ids:
            return []
        kind, name = rule
        matching: set[int] = set()
        for start in range(0, len(ids), 30_000):
            chunk = ids[start : start + 30_000]
            if kind == "tag":
                statement = (
                    select(PT.c.paper_id)
                    .join(T, T.c.id == PT.c.tag_id)
                    .where(T.c.name == name, PT.c.paper_id.in_(chunk))
                )
            else:
                statement = (
                    select(LE.c.paper_id)
                    .join(RL, RL.c.id == LE.c.list_id)
                    .where(RL.c.name == name, LE.c.paper_id.in_(chunk))
                )
            matching.update(conn.execute(statement).scalars())
        candidates = [pid for pid in ids if pid in matching]
        arxiv_of = _arxiv_ids(conn, candidates)
        waiting = set(ops.queue_rows(conn, candidates))
    have = has_pdf(library, candidates)
    return [pid for pid in candidates if arxiv_of.get(pid) and pid not in have and pid not in waiting]


def queue_automatic(library: Library, paper_ids: Iterable[int]) -> int:
    """Queue the papers :func:`papers_to_queue` names; how many were queued."""
    wanted = papers_to_queue(library, paper_ids)
    if not wanted:
        return 0
    queued_now: int = library.run(ops.QueueDownloads(tuple(wanted))).result
    return queued_now
