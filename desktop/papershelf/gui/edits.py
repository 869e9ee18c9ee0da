"""Changes to papers the user can undo (status, priority, tags, lists, deleting), and the dialogs and menu that ask for them.

Every change goes through :meth:`Edits._push`: a command from
:mod:`commands` on the window's undo stack, which tells the views what
changed (:meth:`Edits._changed`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox

from ..core.display import visible, visible_choice
from . import commands
from .dialogs.list_chooser import ListChooser
from .models.sidebar import ALL
from .models.sidebar import LIST as LIST_KIND
from .settings import FAVOURITE_SLOTS
from .widgets.labels import literal_html
from .widgets.tag_editor import button_text, split_tags
from .wording import plural

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

        detail = window.detail
        detail.statusChosen.connect(lambda s: self.set_status(s, self._detail_ids()))
        detail.priorityChosen.connect(lambda p: self.set_priority(p, self._detail_ids()))
        detail.tagsAdded.connect(lambda tags: self.add_tags(tags, self._detail_ids()))
        detail.tagRemoved.connect(lambda tag: self.remove_tags([tag], self._detail_ids()))
        detail.noteDeleteRequested.connect(self.delete_note)
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

    def _push(self, factory: Callable[[], commands.LibraryCommand]) -> bool:
        """Do the change as an undoable command; False if it was refused (and reported)."""
        if self.library is None:
            return False
        from ..core.errors import PapershelfError

        try:
            command = factory()
        except PapershelfError as exc:
            self.report_error(exc, "")
            return False
        done = self.undo_stack.index()
        self.undo_stack.push(command)
        # A refused command makes itself obsolete and the stack drops it.
        return self.undo_stack.index() != done

    def _changed(self, ids: list[int], sidebar: bool, notes: bool) -> None:
        self.table_model.invalidate(ids)
        if self.detail.paper_id in ids:
            self.detail.refresh(notes=notes)
        if sidebar:
            self._w.sidebar_controller.schedule_refresh()
        self._w.acts.update_enabled()

    def _deleted(self, ids: list[int], sidebar: bool, notes: bool) -> None:
        """After papers were deleted or put back: the rows themselves come and go."""
        self._w.paper_view.remember_current()
        self.table_model.refresh()
        self._changed(ids, sidebar, notes)

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
            self._push(lambda: commands.SetStatusCommand(self.library, ids, status, self._changed, self.report_error))

    def read_and_next(self) -> None:
        """Space: mark the highlighted papers read; with one paper, go on to the next."""
        ids = self._selected()
        if not ids or self.library is None:
            return
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
            self._push(
                lambda: commands.SetPriorityCommand(self.library, ids, priority, self._changed, self.report_error)
            )

    def add_tags(self, tags: list[str], ids: list[int] | None = None) -> None:
        ids = self._selected(ids)
        if (
            ids
            and tags
            and self._push(lambda: commands.AddTagsCommand(self.library, ids, tags, self._changed, self.report_error))
        ):
            self.settings.last_tags = list(tags)  # T offers them next time

    def remove_tags(self, tags: list[str], ids: list[int] | None = None) -> None:
        ids = self._selected(ids)
        if ids and tags:
            self._push(lambda: commands.RemoveTagsCommand(self.library, ids, tags, self._changed, self.report_error))

    def add_to_list(self, name: str, ids: list[int] | None = None, *, create: bool = False) -> None:
        ids = self._selected(ids)
        if ids:
            self._push(
                lambda: commands.AddToListCommand(
                    self.library, name, ids, self._changed, self.report_error, create=create
                )
            )
            self._message(f"Added {plural(len(ids), 'paper')} to {visible(name)}.")

    def remove_from_list(self, name: str, ids: list[int] | None = None) -> None:
        ids = self._selected(ids)
        if ids:
            self._push(
                lambda: commands.RemoveFromListCommand(self.library, name, ids, self._changed, self.report_error)
            )

    def delete_papers(self) -> None:
        ids = self._selected()
        if not ids:
            return
        what = "this paper" if len(ids) == 1 else f"these {len(ids)} papers"
        if self._confirm("Delete Papers", f"Delete {what} with their notes and tags? Edit ▸ Undo brings them back."):
            self._push(lambda: commands.DeletePapersCommand(self.library, ids, self._deleted, self.report_error))

    def delete_note(self, note_id: int) -> None:
        paper_id = self.detail.paper_id
        if paper_id is not None:
            self._push(
                lambda: commands.DeleteNoteCommand(self.library, note_id, paper_id, self._changed, self.report_error)
            )

    def delete_list(self) -> None:
        """Lists ▸ Delete Reading List: the list chosen in the sidebar (its papers stay)."""
        sidebar = self._w.sidebar_controller
        name = sidebar.value()
        if self.library is None or sidebar.kind() != LIST_KIND or name is None:
            return
        if self._confirm(
            "Delete Reading List", f"Delete the reading list “{visible(name)}”? The papers stay in the library."
        ):
            self._push(lambda: commands.DeleteListCommand(self.library, name, self._changed, self.report_error))
            sidebar.reload((ALL, "all"))

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
        menu.addAction(acts.open_page_action)
        menu.addSeparator()
        menu.addAction(acts.read_next_action)
        menu.addMenu(acts.status_menu)
        menu.addMenu(acts.priority_menu)
        menu.addSeparator()
        menu.addAction(acts.add_tags_action)
        menu.addAction(acts.remove_tags_action)
        lists_menu = menu.addMenu("Add to Reading List")
        for name, _count in library.lists():
            lists_menu.addAction(button_text(visible(name)), lambda n=name: self.add_to_list(n))
        lists_menu.addSeparator()
        lists_menu.addAction("New List…", self._add_to_new_list)
        menu.addAction(acts.remove_from_list_action)
        menu.addSeparator()
        menu.addAction(acts.note_action)
        menu.addAction(acts.export_selection_action)
        menu.addSeparator()
        menu.addAction(acts.delete_papers_action)
        menu.popup(self.table.viewport().mapToGlobal(pos))
