"""Live files in the app: bind from the export dialog, and rewrite the bound files a second after changes settle.

After every change the window makes (an operation landing, an import, a
fetch), :class:`LiveFiles` restarts a one-second timer; when it fires, the
sync runs on the writer thread (``core.autoexport.sync``: it renders every
bound file and replaces only those whose content changed). A file that cannot
be written is said once in the status bar and shown on its sidebar entry;
nothing else in the app is held up by it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QObject, QTimer, Signal

from .. import paths
from ..core.display import visible

if TYPE_CHECKING:
    from ..core.autoexport import Binding, Result
    from ..core.library import Library
    from ..core.operations import Bind
    from .main_window import MainWindow
    from .operations import Job

#: How the app frees a file another list, tag or search keeps updated (the CLI names its command instead).
FREE_HINT = "to free it, right-click the {source} in the sidebar and choose Stop Keeping {name} Updated"

#: Changes come in bursts (a key edit, then the list): write once they settle.
DEBOUNCE_MS = 1000


class LiveFiles(QObject):
    """Keeps one window's library's live files up to date."""

    #: A sync finished, with its results (tests wait for it).
    synced = Signal(object)

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self._w = window
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_now)
        self._running = False
        self._again = False
        #: The error last shown in the status bar for each binding, so a failure is said once.
        self._said: dict[int, str] = {}
        window.runner.applied.connect(lambda _changes: self.schedule())
        window.import_flow.imported.connect(lambda *_args: self.schedule())
        window.fetch_flow.busyChanged.connect(lambda busy: None if busy else self.schedule())
        # Files may be stale after changes made while the app was closed (or by an older version).
        window.libraryOpened.connect(self.run_now)
        window.export_flow.on_keep_updated = self.bind

    @property
    def pending(self) -> bool:
        """A sync is scheduled or running."""
        return self._timer.isActive() or self._running

    def schedule(self) -> None:
        """Sync a second from now (each change restarts the wait)."""
        if self._w.library is not None:
            self._timer.start()

    def flush(self) -> None:
        """The window closes: queue a scheduled sync now (the library closes once the writer is idle)."""
        if self._timer.isActive():
            self._timer.stop()
            self.run_now()

    def run_now(self, only: list[int] | None = None) -> None:
        """Sync on the writer thread (never on this one); queued after the changes before it."""
        library = self._w.library
        if library is None:
            return
        if self._running:
            self._again = True
            return
        self._running = True
        from ..core import autoexport
        from ..core.fsutil import Protected

        protect = Protected.library(library.path, paths.backups_dir())  # every library's backups

        def job(lib: Library) -> list[Result]:
            return autoexport.sync(lib, protect=protect, only=only)

        # A job's result that is no Outcome reaches on_done only: no `applied`, so no sync after the sync.
        self._w.runner.submit(
            library, cast("Job", job), on_done=lambda results: self._done(library, results, only), on_error=self._failed
        )

    def _done(self, library: Library, results: list[Result], only: list[int] | None = None) -> None:
        self._running = False
        if library is self._w.library:
            self._report(results)
            if only is not None and results and results[0].status != "failed":  # Update Now: say it is done
                name = Path(results[0].binding.path).name
                done = "updated" if results[0].status == "written" else "already up to date"
                self._w.statusBar().showMessage(visible(f"{name} {done}."), 8000)
            if any(r.status == "written" or r.error != r.binding.error for r in results):
                self._w.sidebar_controller.schedule_refresh()  # last written, or the error, on the entry
        self.synced.emit(results)
        if self._again:
            self._again = False
            self.run_now()

    def _failed(self, exc: BaseException, details: str) -> None:
        # sync() catches every file's error; this is the library itself (damaged, closed): say it once.
        self._running = False
        self._w.statusBar().showMessage(f"Live files not updated: {exc}".splitlines()[0], 15000)
        self.synced.emit([])

    def _report(self, results: list[Result]) -> None:
        """A new failure once in the status bar; a file written again clears it."""
        said = self._said
        new = [r for r in results if r.status == "failed" and said.get(r.binding.id) != r.error]
        for r in results:
            if r.status == "failed":
                said[r.binding.id] = r.error or ""
            else:
                said.pop(r.binding.id, None)
        if new:
            first = new[0]
            more = f" (and {len(new) - 1} more)" if len(new) > 1 else ""
            reason = (first.error or "").removeprefix(f"{first.binding.path}: ")
            text = f"Could not update {Path(first.binding.path).name}: {reason}{more}"
            self._w.statusBar().showMessage(visible(text), 20000)

    # --- Binding and unbinding (undoable) ------------------------------------------------

    def bind(self, operation: Bind) -> None:
        """The export dialog wrote the file with "Keep updated": bind it, as one undoable step."""
        from ..core import operations as ops

        name = Path(operation.path).name

        def done(_outcome: object) -> None:
            self._w.sidebar_controller.schedule_refresh()
            self._w.statusBar().showMessage(visible(f"{name} is kept updated from now on."), 10000)

        self._w.edits.run(dataclasses.replace(operation, written=ops.now()), on_done=done)

    def unbind(self, binding: Binding) -> None:
        """Stop keeping a file updated (the file stays as it is); undoable."""
        from ..core import operations as ops

        name = Path(binding.path).name

        def done(_outcome: object) -> None:
            self._w.sidebar_controller.schedule_refresh()
            self._w.statusBar().showMessage(visible(f"{name} is no longer kept updated; the file stays."), 10000)

        self._w.edits.run(ops.Unbind(binding.path), on_done=done)

    def update_now(self, binding: Binding) -> None:
        """The sidebar's Update Now: sync this file at once (a failure is said again)."""
        self._said.pop(binding.id, None)
        self.run_now([binding.id])
