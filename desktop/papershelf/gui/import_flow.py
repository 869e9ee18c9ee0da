"""Importing listings: where an import starts (files, clipboard, sample, drops), its preview (a dry run), then commit.

Both the preview and the import run on a worker thread with a progress
dialog; cancelling rolls the import back (the library raises ``Cancelled``
and writes nothing). Several files are handled one after another, each with
its own preview.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from .. import paths
from .dialogs.errors import show_error
from .dialogs.folders import start_folder
from .dialogs.import_preview import ImportPreviewDialog
from .widgets.labels import progress_dialog
from .workers import Task

if TYPE_CHECKING:
    from ..core.importers import Source
    from ..core.library import Library
    from ..core.records import ImportResult
    from .settings import Settings


class ImportFlow(QObject):
    """Drives the import of a queue of sources for one window, into the library it has open."""

    #: An import was committed: (result, the listing date chosen or None).
    imported = Signal(object, object)
    #: A one-line message for the status bar.
    message = Signal(str)
    #: The queue is done (imported, skipped or failed).
    idle = Signal()

    def __init__(
        self,
        library: Callable[[], Library | None],
        parent: QWidget,
        settings: Settings,
        on_error: Callable[[BaseException, str], None],
        before: Callable[[], object] = lambda: None,
    ):
        super().__init__(parent)
        self._library = library
        self._parent = parent
        self._settings = settings
        self._on_error = on_error
        #: Called before an import starts (the window saves a pending note: it must not wait behind the import).
        self._before = before
        self._queue: deque[Source] = deque()
        self.busy = False
        self.preview: ImportPreviewDialog | None = None
        self.progress: QProgressDialog | None = None
        self.task: Task | None = None

    # --- Where an import starts ----------------------------------------------------

    def import_files(self) -> None:
        """File ▸ Import Listing: choose files, starting in the folder of the last import."""
        if self._library() is None:
            return
        names, _filter = QFileDialog.getOpenFileNames(
            self._parent,
            "Import Listings",
            start_folder(self._settings.import_folder),
            "Listings and BibTeX (*.txt *.json *.bib *.bibtex);;All files (*)",
        )
        if names:
            self._settings.import_folder = str(Path(names[0]).parent)
            self.import_paths([Path(n) for n in names])

    def import_paths(self, files: list[Path]) -> None:
        """Import ``files`` (chosen, dropped or named on the command line), each through its preview."""
        from ..core.importers import Source

        self.start([Source.from_path(p) for p in files])

    def import_clipboard(self) -> None:
        """File ▸ Import from Clipboard: the daily papers page the user copied."""
        from ..core.importers import Source

        text = QGuiApplication.clipboard().text()
        if not text.strip():
            show_error(self._parent, "The clipboard has no text to import. Copy the daily papers page first.")
            return
        self.start([Source.from_text(text, "clipboard")])

    def open_sample(self) -> None:
        """File ▸ Open the Sample Listing: import the listing shipped with the app."""
        sample = paths.sample_listing()
        if not sample.is_file():
            show_error(self._parent, f"The sample listing is missing: {sample}")
            return
        self.import_paths([sample])

    def start(self, sources: list[Source]) -> None:
        """Queue ``sources``; each gets its preview in turn."""
        if self._library() is None:
            return
        self._before()
        self._queue.extend(sources)
        if not self.busy:
            self._next()

    def cancel(self) -> None:
        """Cancel the step running on the worker, if any (the window is closing)."""
        if self.task is not None and not self.task.done:
            self.task.cancel()

    def _next(self) -> None:
        if not self._queue:
            self.busy = False
            self.idle.emit()
            return
        self.busy = True
        source = self._queue.popleft()
        self._run(
            source,
            None,
            dry_run=True,
            label=f"Reading {_short(source.name)}…",
            done=lambda result: self._show_preview(source, result),
        )

    # --- Running a step on the worker ---------------------------------------------

    def _run(
        self,
        source: Source,
        listing_date: dt.date | None,
        *,
        dry_run: bool,
        label: str,
        done: Callable[[ImportResult], None],
    ) -> None:
        library = self._library()
        if library is None:  # closed meanwhile: drop the queue
            self._queue.clear()
            self._next()
            return
        task = Task(library.import_file, source, listing_date=listing_date, dry_run=dry_run, with_progress=True)
        title = "Importing" if not dry_run else "Reading Listing"
        progress = progress_dialog(
            label, title, name="importProgress", accessible="Import progress", parent=self._parent
        )
        progress.canceled.connect(task.cancel)
        verb = "checked" if dry_run else "imported"
        task.progress.connect(lambda n: progress.setLabelText(f"{label}\n{n:,} papers {verb}"))
        self.progress, self.task = progress, task

        def finish() -> None:
            progress.canceled.disconnect(task.cancel)
            progress.close()
            progress.deleteLater()
            if self.progress is progress:
                self.progress = None

        def succeeded(result: ImportResult) -> None:
            finish()
            done(result)

        def failed(exc: BaseException, details: str) -> None:
            finish()
            self._failed(source, exc, details)

        task.succeeded.connect(succeeded)
        task.failed.connect(failed)
        task.start("io")

    def _failed(self, source: Source, exc: BaseException, details: str) -> None:
        from ..core.library import Cancelled

        if self.preview is not None and self.preview.isVisible():
            # A failed or cancelled re-check leaves the preview open with the old numbers.
            self.preview.set_busy(False)
            if not isinstance(exc, Cancelled):
                self._on_error(exc, details)
            return
        if isinstance(exc, Cancelled):
            self.message.emit(f"Import of {_short(source.name)} cancelled; nothing was imported.")
        else:
            self._on_error(exc, details)
        self._next()

    # --- Preview ----------------------------------------------------------------

    def _show_preview(self, source: Source, result: ImportResult) -> None:
        dialog = ImportPreviewDialog(_short(source.name), result, self._parent)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.preview = dialog

        def recheck(day: dt.date) -> None:
            self._run(
                source,
                day,
                dry_run=True,
                label="Checking the listing again…",
                done=lambda again: dialog.set_result(again) if self.preview is dialog else None,
            )

        def finished(code: int) -> None:
            self.preview = None
            dialog.deleteLater()
            if code == ImportPreviewDialog.DialogCode.Accepted:
                chosen = dialog.listing_date
                self._run(
                    source,
                    chosen,
                    dry_run=False,
                    label=f"Importing {_short(source.name)}…",
                    done=lambda final: self._committed(final, chosen),
                )
            else:
                self.message.emit(f"Import of {_short(source.name)} cancelled; nothing was imported.")
                self._next()

        dialog.dateChanged.connect(recheck)
        dialog.finished.connect(finished)
        dialog.open()

    def _committed(self, result: ImportResult, chosen: dt.date | None) -> None:
        self.imported.emit(result, chosen)
        self._next()


def _short(name: str) -> str:
    from ..core.display import visible

    return visible(Path(name).name if "/" in name or "\\" in name else name)
