"""The main window, as an assembly: it lays out the widgets, creates the parts that drive them, and wires them together.

Each part is a module of its own, and reaches the others through the window:

- :mod:`actions`: every command's action, keys, menus and toolbar, and when it is enabled;
- :mod:`library_session`: opening (and recovering) the library, backups, restoring, closing;
- :mod:`paper_view`: the table and search field: the search, the sort, the current paper;
- :mod:`sidebar_controller`: the sidebar's views and counts, lists and saved searches;
- :mod:`edits`: the undoable changes to papers, with their dialogs and the table's menu;
- :mod:`import_flow` and :mod:`export_flow`: importing and exporting files;
- :mod:`fetch_flow`: fetching daily listings and completing papers online (only when asked);
- :mod:`pdf_flow`: PDFs: attaching, downloading, reading them for the search, opening them;
- :mod:`autoexport_flow`: live files ("keep updated"), rewritten a second after changes settle;
- :mod:`live_updates`: a shared library's other members' changes shown live, changes made offline kept and sent.

What stays here is what belongs to the window itself: its layout and its
events (painting, activation, drag and drop, closing); :mod:`window_state`
keeps the layout between launches.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core import deadline
from . import window_state
from .actions import Actions
from .autoexport_flow import LiveFiles
from .citing import Citing
from .commands import OperationCommand
from .dialogs.errors import report_exception, show_error
from .edits import Edits
from .export_flow import ExportFlow
from .fetch_flow import FetchFlow
from .import_flow import ImportFlow
from .library_session import LibrarySession
from .live_updates import SharedLive
from .models.paper_table import PaperTableModel
from .models.sidebar import ALL, DATE, SidebarModel
from .operations import OperationRunner
from .paper_view import PaperView
from .pdf_flow import PdfFlow
from .settings import Settings
from .sidebar_controller import SidebarController
from .widgets.detail_pane import DetailPane
from .widgets.paper_table_view import PaperTableView
from .widgets.responsive_splitter import ResponsiveSplitter
from .widgets.search_bar import SearchField
from .widgets.sidebar_view import SidebarView
from .widgets.status_bar import StatusBar
from .widgets.welcome import WelcomePanel
from .wording import plural

if TYPE_CHECKING:
    from ..core.library import Library
    from ..core.records import ImportResult

#: The status bar while a change waits: for another program's write lock (a file), or for the server.
WAITING_FOR_LOCK = (
    "Waiting for another program to finish writing to the library; your changes are kept and will be saved then."
)
WAITING_FOR_SERVER = "Waiting for the shared library's server; your changes are kept and will be sent then."

#: The longest the window's thread waits for a shared library's server: a search or a page of rows takes
#: milliseconds; past this the server is taken for gone, and the window says it cannot be reached.
WINDOW_WAIT_S = 5.0


class MainWindow(QMainWindow):
    """The one window of the app: sidebar, paper table and detail pane, with the parts that drive them."""

    #: The library is open and the first results are shown.
    libraryOpened = Signal()
    #: The window painted for the first time (start-up benchmarks listen to this).
    firstPainted = Signal()
    #: Opening failed and the user chose to quit.
    quitRequested = Signal(int)

    def __init__(self, icon: QIcon | None = None):
        super().__init__()
        # This thread paints: it never waits long for a shared library's server that hangs (core/deadline.py).
        deadline.limit(WINDOW_WAIT_S)
        self.setObjectName("mainWindow")
        self.setAccessibleName("Papershelf")
        self.setWindowTitle("Papershelf")
        self.setAcceptDrops(True)
        self.settings = Settings()
        self.undo_stack = QUndoStack(self)
        #: Every change to the library goes through it, off the GUI thread (gui/operations.py).
        self.runner = OperationRunner(self)
        self.runner.waiting.connect(self._waiting_for_lock)
        self._painted = False
        self._was_active = False
        self._icon = icon

        self._build_widgets()
        # The parts: each connects the signals of the widgets it drives.
        self.session = LibrarySession(self)
        self.paper_view = PaperView(self)
        self.sidebar_controller = SidebarController(self)
        self.edits = Edits(self)
        self.import_flow = ImportFlow(
            lambda: self.library, self, self.settings, self.report_error, before=lambda: self.detail.flush()
        )
        self.export_flow = ExportFlow(
            self, lambda: self.library, self.table, self.table_model, self.settings, self.report_error
        )
        self.fetch_flow = FetchFlow(self)
        self.pdf_flow = PdfFlow(self)
        self.live_files = LiveFiles(self)
        self.live = SharedLive(self)
        self.citing = Citing(self)
        self.acts = Actions(self, icon)
        self._connect_parts()
        window_state.restore(self)
        self.acts.update_enabled()

    def _connect_parts(self) -> None:
        """The buttons and signals that lead from one part, or from the window, to another."""
        sidebar = self.sidebar_controller
        for button, slot in (
            (self.new_list_button, sidebar.new_list),
            (self.rename_list_button, sidebar.rename_list),
            (self.delete_list_button, sidebar.delete_selected),
            (self.save_search_button, sidebar.save_search),
            (self.welcome.import_button, self.import_flow.import_files),
            (self.welcome.clipboard_button, self.import_flow.import_clipboard),
            (self.welcome.sample_button, self.import_flow.open_sample),
        ):
            button.clicked.connect(lambda _=False, slot=slot: slot())
        self.table_model.searchCrashed.connect(self.report_error)
        self.detail.paperEdited.connect(lambda pid: self.table_model.invalidate([pid]))
        self.table.doubleClicked.connect(lambda _index: self.citing.edit_entry())
        self.detail.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.detail.linkActivated.connect(self.paper_view.open_link)
        self.detail.tag_editor.finished.connect(self.paper_view.focus_table)
        self.detail.notes.finished.connect(self.paper_view.focus_table)
        self.import_flow.imported.connect(self._imported)
        self.import_flow.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.fetch_flow.busyChanged.connect(lambda _busy: self.acts.update_enabled())

    # --- Layout -------------------------------------------------------------------

    def _build_widgets(self) -> None:
        """Sidebar with its list buttons | search row over the table (or the welcome panel) | detail pane."""
        self.sidebar_model = SidebarModel(self)
        self.sidebar = SidebarView(self)
        self.sidebar.setModel(self.sidebar_model)

        sidebar_panel = QWidget(self)
        sidebar_panel.setObjectName("sidebarPanel")
        box = QVBoxLayout(sidebar_panel)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.sidebar)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(4, 0, 4, 4)
        self.new_list_button = self._tool_button("newListButton", "New List", "Create a reading list")
        self.rename_list_button = self._tool_button("renameListButton", "Rename", "Rename the selected reading list")
        self.delete_list_button = self._tool_button(
            "deleteListButton", "Delete", "Delete the selected reading list or saved search"
        )
        for button in (self.new_list_button, self.rename_list_button, self.delete_list_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        box.addLayout(buttons)

        self.table_model = PaperTableModel(None, self)
        self.table = PaperTableView(self)
        self.table.setModel(self.table_model)

        self.search_field = SearchField(self)
        self.save_search_button = self._tool_button(
            "saveSearchButton", "Save Search…", "Save the current search in the sidebar"
        )
        table_page = QWidget(self)
        table_page.setObjectName("tablePage")
        page = QVBoxLayout(table_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(4)
        search_row = QHBoxLayout()
        search_row.setContentsMargins(0, 4, 0, 0)
        search_row.addWidget(self.search_field, 1)
        search_row.addWidget(self.save_search_button)
        page.addLayout(search_row)
        page.addWidget(self.table, 1)
        self.table_page = table_page

        self.welcome = WelcomePanel(self._icon, self)

        self.loading = QLabel("Opening the library…", self)
        self.loading.setObjectName("loadingLabel")
        self.loading.setTextFormat(Qt.TextFormat.PlainText)
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loading.setEnabled(False)

        self.center = QStackedWidget(self)
        self.center.setObjectName("centerStack")
        self.center.addWidget(self.loading)
        self.center.addWidget(self.table_page)
        self.center.addWidget(self.welcome)

        self.detail = DetailPane(self.show_error, self)

        self.splitter = ResponsiveSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(sidebar_panel)
        # Notices that must not block the window (the question asked on the first launch) go above the papers,
        # inside their pane: the panes keep their sizes when a notice comes and goes.
        center_column = QWidget(self)
        center_column.setObjectName("centerColumn")
        self._notices = QVBoxLayout(center_column)
        self._notices.setContentsMargins(0, 0, 0, 0)
        self._notices.setSpacing(4)
        self._notices.addWidget(self.center, 1)
        self.splitter.addWidget(center_column)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

        self.hit_count = QLabel("", self)
        self.hit_count.setObjectName("hitCount")
        self.hit_count.setAccessibleName("Number of papers shown")
        self.hit_count.setTextFormat(Qt.TextFormat.PlainText)
        self.setStatusBar(StatusBar(self))  # a long message ends in "…" short of the paper count
        self.statusBar().setObjectName("statusBar")
        self.statusBar().addPermanentWidget(self.hit_count)

    def show_notice(self, notice: QWidget) -> None:
        """Show ``notice`` above the papers until it hides itself."""
        self._notices.insertWidget(0, notice)
        notice.show()

    def _tool_button(self, name: str, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(name)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        return button

    # --- The library (app.py, smoke.py and the benchmarks open and close it here) ----

    @property
    def library(self) -> Library | None:
        return self.session.library

    @property
    def library_path(self) -> Path | None:
        return self.session.path

    def open_library(self, path: str | Path) -> bool:
        """Open ``path`` now (offering recovery if it fails); False if the user gave up."""
        return self.session.open(path)

    def open_library_later(self, path: str | Path) -> None:
        """Open ``path`` on a worker once the window has painted (fast start-up)."""
        self.session.open_later(path)

    def close_library(self) -> None:
        self.session.close()

    # --- After an import -----------------------------------------------------------

    def _imported(self, result: ImportResult, chosen: dt.date | None) -> None:
        if result.undo is not None and self.library is not None and (result.added or result.existing):
            # Edit ▸ Undo takes the whole import back out, as one change.
            OperationCommand.already_done(
                self.runner, self.library, result.undo.label, result.undo, self.report_error
            ).push_to(self.undo_stack)
        text = f"Imported {plural(result.added, 'new paper')}"
        if result.existing:
            text += f"; {result.existing:,} already in the library"
        if result.problems:
            text += f"; {len(result.problems)} skipped"
        self.statusBar().showMessage(text + ".", 15000)
        self.show_imported(chosen or (result.listing_dates[0] if result.listing_dates else None))

    def show_imported(self, day: dt.date | None) -> None:
        """After an import: the listing of ``day`` (or All Papers) from its first paper, ready for the keyboard."""
        self.search_field.set_text_silently("")
        self.paper_view.start_on_first()
        reselect = (DATE, day.isoformat()) if day else (ALL, "all")
        self.sidebar_controller.reload(reselect, force_search=True)
        # Back from the preview and progress dialogs, ready for the keyboard.
        self.activateWindow()
        self.paper_view.focus_table()

    # --- Errors -------------------------------------------------------------------

    def report_error(self, exc: BaseException, details: str = "") -> None:
        if self.live.unreachable(exc):
            return  # the shared library's server is away: one line in the status bar, not a dialog per read
        report_exception(self, exc, details or None)

    def show_error(self, message: str, details: str = "") -> None:
        show_error(self, message, details or None)

    # --- Refreshing ---------------------------------------------------------------

    def refresh_all(self) -> None:
        """Search again and recount (after changes made by another window or process)."""
        if self.library is None:
            return
        self.paper_view.remember_current()
        self.table_model.refresh()
        self.sidebar_controller.schedule_refresh()
        if self.detail.paper is None and self.detail.unshown is not None:
            self.detail.refresh()  # the paper chosen while the server was away
        elif self.detail.paper is not None and not self.detail.notes.dirty and not self.detail.notes.has_focus_inside():
            self.detail.refresh(notes=True)

    def _external_refresh(self) -> None:
        # Another Papershelf may have changed the library while we were in the background.
        # (A shared library says so itself, and while its server is away the rows shown are the last ones read.)
        if self.library is None or self.import_flow.busy or self.live.library is not None:
            return
        self.table_model.invalidate()
        self.sidebar_controller.schedule_refresh()
        self.pdf_flow.refresh_marks()  # `papershelf attach` may have attached PDFs meanwhile
        if self.detail.paper is not None and not self.detail.notes.dirty and not self.detail.notes.has_focus_inside():
            self.detail.refresh(notes="auto")

    # --- Qt events ----------------------------------------------------------------

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.firstPainted.emit()
            self.session.window_painted()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ThemeChange):
            # Colours come from the palette: redraw what was painted with the old one.
            self.detail.set_highlight(self.detail.highlight_terms)
            self.sidebar_controller.schedule_refresh()
        if event.type() == QEvent.Type.ActivationChange:
            active = self.isActiveWindow()
            if active and not self._was_active and self.library is not None and self._painted:
                self._external_refresh()
            self._was_active = active

    def dragEnterEvent(self, event) -> None:
        if self._dropped_paths(event.mimeData()) and self.library is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        found = self._dropped_paths(event.mimeData())
        if not found or self.library is None:
            event.ignore()
            return
        event.acceptProposedAction()
        # PDFs go to the paper their arXiv id or DOI names (or a new one); anything else is imported.
        pdfs = [p for p in found if p.suffix.lower() == ".pdf"]
        others = [p for p in found if p.suffix.lower() != ".pdf"]
        if pdfs:
            self.pdf_flow.attach_dropped(pdfs)
        if others:
            # Let the drag finish before the preview opens.
            QTimer.singleShot(0, lambda: self.import_flow.import_paths(others))

    @staticmethod
    def _dropped_paths(mime) -> list[Path]:
        if not mime.hasUrls():
            return []
        return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]

    def _waiting_for_lock(self, waiting: bool) -> None:
        if waiting and self.library is not None and self.library.shared:
            # Another member's long change holds the write lock, or the server is slow to answer.
            self.statusBar().showMessage(WAITING_FOR_SERVER)
        elif waiting:
            self.statusBar().showMessage(WAITING_FOR_LOCK)
        elif self.statusBar().currentMessage() in (WAITING_FOR_LOCK, WAITING_FOR_SERVER) and not self.runner.is_offline:
            self.statusBar().showMessage("Saved.", 3000)

    def closeEvent(self, event) -> None:
        if not self.detail.flush():
            answer = QMessageBox.question(
                self,
                "Unsaved Note",
                "A note could not be saved. Close anyway and lose the last changes?",
                QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Close:
                event.ignore()
                return
        if not self.session.changes_may_go("Close", QMessageBox.StandardButton.Close):
            event.ignore()
            return
        self.runner.discard()  # what still waits for another program: the user chose to lose it
        self.import_flow.cancel()
        self.fetch_flow.cancel()
        self.pdf_flow.close()
        self.live_files.flush()  # a change made in the last second still reaches its live file
        window_state.save(self)
        self.session.shut_down()
        # Quitting: the library is closed, nothing is left for the writer thread.
        self.runner.stop()
        super().closeEvent(event)
