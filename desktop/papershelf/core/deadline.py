"""How long a thread waits for a shared library's server: psycopg connections that give up when told to.

A query to a server that hangs (its machine paused, overloaded, a network
that drops packets without a word) blocks its thread until an answer comes,
and on the window's thread that is a frozen window. libpq bounds only the
connecting and sends nobody acknowledges. :class:`Connection` bounds every
wait of a thread given a limit (:func:`limit`: the window's thread, the live
watcher's): past it the connection is closed and the call fails as for a
lost connection (:class:`NoAnswer`; ``live.is_disconnect`` says so), so the
window says the server cannot be reached and changes wait for it.

After a wait ran out, those threads' next calls fail at once for
:data:`QUIET_S` instead of each waiting its limit again (a repaint asks for
rows many times); :func:`answered` ends that sooner, when the watcher hears
from the server again.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg

#: After a wait ran out: how long the limited threads' calls fail at once rather than wait again.
QUIET_S = 5.0

_lock = threading.Lock()
_limits: dict[int, float] = {}  # thread ident -> seconds
_quiet_until = 0.0


class NoAnswer(psycopg.OperationalError):
    """The server did not answer within the thread's limit; the connection was closed (no SQLSTATE: lost)."""


def limit(seconds: float | None, thread: threading.Thread | None = None) -> None:
    """Every wait for the server on ``thread`` (this one by default) gives up after ``seconds`` (None: never)."""
    ident = (thread or threading.current_thread()).ident
    if ident is None:
        raise ValueError("the thread has not started")
    with _lock:
        if seconds is None:
            _limits.pop(ident, None)
        else:
            _limits[ident] = seconds


def current() -> float | None:
    """This thread's limit, or None."""
    return _limits.get(threading.get_ident())


def answered() -> None:
    """The server answered (the watcher is back online): the limited threads may wait for it again."""
    global _quiet_until
    with _lock:
        _quiet_until = 0.0


def check() -> None:
    """Raise :class:`NoAnswer` on a limited thread while the server is quiet (a wait ran out just before)."""
    seconds = current()
    if seconds is not None and time.monotonic() < _quiet_until:
        raise NoAnswer(f"the server did not answer within {seconds:g} s")


def connect_timeout(default: int) -> int:
    """libpq's ``connect_timeout`` for a connection made on this thread (libpq takes whole seconds, 2 at least)."""
    seconds = current()
    return default if seconds is None else max(2, min(default, round(seconds)))


def _ran_out(seconds: float) -> NoAnswer:
    global _quiet_until
    with _lock:
        _quiet_until = time.monotonic() + QUIET_S
    return NoAnswer(f"the server did not answer within {seconds:g} s")


class Connection(psycopg.Connection[Any]):
    """A psycopg connection whose waits on a limited thread give up after its limit."""

    def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
        seconds = current()
        if seconds is None:
            return super().wait(gen, *args, **kwargs)
        check()
        given = kwargs.get("timeout")
        kwargs["timeout"] = seconds if given is None else min(given, seconds)
        try:
            return super().wait(gen, *args, **kwargs)
        except _WAIT_TIMEOUT as exc:
            if given is not None and given <= seconds:
                raise  # the caller's own, shorter timeout
            self.pgconn.finish()  # mid-statement: no later call may use it (psycopg does the same, #1371)
            raise _ran_out(seconds) from exc


class _Never(Exception):
    pass


#: What psycopg's wait raises at its timeout: private to it (tests/core/test_deadline.py fails if it goes).
_WAIT_TIMEOUT: type[BaseException] = getattr(psycopg.errors, "_WaitTimeout", _Never)
