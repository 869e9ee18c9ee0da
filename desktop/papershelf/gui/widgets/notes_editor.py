"""A paper's notes: one plain-text (Markdown) editor per note, saved as you type.

Saving is debounced, and always flushed when an editor loses focus, when the
paper changes and when the window closes. Saves are queued on the window's
writer thread (``gui/operations.py``), so typing never waits on the library.
A save that fails keeps the text marked unsaved and is retried, so typed text
is never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
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

from ...core.operations import AddNote, Outcome, UpdateNote
from .attachments_view import dropped_pdfs

if TYPE_CHECKING:
    from ...core.library import Library
    from ...core.records import Note
    from ..operations import OperationRunner

SAVE_DELAY_MS = 500
RETRY_DELAY_MS = 2000


class _NoteRef:
    """A note's id, which the writer thread fills in when a new note's first save lands."""

    def __init__(self, note_id: int | None):
        self.note_id = note_id

    def saver(self, paper_id: int, text: str) -> Callable[[Library], Outcome]:
        """The save as a job for the writer thread: add the note the first time, update it after."""

        def save(library: Library) -> Outcome:
            if self.note_id is None:
                outcome = library.run(AddNote(paper_id, text))
                self.note_id = outcome.result
                return outcome
            return library.run(UpdateNote(self.note_id, text))

        return save


class NoteEdit(QPlainTextEdit):
    """One note. A new note gets its id on its first non-empty save."""

    def canInsertFromMimeData(self, source) -> bool:
        # PDFs dropped on a note are attached to the paper (the detail pane takes them), not pasted as paths.
        return not dropped_pdfs(source) and super().canInsertFromMimeData(source)

    saved = Signal(int)
    #: Escape: the user is done writing; focus goes back to the papers.
    leave = Signal()

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
        self._ref = _NoteRef(note.id if note else None)
        self._on_error = on_error
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
        self._runner.submit(
            self._library, self._ref.saver(self.paper_id, text), on_done=self._landed, on_error=self._not_saved
        )
        return not self._failed

    def _landed(self, _outcome: object) -> None:
        self._in_flight -= 1
        self._failed = False
        if not self.dirty:
            self.saved.emit(self.paper_id)

    def _not_saved(self, exc: BaseException, details: str) -> None:
        self._in_flight -= 1
        # Kept as unsaved: the next try sends the latest text.
        self._dirty = True
        self._timer.start(RETRY_DELAY_MS)
        if not self._failed:
            self._failed = True
            self._on_error(f"Could not save the note: {exc}", details)

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

    def _update_empty(self) -> None:
        self._empty.setVisible(self.paper_id is not None and not self.editors)
