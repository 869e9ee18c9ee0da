"""Every command of the main window: its action and keys, its place in the menus and toolbar, and when it is enabled.

The slots live in the window's parts (:mod:`edits`, :mod:`paper_view`,
:mod:`sidebar_controller`, :mod:`library_session`, the import and export
flows); this module only names them, binds their keys and lays out the menus.
The Help menu's two dialogs (keyboard shortcuts, about) are here too.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox
from shiboken6 import isValid

from ..core.display import visible
from .dialogs.duplicates import open_dialog as open_duplicates
from .dialogs.export import SELECTION
from .dialogs.shortcuts import ShortcutsDialog
from .models.sidebar import LIST as LIST_KIND
from .models.sidebar import SAVED
from .settings import FAVOURITE_SLOTS
from .widgets.tag_editor import button_text

if TYPE_CHECKING:
    from .main_window import MainWindow


def _name_step(action: QAction, prefix: str, step: str) -> None:
    """ "&Undo Tag 1 paper with R&&D": the step's every character shown, none taken for a mnemonic."""
    if isValid(action):  # the stack says it is empty again as the window closes, its actions gone
        action.setText(f"{prefix} {step.replace('&', '&&')}" if step else prefix)


class Actions(QObject):
    """The window's QActions, menus and toolbar; :meth:`update_enabled` enables what applies to the current selection."""

    def __init__(self, window: MainWindow, icon: QIcon | None = None):
        super().__init__(window)
        self._w = window
        self._icon = icon
        #: (menu title, action) in menu order: the shortcuts dialog lists them.
        self._shortcut_rows: list[tuple[str, QAction]] = []
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self._build_actions()
        self._build_menus()

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcuts: Sequence[str | QKeySequence.StandardKey] | None = None,
        *,
        name: str,
        tip: str | None = None,
        table_only: bool = False,
    ) -> QAction:
        w = self._w
        action = QAction(text, w)
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
            w.table.addAction(action)
        else:
            w.addAction(action)
        return action

    def _build_actions(self) -> None:
        w = self._w
        a = self._action
        K = QKeySequence.StandardKey
        self.open_shared_action = a(
            "&Open Shared Library…",
            w.session.open_shared_dialog,
            name="openSharedAction",
            tip="Open a library shared on a PostgreSQL server by its connection URL",
        )
        self.import_action = a(
            "&Import Listing…",
            w.import_flow.import_files,
            [K.Open],
            name="importAction",
            tip="Import daily listings or BibTeX files",
        )
        self.clipboard_action = a(
            "Import from &Clipboard",
            w.import_flow.import_clipboard,
            ["Ctrl+Shift+V"],
            name="importClipboardAction",
            tip="Import the daily papers page copied to the clipboard",
        )
        self.sample_action = a(
            "Open the &Sample Listing",
            w.import_flow.open_sample,
            name="sampleAction",
            tip="Import the bundled sample listing",
        )
        self.fetch_action = a(
            "&Fetch Daily Papers…",
            w.fetch_flow.open_dialog,
            ["Ctrl+Shift+F"],
            name="fetchAction",
            tip="Import a day's listing from the Hugging Face daily papers API, after a preview",
        )
        self.startup_check_action = a(
            "Check for &New Listings at Start-up",
            self._startup_check_chosen,
            name="startupCheckAction",
            tip="At start-up, download today's listing and say how many papers it holds (imports nothing)",
        )
        self.startup_check_action.setCheckable(True)
        self.startup_check_action.setChecked(w.settings.check_listings_at_startup)
        self.export_action = a(
            "&Export…",
            lambda: w.export_flow.open_export(),
            ["Ctrl+E"],
            name="exportAction",
            tip="Export papers to BibTeX and other formats",
        )
        self.backup_action = a(
            "&Back Up Now",
            w.session.backup_now,
            name="backupAction",
            tip="Write a backup of the library to the backups folder",
        )
        self.backup_files_action = a(
            "Back Up with &PDFs",
            w.session.backup_with_files,
            name="backupFilesAction",
            tip="Write one archive with the library and every attached PDF to the backups folder",
        )
        self.restore_action = a(
            "&Restore from Backup…",
            w.session.restore_from_backup,
            name="restoreAction",
            tip="Replace the library with one of its backups",
        )
        # Some platforms define no Quit key; Ctrl+Q is what users expect there.
        quit_keys = [K.Quit] if QKeySequence.keyBindings(K.Quit) else ["Ctrl+Q"]
        self.quit_action = a("&Quit", w.close, quit_keys, name="quitAction")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)

        self.undo_action = w.undo_stack.createUndoAction(w, "&Undo")
        self.undo_action.setObjectName("undoAction")
        self.undo_action.setShortcuts(QKeySequence.keyBindings(K.Undo))
        self.redo_action = w.undo_stack.createRedoAction(w, "&Redo")
        self.redo_action.setObjectName("redoAction")
        self.redo_action.setShortcuts(QKeySequence.keyBindings(K.Redo))
        w.addAction(self.undo_action)
        w.addAction(self.redo_action)
        # A step's name holds the user's words (a tag "R&D"): Qt's text made the "&" a second mnemonic and
        # dropped it ("Undo Tag 1 paper with RD"). Connected after Qt's own update, so this text is the one shown.
        w.undo_stack.undoTextChanged.connect(self._name_undo)
        w.undo_stack.redoTextChanged.connect(self._name_redo)
        self.find_action = a("&Find", w.paper_view.focus_search, [K.Find], name="findAction", tip="Search the library")
        self.select_all_action = a("Select &All Papers", w.paper_view.select_all, name="selectAllAction")
        self.save_search_action = a("&Save Search…", w.sidebar_controller.save_search, name="saveSearchAction")
        self.refresh_action = a("&Refresh", w.refresh_all, [K.Refresh], name="refreshAction")
        self.default_order_action = a(
            "&Default Order",
            w.paper_view.use_default_order,
            name="defaultOrderAction",
            tip="Listings in their page order, other views newest first (after sorting by a column)",
        )

        # Enter opens the paper: its PDF when it has a readable one, else its web page (gui/pdf_flow.py says why).
        # The key is "Enter" on most keyboards (Qt's Return; its Enter is the keypad's), "Return" on a Mac's.
        enter = ["Return", "Enter"] if sys.platform == "darwin" else ["Enter", "Return"]
        self.open_paper_action = a(
            "&Open Paper",
            w.pdf_flow.open_current,
            enter,
            name="openPaperAction",
            table_only=True,
            tip="Open the paper's PDF with the system's viewer, or its web page when it has no PDF",
        )
        self.open_page_action = a(
            "Open &Web Page",
            w.paper_view.open_current_page,
            [f"Shift+{key}" for key in enter],
            name="openPageAction",
            table_only=True,
            tip="Open the paper's web page in the browser",
        )
        # Ctrl+Shift+P (P for PDF): Ctrl+Shift+A is Qt's Deselect on Linux, taken by every text field.
        self.attach_pdf_action = a(
            "Attac&h PDF…",
            w.pdf_flow.attach_dialog,
            ["Ctrl+Shift+P"],
            name="attachPdfAction",
            tip="Attach a PDF file to the paper (or drop the file on the paper)",
        )
        self.download_pdf_action = a(
            "Download PD&Fs",
            w.pdf_flow.download_selection,
            ["D"],
            name="downloadPdfAction",
            table_only=True,
            tip="Download the arXiv PDF of the selected papers, to read offline",
        )
        self.link_pdfs_action = a(
            "Lin&k Attached PDFs Instead of Copying",
            self._link_pdfs_chosen,
            name="linkPdfsAction",
            tip="Leave attached PDFs where they are, instead of copying them into the library's files folder",
        )
        self.link_pdfs_action.setCheckable(True)
        self.link_pdfs_action.setChecked(w.settings.link_pdfs)
        self.auto_download_action = a(
            "Download PDFs &Automatically…",
            w.pdf_flow.choose_auto_download,
            name="autoDownloadAction",
            tip="Download the PDF of each paper that gets a chosen tag or joins a chosen reading list (off by default)",
        )
        self.edit_entry_action = a(
            "Edit Entr&y…",
            w.citing.edit_entry,
            ["Ctrl+I"],
            name="editEntryAction",
            tip="Edit every field of the paper's entry: type, authors, title, date, venue, pages, DOI…",
        )
        self.copy_cite_action = a(
            "&Copy Citation Key",
            w.citing.copy_cite,
            ["Ctrl+Shift+C"],
            name="copyCiteAction",
            tip="Copy \\cite{key} for the selected papers (copied keys never change)",
        )
        self.copy_key_action = a(
            "Copy &Bare Key",
            w.citing.copy_keys,
            name="copyKeyAction",
            tip="Copy the selected papers' keys alone, comma-separated (copied keys never change)",
        )
        # Space as in mail clients: this one is done, show the next.
        self.read_next_action = a(
            "Mark &Read and Next", w.edits.read_and_next, ["Space"], name="readNextAction", table_only=True
        )
        self.status_actions = {
            status: a(
                {"unread": "Mark as &Unread", "reading": "Mark as R&eading", "read": "Mark as &Read"}[status],
                functools.partial(w.edits.set_status, status),
                ["U", "Shift+Space"] if status == "unread" else None,
                name=f"mark{status.capitalize()}Action",
                table_only=status == "unread",
            )
            for status in ("unread", "reading", "read")
        }
        self.priority_actions = [
            a(
                "&Clear Priority" if p == 0 else f"Priority &{p}",
                functools.partial(w.edits.set_priority, p),
                [str(p)],
                name=f"priority{p}Action",
                table_only=True,
            )
            for p in range(4)
        ]
        self.tag_action = a("Edit &Tags", w.edits.edit_tags, ["T"], name="editTagsAction", table_only=True)
        self.add_tags_action = a("Add Ta&gs to Selection…", w.edits.add_tags_dialog, ["Ctrl+T"], name="addTagsAction")
        self.remove_tags_action = a(
            "R&emove Tags from Selection…", w.edits.remove_tags_dialog, ["Ctrl+Shift+T"], name="removeTagsAction"
        )
        # Alt+digit: the plain digits set the priority. Table only: Alt+digit types on some keyboards.
        self.favourite_actions = [
            a(
                f"Favourite Tag {n}",
                functools.partial(w.edits.apply_favourite, n),
                [f"Alt+{n}"],
                name=f"favouriteTag{n}Action",
                table_only=True,
            )
            for n in range(1, FAVOURITE_SLOTS + 1)
        ]
        self.assign_favourites_action = a(
            "Assign &Favourite Tags…",
            w.edits.assign_favourite_tags,
            name="assignFavouritesAction",
            tip="Choose the tags that Alt+1 to Alt+9 add",
        )
        self.list_action = a(
            "Add to Reading &List…", w.edits.choose_list, ["L"], name="addToListAction", table_only=True
        )
        self.remove_from_list_action = a(
            "Re&move from Reading List…", w.edits.remove_from_list_dialog, name="removeFromListAction"
        )
        self.note_action = a("Add &Note", w.edits.add_note, ["N"], name="addNoteAction", table_only=True)
        self.next_action = a("&Next Paper", lambda: w.table.move_current(1), ["J"], name="nextAction", table_only=True)
        self.previous_action = a(
            "&Previous Paper", lambda: w.table.move_current(-1), ["K"], name="previousAction", table_only=True
        )
        self.export_selection_action = a(
            "Export Selec&tion…", lambda: w.export_flow.open_export(SELECTION), name="exportSelectionAction"
        )
        self.complete_action = a(
            "Complete from ar&Xiv",
            w.fetch_flow.complete_selection,
            name="completeAction",
            tip="Fill in authors, categories, DOI and journal reference from the arXiv API",
        )
        self.find_duplicates_action = a(
            "Find D&uplicates…",
            lambda: open_duplicates(w),
            name="findDuplicatesAction",
            tip="Find papers that look like one work, and merge them or mark them different",
        )
        self.cite_preprint_action = a(
            "C&ite as Preprint",
            self._cite_as_chosen,
            name="citePreprintAction",
            tip="Export the arXiv preprint even when the paper has been published",
        )
        self.cite_preprint_action.setCheckable(True)
        self.delete_papers_action = a(
            "&Delete Papers…",
            w.edits.delete_papers,
            [K.Delete],
            name="deletePapersAction",
            table_only=True,
            tip="Delete the selected papers with their notes (Undo brings them back)",
        )

        self.new_list_action = a("&New Reading List…", w.sidebar_controller.new_list, [K.New], name="newListAction")
        self.rename_list_action = a("&Rename Reading List…", w.sidebar_controller.rename_list, name="renameListAction")
        self.delete_list_action = a("&Delete Reading List…", w.edits.delete_list, name="deleteListAction")
        self.download_list_action = a(
            "Download &PDFs of Reading List",
            self._download_list,
            name="downloadListAction",
            tip="Download the arXiv PDF of every paper in the reading list chosen in the sidebar",
        )
        self.delete_saved_action = a(
            "De&lete Saved Search", w.sidebar_controller.delete_saved_search, name="deleteSavedSearchAction"
        )

        self.shortcuts_action = a("&Keyboard Shortcuts", self.show_shortcuts, [K.HelpContents], name="shortcutsAction")
        self.about_action = a("&About Papershelf", self.show_about, name="aboutAction")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

    def _build_menus(self) -> None:
        w = self._w
        bar = w.menuBar()

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
                self.open_shared_action,
                None,
                self.import_action,
                self.clipboard_action,
                self.sample_action,
                None,
                self.fetch_action,
                self.startup_check_action,
                None,
                self.export_action,
                self.export_selection_action,
                None,
                self.backup_action,
                self.backup_files_action,
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
        # Moving through the papers is viewing them; and the Paper menu had more commands than letters for mnemonics.
        menu(
            "&View",
            [self.refresh_action, None, self.default_order_action, None, self.next_action, self.previous_action],
        )
        self.status_menu = QMenu("Set &Status", w)
        for action in self.status_actions.values():
            self.status_menu.addAction(action)
        self.priority_menu = QMenu("Set &Priority", w)
        for action in self.priority_actions:
            self.priority_menu.addAction(action)
        self.favourites_menu = QMenu("Fa&vourite Tags", w)
        for action in self.favourite_actions:
            self.favourites_menu.addAction(action)
        self.favourites_menu.addSeparator()
        self.favourites_menu.addAction(self.assign_favourites_action)
        paper = menu(
            "&Paper",
            [
                self.open_paper_action,
                self.open_page_action,
                self.edit_entry_action,
                None,
                self.attach_pdf_action,
                self.download_pdf_action,
                self.auto_download_action,
                self.link_pdfs_action,
                None,
                self.copy_cite_action,
                self.copy_key_action,
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
                self.complete_action,
                self.cite_preprint_action,
                self.find_duplicates_action,
                None,
                self.delete_papers_action,
            ],
        )
        for action in list(self.status_actions.values()) + self.priority_actions + self.favourite_actions:
            self._shortcut_rows.append(("Paper", action))
        self.name_favourites()
        paper.aboutToShow.connect(self.update_enabled)
        lists = menu(
            "&Lists",
            [
                self.new_list_action,
                self.rename_list_action,
                self.delete_list_action,
                self.download_list_action,
                None,
                self.delete_saved_action,
            ],
        )
        lists.aboutToShow.connect(self.update_enabled)
        menu("&Help", [self.shortcuts_action, None, self.about_action])

        toolbar = w.addToolBar("Main")
        toolbar.setObjectName("mainToolBar")
        toolbar.setAccessibleName("Main toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.import_action, self.clipboard_action, self.fetch_action, self.export_action):
            toolbar.addAction(action)
        import_button = toolbar.widgetForAction(self.import_action)
        if import_button is not None:
            import_button.setObjectName("toolbarImportButton")
            import_button.setAccessibleName("Import a listing")
        self.toolbar = toolbar

    def update_enabled(self) -> None:
        """Enable what applies now: paper commands need a highlighted paper, list commands a list in the sidebar."""
        w = self._w
        has_library = w.library is not None
        has_paper = has_library and w.table.has_selection()
        for action in (
            self.open_paper_action,
            self.open_page_action,
            self.attach_pdf_action,
            self.download_pdf_action,
            self.edit_entry_action,
            self.copy_cite_action,
            self.copy_key_action,
            self.read_next_action,
            self.tag_action,
            self.add_tags_action,
            self.remove_tags_action,
            self.list_action,
            self.remove_from_list_action,
            self.note_action,
            self.export_selection_action,
            self.cite_preprint_action,
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
            self.find_duplicates_action,
            self.auto_download_action,
            self.new_list_action,
            self.save_search_action,
            self.refresh_action,
        ):
            action.setEnabled(has_library)
        self.fetch_action.setEnabled(has_library and not w.fetch_flow.busy)
        # A shared library is backed up on its server: nothing to back up or restore here.
        shared = w.library is not None and w.library.shared
        for action in (self.backup_action, self.backup_files_action, self.restore_action):
            action.setEnabled(not shared)
        self.complete_action.setEnabled(has_paper and not w.fetch_flow.busy)
        paper = w.detail.paper
        self.cite_preprint_action.setChecked(has_paper and paper is not None and paper.cite_as == "preprint")
        kind = w.sidebar_controller.kind()
        self.rename_list_action.setEnabled(kind == LIST_KIND)
        self.delete_list_action.setEnabled(kind == LIST_KIND)
        self.download_list_action.setEnabled(kind == LIST_KIND)
        self.delete_saved_action.setEnabled(kind == SAVED)
        w.rename_list_button.setEnabled(kind == LIST_KIND)
        w.delete_list_button.setEnabled(kind in (LIST_KIND, SAVED))
        w.new_list_button.setEnabled(has_library)
        w.save_search_button.setEnabled(has_library)

    def _name_undo(self, step: str) -> None:
        _name_step(self.undo_action, "&Undo", step)

    def _name_redo(self, step: str) -> None:
        _name_step(self.redo_action, "&Redo", step)

    def _startup_check_chosen(self) -> None:
        self._w.fetch_flow.answer_startup_question(self.startup_check_action.isChecked())

    def _download_list(self) -> None:
        w = self._w
        name = w.sidebar_controller.value()
        if w.sidebar_controller.kind() == LIST_KIND and name is not None:
            w.pdf_flow.download_list(name)

    def _link_pdfs_chosen(self) -> None:
        self._w.settings.link_pdfs = self.link_pdfs_action.isChecked()

    def _cite_as_chosen(self) -> None:
        self._w.fetch_flow.set_cite_as_preprint(self.cite_preprint_action.isChecked())

    def name_favourites(self) -> None:
        """Name each favourite action after its tag (menus and the shortcuts dialog show them)."""
        for slot, (action, tag) in enumerate(zip(self.favourite_actions, self._w.settings.favourite_tags), start=1):
            action.setData(tag)
            action.setText(f"Tag “{button_text(visible(tag))}”" if tag else f"Favourite Tag {slot} (none yet)")

    # --- Help ---------------------------------------------------------------------

    def shortcut_rows(self) -> list[tuple[str, str, list[QKeySequence]]]:
        """(menu, command, keys) of every command with a key, in menu order."""
        rows = []
        # Undo and Redo name the step they would take ("Undo Mark 1 paper read"): not a key's name.
        fixed = {
            self.undo_action: "Undo",
            self.redo_action: "Redo",
            self.open_paper_action: "Open Paper (its PDF, or its web page if it has none)",
        }
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
        dialog = ShortcutsDialog(self.shortcut_rows(), self._w)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.shortcuts_dialog = dialog
        dialog.open()

    def show_about(self) -> None:
        from .. import __version__

        w = self._w
        box = QMessageBox(w)
        box.setWindowTitle("About Papershelf")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"Papershelf {__version__}")
        box.setInformativeText(
            "A reading-list manager for research papers: import the daily listing, triage, tag, annotate, cite."
            + (f"\n\nLibrary: {w.library_path}" if w.library_path else "")
        )
        if self._icon is not None:
            box.setIconPixmap(self._icon.pixmap(64, 64))
        box.open()
