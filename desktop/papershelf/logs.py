"""The app's log: one private, rotating file in :func:`papershelf.paths.log_dir`, and the one crash writer.

Both faces call :func:`setup` when they start; the core only names its
loggers (``papershelf.db``, ``papershelf.import``, ``papershelf.backup`` …) and
never configures them. The file is 0600 in a 0700 folder, because a crash
record quotes what was typed (the command line can carry a note's text) and
tracebacks can quote titles. Log lines name papers by id and files by path,
never their notes or abstracts. Nothing here ever raises or prints: a log
that cannot be written is a log that is not written.
"""

from __future__ import annotations

import io
import logging
import os
import platform
import stat
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from . import __version__, paths

LOG_FILE = "papershelf.log"
#: About ten thousand lines a file, four files in all: enough for a bug report, small enough to attach.
MAX_BYTES = 1_000_000
BACKUPS = 3
LOG_MODE = 0o600
ROOT = "papershelf"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_OPEN_FLAGS = (
    os.O_WRONLY
    | os.O_APPEND
    | os.O_CREAT
    # A link planted in place of the log does not redirect our writes; a FIFO there does not block us.
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def log_file() -> Path:
    """The current log file (older ones are ``papershelf.log.1`` … ``.3``)."""
    return paths.log_dir() / LOG_FILE


class PrivateLogHandler(RotatingFileHandler):
    """A rotating file handler whose files are private, that never follows a link and never prints its failures."""

    def __init__(self, path: Path):
        super().__init__(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True, errors="backslashreplace"
        )
        #: Set when a record could not be written (the crash writer reports the log's path only if it was).
        self.failed = False

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, _OPEN_FLAGS, LOG_MODE)
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise OSError(f"{self.baseFilename} is not a regular file")
            if os.name == "posix" and mode & 0o077:  # left readable by an older version or by hand
                os.fchmod(fd, LOG_MODE)
            return open(fd, "a", encoding=self.encoding, errors=self.errors)
        except BaseException:
            os.close(fd)
            raise

    def doRollover(self) -> None:
        """``papershelf.log`` becomes ``.1``, ``.1`` becomes ``.2`` …; nothing is renamed over what is not a file."""
        if self.stream:
            self.stream.close()
            self.stream = None  # reopened by the next record (delay=True)
        for number in range(self.backupCount, 0, -1):
            source = self.baseFilename if number == 1 else f"{self.baseFilename}.{number - 1}"
            dest = f"{self.baseFilename}.{number}"
            if _is_regular(source) and (_is_regular(dest) or not os.path.lexists(dest)):
                os.replace(source, dest)

    def handleError(self, record: logging.LogRecord) -> None:
        # logging's own handler prints a traceback to stderr: the user must never see one.
        self.failed = True


def _is_regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _handler() -> PrivateLogHandler | None:
    return next((h for h in logging.getLogger(ROOT).handlers if isinstance(h, PrivateLogHandler)), None)


def setup(level: int = logging.INFO) -> Path | None:
    """Send the ``papershelf.*`` loggers to the log file; its path, or None if its folder cannot be made.

    Safe to call again: a second call keeps the handler, unless the log's
    place moved (``PAPERSHELF_HOME`` changed, as between tests).
    """
    from .core.fsutil import make_private_dirs

    root = logging.getLogger(ROOT)
    root.setLevel(level)
    # Our records go to our file only: a root handler set up by a library must not print them.
    root.propagate = False
    target = log_file()
    current = _handler()
    if current is not None:
        if current.baseFilename == os.path.abspath(target):
            return target
        root.removeHandler(current)
        current.close()
    try:
        make_private_dirs(target.parent)
    except OSError:
        if not root.handlers:
            root.addHandler(logging.NullHandler())  # not Python's last resort, which prints to stderr
        return None
    handler = PrivateLogHandler(target)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    return target


def close() -> None:
    """Stop writing the log file (before its folder goes away, as the smoke test's does)."""
    current = _handler()
    if current is not None:
        logging.getLogger(ROOT).removeHandler(current)
        current.close()


def write_crash(exc: BaseException | None = None, *, details: str | None = None, context: str = "") -> Path | None:
    """The one crash writer: log an unexpected error with its traceback; the log's path, or None if it was not written.

    ``details`` is a traceback already formatted (a worker thread's);
    otherwise the traceback of ``exc`` is written. ``context`` says what was
    running (the command line, say). The caller tells the user one line that
    names the returned path.
    """
    try:
        target = setup()
        handler = _handler()
        if target is None or handler is None:
            return None
        handler.failed = False
        what = f" in {context}" if context else ""
        where = f"papershelf {__version__}, Python {platform.python_version()}, {sys.platform}"
        log = logging.getLogger(f"{ROOT}.crash")
        if details:
            log.critical("unexpected error%s (%s)\n%s", what, where, details.rstrip())
        elif exc is not None:
            log.critical("unexpected error%s (%s)", what, where, exc_info=(type(exc), exc, exc.__traceback__))
        else:
            log.critical("unexpected error%s (%s)", what, where)
        handler.flush()
        return None if handler.failed else target
    except Exception:  # reporting a crash must not crash
        return None
