"""Run the library's changes one at a time, in order, on a writer thread, and report them on the GUI thread.

Every change the app makes goes through one :class:`OperationRunner`. The GUI
thread only queues work and never waits on the library's write lock, so the
window keeps painting and taking keys while another program (a CLI import,
say) holds that lock; queued changes land, in the order they were made, when
the lock frees. A write that found the lock held past SQLite's busy timeout
wrote nothing, so it is simply tried again: a change is never lost and never
applied twice. Each try waits in SQLite only briefly (TRY_BUSY_MS), so a change
the user gave up (:meth:`OperationRunner.discard`) stops within a moment.

A shared library's server may be out of reach (restarted, the network gone):
a change that failed for that (``live.is_disconnect``) wrote nothing, or landed
just as the connection died (its token, ``Library.sending``, keeps it from
landing twice), and it waits, with every change made after it, in order,
until the server is back (:meth:`OperationRunner.resume`, or a try every
OFFLINE_RETRY_S). Meanwhile :attr:`OperationRunner.offline` says how many
wait, and :meth:`OperationRunner.pending_changes` names them, to be kept on disk.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
import traceback
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from sqlalchemy import Engine, event

from ..core import db
from ..core.operations import Changes, Operation, Outcome

if TYPE_CHECKING:
    from ..core.library import Library

log = logging.getLogger("papershelf.gui")

#: A job runs on the writer thread with the library; it returns an Outcome (or None: nothing changed).
Job = Callable[["Library"], "Outcome | None"]
OnDone = Callable[[Any], None]
OnError = Callable[[BaseException, str], None]

#: How long to pause between tries while another program holds the write lock.
RETRY_PAUSE_S = 0.2
#: After this long, a change in progress is shown as waiting.
SLOW_S = 1.0
#: How long one try of the writer thread waits inside SQLite for the write lock (the retry loop waits the rest):
#: SQLite's own wait (db.BUSY_TIMEOUT_MS, 30 s) cannot be cut short, and a change given up must stop soon.
TRY_BUSY_MS = 250
#: While a shared library's server cannot be reached, how often the change waiting for it is tried again
#: (the live watcher's "online" tries it at once: :meth:`OperationRunner.resume`).
OFFLINE_RETRY_S = 5.0


@dataclass
class _Work:
    library: Library
    job: Job
    on_done: OnDone | None
    on_error: OnError | None
    #: The runner's generation when queued: a discard() since then gave this change up.
    generation: int
    #: Names this change in every try (``Library.sending``): one that landed unawares is not applied twice.
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


class OperationRunner(QObject):
    """A queue of changes, applied in order by one writer thread."""

    #: Something was applied: the views refresh from these changes.
    applied = Signal(object)
    #: True while a change has taken over a second (most likely: another program holds the write lock).
    waiting = Signal(bool)
    #: ``(offline, waiting)``: the shared library's server cannot be reached and ``waiting`` changes wait for it;
    #: then, once it is back, ``(False, left)`` as they land, down to ``(False, 0)``.
    offline = Signal(bool, int)

    _finished = Signal(object, object, object)
    _failed = Signal(object, object, str)
    _waiting = Signal(bool)
    _gave_up = Signal(object)
    #: Writer thread to GUI thread: a change waits for the shared library's server (False: no more).
    _unreachable = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._queue: queue.Queue[_Work | None] = queue.Queue()
        self._count = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._closing = threading.Event()
        #: Bumped by discard(): changes queued before it are dropped (guarded by _lock).
        self._generation = 0
        #: Cuts short the pause between tries (set by discard() and stop()).
        self._wake = threading.Event()
        #: Engines whose connections wait briefly when this runner's thread takes them (see _hook).
        self._hooked: weakref.WeakSet[Engine] = weakref.WeakSet()
        #: Submitted, and not yet reported back on the GUI thread (GUI thread only).
        self._unreported = 0
        #: The change the writer thread is applying (None between changes).
        self._current: _Work | None = None
        #: Set by the writer thread while a change waits for the shared library's server.
        self._holding = False
        #: GUI thread: the server cannot be reached (as last reported by the writer thread) ...
        self.is_offline = False
        #: ... and changes made meanwhile have not all been reported back yet.
        self._backlog = False
        self._finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        self._failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self._waiting.connect(self.waiting, Qt.ConnectionType.QueuedConnection)
        self._gave_up.connect(self._on_gave_up, Qt.ConnectionType.QueuedConnection)
        self._unreachable.connect(self._on_unreachable, Qt.ConnectionType.QueuedConnection)
        self._thread = threading.Thread(target=self._work, name="papershelf-writer", daemon=True)
        self._thread.start()

    # --- GUI thread -----------------------------------------------------------------

    def submit(
        self,
        library: Library,
        work: Operation | Job,
        *,
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
        token: str | None = None,
    ) -> None:
        """Queue an operation (or a job) on ``library``; ``on_done(result)`` or ``on_error`` follow on this thread.

        ``on_done`` gets the operation's :class:`Outcome` (a job's return value).
        ``token``: the change's token from an earlier session (:meth:`pending_changes`); a new one by default.
        """
        job: Job = _Running(work) if isinstance(work, Operation) else work
        self._hook(library)
        with self._lock:
            self._count += 1
            generation = self._generation
        self._unreported += 1
        queued = _Work(library, job, on_done, on_error, generation)
        if token is not None:
            queued.token = token
        self._queue.put(queued)
        self._tell_backlog()

    def resume(self) -> None:
        """The shared library's server is back (the live watcher says so): try the change waiting for it now."""
        self._wake.set()

    def pending_changes(self) -> list[tuple[Operation, str]]:
        """The operations of the changes not applied yet, and their tokens, in order: what to keep on disk offline.

        Each change is asked which operation it would run next (nothing is
        applied); a change that is no plain operation (reading a PDF's text, a
        live file's sync) is left out: it is made again when needed. Jobs that
        save the same thing again (a note's editor saves its whole text each
        time) carry one ``pending_key``: only the last one's operation is kept,
        in the place of the first (it was asked from the state before any of
        them landed: an AddNote stays one note, an UpdateNote keeps its base),
        with the last one's token: if the first landed unawares, the last is
        still sent, as losing its text would be worse than a second note.
        """
        with self._queue.mutex:
            queued = [work for work in self._queue.queue if work is not None]
        current = self._current
        works = ([current] if current is not None else []) + queued
        found: list[tuple[Operation, str]] = []
        places: dict[object, int] = {}
        for work in works:
            if self._given_up(work):
                continue
            operation = _operation_of(work)
            if operation is None:
                continue
            key = getattr(work.job, "pending_key", None)
            if key is not None and key in places:
                found[places[key]] = (operation, work.token)
                continue
            if key is not None:
                places[key] = len(found)
            found.append((operation, work.token))
        return found

    @property
    def busy(self) -> bool:
        """Whether changes are still queued or being applied."""
        with self._lock:
            return self._count > 0

    @property
    def unreported(self) -> int:
        """Changes submitted and not yet reported back here (applied, refused or given up)."""
        return max(self._unreported, 0)

    @property
    def backlog(self) -> bool:
        """Changes waited for the shared library's server, and not all of them have been reported back yet."""
        return self._backlog

    @property
    def settled(self) -> bool:
        """Whether every change submitted has landed and been reported here (tests wait for this)."""
        return self._unreported == 0

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until every queued change is applied (at close); False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._count > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def discard(self) -> int:
        """Give up every change not applied yet (the user chose to lose them); the thread stays for what comes next.

        Queued changes are dropped; one waiting for another program's lock stops
        trying (it wrote nothing) within one short try. A change that already
        holds the lock finishes: :meth:`wait_idle` then returns once nothing
        runs on the library any more. Dropped changes are not reported (no
        ``on_done``, ``on_error`` or ``applied``); :attr:`settled` counts them
        as done. Returns how many changes were given up (0: nothing to drop).
        """
        dropped: list[_Work] = []
        with self._idle:
            if self._count == 0:
                return 0
            self._generation += 1
            while True:
                try:
                    work = self._queue.get_nowait()
                except queue.Empty:
                    break
                if work is None:  # stop() came first: the thread is to end after all
                    self._queue.put(None)
                    break
                dropped.append(work)
            self._count -= len(dropped)
            count = self._count
            self._idle.notify_all()
        self._unreported -= len(dropped)
        self._wake.set()
        self._tell_backlog()
        log.info("gave up %d queued change(s) and %d in progress", len(dropped), count)
        return len(dropped) + count

    def stop(self) -> None:
        """Give up changes that still wait (the user chose to close without them) and end the thread."""
        self.discard()
        self._closing.set()
        self._wake.set()
        self._queue.put(None)

    def _given_up(self, work: _Work) -> bool:
        with self._lock:
            return work.generation != self._generation

    def _hook(self, library: Library) -> None:
        """Make this runner's thread wait TRY_BUSY_MS, not the busy timeout, inside SQLite on ``library``."""
        engine = getattr(library, "engine", None)
        if not isinstance(engine, Engine) or engine in self._hooked or engine.dialect.name != "sqlite":
            return  # a shared library's writers queue on the server's lock, which has no busy timeout
        self._hooked.add(engine)
        thread = self._thread

        # Pool events: only the connection this thread holds changes, and gets the normal wait back when returned.
        def taken(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
            if threading.current_thread() is thread:
                dbapi_conn.execute(f"PRAGMA busy_timeout={TRY_BUSY_MS}")

        def returned(dbapi_conn: Any, _record: Any) -> None:
            if dbapi_conn is not None and threading.current_thread() is thread:
                dbapi_conn.execute(f"PRAGMA busy_timeout={db.BUSY_TIMEOUT_MS}")

        event.listen(engine, "checkout", taken)
        event.listen(engine, "checkin", returned)

    def _tell_backlog(self) -> None:
        """While changes wait for the server (or are being sent after it came back): say how many are left."""
        if not self._backlog:
            return
        if self._unreported <= 0 and not self.is_offline:
            self._backlog = False
        self.offline.emit(self.is_offline, max(self._unreported, 0))

    @Slot(bool)
    def _on_unreachable(self, unreachable: bool) -> None:
        self.is_offline = unreachable
        if unreachable:
            self._backlog = True
        self._tell_backlog()

    @Slot(object, object, object)
    def _on_finished(self, work: _Work, result: Any, changes: Changes | None) -> None:
        self._unreported -= 1
        self._tell_backlog()
        if self._given_up(work):
            return  # it held the lock when the user gave it up, and landed: the library it is about is gone
        if changes is not None:
            self.applied.emit(changes)
        if work.on_done is not None:
            work.on_done(result)

    @Slot(object, object, str)
    def _on_failed(self, work: _Work, exc: BaseException, details: str) -> None:
        self._unreported -= 1
        self._tell_backlog()
        if self._given_up(work):
            log.info("a change given up failed: %s", exc)
            return
        if work.on_error is not None:
            work.on_error(exc, details)
        else:
            log.error("a change failed: %s\n%s", exc, details)

    @Slot(object)
    def _on_gave_up(self, _work: _Work) -> None:
        self._unreported -= 1
        self._tell_backlog()

    # --- The writer thread ----------------------------------------------------------

    def _work(self) -> None:
        while True:
            work = self._queue.get()
            if work is None or self._closing.is_set():
                return
            self._wake.clear()
            self._current = work
            try:
                self._apply(work)
            finally:
                self._current = None
                # Counted down here, not on the GUI thread, so wait_idle works while the GUI thread waits.
                with self._idle:
                    self._count -= 1
                    self._idle.notify_all()

    def _apply(self, work: _Work) -> None:
        fired = threading.Event()

        def taking_long() -> None:
            if self._holding:
                return  # offline: the window says so, not "another program"
            fired.set()
            self._waiting.emit(True)

        slow = threading.Timer(SLOW_S, taking_long)
        slow.daemon = True
        slow.start()
        try:
            while True:
                if self._given_up(work):
                    # Dropped by discard() (taken off the queue just before, or between tries): nothing written.
                    self._release()  # a change kept waiting for the server was given up too
                    self._gave_up.emit(work)
                    return
                if self._holding:
                    self._wake.clear()  # a resume() from now on cuts the next pause short
                try:
                    sending = getattr(work.library, "sending", None)  # a Library: each try names the change
                    with sending(work.token) if sending is not None else contextlib.nullcontext():
                        result = work.job(work.library)
                except db.LibraryBusyError:
                    # Nothing was written (BEGIN IMMEDIATE never got the lock): try again.
                    self._wake.wait(RETRY_PAUSE_S)
                    if self._closing.is_set():
                        return
                    continue
                except BaseException as exc:
                    if _is_disconnect(exc):
                        # The server could not be reached: nothing was written, or (the answer to its COMMIT
                        # lost) it landed, and its token makes the next try find it. This change, and every
                        # one after it, waits for the server, in order.
                        self._hold(fired)
                        self._wake.wait(OFFLINE_RETRY_S)
                        if self._closing.is_set():
                            return
                        continue
                    self._release()
                    self._failed.emit(work, exc, traceback.format_exc())
                    return
                self._release()
                changes = result.changes if isinstance(result, Outcome) else None
                self._finished.emit(work, result, changes)
                return
        finally:
            slow.cancel()
            slow.join()  # a notice already under way is sent before the one that ends it
            if fired.is_set():
                self._waiting.emit(False)

    def _hold(self, fired: threading.Event) -> None:
        """Writer thread: a change waits for the server (said once, until one gets through)."""
        if self._holding:
            return
        self._holding = True
        log.info("the shared library's server cannot be reached: changes wait for it")
        self._unreachable.emit(True)
        if fired.is_set():  # "waiting for another program" was shown: it is not that
            fired.clear()
            self._waiting.emit(False)

    def _release(self) -> None:
        """Writer thread: no change waits for the server any more (one got through, was refused, or was given up)."""
        if self._holding:
            self._holding = False
            log.info("no change waits for the shared library's server any more")
            self._unreachable.emit(False)


class _Running:
    """A job that runs one operation (the runner can tell which: :func:`_operation_of`)."""

    def __init__(self, operation: Operation):
        self.operation = operation

    def __call__(self, library: Library) -> Outcome:
        return library.run(self.operation)


def _is_disconnect(exc: BaseException) -> bool:
    from ..core import live

    return live.is_disconnect(exc)


class _Captured(Exception):
    def __init__(self, operation: Operation):
        super().__init__(operation.label)
        self.operation = operation


class _NoOperation(Exception):
    pass


class _Capturing:
    """Stands in for the library when a job is asked which operation it would run: ``run`` names it and stops."""

    def run(self, operation: Operation) -> Outcome:
        raise _Captured(operation)

    def __getattr__(self, name: str) -> Any:
        raise _NoOperation(name)  # the job does more than run an operation: it cannot be kept


def _operation_of(work: _Work) -> Operation | None:
    """The operation ``work`` would run next (a job is run against a stand-in that stops it there), or None."""
    if isinstance(work.job, _Running):
        return work.job.operation
    try:
        work.job(_Capturing())  # type: ignore[arg-type]
    except _Captured as captured:
        return captured.operation
    except Exception:
        return None
    return None  # it runs nothing now (an undo whose change was refused)
