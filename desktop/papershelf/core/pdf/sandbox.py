"""Reading untrusted PDFs safely: the only way the app reads a PDF.

:func:`extract` and :func:`identify` run the reader (``core/pdf/reader.py``) in a
separate process (``core/pdf/worker.py``): a hostile or broken PDF can make that
process hang, eat memory or crash, and costs only that one file.

* The worker is ``sys.executable -m papershelf.core.pdf.worker`` from a checkout
  or an installed package; in the frozen app ``sys.executable`` is the app
  itself, started as ``papershelf --pdf-worker`` (``__main__`` hands over before
  anything imports Qt).
* Limits: a wall-clock timeout (the process and its group are killed), and on
  POSIX the worker caps its own address space (RLIMIT_AS) and CPU time
  (RLIMIT_CPU). Windows has neither (only the timeout applies there); macOS does
  not enforce RLIMIT_AS.
* No stdin; stdout is one JSON object read up to a size cap; stderr is kept
  (its end) only to say why the worker died.

Every failure is a :class:`PdfError` whose message is one line naming the file
and the reason, never a traceback.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from ..errors import PapershelfError
from .reader import MAX_ANNOTATION_CHARS, MAX_ANNOTATIONS, MAX_CHARS, MAX_PAGES, Annotation, PdfContent

__all__ = ["PdfError", "extract", "identify", "is_pdf"]

#: Room for the annotations and the JSON around the text. A character takes up to 6 bytes of the answer
#: (a control character is written ``\u0007``), and every one is kept.
_BYTES_PER_CHAR = 6
_OUTPUT_SLACK = 16 * 1024 * 1024 + _BYTES_PER_CHAR * MAX_ANNOTATIONS * (2 * MAX_ANNOTATION_CHARS + 300)
_STDERR_KEEP = 16 * 1024
_PACKAGE_PARENT = Path(__file__).resolve().parents[3]  # the folder holding ``papershelf/``


class PdfError(PapershelfError):
    """A PDF that could not be read; ``str()`` is ``"<file>: could not read: <reason>"``."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = " ".join(reason.split()) or "unknown error"
        super().__init__(f"{path}: could not read: {self.reason}")


def is_pdf(path: Path) -> bool:
    """Whether ``path`` is a regular file with ``%PDF-`` in its first 1024 bytes."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as stream:
            return b"%PDF-" in stream.read(1024)
    except OSError:
        return False


def extract(
    path: Path,
    *,
    timeout: float = 60.0,
    memory_mb: int = 1024,
    max_pages: int = MAX_PAGES,
    max_chars: int = MAX_CHARS,
) -> PdfContent:
    """The text of every page (bounded), metadata, ids and annotations of ``path``; raises :class:`PdfError`."""
    return _run("extract", Path(path), timeout=timeout, memory_mb=memory_mb, max_pages=max_pages, max_chars=max_chars)


def identify(path: Path, *, timeout: float = 20.0, memory_mb: int = 1024) -> PdfContent:
    """Metadata, ids and the first page's text only (to match a dropped PDF to a paper); raises :class:`PdfError`."""
    return _run("identify", Path(path), timeout=timeout, memory_mb=memory_mb, max_pages=1, max_chars=200_000)


def _command(mode: str, path: Path, *, cpu: float, memory_mb: int, max_pages: int, max_chars: int) -> list[str]:
    options = [
        mode,
        str(path),
        f"--cpu={cpu:g}",
        f"--memory-mb={memory_mb}",
        f"--max-pages={max_pages}",
        f"--max-chars={max_chars}",
    ]
    if getattr(sys, "frozen", False):
        return [sys.executable, "--pdf-worker", *options]
    return [sys.executable, "-m", "papershelf.core.pdf.worker", *options]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    if not getattr(sys, "frozen", False):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_PARENT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("PYTHONSTARTUP", None)
    return env


def _read_capped(stream: IO[bytes], cap: int, out: list[bytes], over: threading.Event) -> None:
    """Read ``stream`` to its end, keeping up to ``cap`` bytes; set ``over`` if there was more."""
    size = 0
    while True:
        chunk = stream.read(65536)
        if not chunk:
            return
        size += len(chunk)
        if size > cap:
            over.set()
            return
        out.append(chunk)


def _read_tail(stream: IO[bytes], keep: int, out: list[bytes]) -> None:
    tail = b""
    while True:
        chunk = stream.read(65536)
        if not chunk:
            break
        tail = (tail + chunk)[-keep:]
    out.append(tail)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)  # the worker leads its own session: any child goes too
        else:
            proc.kill()
    except OSError:
        pass


