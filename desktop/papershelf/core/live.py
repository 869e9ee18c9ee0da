"""Live updates of a shared library: what other members change, and whether the server can be reached.

Every committed write on a shared library sends ``NOTIFY papershelf, <json>``
(:func:`pg.notify`). A :class:`Watcher` listens on a connection of its own, in
a daemon thread, and hands each change made by another process to its
``on_change`` callback as an :class:`operations.Changes` (None: anything may
have changed). It checks the connection (libpq keepalives, and a ``SELECT 1``
every :data:`PING_S`); when the connection drops (the server restarted, the
network went away) it reports ``on_state("offline")``, tries again with a
growing pause (:data:`BACKOFF_S`), and once it listens again reports
``on_state("online")`` and ``on_change(None)``: whatever changed meanwhile was
not notified to it.

Changes made while the server cannot be reached are kept (the GUI's operation
runner holds them; :func:`save_pending` keeps them on disk across a restart)
and sent once it is back: :func:`is_disconnect` tells such a failure from a
refused change. Nothing here imports Qt.
"""

from __future__ import annotations

import io
import json
import logging
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import is_dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import deadline, fsutil, pg
from .errors import PapershelfError
from .operations import Changes, Operation

if TYPE_CHECKING:
    import psycopg

    from .library import Library

log = logging.getLogger("papershelf.live")

ONLINE = "online"
OFFLINE = "offline"

#: The pause before the next try to reconnect: doubled after each failure, from the first value up to the second.
BACKOFF_S = (0.5, 10.0)
#: How often the listening connection is checked with ``SELECT 1`` (keepalives check it in between).
PING_S = 10.0
#: How long one wait for notifications lasts: :meth:`Watcher.stop` takes effect within it.
POLL_S = 0.25
#: The longest the watcher waits for an answer (core/deadline.py): a server that hangs is offline after it.
ANSWER_S = 10.0
#: libpq's TCP keepalives, and how long unacknowledged data may wait (a ping on a dead network fails after it).
KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 20_000,  # milliseconds
}

#: SQLSTATEs of a server that went away or cannot take the connection now (try again later).
_GONE_STATES = {"57P01", "57P02", "57P03", "53300"}  # admin/crash shutdown, starting up, too many connections

_FLAGS = ("tags", "lists", "saved_searches", "statuses", "notes")


# --- Notifications ----------------------------------------------------------------------


def decode(payload: str) -> tuple[str | None, Changes | None]:
    """The sending process and the changes a notification's JSON names (None: everything may have changed)."""
    try:
        data = json.loads(payload)
    except ValueError:
        log.warning("a notification that is not JSON: %.80r", payload)
        return None, None
    if not isinstance(data, dict):
        return None, None
    client = data.get("client")
    client = client if isinstance(client, str) else None
    if data.get("all"):
        return client, None
    try:
        changes = Changes(
            papers=frozenset(int(pid) for pid in data.get("papers") or ()),
            removed=frozenset(int(pid) for pid in data.get("removed") or ()),
            added=frozenset(int(pid) for pid in data.get("added") or ()),
            **{flag: bool(data.get(flag)) for flag in _FLAGS},
        )
    except (TypeError, ValueError):
        log.warning("a notification this version cannot read: %.80r", payload)
        return client, None
    return client, changes


def is_disconnect(exc: BaseException) -> bool:
    """True when ``exc`` says the shared library's server could not be reached (nothing was written).

    Looks through SQLAlchemy's wrapper and the causes of a translated error:
    a connection that failed or was lost (libpq's own errors carry no
    SQLSTATE, or class 08), a server shutting down or starting up, or one
    with no connection slot free. A refused change (a conflict, a read-only
    member, a bad value) is not one.
    """
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    from sqlalchemy.exc import DBAPIError

    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    translated = False
    while pending:
        error = pending.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, psycopg.OperationalError):
            state = error.sqlstate
            return state is None or state.startswith("08") or state in _GONE_STATES
        if isinstance(error, psycopg.InterfaceError) and "closed" in str(error):
            return True
        if type(error).__name__ == "ServerUnreachableError":
            translated = True
        orig = getattr(error, "orig", None)
        pending += [orig if isinstance(orig, BaseException) else None, error.__cause__, error.__context__]
    # pg's translation of a lost connection, raised without its cause.
    return translated


