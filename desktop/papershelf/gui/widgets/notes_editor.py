"""A paper's notes: one plain-text (Markdown) editor per note, saved as you type.

Saving is debounced, and always flushed when an editor loses focus, when the
paper changes and when the window closes. Saves are queued on the window's
writer thread (``gui/operations.py``), so typing never waits on the library.
A save that fails keeps the text marked unsaved and is retried, so typed text
is never dropped.

Each save says what text it was made from (the note as loaded, then as last
saved): when someone else changed the note meanwhile (a shared library),
nothing is saved and a :class:`ConflictDialog` shows both versions; the
user keeps their own text, the other's, or the merge, and until they
choose, their text stays here, unsaved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import EditConflict
from ...core.operations import AddNote, Outcome, UpdateNote
from ..dialogs.conflict import MERGED, MINE, THEIRS, ConflictDialog
from .attachments_view import dropped_pdfs

if TYPE_CHECKING:
    from ...core.library import Library
    from ...core.records import Note
    from ..operations import OperationRunner

SAVE_DELAY_MS = 500
RETRY_DELAY_MS = 2000


class _NoteRef:
    """A note's id, which the writer thread fills in when a new note's first save lands, and the text saves start from.

    Shared by the GUI thread and the writer thread (under ``lock``).
    """

    def __init__(self, note_id: int | None, base: str | None):
        self.lock = threading.Lock()
        self.note_id = note_id
        #: The note's text in the library as this editor last knew it (loaded, then saved): the next save's base.
        self.base = base
        #: One more each time a conflict is settled: saves queued before it are dropped (the choice replaced them).
        self.generation = 0

    def saver(self, paper_id: int, text: str) -> _Save:
        """The save as a job for the writer thread: add the note the first time, update it after."""
        return _Save(self, paper_id, text, self.generation)

    def settle(self, base: str | None, *, readd: bool = False) -> None:
        """A conflict was settled: saves from now on start from ``base``; ``readd``: the note is added anew."""
        with self.lock:
            self.generation += 1
            self.base = base
            if readd:
                self.note_id = None


class _Save:
    """One save of a note's whole text, as a job for the writer thread.

    Its ``pending_key`` is the note's :class:`_NoteRef`: of saves kept while a shared library's server is
    away, the runner keeps only the last one's operation (``OperationRunner.pending_changes``).
    """

    def __init__(self, ref: _NoteRef, paper_id: int, text: str, generation: int):
        self.pending_key = ref
        self._ref, self._paper_id, self._text, self._generation = ref, paper_id, text, generation

    def __call__(self, library: Library) -> Outcome | None:
        ref, text = self._ref, self._text
        with ref.lock:
            if self._generation != ref.generation:
                return None  # queued before a conflict was settled: the choice replaced it
            note_id, base = ref.note_id, ref.base
        if note_id is None:
            outcome = library.run(AddNote(self._paper_id, text))
            with ref.lock:
                ref.note_id, ref.base = outcome.result, text
            return outcome
        outcome = library.run(UpdateNote(note_id, text, base=base))
        with ref.lock:
            if self._generation == ref.generation:
                ref.base = text
        return outcome


class NoteEdit(QPlainTextEdit):
    """One note. A new note gets its id on its first non-empty save."""

    def canInsertFromMimeData(self, source) -> bool:
        # PDFs dropped on a note are attached to the paper (the detail pane takes them), not pasted as paths.
        return not dropped_pdfs(source) and super().canInsertFromMimeData(source)

    saved = Signal(int)
    #: Escape: the user is done writing; focus goes back to the papers.
    leave = Signal()
    #: What the note's caption should say now (a conflict, and what became of it).
    captionChanged = Signal(str)
    #: The note was deleted by someone else and the user left it so: the editor goes.
    dropped = Signal()
    #: A conflict was settled (or its dialog closed): an editor kept off screen may be done.
    settled = Signal()

    def __init__(
        self,
        library: Library,
        runner: OperationRunner,
        paper_id: int,
        note: Note | None,
        on_error: Callable[[str, str], None],
        parent=None,
    ):
        super().__init__(parent)
        self.setObjectName("noteEdit")
        self.setAccessibleName("Note")
        self.setPlaceholderText("Write a note (Markdown)…")
        self.setTabChangesFocus(True)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont))
        self._library = library
        self._runner = runner
        self.paper_id = paper_id
        self._ref = _NoteRef(note.id if note else None, note.text if note else None)
        self._on_error = on_error
        #: Where conflict dialogs open: the window this editor was made in (it may be taken out of it later).
        self._host = parent.window() if parent is not None else None
        #: The open conflict dialog (one at a time; tests drive it).
        self.conflict_dialog: ConflictDialog | None = None
        #: Text being put in by the app (a conflict's choice), not typed: no save.
        self._replacing = False
        self._dirty = False
        self._failed = False
        #: Saves queued on the writer thread and not yet landed.
        self._in_flight = 0
        #: Its delete was asked for (it lands on the writer thread, maybe seconds later).
        self.deleting = False
        if note is not None:
            self.setPlainText(note.text)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self.flush)
        self.textChanged.connect(self._changed)
        self.setMinimumHeight(90)

    @property
    def note_id(self) -> int | None:
        return self._ref.note_id

    @property
    def dirty(self) -> bool:
        """Whether some of the text is not in the library yet (typed, or saving)."""
        return self._dirty or self._in_flight > 0

    def _changed(self) -> None:
        if self._replacing:
            return
        self._dirty = True
        self._timer.start(SAVE_DELAY_MS)

    def flush(self) -> bool:
        """Queue a save if anything changed; False while an earlier save has failed (it is retried)."""
        self._timer.stop()
        if not self._dirty:
            return not self._failed
        text = self.toPlainText()
        if self._ref.note_id is None and self._in_flight == 0 and not text.strip():
            self._dirty = False
            return True
        self._dirty = False
        self._in_flight += 1
        generation = self._ref.generation
        self._runner.submit(
            self._library,
            self._ref.saver(self.paper_id, text),
            on_done=self._landed,
            on_error=lambda exc, details: self._not_saved(exc, details, generation),
        )
        return not self._failed

    def _landed(self, outcome: object) -> None:
        self._in_flight -= 1
        if outcome is None:
            # Dropped: queued before a conflict was settled, which replaced it.
            if not self.dirty:
                self.settled.emit()
            return
        self._failed = False
        if not self.dirty:
            self.saved.emit(self.paper_id)

    def _not_saved(self, exc: BaseException, details: str, generation: int = 0) -> None:
        self._in_flight -= 1
        if generation != self._ref.generation:
            return  # made before a conflict was settled: the choice replaced it
        # Kept as unsaved: the next try sends the latest text.
        self._dirty = True
        if isinstance(exc, EditConflict):
            self._timer.stop()  # no retry: it would only conflict again; the user chooses
            self._conflicted(exc)
            return
        self._timer.start(RETRY_DELAY_MS)
        if not self._failed:
            self._failed = True
            self._on_error(f"Could not save the note: {exc}", details)

    # --- Someone else changed the note meanwhile ---

    def _conflicted(self, conflict: EditConflict) -> None:
        self.captionChanged.emit(
            "Note · not saved: deleted by someone else"
            if conflict.deleted
            else "Note · not saved: changed by someone else"
        )
        if self.conflict_dialog is not None:
            return  # asked already: a save queued before the first answer conflicted too
        self.conflict_dialog = ConflictDialog.ask(conflict, self._host, self._settle)

    def _settle(self, dialog: ConflictDialog) -> None:
        """Do what the user chose in the conflict dialog; closed without a choice, the text stays unsaved here."""
        self.conflict_dialog = None
        self._choose(dialog)
        self.settled.emit()

    def _choose(self, dialog: ConflictDialog) -> None:
        conflict, choice = dialog.conflict, dialog.choice
        if choice is None:
            return  # still dirty: the next save (typing, leaving the note) asks again
        if choice == MINE:
            self._ref.settle(conflict.theirs, readd=conflict.deleted)
            self._dirty = True
            self.flush()
            return
        if choice == THEIRS and conflict.deleted:
            self._ref.settle(None)
            self._dirty = False
            self.dropped.emit()
            return
        self._ref.settle(conflict.theirs)
        text = conflict.theirs if choice == THEIRS else dialog.merged_texts().get("text", conflict.theirs)
        self._replace(text or "")
        if choice == MERGED:
            self._dirty = True
            self.flush()
        else:
            self._dirty = False
            self.captionChanged.emit("Note · theirs kept; yours is on the clipboard (Ctrl+Z brings it back)")

    def _replace(self, text: str) -> None:
        """Show ``text`` as one undoable edit (Ctrl+Z brings back what the user had typed), without saving it."""
        cursor = QTextCursor(self.document())
        cursor.select(QTextCursor.SelectionType.Document)
        self._replacing = True
        try:
            cursor.insertText(text)
        finally:
            self._replacing = False

    def focusOutEvent(self, event) -> None:
        self.flush()
        super().focusOutEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.leave.emit()  # saving happens on focus-out, as for any other way out
            return
        super().keyPressEvent(event)


class NotesEditor(QWidget):
    """All notes of one paper, with Add and Delete."""

    #: The user asked to delete a saved note (the window makes it undoable).
    deleteRequested = Signal(int)
    #: Escape in a note.
    finished = Signal()
    #: A note of this paper was saved.
    noteSaved = Signal(int)

    def __init__(self, on_error: Callable[[str, str], None], parent=None):
        super().__init__(parent)
        self.setObjectName("notesEditor")
        self.setAccessibleName("Notes")
        self._on_error = on_error
        self._library: Library | None = None
        self._runner: OperationRunner | None = None
        self.paper_id: int | None = None
        self.editors: list[NoteEdit] = []
        #: Edits of papers no longer shown that still wait to be saved.
        self._orphans: list[NoteEdit] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self._list = QVBoxLayout()
        self._list.setSpacing(8)
        layout.addLayout(self._list)
        self._empty = QLabel("No notes yet.", self)
        self._empty.setTextFormat(Qt.TextFormat.PlainText)
        self._empty.setEnabled(False)
        layout.addWidget(self._empty)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add note", self)
        self.add_button.setObjectName("addNoteButton")
        self.add_button.setAccessibleName("Add note")
        self.add_button.setToolTip("Add a note to this paper (N)")
        self.add_button.clicked.connect(self.add_note)
        row.addWidget(self.add_button)
        row.addStretch(1)
        layout.addLayout(row)

    def set_library(self, library: Library | None, runner: OperationRunner | None = None) -> None:
        """Edit notes of ``library``; saves go through ``runner`` (required with a library)."""
        self.flush()
        self._library = library
        self._runner = runner
        self.set_notes(None, [])

    def set_notes(self, paper_id: int | None, notes: list[Note]) -> None:
        """Show ``notes`` of ``paper_id``; the previous paper's edits are saved first.

        An edit that cannot be saved yet is kept off screen and retried until
        it is saved, so moving on to another paper never drops typed text.
        """
        self.flush()
        for editor in self.editors:
            frame = editor.parentWidget()
            if editor.dirty:
                editor.hide()
                editor.setParent(None)
                self._orphans.append(editor)
                editor.saved.connect(lambda _pid, e=editor: self._adopted(e))
                editor.settled.connect(lambda e=editor: None if e.dirty else self._adopted(e))
            if frame is not None:  # always: _add_editor puts each editor in a frame
                frame.deleteLater()
        self.editors = []
        self.paper_id = paper_id
        if paper_id is not None:
            for note in notes:
                self._add_editor(note)
        self._update_empty()

    def flush(self) -> bool:
        ok = True
        for editor in self.editors + self._orphans:
            ok = editor.flush() and ok
        return ok

    def _adopted(self, editor: NoteEdit) -> None:
        if editor in self._orphans:
            self._orphans.remove(editor)
            editor.deleteLater()

    @property
    def dirty(self) -> bool:
        return any(e.dirty for e in self.editors + self._orphans)

    def shows(self, notes: list[Note]) -> bool:
        """Whether the editors hold exactly these notes."""
        return [(n.id, n.text) for n in notes] == [(e.note_id, e.toPlainText()) for e in self.editors]

    def has_focus_inside(self) -> bool:
        from PySide6.QtWidgets import QApplication

        focus = QApplication.focusWidget()
        return focus is not None and any(focus is e for e in self.editors)

    def add_note(self) -> NoteEdit | None:
        """A new, empty note with the focus (saved once something is typed)."""
        if self.paper_id is None or self._library is None:
            return None
        editor = self._add_editor(None)
        self._update_empty()
        editor.setFocus(Qt.FocusReason.OtherFocusReason)
        return editor

    def _add_editor(self, note: Note | None) -> NoteEdit:
        assert self._library is not None and self._runner is not None and self.paper_id is not None
        frame = QFrame(self)
        frame.setFrameShape(QFrame.Shape.NoFrame)
        box = QVBoxLayout(frame)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        header = QHBoxLayout()
        label = QLabel(self._caption(note), frame)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setEnabled(False)
        header.addWidget(label)
        header.addStretch(1)
        delete = QToolButton(frame)
        delete.setText("Delete")
        delete.setObjectName("deleteNoteButton")
        delete.setAccessibleName("Delete note")
        delete.setToolTip("Delete this note (Edit ▸ Undo brings it back)")
        header.addWidget(delete)
        box.addLayout(header)
        editor = NoteEdit(self._library, self._runner, self.paper_id, note, self._on_error, frame)
        editor.saved.connect(self.noteSaved)
        editor.leave.connect(self.finished)
        editor.captionChanged.connect(
            lambda text, e=editor, caption=label: caption.setText(text) if e in self.editors else None
        )
        editor.dropped.connect(lambda e=editor: self._forget(e))
        # An edit saved after its paper was left has no caption any more.
        editor.saved.connect(
            lambda _pid, e=editor, caption=label: caption.setText("Note · saved") if e in self.editors else None
        )
        box.addWidget(editor)
        delete.clicked.connect(lambda _=False, e=editor: self._delete(e))
        self._list.addWidget(frame)
        self.editors.append(editor)
        return editor

    @staticmethod
    def _caption(note: Note | None) -> str:
        if note is None:
            return "New note"
        return f"Note · {note.updated:%Y-%m-%d %H:%M}"

    def _delete(self, editor: NoteEdit, *, saved: bool = False) -> None:
        if editor.deleting and not saved:
            return  # asked for already: a second delete of the note would be refused when it lands
        if not editor.flush():
            return
        if not editor.deleting:
            editor.deleting = True
            # Greyed out until the delete lands: nothing typed now could be saved to a note that is gone.
            editor.setEnabled(False)
        if editor.dirty:
            # Its save is still on the way: delete once it has landed (and so has an id).
            editor.saved.connect(lambda _pid, e=editor: self._delete(e, saved=True) if e in self.editors else None)
            return
        if editor.note_id is None:
            self.editors.remove(editor)
            if (frame := editor.parentWidget()) is not None:
                frame.deleteLater()
            self._update_empty()
            return
        self.deleteRequested.emit(editor.note_id)

    def _forget(self, editor: NoteEdit) -> None:
        """An editor whose note is gone for good (deleted by someone else, and the user let it go)."""
        if editor in self._orphans:
            self._orphans.remove(editor)
            editor.deleteLater()
            return
        if editor in self.editors:
            self.editors.remove(editor)
            if (frame := editor.parentWidget()) is not None:
                frame.deleteLater()
            self._update_empty()

    def _update_empty(self) -> None:
        self._empty.setVisible(self.paper_id is not None and not self.editors)
