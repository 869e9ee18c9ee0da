"""Exporting papers: the export dialog, then the file written on a worker with a progress dialog that can cancel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMainWindow, QMessageBox, QProgressDialog

from .. import paths
from . import workers
from .dialogs.errors import show_error
from .dialogs.export import LIST, LIVE_KINDS, SAVED, SEARCH, SELECTION, TAG, ExportDialog
from .dialogs.folders import start_folder
from .models.sidebar import quote_value
from .wording import plural

if TYPE_CHECKING:
    from ..core.library import Library
    from ..core.operations import Bind
    from .models.paper_table import PaperTableModel
    from .settings import Settings
    from .widgets.paper_table_view import PaperTableView


class ExportFlow(QObject):
    """File ▸ Export and its variants (the selection, a list, a tag) for one window."""

    def __init__(
        self,
        window: QMainWindow,
        library: Callable[[], Library | None],
        table: PaperTableView,
        table_model: PaperTableModel,
        settings: Settings,
        on_error: Callable[[BaseException, str], None],
    ):
        super().__init__(window)
        self._window = window
        self._library = library
        self._table = table
        self._table_model = table_model
        self._settings = settings
        self._on_error = on_error
        #: The open export dialog (tests drive it).
        self.dialog: ExportDialog | None = None
        #: Called with the binding of an export that was written with "Keep updated" (set by the live files).
        self.on_keep_updated: Callable[[Bind], None] | None = None

    def _message(self, text: str, timeout: int) -> None:
        self._window.statusBar().showMessage(text, timeout)

    def open_export(self, scope: str = SEARCH, value: str = "") -> None:
        """Ask what to export and where (``scope`` and ``value`` preselect it), then export on a worker."""
        library = self._library()
        if library is None:
            return
        try:
            from ..core import exporters

            formats = list(exporters.FORMATS)
            extensions = dict(getattr(exporters, "EXTENSIONS", {}))
        except (ImportError, AttributeError) as exc:
            show_error(self._window, "Exporting is not available in this build.", f"{type(exc).__name__}: {exc}")
            return
        dialog = ExportDialog(
            formats=formats,
            extensions=extensions,
            selection_count=len(self._table.selected_ids()),
            search_count=self._table_model.rowCount(),
            lists=[n for n, _ in library.lists()],
            tags=[n for n, _ in library.tags()],
            saved=[n for n, _ in library.saved_searches()],
            folder=start_folder(self._settings.export_folder),
            scope=scope,
            value=value,
            fmt=self._settings.export_format,
            parent=self._window,
        )
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        selection = self._table.selected_ids()
        search_ids = list(self._table_model.ids)

        def done(code: int) -> None:
            request = dialog.request if code == ExportDialog.DialogCode.Accepted else None
            dialog.deleteLater()
            if request is None:
                return
            self._settings.export_folder = str(request.path.parent)
            self._settings.export_format = request.fmt
            from ..core import autoexport
            from ..core.errors import PapershelfError
            from ..core.fsutil import Protected
            from .autoexport_flow import FREE_HINT

            binding = None
            try:
                if request.keep_updated:  # refused before anything is written: a FIFO, a folder, another list's file
                    protect = Protected.library(library.path, paths.backups_dir())
                    options = {"abstract": request.abstract, "notes": request.notes}
                    kind = LIVE_KINDS[request.scope]
                    binding = autoexport.prepare(
                        kind, request.value, request.path, request.fmt, options, protect=protect
                    )
                    autoexport.check_free(library, binding, FREE_HINT)
                if request.scope == SELECTION:
                    ids = selection
                elif request.scope == LIST:
                    ids = library.list_paper_ids(request.value)
                elif request.scope == TAG:
                    ids = library.search_ids("tag:" + quote_value(request.value))
                elif request.scope == SAVED:
                    ids = autoexport.scope_ids(library, "search", request.value)
                else:
                    ids = search_ids
            except PapershelfError as exc:  # the list or tag went away while the dialog was open
                show_error(self._window, f"Nothing was exported: {exc}")
                return
            task = self.export(ids, request.fmt, request.path, abstract=request.abstract, notes=request.notes)
            if binding is not None and self.on_keep_updated is not None:
                bind, keep = self.on_keep_updated, binding
                task.succeeded.connect(lambda _count: bind(keep))

        dialog.finished.connect(done)
        self.dialog = dialog
        dialog.open()

    def export(
        self, ids: list[int], fmt: str, path: Path, *, abstract: bool = True, notes: bool = False
    ) -> workers.Task:
        """Write ``ids`` to ``path`` on a worker, with a progress dialog that can cancel."""
        from ..core import exporters
        from ..core import operations as ops
        from ..core.errors import PapershelfError
        from ..core.fsutil import Protected

        library = self._library()
        assert library is not None
        # Never onto the library, its -wal/-shm or a backup, even through a link.
        protect = Protected.library(library.path, paths.backups_dir())  # every library's backups
        report = exporters.ExportReport()  # what was written in another form than asked: never silent

        class ExportCancelled(PapershelfError):
            pass

        def write(progress, cancelled) -> int:
            # A .bib file holds the crossref parents of its entries too, after them.
            ordered = library.bibtex_order(ids) if fmt in ("bibtex", "biblatex") else ids

            def step(done: int) -> None:  # every 200 papers: a cancel ends the export here
                if cancelled():
                    raise ExportCancelled("export cancelled; no file was written")
                progress(done)

            # From the library's entry cache, as the CLI and the live files: only changed papers are encoded.
            papers = exporters.LibraryPapers(library, ordered, progress=step)
            count = exporters.export_to_file(
                papers, fmt, path, abstract=abstract, notes=notes, protect=protect, report=report
            )
            # Exported keys are in someone's document now: they never change again (not an undo step).
            library.run(ops.PinKeys(tuple(ordered)))
            return count

        task = workers.Task(write, with_progress=True)
        progress = QProgressDialog(
            f"Exporting {plural(len(ids), 'paper')}…", "Cancel", 0, max(len(ids), 1), self._window
        )
        progress.setObjectName("exportProgress")
        progress.setWindowTitle("Exporting")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(400)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.canceled.connect(task.cancel)
        task.progress.connect(progress.setValue)

        def finish() -> None:
            progress.canceled.disconnect(task.cancel)
            progress.close()
            progress.deleteLater()

        def succeeded(count: int) -> None:
            finish()
            self._message(f"Exported {plural(count, 'paper')} to {path}.", 15000)
            if report.warnings():
                box = QMessageBox(
                    QMessageBox.Icon.Information,
                    "Exported, with a Note",
                    f"Exported {plural(count, 'paper')} to {path}.",
                    parent=self._window,
                )
                box.setTextFormat(Qt.TextFormat.PlainText)
                box.setInformativeText("\n\n".join(line[0].upper() + line[1:] + "." for line in report.warnings()))
                box.exec()

        def failed(exc: BaseException, details: str) -> None:
            finish()
            if isinstance(exc, ExportCancelled):
                self._message("Export cancelled; no file was written.", 10000)
            else:
                self._on_error(exc, details)

        task.succeeded.connect(succeeded)
        task.failed.connect(failed)
        return task.start("io")