def _run(mode: str, path: Path, *, timeout: float, memory_mb: int, max_pages: int, max_chars: int) -> PdfContent:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise PdfError(path, f"the file could not be opened ({exc.strerror or type(exc).__name__})") from None
    if not stat.S_ISREG(info.st_mode):
        raise PdfError(path, "not a regular file")
    if info.st_size == 0:
        raise PdfError(path, "the file is empty")
    if not is_pdf(path):
        raise PdfError(path, "not a PDF")

    argv = _command(mode, path, cpu=timeout, memory_mb=memory_mb, max_pages=max_pages, max_chars=max_chars)
    extra: dict[str, Any] = {}
    if os.name == "posix":
        extra["start_new_session"] = True
    elif sys.platform == "win32":
        extra["creationflags"] = subprocess.CREATE_NO_WINDOW | subprocess.CREATE_NEW_PROCESS_GROUP
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_environment(),
            close_fds=True,
            **extra,
        )
    except OSError as exc:
        raise PdfError(path, f"the PDF reader could not start ({exc.strerror or type(exc).__name__})") from None

    out: list[bytes] = []
    err: list[bytes] = []
    over = threading.Event()
    assert proc.stdout is not None and proc.stderr is not None
    readers = [
        threading.Thread(
            target=_read_capped, args=(proc.stdout, _BYTES_PER_CHAR * max_chars + _OUTPUT_SLACK, out, over)
        ),
        threading.Thread(target=_read_tail, args=(proc.stderr, _STDERR_KEEP, err)),
    ]
    for thread in readers:
        thread.daemon = True
        thread.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        if timed_out or over.is_set() or proc.poll() is None:
            _kill(proc)
        proc.wait()
        drained = time.monotonic() + 5  # both pipes: EOF once the worker's group is gone
        for thread, stream in zip(readers, (proc.stdout, proc.stderr)):
            thread.join(timeout=max(0.0, drained - time.monotonic()))
            if not thread.is_alive():  # else a process that left the group holds the pipe: closing would wait
                stream.close()

    if timed_out:
        raise PdfError(path, f"timed out after {timeout:g} s")
    if over.is_set():
        raise PdfError(path, "the text is larger than the limit")
    stderr = b"".join(err).decode("utf-8", errors="replace")
    if proc.returncode != 0:
        raise PdfError(path, _death(proc.returncode, stderr, timeout, memory_mb))
    return _content(path, b"".join(out), stderr)


def _death(code: int, stderr: str, timeout: float, memory_mb: int) -> str:
    """Why the worker died, from its exit status and the end of its stderr."""
    lower = stderr.lower()
    if "memoryerror" in lower or "out of memory" in lower or "bad_alloc" in lower or "cannot allocate" in lower:
        return f"ran out of memory (the limit is {memory_mb} MB)"
    if code < 0:
        number = -code
        if number == getattr(signal, "SIGXCPU", -1):
            return f"timed out after {timeout:g} s of processor time"
        if number in (getattr(signal, "SIGKILL", -1),):
            return "the reader was killed (out of memory?)"
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        # PDFium stops itself with a trap when an allocation fails under the memory limit.
        if name in ("SIGTRAP", "SIGILL", "SIGABRT"):
            return f"the reader stopped ({name}): out of memory (the limit is {memory_mb} MB) or the PDF is damaged"
        return f"damaged: the reader crashed ({name})"
    last = [line.strip() for line in stderr.splitlines() if line.strip()]
    detail = last[-1][:200] if last else f"exit status {code}"
    return f"the reader failed ({detail})"


def _content(path: Path, data: bytes, stderr: str) -> PdfContent:
    import json

    try:
        reply = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        last = [line.strip() for line in stderr.splitlines() if line.strip()]
        raise PdfError(path, f"the reader gave no answer ({last[-1][:200] if last else 'empty output'})") from None
    if not isinstance(reply, dict):
        raise PdfError(path, "the reader gave a malformed answer")
    if not reply.get("ok"):
        raise PdfError(path, str(reply.get("reason") or "unknown error"))
    try:
        body = reply["content"]
        return PdfContent(
            pages=[str(page) for page in body["pages"]],
            page_count=int(body["page_count"]),
            title=str(body["title"]),
            authors=[str(name) for name in body["authors"]],
            doi=None if body["doi"] is None else str(body["doi"]),
            arxiv_id=None if body["arxiv_id"] is None else str(body["arxiv_id"]),
            annotations=[
                Annotation(
                    page=int(a["page"]),
                    position=float(a["position"]),
                    kind=str(a["kind"]),
                    quote=str(a["quote"]),
                    comment=str(a["comment"]),
                    author=str(a["author"]),
                    modified=None if a["modified"] is None else str(a["modified"]),
                    ident=str(a["ident"]),
                )
                for a in body["annotations"]
            ],
            truncated=bool(body["truncated"]),
            chars_cut=bool(body.get("chars_cut", False)),
        )
    except (KeyError, TypeError, ValueError):
        raise PdfError(path, "the reader gave a malformed answer") from None
