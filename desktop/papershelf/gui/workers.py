"""Run core calls off the GUI thread and hand their results back on it.

A :class:`Task` wraps one call. The call runs on a pool thread; its result,
error and progress arrive as signals on the GUI thread. The library is
shared with the worker: every :class:`Library` method takes its own
connection from the SQLAlchemy engine's pool for the length of the call, and
engines are thread-safe, so no connection ever crosses threads.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

_running: set[Task] = set()
_pools: dict[str, QThreadPool] = {}


def pool(name: str) -> QThreadPool:
    """A named pool: "search" (queries; a new one need not wait for a stale one),
    "sidebar" (counts, one at a time) and "io" (imports, exports, opening)."""
    if name not in _pools:
        p = QThreadPool()
        p.setMaxThreadCount(1 if name == "sidebar" else 2)
        _pools[name] = p
    return _pools[name]


#: How long closing a library waits for the tasks still running on it.
WAIT_ALL_MS = 30_000


def wait_all(timeout_ms: int = WAIT_ALL_MS) -> None:
    """Wait for every running task (before the library is closed), ``timeout_ms`` in all."""
    deadline = time.monotonic() + timeout_ms / 1000
    for p in _pools.values():
        p.waitForDone(max(0, int((deadline - time.monotonic()) * 1000)))


class Task(QObject):
    """One call on a pool thread. Connect to the signals, then :meth:`start`.

    ``fn`` may take keyword arguments ``progress`` and ``cancelled`` (pass
    ``with_progress=True``): they are thread-safe callables bound to this task.
    """

    progress = Signal(int)
    #: An intermediate result handed over with :meth:`deliver`.
    partial = Signal(object)
    succeeded = Signal(object)
    #: The exception and its formatted traceback.
    failed = Signal(object, str)
    finished = Signal()

    _done = Signal(object)
    _error = Signal(object, str)
    _progressed = Signal(int)
    _delivered = Signal(object)

    def __init__(self, fn: Callable[..., Any], *args, with_progress: bool = False, **kwargs):
        super().__init__()
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._cancel = threading.Event()
        if with_progress:
            self._kwargs["progress"] = self._progressed.emit
            self._kwargs["cancelled"] = self._cancel.is_set
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False
        # Queued: the slots run on the GUI thread, where this object lives.
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._error.connect(self._on_error, Qt.ConnectionType.QueuedConnection)
        self._progressed.connect(self.progress, Qt.ConnectionType.QueuedConnection)
        self._delivered.connect(self.partial, Qt.ConnectionType.QueuedConnection)

    def report(self, done: int) -> None:
        """Progress from the worker thread (delivered as ``progress`` on the GUI thread)."""
        self._progressed.emit(done)

    def deliver(self, value: Any) -> None:
        """An intermediate result from the worker thread (``partial`` on the GUI thread)."""
        self._delivered.emit(value)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def start(self, pool_name: str = "io") -> Task:
        _running.add(self)
        pool(pool_name).start(_Runnable(self))
        return self

    def _run(self) -> None:
        try:
            result = self._fn(*self._args, **self._kwargs)
        except BaseException as exc:
            self._error.emit(exc, traceback.format_exc())
        else:
            self._done.emit(result)

    @Slot(object)
    def _on_done(self, result: Any) -> None:
        self.result = result
        self._finish()
        self.succeeded.emit(result)
        self.finished.emit()

    @Slot(object, str)
    def _on_error(self, exc: BaseException, details: str) -> None:
        self.error = exc
        self._finish()
        self.failed.emit(exc, details)
        self.finished.emit()

    def _finish(self) -> None:
        self.done = True
        _running.discard(self)


class _Runnable(QRunnable):
    def __init__(self, task: Task):
        super().__init__()
        self._task = task

    def run(self) -> None:
        self._task._run()


def run(
    fn: Callable[..., Any],
    *args,
    on_result: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException, str], None] | None = None,
    pool_name: str = "io",
    **kwargs,
) -> Task:
    """Start ``fn(*args, **kwargs)`` on a pool thread; callbacks run on the GUI thread."""
    task = Task(fn, *args, **kwargs)
    if on_result is not None:
        task.succeeded.connect(on_result)
    if on_error is not None:
        task.failed.connect(on_error)
    return task.start(pool_name)
