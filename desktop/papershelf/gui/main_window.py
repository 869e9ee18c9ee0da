"""The main window: sidebar, paper table, detail pane; menus, actions and window state.

The window owns the library and hands each widget what it needs. Every
change the user can undo goes through :mod:`commands` on the window's undo
stack; everything slow (imports, exports, searching, sidebar counts) runs on
a worker thread.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QIcon, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.display import visible
from .dialogs.errors import report_exception, show_error
from .dialogs.export import SELECTION
from .dialogs.shortcuts import ShortcutsDialog
from .edits import Edits
from .export_flow import ExportFlow
from .import_flow import ImportFlow
from .library_session import LibrarySession
from .models.paper_table import PaperTableModel
from .models.sidebar import (
    ALL,
    DATE,
    SAVED,
    SidebarModel,
)
from .models.sidebar import (
    LIST as LIST_KIND,
)
from .paper_view import PaperView
from .settings import (
    FAVOURITE_SLOTS,
    Settings,
    favourite_tags,
)
from .sidebar_controller import SidebarController
from .widgets.detail_pane import DetailPane
from .widgets.paper_table_view import PaperTableView
from .widgets.search_bar import SearchField
from .widgets.sidebar_view import SidebarView
from .widgets.tag_editor import button_text
from .widgets.welcome import WelcomePanel

if TYPE_CHECKING:
    from ..core.library import Library
    from ..core.records import ImportResult

DEFAULT_SIZE = (1400, 850)
DEFAULT_SPLITTER = [190, 830, 380]


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


class MainWindow(QMainWindow):
    #: The library is open and the first results are shown.
    libraryOpened = Signal()
    #: The window painted for the first time (start-up benchmarks listen to this).
    firstPainted = Signal()
    #: Opening failed and the user chose to quit.
    quitRequested = Signal(int)

    def __init__(self, icon: QIcon | None = None):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setAccessibleName("Papershelf")
        self.setWindowTitle("Papershelf")
        self.setAcceptDrops(True)
        self.settings = Settings()
        self.undo_stack = QUndoStack(self)
        self._painted = False
        self._was_active = False
        self._shortcut_rows: list[tuple[str, QAction]] = []
        self._icon = icon

        self._build_widgets()
        self.session = LibrarySession(self)
        self.paper_view = PaperView(self)
        self.sidebar_controller = sidebar = SidebarController(self)
        for button, slot in (
            (self.new_list_button, sidebar.new_list),
            (self.rename_list_button, sidebar.rename_list),
            (self.delete_list_button, sidebar.delete_selected),
            (self.save_search_button, sidebar.save_search),
        ):
            button.clicked.connect(lambda _=False, slot=slot: slot())
        self.edits = Edits(self)
        self.detail.linkActivated.connect(self.paper_view.open_link)
        self.detail.tag_editor.finished.connect(self.paper_view.focus_table)
        self.detail.notes.finished.connect(self.paper_view.focus_table)
        self.import_flow = ImportFlow(
            lambda: self.library, self, self.settings, self.report_error, before=lambda: self.detail.flush()
        )
        self.import_flow.imported.connect(self._imported)
        self.import_flow.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.welcome.import_button.clicked.connect(self.import_flow.import_files)
        self.welcome.clipboard_button.clicked.connect(self.import_flow.import_clipboard)
        self.welcome.sample_button.clicked.connect(self.import_flow.open_sample)
        self.export_flow = ExportFlow(
            self, lambda: self.library, self.table, self.table_model, self.settings, self.report_error
        )
        self._build_actions()
        self._build_menus()
        self._restore_state()
        self._update_actions()

    # --- Layout -------------------------------------------------------------------

    def _build_widgets(self) -> None:
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
        self.table_model.searchCrashed.connect(self.report_error)
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
        self.detail.paperEdited.connect(lambda pid: self.table_model.invalidate([pid]))
        self.detail.message.connect(lambda text: self.statusBar().showMessage(text, 8000))

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(sidebar_panel)
        self.splitter.addWidget(self.center)
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
        self.statusBar().setObjectName("statusBar")
        self.statusBar().addPermanentWidget(self.hit_count)

    def _tool_button(self, name: str, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(name)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        return button

    # --- Actions and menus --------------------------------------------------------

    def _action(
        self,
        text: str,
        slot: Callable[[], None],
        shortcuts: list | None = None,
        *,
        name: str,
        tip: str | None = None,
        table_only: bool = False,
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _=False: slot())
        if table_only:
            # Single keys act only in the table, so typing elsewhere is never stolen.
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            self.table.addAction(action)
        else:
            self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        K = QKeySequence.StandardKey
        self.import_action = a(
            "&Import Listing…",
            self.import_flow.import_files,
            [K.Open],
            name="importAction",
            tip="Import daily listings or BibTeX files",
        )
        self.clipboard_action = a(
            "Import from &Clipboard",
            self.import_flow.import_clipboard,
            ["Ctrl+Shift+V"],
            name="importClipboardAction",
            tip="Import the daily papers page copied to the clipboard",
        )
        self.sample_action = a(
            "Open the &Sample Listing",
            self.import_flow.open_sample,
            name="sampleAction",
            tip="Import the bundled sample listing",
        )
        self.export_action = a(
            "&Export…",
            lambda: self.export_flow.open_export(),
            ["Ctrl+E"],
            name="exportAction",
            tip="Export papers to BibTeX and other formats",
        )
        self.backup_action = a(
            "&Back Up Now",
            self.session.backup_now,
            name="backupAction",
            tip="Write a backup of the library to the backups folder",
        )
        self.restore_action = a(
            "&Restore from Backup…",
            self.session.restore_from_backup,
            name="restoreAction",
            tip="Replace the library with one of its backups",
        )
        # Some platforms define no Quit key; Ctrl+Q is what users expect there.
        quit_keys = [K.Quit] if QKeySequence.keyBindings(K.Quit) else ["Ctrl+Q"]
        self.quit_action = a("&Quit", self.close, quit_keys, name="quitAction")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)

        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setObjectName("undoAction")
        self.undo_action.setShortcuts(QKeySequence.keyBindings(K.Undo))
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setObjectName("redoAction")
        self.redo_action.setShortcuts(QKeySequence.keyBindings(K.Redo))
        self.addAction(self.undo_action)
        self.addAction(self.redo_action)
        self.find_action = a(
            "&Find", self.paper_view.focus_search, [K.Find], name="findAction", tip="Search the library"
        )
        self.select_all_action = a("Select &All Papers", self.paper_view.select_all, name="selectAllAction")
        self.save_search_action = a("&Save Search…", self.sidebar_controller.save_search, name="saveSearchAction")
        self.refresh_action = a("&Refresh", self.refresh_all, [K.Refresh], name="refreshAction")
        self.default_order_action = a(
            "&Default Order",
            self.paper_view.use_default_order,
            name="defaultOrderAction",
            tip="Listings in their page order, other views newest first (after sorting by a column)",
        )

        self.open_page_action = a(
            "&Open Paper Page",
            self.paper_view.open_current_page,
            ["Return", "Enter"],
            name="openPageAction",
            table_only=True,
        )
        # Space as in mail clients: this one is done, show the next.
        self.read_next_action = a(
            "Mark &Read and Next", self.edits.read_and_next, ["Space"], name="readNextAction", table_only=True
        )
        self.status_actions = {
            status: a(
                f"Mark as {status.capitalize()}",
                lambda s=status: self.edits.set_status(s),
                ["U", "Shift+Space"] if status == "unread" else None,
                name=f"mark{status.capitalize()}Action",
                table_only=status == "unread",
            )
            for status in ("unread", "reading", "read")
        }
        self.priority_actions = [
            a(
                "&Clear Priority" if p == 0 else f"Priority &{p}",
                lambda p=p: self.edits.set_priority(p),
                [str(p)],
                name=f"priority{p}Action",
                table_only=True,
            )
            for p in range(4)
        ]
        self.tag_action = a("Edit &Tags", self.edits.edit_tags, ["T"], name="editTagsAction", table_only=True)
        self.add_tags_action = a(
            "&Add Tags to Selection…", self.edits.add_tags_dialog, ["Ctrl+T"], name="addTagsAction"
        )
        self.remove_tags_action = a(
            "R&emove Tags from Selection…", self.edits.remove_tags_dialog, ["Ctrl+Shift+T"], name="removeTagsAction"
        )
        # Alt+digit: the plain digits set the priority. Table only: Alt+digit types on some keyboards.
        self.favourite_actions = [
            a(
                f"Favourite Tag {n}",
                lambda n=n: self.edits.apply_favourite(n),
                [f"Alt+{n}"],
                name=f"favouriteTag{n}Action",
                table_only=True,
            )
            for n in range(1, FAVOURITE_SLOTS + 1)
        ]
        self.assign_favourites_action = a(
            "Assign &Favourite Tags…",
            self.edits.assign_favourite_tags,
            name="assignFavouritesAction",
            tip="Choose the tags that Alt+1 to Alt+9 add",
        )
        self.list_action = a(
            "Add to Reading &List…", self.edits.choose_list, ["L"], name="addToListAction", table_only=True
        )
        self.remove_from_list_action = a(
            "Remove from Reading List…", self.edits.remove_from_list_dialog, name="removeFromListAction"
        )
        self.note_action = a("Add &Note", self.edits.add_note, ["N"], name="addNoteAction", table_only=True)
        self.next_action = a(
            "&Next Paper", lambda: self.table.move_current(1), ["J"], name="nextAction", table_only=True
        )
        self.previous_action = a(
            "&Previous Paper", lambda: self.table.move_current(-1), ["K"], name="previousAction", table_only=True
        )
        self.export_selection_action = a(
            "Export Selection…", lambda: self.export_flow.open_export(SELECTION), name="exportSelectionAction"
        )
        self.delete_papers_action = a(
            "&Delete Papers…",
            self.edits.delete_papers,
            [K.Delete],
            name="deletePapersAction",
            table_only=True,
            tip="Delete the selected papers with their notes (Undo brings them back)",
        )

        self.new_list_action = a("&New Reading List…", self.sidebar_controller.new_list, [K.New], name="newListAction")
        self.rename_list_action = a(
            "&Rename Reading List…", self.sidebar_controller.rename_list, name="renameListAction"
        )
        self.delete_list_action = a("&Delete Reading List…", self.edits.delete_list, name="deleteListAction")
        self.delete_saved_action = a(
            "Delete Saved &Search", self.sidebar_controller.delete_saved_search, name="deleteSavedSearchAction"
        )

        self.shortcuts_action = a("&Keyboard Shortcuts", self.show_shortcuts, [K.HelpContents], name="shortcutsAction")
        self.about_action = a("&About Papershelf", self.show_about, name="aboutAction")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

    def _build_menus(self) -> None:
        bar = self.menuBar()

        def menu(title: str, items: list) -> QMenu:
            m = bar.addMenu(title)
            for item in items:
                if item is None:
                    m.addSeparator()
                elif isinstance(item, QMenu):
                    m.addMenu(item)
                else:
                    m.addAction(item)
                    self._shortcut_rows.append((title.replace("&", ""), item))
            return m

        menu(
            "&File",
            [
                self.import_action,
                self.clipboard_action,
                self.sample_action,
                None,
                self.export_action,
                None,
                self.backup_action,
                self.restore_action,
                None,
                self.quit_action,
            ],
        )
        menu(
            "&Edit",
            [
                self.undo_action,
                self.redo_action,
                None,
                self.find_action,
                self.select_all_action,
                None,
                self.save_search_action,
            ],
        )
        menu("&View", [self.refresh_action, None, self.default_order_action])
        self.status_menu = QMenu("Set &Status", self)
        for action in self.status_actions.values():
            self.status_menu.addAction(action)
        self.priority_menu = QMenu("Set &Priority", self)
        for action in self.priority_actions:
            self.priority_menu.addAction(action)
        self.favourites_menu = QMenu("&Favourite Tags", self)
        for action in self.favourite_actions:
            self.favourites_menu.addAction(action)
        self.favourites_menu.addSeparator()
        self.favourites_menu.addAction(self.assign_favourites_action)
        paper = menu(
            "&Paper",
            [
                self.open_page_action,
                None,
                self.read_next_action,
                self.status_menu,
                self.priority_menu,
                None,
                self.tag_action,
                self.favourites_menu,
                self.add_tags_action,
                self.remove_tags_action,
                None,
                self.list_action,
                self.remove_from_list_action,
                None,
                self.note_action,
                None,
                self.next_action,
                self.previous_action,
                None,
                self.export_selection_action,
                self.delete_papers_action,
            ],
        )
        for action in list(self.status_actions.values()) + self.priority_actions + self.favourite_actions:
            self._shortcut_rows.append(("Paper", action))
        self._show_favourites()
        paper.aboutToShow.connect(self._update_actions)
        menu(
            "&Lists",
            [self.new_list_action, self.rename_list_action, self.delete_list_action, None, self.delete_saved_action],
        )
        menu("&Help", [self.shortcuts_action, None, self.about_action])

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolBar")
        toolbar.setAccessibleName("Main toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.import_action, self.clipboard_action, self.export_action):
            toolbar.addAction(action)
        import_button = toolbar.widgetForAction(self.import_action)
        if import_button is not None:
            import_button.setObjectName("toolbarImportButton")
            import_button.setAccessibleName("Import a listing")
        self.toolbar = toolbar

    def _update_actions(self) -> None:
        has_library = self.library is not None
        has_paper = has_library and self.table.has_selection()
        for action in (
            self.open_page_action,
            self.read_next_action,
            self.tag_action,
            self.add_tags_action,
            self.remove_tags_action,
            self.list_action,
            self.remove_from_list_action,
            self.note_action,
            self.export_selection_action,
            *self.status_actions.values(),
            *self.priority_actions,
            *self.favourite_actions,
        ):
            action.setEnabled(has_paper)
        for action in (
            self.import_action,
            self.clipboard_action,
            self.sample_action,
            self.export_action,
            self.new_list_action,
            self.save_search_action,
            self.refresh_action,
        ):
            action.setEnabled(has_library)
        kind = self.sidebar_controller.kind()
        self.rename_list_action.setEnabled(kind == LIST_KIND)
        self.delete_list_action.setEnabled(kind == LIST_KIND)
        self.delete_saved_action.setEnabled(kind == SAVED)
        self.rename_list_button.setEnabled(kind == LIST_KIND)
        self.delete_list_button.setEnabled(kind in (LIST_KIND, SAVED))
        self.new_list_button.setEnabled(has_library)
        self.save_search_button.setEnabled(has_library)

    # --- Window state ---------------------------------------------------------------

    def _restore_state(self) -> None:
        s = self.settings
        if s.window_geometry is not None:
            self.restoreGeometry(s.window_geometry)
        else:
            width, height = DEFAULT_SIZE
            screen = QGuiApplication.primaryScreen()
            if screen is not None:
                available = screen.availableGeometry()
                if available.width() >= 1000:  # tiny (virtual) screens get the default size anyway
                    width = min(width, int(available.width() * 0.92))
                    height = min(height, int(available.height() * 0.92))
            self.resize(width, height)
        if s.window_state is not None:
            self.restoreState(s.window_state)
        if s.detail_splitter is not None:
            self.detail.page.restoreState(s.detail_splitter)
        if not (s.window_splitter is not None and self.splitter.restoreState(s.window_splitter)):
            self.splitter.setSizes(DEFAULT_SPLITTER)
        if not (s.table_header is not None and self.table.horizontalHeader().restoreState(s.table_header)):
            self.table.apply_default_widths()
        # Only a sort the user chose is kept: the header state of older versions holds the default.
        self.paper_view.restore_sort()

    def save_state(self) -> None:
        s = self.settings
        s.window_geometry = self.saveGeometry()
        s.window_state = self.saveState()
        s.window_splitter = self.splitter.saveState()
        s.detail_splitter = self.detail.page.saveState()
        s.table_header = self.table.horizontalHeader().saveState()
        self.paper_view.save_sort()
        s.sync()

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

    # --- Searching ----------------------------------------------------------------

    # --- Sidebar ------------------------------------------------------------------

    # --- Mutations (undoable) -----------------------------------------------------

    # --- Triage -------------------------------------------------------------------

    def _show_favourites(self) -> None:
        """Name each favourite action after its tag (menus and the shortcuts dialog show them)."""
        for slot, (action, tag) in enumerate(zip(self.favourite_actions, favourite_tags(self.settings)), start=1):
            action.setData(tag)
            action.setText(f"Tag “{button_text(visible(tag))}”" if tag else f"Favourite Tag {slot} (none yet)")

    # --- Bulk actions through dialogs --------------------------------------------

    # --- Reading lists and saved searches ----------------------------------------

    # --- After an import -----------------------------------------------------------

    def import_paths(self, files: list[Path]) -> None:
        """Import ``files`` (app.py: the files named on the command line)."""
        self.import_flow.import_paths(files)

    def _imported(self, result: ImportResult, chosen: dt.date | None) -> None:
        text = f"Imported {_plural(result.added, 'new paper')}"
        if result.existing:
            text += f"; {result.existing:,} already in the library"
        if result.problems:
            text += f"; {len(result.problems)} skipped"
        self.statusBar().showMessage(text + ".", 15000)
        day = chosen or (result.listing_dates[0] if result.listing_dates else None)
        self.search_field.set_text_silently("")
        self.paper_view.start_on_first()
        reselect = (DATE, day.isoformat()) if day else (ALL, "all")
        self.sidebar_controller.reload(reselect, force_search=True)
        # Back from the preview and progress dialogs, ready for the keyboard.
        self.activateWindow()
        self.paper_view.focus_table()

    # --- Help ---------------------------------------------------------------------

    def shortcut_rows(self) -> list[tuple[str, str, list[QKeySequence]]]:
        rows = []
        # Undo and Redo name the step they would take ("Undo Mark 1 paper read"): not a key's name.
        fixed = {self.undo_action: "Undo", self.redo_action: "Redo"}
        for menu, action in self._shortcut_rows:
            keys = action.shortcuts()
            if action in self.favourite_actions and not action.data():
                continue  # a key with no tag yet
            if keys:
                # "&&" is a literal "&" (a tag "R&D"); a lone "&" marks the mnemonic.
                text = fixed.get(action) or re.sub("&(.)", r"\1", action.text())
                rows.append((menu, text.rstrip("…").rstrip("."), keys))
        return rows

    def show_shortcuts(self) -> None:
        dialog = ShortcutsDialog(self.shortcut_rows(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.shortcuts_dialog = dialog
        dialog.open()

    def show_about(self) -> None:
        from .. import __version__

        box = QMessageBox(self)
        box.setWindowTitle("About Papershelf")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"Papershelf {__version__}")
        box.setInformativeText(
            "A reading-list manager for research papers: import the daily listing, triage, tag, annotate, cite."
            + (f"\n\nLibrary: {self.library_path}" if self.library_path else "")
        )
        if self._icon is not None:
            box.setIconPixmap(self._icon.pixmap(64, 64))
        box.open()

    # --- Errors -------------------------------------------------------------------

    def report_error(self, exc: BaseException, details: str = "") -> None:
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
        if self.detail.paper is not None and not self.detail.notes.dirty and not self.detail.notes.has_focus_inside():
            self.detail.refresh(notes=True)

    def _external_refresh(self) -> None:
        # Another Papershelf may have changed the library while we were in the background.
        if self.library is None or self.import_flow.busy:
            return
        self.table_model.invalidate()
        self.sidebar_controller.schedule_refresh()
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
        # Let the drag finish before the preview opens.
        QTimer.singleShot(0, lambda: self.import_flow.import_paths(found))

    @staticmethod
    def _dropped_paths(mime) -> list[Path]:
        if not mime.hasUrls():
            return []
        return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]

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
        self.import_flow.cancel()
        self.save_state()
        self.session.shut_down()
        super().closeEvent(event)