# --- The watcher ------------------------------------------------------------------------


class Watcher:
    """Listens for the changes other members make to the shared library at ``url``, in a daemon thread.

    ``on_change(changes)`` and ``on_state(state)`` are called on that thread
    (a GUI marshals them to its own). Changes this process made are skipped:
    it refreshed after them already. :meth:`stop` ends it within
    :data:`POLL_S`; no callback runs after it returns.
    """

    def __init__(
        self,
        url: str,
        on_change: Callable[[Changes | None], None],
        on_state: Callable[[str], None],
        *,
        backoff_s: tuple[float, float] = BACKOFF_S,
        ping_s: float = PING_S,
        poll_s: float = POLL_S,
    ):
        self.url = url
        self._on_change = on_change
        self._on_state = on_state
        self._backoff = backoff_s
        self._ping_s = ping_s
        self._poll_s = poll_s
        #: The process whose notifications are skipped: this one.
        self.own = pg.CLIENT
        self._stop = threading.Event()
        #: Set while listening (tests wait for it before writing).
        self.listening = threading.Event()
        #: The last state reported ("" until the first connection was tried).
        self.state = ""
        #: Why the server could not be reached, for the log and the status bar (without a password).
        self.problem = ""
        self._callbacks = threading.RLock()
        self._thread = threading.Thread(target=self._run, name="papershelf-live", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop listening; returns once the thread ended (or after ``timeout_s``, a connect still under way)."""
        with self._callbacks:  # a callback running now finishes first; none runs after this
            self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # --- The thread -------------------------------------------------------------------

    def _run(self) -> None:
        deadline.limit(ANSWER_S)
        try:
            self._watch()
        finally:
            deadline.limit(None)

    def _watch(self) -> None:
        from psycopg import sql

        delay = self._backoff[0]
        first = True
        while not self._stop.is_set():
            try:
                conn = self._connect()
            except Exception as exc:
                self.problem = pg.connect_problem(exc)
                log.info("live updates: cannot reach %s (%s)", pg.display(self.url), self.problem)
                self._report_state(OFFLINE)
                first = False
                self._stop.wait(delay)
                delay = min(delay * 2, self._backoff[1])
                continue
            delay = self._backoff[0]
            try:
                # LISTEN before saying so: a change committed right after "online" must not be missed.
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(pg.CHANNEL)))
                self.listening.set()
                deadline.answered()  # the window's thread may wait for the server again
                self._report_state(ONLINE)
                if not first:
                    # Whatever was committed while the connection was down was notified to nobody here.
                    self._call(self._on_change, None)
                first = False
                self._listen(conn)
            except Exception as exc:
                if self._stop.is_set():
                    break
                self.problem = pg.connect_problem(exc)
                log.info("live updates: lost the connection to %s (%s)", pg.display(self.url), self.problem)
                self._report_state(OFFLINE)
            finally:
                self.listening.clear()
                try:
                    conn.close()
                except Exception:  # a broken connection may fail to close cleanly
                    pass

    def _connect(self) -> psycopg.Connection[Any]:
        return deadline.Connection.connect(
            pg.libpq_url(self.url),
            autocommit=True,
            connect_timeout=pg.CONNECT_TIMEOUT_S,
            application_name="papershelf-live",
            **KEEPALIVES,
        )

    def _listen(self, conn: psycopg.Connection[Any]) -> None:
        pinged = time.monotonic()
        while not self._stop.is_set():
            for notification in conn.notifies(timeout=self._poll_s):
                self._deliver(notification.payload)
                if self._stop.is_set():
                    return
            if time.monotonic() - pinged >= self._ping_s:
                conn.execute("SELECT 1")  # raises if the server or the network went away
                pinged = time.monotonic()

    def _deliver(self, payload: str) -> None:
        client, changes = decode(payload)
        if client == self.own:
            return  # this process made it, and refreshed after it already
        self._call(self._on_change, changes)

    def _report_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self._call(self._on_state, state)

    def _call(self, callback: Callable[[Any], None], value: Any) -> None:
        with self._callbacks:
            if self._stop.is_set():
                return
            try:
                callback(value)
            except Exception:
                log.exception("live updates: a callback failed")


# --- Changes kept while offline ---------------------------------------------------------


class PendingError(PapershelfError):
    """The file of changes kept while offline could not be read."""


def pending_path(library: Library) -> Path:
    """Where a shared library's changes not sent yet are kept: beside its per-user folders."""
    return library.path.with_name(library.path.name + ".pending")


def save_pending(path: Path, operations: Iterable[Operation], tokens: Iterable[str] | None = None) -> None:
    """Keep ``operations`` (in order) and their ``tokens`` in ``path``, replacing what it held; none: the file goes.

    A token names a change however often it is sent (``Library.sending``):
    one that landed just as the connection died is not applied twice.
    """
    kept = list(operations)
    if not kept:
        path.unlink(missing_ok=True)
        return
    names = list(tokens) if tokens is not None else []
    content: dict[str, object] = {"version": 2 if names else 1, "operations": kept}
    if names:
        if len(names) != len(kept):
            raise ValueError("one token per operation")
        content["tokens"] = names
    data = pickle.dumps(content, protocol=pickle.HIGHEST_PROTOCOL)
    fsutil.make_private_dirs(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, fsutil.NEW_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def load_pending(path: Path) -> list[Operation]:
    """The operations kept in ``path`` (none without the file); :class:`PendingError` if it cannot be read."""
    return [operation for operation, _token in load_kept(path)]


def load_kept(path: Path) -> list[tuple[Operation, str | None]]:
    """The operations kept in ``path`` with their tokens (None: kept by a version that gave none)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise PendingError(f"{path}: cannot read the changes kept while offline ({exc.strerror})") from None
    try:
        kept = _Unpickler(io.BytesIO(data)).load()
    except Exception as exc:
        raise PendingError(f"{path}: the changes kept while offline cannot be read ({exc})") from None
    operations = kept.get("operations") if isinstance(kept, dict) else None
    if not isinstance(operations, list) or not all(isinstance(op, Operation) for op in operations):
        raise PendingError(f"{path}: not a file of changes kept while offline")
    tokens = kept.get("tokens")
    if not (isinstance(tokens, list) and len(tokens) == len(operations) and all(isinstance(t, str) for t in tokens)):
        tokens = [None] * len(operations)
    return list(zip(operations, tokens, strict=True))


_PLAIN = {
    "builtins": {"set", "frozenset", "tuple", "list", "dict", "str", "bytes", "int", "float", "bool", "complex"},
    "datetime": {"datetime", "date", "time", "timedelta", "timezone"},
    "pathlib": {"Path", "PosixPath", "WindowsPath", "PurePath", "PurePosixPath", "PureWindowsPath"},
    "collections": {"OrderedDict"},
}


class _Unpickler(pickle.Unpickler):
    """Loads only operations and the plain values they hold: the file is data, never code to run."""

    def find_class(self, module: str, name: str) -> Any:
        if name in _PLAIN.get(module, ()):
            return super().find_class(module, name)
        if module.startswith("papershelf.core."):
            found = super().find_class(module, name)
            if isinstance(found, type) and (
                issubclass(found, (Operation, Enum)) or (is_dataclass(found) and not issubclass(found, Exception))
            ):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a change")
