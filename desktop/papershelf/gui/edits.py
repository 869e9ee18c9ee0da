"""Changes to papers the user can undo (status, priority, tags, lists, deleting), and the dialogs and menu that ask for them.

Every change is a core operation (:mod:`papershelf.core.operations`) run by
:meth:`Edits.run`: it goes on the window's undo stack as one
:class:`commands.OperationCommand`, and the window's writer thread applies it.
The views refresh from the :class:`Changes` each operation reports
(:meth:`Edits.refresh_views`), whoever made it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox

from ..core import operations as ops
from ..core.display import visible, visible_choice
from . import commands
from .dialogs.list_chooser import ListChooser
from .models.sidebar import ALL
from .models.sidebar import LIST as LIST_KIND
from .settings import FAVOURITE_SLOTS
from .widgets.labels import literal_html
from .widgets.tag_editor import button_text, split_tags
from .wording import plural

log = logging.getLogger("papershelf.gui")

#: Space checks whether this many papers at most are all read already (to push no empty undo step).
_CHECK_READ_AT_MOST = 200

if TYPE_CHECKING:
    from ..core.library import Library
    from .main_window import MainWindow


class Edits(QObject):
    """The paper edits of one window: on the highlighted papers, or those the detail pane shows."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self._w = window
        self.table = window.table
        self.table_model = window.table_model
        self.detail = window.detail
        self.undo_stack = window.undo_stack
        self.settings = window.settings
        self.report_error = window.report_error
        #: The open "Add to Reading List" chooser (tests drive it).
        self.list_chooser: ListChooser | None = None
        #: Papers whose delete is queued and has not landed yet.
        self._deleting: set[int] = set()

        detail = window.detail
        detail.statusChosen.connect(lambda s: self.set_status(s, self._detail_ids()))
        detail.priorityChosen.connect(lambda p: self.set_priority(p, self._detail_ids()))
        detail.tagsAdded.connect(lambda tags: self.add_tags(tags, self._detail_ids()))
        detail.tagRemoved.connect(lambda tag: self.remove_tags([tag], self._detail_ids()))
        detail.noteDeleteRequested.connect(self.delete_note)
        detail.operationRequested.connect(lambda op, done, failed: self.run(op, on_done=done, on_error=failed))
        window.runner.applied.connect(self.refresh_views)
        # A library opens once the last one's changes landed or were given up: no delete is queued then.
        window.libraryOpened.connect(self._deleting.clear)
        # Papers dropped on a reading list in the sidebar.
        window.sidebar_model.drop_handler = self.add_to_list
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self.show_table_menu)

    @property
    def library(self) -> Library | None:
        return self._w.library

    def _message(self, text: str) -> None:
        self._w.statusBar().showMessage(text, 8000)

    # --- Running a change -------------------------------------------------------

    def _selected(self, ids: list[int] | None = None) -> list[int]:
        return list(ids) if ids is not None else self.table.selected_ids()

    def _detail_ids(self) -> list[int]:
        return [self.detail.paper_id] if self.detail.paper_id is not None else []

    def run(
        self,
        operation: ops.Operation,
        *,
        on_done: Callable[[ops.Outcome], None] | None = None,
        on_error: Callable[[BaseException, str], None] | None = None,
    ) -> bool:
        """Do ``operation`` as one undoable step; it lands on the writer thread. False without a library.

        A refused change is reported (``on_error``, or the window's error
        message) and leaves the undo stack.
        """
        library = self.library
        if library is None:
            return False
        command = commands.OperationCommand(self._w.runner, library, operation, on_error or self._refused, on_done)
        command.push_to(self.undo_stack)
        return True

    def _refused(self, exc: BaseException, details: str) -> None:
        from ..core.errors import PapershelfError

        self.report_error(exc, "" if isinstance(exc, PapershelfError) else details)

    def refresh_views(self, changes: ops.Changes) -> None:
        """After any change landed: the rows, the detail pane and the sidebar it touched."""
        if changes.removed or changes.added:
            # Papers came or went: the table's list of papers is read again.
            self._w.paper_view.remember_current()
            self.table_model.refresh()
        if changes.papers:
            self.table_model.invalidate(list(changes.papers))
        if self.detail.paper_id is not None and self.detail.paper_id in changes.papers | changes.removed:
            # "auto": note editors are rebuilt only if nobody is typing in them.
            self.detail.refresh(notes="auto" if changes.notes else False)
        if changes.sidebar:
            self._w.sidebar_controller.schedule_refresh()
        self._w.acts.update_enabled()

    def _confirm(self, title: str, text: str) -> bool:
        """Yes/Cancel, Cancel by default: for changes that remove something (undoable)."""
        # question() guesses rich text: a list called <a href=…> must show as typed.
        answer = QMessageBox.question(
            self._w,
            title,
            literal_html(text),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    # --- The changes ------------------------------------------------------------

    def set_status(self, status: str, ids: list[int] | None = None) -> None:
        ids = self._selected(ids)
        if ids:
            self.run(ops.SetStatus(tuple(ids), status))

    def read_and_next(self) -> None:
        """Space: mark the highlighted papers read; with one paper, go on to the next."""
        ids = self._selected()
        if not ids or self.library is None:
            return
        if len(ids) > _CHECK_READ_AT_MOST:
            # Reading thousands of rows on the GUI thread froze the window; the step may be empty.
            self.set_status("read", ids)
        else:
            rows = [self.table_model.cached_row(i) for i in ids]
            if any(r is None for r in rows):
                rows = list(self.library.rows(ids).values())
            if not all(r is not None and r.status == "read" for r in rows):  # no empty step on the undo stack
                self.set_status("read", ids)
        if len(ids) == 1:
            self.table.move_current(1)

    def set_priority(self, priority: int, ids: list[int] | None = None) -> None:
        ids = self._selected(ids)
        if ids:
            self.run(ops.SetPriority(tuple(ids), priority))

    def add_tags(self, tags: list[str], ids: list[int] | None = None) -> None:
        ids = self._selected(ids)
        if ids and tags and self.run(ops.AddTags(tuple(ids), tuple(tags))):
            self.settings.last_tags = list(tags)  # T offers them next time

    def remove_tags(self, tags: list[str], ids: list[int] | None = None) -> None:
        ids = self._selected(ids)
        if ids and tags:
            self.run(ops.RemoveTags(tuple(ids), tuple(tags)))

    def add_to_list(self, name: str, ids: list[int] | None = None, *, create: bool = False) -> None:
        ids = self._selected(ids)
        if ids:
            self.run(
                ops.AddToList(name, tuple(ids), create),
                on_done=lambda _outcome: self._message(f"Added {plural(len(ids), 'paper')} to {visible(name)}."),
            )

    def remove_from_list(self, name: str, ids: list[int] | None = None) -> None:
        ids = self._selected(ids)
        if ids:
            self.run(ops.RemoveFromList(name, tuple(ids)))

    def delete_papers(self) -> None:
        # Papers whose delete is still queued (another program holds the lock) are not deleted twice.
        ids = [pid for pid in self._selected() if pid not in self._deleting]
        if not ids:
            return
        if self._confirm("Delete Papers", self._delete_question(ids)):
            self._deleting.update(ids)

            def landed(_outcome: object) -> None:
                self._deleting.difference_update(ids)

            def refused(exc: BaseException, details: str) -> None:
                landed(None)
                self._refused(exc, details)

            self.run(ops.DeletePapers(tuple(ids)), on_done=landed, on_error=refused)

    def _delete_question(self, ids: list[int]) -> str:
        """What Delete asks: the papers, and what happens to their PDFs (an indexed read and a stat per PDF)."""
        from ..core.attachments import attachments_of
        from ..core.errors import PapershelfError

        library = self.library
        try:
            found = [a for pdfs in attachments_of(library, ids).values() for a in pdfs] if library else []
        except PapershelfError as exc:  # the question is still asked; the delete says what is wrong
            log.info("PDFs of the papers to delete: %s", exc)
            return delete_question(len(ids), None, None)
        stored = sum(1 for a in found if a.kind == "stored")
        return delete_question(len(ids), stored, len(found) - stored)

    def delete_note(self, note_id: int) -> None:
        if self.detail.paper_id is not None:
            self.run(ops.DeleteNote(note_id))

    def delete_list(self) -> None:
        """Lists ▸ Delete Reading List: the list chosen in the sidebar (its papers stay)."""
        sidebar = self._w.sidebar_controller
        name = sidebar.value()
        if self.library is None or sidebar.kind() != LIST_KIND or name is None:
            return
        if self._confirm(
            "Delete Reading List", f"Delete the reading list “{visible(name)}”? The papers stay in the library."
        ):
            self.run(ops.DeleteList(name), on_done=lambda _outcome: sidebar.reload((ALL, "all")))

    # --- Tags: the editor, favourites and dialogs ---------------------------------

    def _last_tags(self) -> str:
        return ", ".join(name for name in self.settings.last_tags if name)

    def edit_tags(self) -> None:
        """T: the tag editor for one paper, the last tags used filled in; for a multi-selection, tags for all."""
        if len(self._selected()) > 1:
            self.add_tags_dialog()
        else:
            self.detail.focus_tag_editor(self._last_tags())

    def apply_favourite(self, slot: int) -> None:
        """Alt+digit: add the favourite tag of ``slot`` (1-9), or take it off papers that all have it."""
        ids = self._selected()
        tag = self.settings.favourite_tags[slot - 1]
        if not tag:
            self._message(f"Alt+{slot} has no tag yet: Paper ▸ Favourite Tags ▸ Assign Favourite Tags.")
            return
        if not ids or self.library is None:
            return
        folded = tag.casefold()
        if all(any(t.casefold() == folded for t in tags) for tags in self.library.tag_sets(ids).values()):
            self.remove_tags([tag], ids)
        else:
            self.add_tags([tag], ids)

    def assign_favourite_tags(self) -> None:
        """Paper ▸ Favourite Tags ▸ Assign: the tags of Alt+1 … Alt+9, comma-separated, in order."""
        current = [t for t in self.settings.favourite_tags if t]
        text, ok = QInputDialog.getText(
            self._w,
            "Favourite Tags",
            f"Tags for Alt+1 to Alt+{FAVOURITE_SLOTS}, in order (comma-separated):",
            text=", ".join(current),
        )
        if not ok:
            return
        names = split_tags(text)
        if len(names) > FAVOURITE_SLOTS:
            self._message(f"Only the first {FAVOURITE_SLOTS} tags have a key.")
        self.settings.favourite_tags = names[:FAVOURITE_SLOTS]
        self._w.acts.name_favourites()

    def add_tags_dialog(self) -> None:
        ids = self._selected()
        if not ids:
            return
        text, ok = QInputDialog.getText(
            self._w,
            "Add Tags",
            f"Tags for {plural(len(ids), 'paper')} (comma-separated):",
            text=self._last_tags(),
        )
        if ok and split_tags(text):
            self.add_tags(split_tags(text), ids)

    def remove_tags_dialog(self) -> None:
        ids = self._selected()
        if not ids or self.library is None:
            return
        names = sorted({t for tags in self.library.tag_sets(ids).values() for t in tags}, key=str.casefold)
        if not names:
            self._message("The selected papers have no tags.")
            return
        shown = [visible(n) for n in names]
        tag, ok = QInputDialog.getItem(
            self._w, "Remove Tag", f"Remove which tag from {plural(len(ids), 'paper')}?", shown, 0, False
        )
        chosen = visible_choice(tag, names) if ok else None
        if chosen:
            self.remove_tags([chosen], ids)

    # --- Reading lists and notes from the keyboard and menus -----------------------

    def add_note(self) -> None:
        self.detail.add_note()

    def choose_list(self) -> None:
        """L: add the highlighted papers to a list (or a new one) chosen in a small dialog."""
        ids = self._selected()
        if not ids or self.library is None:
            return
        chooser = ListChooser([name for name, _ in self.library.lists()], len(ids), self._w)
        chooser.setWindowModality(Qt.WindowModality.WindowModal)

        def done(code: int) -> None:
            choice = chooser.choice() if code == ListChooser.DialogCode.Accepted else None
            chooser.deleteLater()
            if choice is not None:
                name, create = choice
                self.add_to_list(name, ids, create=create)
            self._w.activateWindow()
            self.table.setFocus()

        chooser.finished.connect(done)
        self.list_chooser = chooser
        chooser.open()

    def remove_from_list_dialog(self) -> None:
        ids = self._selected()
        if not ids or self.library is None:
            return
        names = sorted({n for p in self.library.get_many(ids[:1000]) for n in p.lists}, key=str.casefold)
        if not names:
            self._message("The selected papers are not in a reading list.")
            return
        sidebar = self._w.sidebar_controller
        current = sidebar.value() if sidebar.kind() == LIST_KIND else None
        index = names.index(current) if current in names else 0
        shown = [visible(n) for n in names]
        name, ok = QInputDialog.getItem(
            self._w, "Remove from Reading List", "Remove from which list?", shown, index, False
        )
        chosen = visible_choice(name, names) if ok else None
        if chosen:
            self.remove_from_list(chosen, ids)

    def _add_to_new_list(self) -> None:
        ids = self._selected()
        name, ok = QInputDialog.getText(self._w, "New Reading List", "Name of the new list:")
        if ok and name.strip():
            self.add_to_list(name.strip(), ids, create=True)

    # --- The table's context menu -------------------------------------------------

    def show_table_menu(self, pos: QPoint) -> None:
        """Right-click on a paper: the Paper menu's edits, and the reading lists to add to."""
        library = self.library
        if library is None or not self.table.indexAt(pos).isValid():
            return
        acts = self._w.acts
        acts.update_enabled()
        menu = QMenu(self._w)
        menu.addAction(acts.open_paper_action)
        menu.addAction(acts.open_page_action)
        menu.addAction(acts.attach_pdf_action)
        menu.addAction(acts.download_pdf_action)
        menu.addSeparator()
        menu.addAction(acts.read_next_action)
        menu.addMenu(acts.status_menu)
        menu.addMenu(acts.priority_menu)
        menu.addSeparator()
        menu.addAction(acts.add_tags_action)
        menu.addAction(acts.remove_tags_action)
        lists_menu = menu.addMenu("Add to Reading &List")
        for name, _count in library.lists():
            lists_menu.addAction(button_text(visible(name)), functools.partial(self.add_to_list, name))
        lists_menu.addSeparator()
        lists_menu.addAction("&New List…", self._add_to_new_list)
        menu.addAction(acts.remove_from_list_action)
        menu.addSeparator()
        menu.addAction(acts.note_action)
        menu.addAction(acts.export_selection_action)
        menu.addSeparator()
        menu.addAction(acts.delete_papers_action)
        menu.popup(self.table.viewport().mapToGlobal(pos))


def delete_question(papers: int, stored: int | None, linked: int | None) -> str:
    """Delete's question for ``papers`` papers with ``stored`` stored and ``linked`` linked PDFs (None: unknown).

    The PDFs are named: a stored copy moves to the files folder's trash, a linked file is never touched, and
    Undo brings them all back.
    """
    what, its = ("this paper", "its") if papers == 1 else (f"these {papers:,} papers", "their")
    if stored is None or linked is None:
        return f"Delete {what} with {its} notes, tags and any PDFs? Edit ▸ Undo brings them back."
    total = stored + linked
    if not total:
        return f"Delete {what} with {its} notes and tags? Edit ▸ Undo brings them back."
    pdfs = "PDF" if total == 1 else plural(total, "PDF")
    trash = "the trash in the library's files folder"
    if not linked:
        where = f"The PDF moves to {trash}." if stored == 1 else f"The PDFs move to {trash}."
    elif not stored:
        where = (
            "The PDF is linked and stays where it is."
            if linked == 1
            else "The PDFs are linked and stay where they are."
        )
    else:
        moves = "moves" if stored == 1 else "move"
        stays = "stays where it is" if linked == 1 else "stay where they are"
        where = f"{plural(stored, 'stored PDF')} {moves} to {trash}; {plural(linked, 'linked PDF')} {stays}."
    return f"Delete {what} with {its} notes, tags and {pdfs}? {where} Edit ▸ Undo brings them back."
