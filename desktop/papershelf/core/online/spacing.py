"""One host's request spacing shared by every Papershelf process of the user: a small locked file of last request times.

arXiv asks for one request every 3 seconds, from all of a user's programs together: the app and a
``papershelf download`` running at once, or a shell loop of ``papershelf download ID``, each start their
own client. :class:`SharedSpacing` keeps, in one small JSON file (``{"host": time}``), when each host's
latest request is due; a request first takes its turn there: under an exclusive lock on the file
(``flock`` on POSIX, ``msvcrt.locking`` on Windows, held only to read and write the file, never while
waiting) it books the first free turn, ``interval`` after the latest one booked (or now), lets go of the
lock and waits for it. Processes asking at once so take turns in the order they asked.

The times are the client's clock (``time.monotonic``, which every process of a machine shares). A turn
booked more than :data:`MAX_AHEAD` seconds ahead (the machine restarted) or an unreadable file counts as
no request, so it can only cost one early request; a file that cannot be opened or locked (a read-only
folder, a lock held too long) leaves the client with its own spacing, with a warning in the log.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import math
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..fsutil import make_private_dirs

_log = logging.getLogger("papershelf.online")

#: How long to try for the lock (others hold it only to read and write a few bytes).
LOCK_WAIT = 5.0
#: The furthest ahead a turn can be booked in earnest (many processes waiting); a later one is not believed.
MAX_AHEAD = 600.0
#: Hosts kept in the file (the most recently asked).
MAX_HOSTS = 50
#: The largest file read: a few hosts' times.
_MAX_SIZE = 64 * 1024

#: The file, in the cache folder, of the last request times by host that every Papershelf process shares.
SPACING_FILE = "request-times.json"


class SharedSpacing:
    """The last request time of each host in ``path``, shared by the processes that use the same file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def take_turn(self, host: str, interval: float, clock: Callable[[], float], wait: Callable[[float], None]) -> bool:
        """Book the first turn for ``host`` at least ``interval`` seconds after every turn any process booked,
        and wait for it (with ``wait``, which may raise: a cancel leaves the turn unused). False if the file
        could not be used (nothing waited then)."""
        try:
            with self._locked() as fd:
                times = _read(fd)
                now = clock()
                last = times.get(host)
                turn = now if last is None or last > now + MAX_AHEAD else max(now, last + interval)
                times[host] = turn
                _write(fd, times)
        except OSError as exc:
            _log.warning("%s: cannot share the request spacing (%s); spacing this process only", self.path, exc)
            return False
        if turn > now:
            wait(turn - now)  # outside the lock: the others book their turns meanwhile
        return True

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        """The file open for reading and writing (never through a symbolic link), locked for this process."""
        make_private_dirs(self.path.parent)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(self.path, flags | getattr(os, "O_BINARY", 0), 0o600)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, "not a regular file", str(self.path))
            _lock(fd, self.path)
            try:
                yield fd
            finally:
                _unlock(fd)
        finally:
            os.close(fd)


def _lock(fd: int, path: Path) -> None:
    """Lock the file, trying for :data:`LOCK_WAIT` seconds; OSError if another process keeps it longer."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            if sys.platform == "win32":
                import msvcrt

                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EDEADLK):
                raise
        if time.monotonic() >= deadline:
            raise OSError(errno.EWOULDBLOCK, f"locked by another process for more than {LOCK_WAIT:g} s", str(path))
        time.sleep(0.01)


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def _read(fd: int) -> dict[str, float]:
    """The file's times by host; a damaged or foreign file counts as empty (it is rewritten whole)."""
    os.lseek(fd, 0, os.SEEK_SET)
    data = os.read(fd, _MAX_SIZE + 1)
    try:
        value = json.loads(data) if data and len(data) <= _MAX_SIZE else {}
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    times: dict[str, float] = {}
    for host, when in value.items():
        if isinstance(host, str) and isinstance(when, (int, float)) and not isinstance(when, bool):
            with contextlib.suppress(OverflowError):
                if math.isfinite(when):
                    times[host] = float(when)
    return times


def _write(fd: int, times: dict[str, float]) -> None:
    newest = dict(sorted(times.items(), key=lambda item: item[1])[-MAX_HOSTS:])
    data = json.dumps(newest).encode("utf-8")
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    os.write(fd, data)
