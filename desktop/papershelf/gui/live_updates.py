"""A shared library, live: other members' changes shown as they happen, and changes made offline kept and sent.

:class:`LiveUpdates` runs a :class:`core.live.Watcher` and brings what it
reports from its thread to the GUI thread as Qt signals (a burst of changes
arrives as one). :class:`SharedLive` is the window's part: it starts the
watcher when a shared library opens, refreshes the views through the same
path as after the window's own changes (``Edits.refresh_views``), shows
"Offline: N changes waiting" in the status bar while the server cannot be
reached, keeps those changes on disk (beside the library's per-user folders)
so quitting loses none, and sends them when the server is back, or when the
library is opened the next time. A change the server then refuses (someone
else edited the same note meanwhile) is reported, one line each, never
dropped silently.
"""

from __future__ import annotations

import functools
import logging
import traceback
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel

from ..core.display import visible
from .dialogs.errors import show_error
from .wording import plural

if TYPE_CHECKING:
    from ..core.library import Library
    from ..core.live import Watcher
    from ..core.operations import Changes, Operation
    from .main_window import MainWindow

log = logging.getLogger("papershelf.gui")

#: Changes notified within this many milliseconds of the first are shown in one refresh.
MERGE_MS = 50

_NOTHING: Any = object()


class LiveUpdates(QObject):
    """What a watcher of the shared library reports, as signals on the GUI thread."""

    #: Another member changed the library: an ``operations.Changes`` (None: anything may have changed).
    changed = Signal(object)
    #: "online" or "offline" (``core.live.ONLINE``/``OFFLINE``).
    stateChanged = Signal(str)

    _reported_change = Signal(object, object)
    _reported_state = Signal(object, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.watcher: Watcher | None = None
        self.state = ""
        self._merged: Any = _NOTHING
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(MERGE_MS)
        self._timer.timeout.connect(self._flush)
        self._reported_change.connect(self._on_change, Qt.ConnectionType.QueuedConnection)
        self._reported_state.connect(self._on_state, Qt.ConnectionType.QueuedConnection)

    def start(self, url: str) -> None:
        """Listen to the shared library at ``url`` (stopping any earlier watcher)."""
        from ..core.live import Watcher

        self.stop()
        watcher: Watcher | None = None

        def changed(changes: Changes | None) -> None:
            self._reported_change.emit(watcher, changes)

        def state(value: str) -> None:
            self._reported_state.emit(watcher, value)

        watcher = Watcher(url, changed, state)
        self.watcher = watcher
        watcher.start()

    def stop(self) -> None:
        """Stop listening; nothing more is reported (what is on its way is dropped)."""
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop()
        self._timer.stop()
        self._merged = _NOTHING
        self.state = ""

    @property
    def problem(self) -> str:
        """Why the server cannot be reached, in libpq's words (no password)."""
        return self.watcher.problem if self.watcher is not None else ""

    @Slot(object, object)
    def _on_change(self, watcher: Watcher | None, changes: Changes | None) -> None:
        if watcher is not self.watcher or watcher is None:
            return  # a watcher stopped since
        if self._merged is _NOTHING:
            self._merged = changes
        elif self._merged is None or changes is None:
            self._merged = None
        else:
            self._merged = self._merged | changes
        if not self._timer.isActive():
            self._timer.start()

    def _flush(self) -> None:
        merged, self._merged = self._merged, _NOTHING
        if merged is not _NOTHING:
            self.changed.emit(merged)

    @Slot(object, str)
    def _on_state(self, watcher: Watcher | None, state: str) -> None:
        if watcher is not self.watcher or watcher is None:
            return
        self.state = state
        self.stateChanged.emit(state)


class SharedLive(QObject):
    """The window's part for a shared library: live refresh, the offline notice, changes kept while offline."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self._w = window
        self.updates = LiveUpdates(self)
        self.updates.changed.connect(self._changed)
        self.updates.stateChanged.connect(self._state_changed)
        window.runner.offline.connect(self._runner_offline)
        window.libraryOpened.connect(self._opened)
        #: The shared library the window shows (None: none, or a local one).
        self.library: Library | None = None
        #: Changes read back from disk at opening, sent and not reported yet.
        self._sending = 0
        self._refusals: list[str] = []
        #: The library is closing: what waits was kept on disk, and changes given up now must not erase it.
        self._frozen = False
        self._undo_clear = QTimer(self)
        self._undo_clear.setSingleShot(True)
        self._undo_clear.setInterval(0)
        self._undo_clear.timeout.connect(self._clear_undo)
        self.label = QLabel("", window)
        self.label.setObjectName("offlineLabel")
        self.label.setAccessibleName("Shared library connection")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setContentsMargins(0, 0, 12, 0)
        self.label.hide()
        window.statusBar().insertPermanentWidget(0, self.label)  # before the paper count

    # --- Opening and closing ------------------------------------------------------

    def _opened(self) -> None:
        library = self._w.library
        if library is None or not library.shared or library.location is None:
            self.library = None
            self._show()
            return
        self.library = library
        self._frozen = False
        self.updates.start(library.location)
        self._send_kept(library)
        self._show()

    def keep_for_later(self) -> int:
        """The library closes with changes not sent: keep them on disk (sent when it opens again); how many."""
        kept = self.keep()
        self._frozen = True  # the changes given up next are the ones just kept
        return kept

    def closing(self) -> None:
        """The library closes (the session asked first): keep what still waits for the server, stop listening."""
        if self.library is not None:
            runner = self._w.runner
            if not self._frozen and (runner.is_offline or runner.backlog or self._sending):
                self.keep()
            self.updates.stop()
        self.library = None
        self._sending = 0
        self._frozen = False
        self._show()

    @property
    def offline(self) -> bool:
        """Changes wait for the shared library's server (it cannot be reached)."""
        return self.library is not None and self._w.runner.is_offline

    def keep(self) -> int:
        """Write the changes not sent yet to the library's pending file (none: remove it); how many."""
        from ..core import live

        library = self.library
        if library is None or self._frozen:
            return 0
        kept = self._w.runner.pending_changes()
        try:
            live.save_pending(live.pending_path(library), [op for op, _ in kept], [token for _, token in kept])
        except OSError as exc:
            log.error("could not keep the changes made offline: %s", exc)
            self._w.statusBar().showMessage(
                f"{library.name}: the changes made offline could not be kept on disk ({exc.strerror})", 30000
            )
        return len(kept)

    def unreachable(self, exc: BaseException) -> bool:
        """``exc`` says the shared library's server cannot be reached: said in the status bar (True), no dialog."""
        from ..core.live import is_disconnect

        if self.library is None or not is_disconnect(exc):
            return False
        self._w.statusBar().showMessage(
            f"{self.library.name}: the server cannot be reached; your changes are kept and sent when it is back.",
            15000,
        )
        self._show()
        return True

    # --- Other members' changes ---------------------------------------------------

    def _changed(self, changes: Changes | None) -> None:
        w = self._w
        if self.library is None or w.library is not self.library:
            return
        try:
            if changes is None:
                w.refresh_all()
            else:
                w.edits.refresh_views(changes)
        except Exception as exc:  # the server went away again between the notice and the reading
            w.report_error(exc, traceback.format_exc())
        if changes is None or changes.papers or changes.removed or changes.added:
            w.pdf_flow.refresh_marks()
        w.live_files.schedule()  # a live file of a tag or list follows the others' changes too

    def _state_changed(self, state: str) -> None:
        from ..core.live import ONLINE

        if state == ONLINE:
            self._w.runner.resume()  # the change waiting for the server is tried now, not in seconds
        self._show()

    # --- Offline ------------------------------------------------------------------

    def _runner_offline(self, offline: bool, waiting: int) -> None:
        if self.library is None or self._frozen:
            return
        if offline:
            # Undoing a change not sent yet could not be kept on disk in order: undo starts afresh once all are sent.
            # Not now: this may run inside the undo stack's push of the change itself.
            self._undo_clear.start()
        self.keep()  # on disk at every step, so even a crash loses nothing
        if not offline and waiting == 0:
            self._w.statusBar().showMessage("Back online: every change made offline is saved.", 8000)
        self._show()

    def _show(self) -> None:
        """The status bar's notice: offline (and how many changes wait), sending, or nothing."""
        from ..core.live import OFFLINE

        runner = self._w.runner
        text = ""
        if self.library is not None:
            waiting = runner.unreported
            if runner.is_offline or self.updates.state == OFFLINE:
                text = f"Offline: {plural(waiting, 'change')} waiting" if waiting else "Offline"
            elif runner.backlog and waiting:
                text = f"Sending {plural(waiting, 'change')} made offline…"
        self.label.setText(text)
        name = self.library.name if self.library is not None else ""
        problem = self.updates.problem
        self.label.setToolTip(
            f"{name}: the server cannot be reached ({problem}). Your changes are kept and sent when it is back."
            if text.startswith("Offline")
            else ""
        )
        self.label.setVisible(bool(text))

    def _clear_undo(self) -> None:
        if self._w.runner.is_offline:
            self._w.undo_stack.clear()

    # --- Changes kept on disk from an earlier session --------------------------------

    def _send_kept(self, library: Library) -> None:
        """Send the changes kept on disk when the library was closed offline, in order."""
        from ..core import live

        path = live.pending_path(library)
        try:
            kept = live.load_kept(path)
        except live.PendingError as exc:
            aside = path.with_name(path.name + ".unreadable")
            path.replace(aside)
            show_error(self._w, f"{exc}; it was moved to {aside.name}")
            return
        if not kept:
            return
        log.info("sending %d change(s) kept while offline", len(kept))
        self._w.statusBar().showMessage(f"Sending {plural(len(kept), 'change')} made while offline…", 8000)
        self._sending = len(kept)
        self._refusals = []
        for operation, token in kept:
            self._w.runner.submit(
                library,
                operation,
                on_done=lambda _outcome: self._sent(library),
                on_error=functools.partial(self._refused, library, operation),
                token=token,
            )

    def _sent(self, library: Library) -> None:
        if library is not self.library:
            return
        self._sending -= 1
        self.keep()  # what is left, or no file once all landed
        if self._sending == 0:
            self._report_refusals()

    def _refused(self, library: Library, operation: Operation, exc: BaseException, details: str) -> None:
        from ..core.errors import PapershelfError

        if not isinstance(exc, PapershelfError):
            log.error("a change kept while offline failed: %s\n%s", exc, details)
        line = f"{operation.label}: {exc}"
        mine = getattr(exc, "mine", None)  # an EditConflict: the user's text is not lost, it is in the details
        if isinstance(mine, str):
            line += f"\nYour text:\n{mine}"
        self._refusals.append(line)
        self._sent(library)

    def _report_refusals(self) -> None:
        refusals, self._refusals = self._refusals, []
        if not refusals:
            self._w.statusBar().showMessage("The changes made while offline are saved.", 8000)
            return
        first = visible(refusals[0].split("\n", 1)[0])
        if len(refusals) == 1:
            message = f"A change made while offline was not saved: {first}"
        else:
            message = f"{len(refusals)} changes made while offline were not saved: {first}; …"
        show_error(self._w, message, "\n\n".join(visible(line, multiline=True) for line in refusals))
