"""Notes are saved as you type, on focus-out, on paper change and on close; deletion undoes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from .conftest import focus_table, wait_search, wait_settled


def test_a_note_survives_closing_and_relaunching(imported, make_window, qtbot, lib_path):
    window = imported
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_J)
    pid = window.table.current_id()
    qtbot.mouseClick(window.detail.notes.add_button, Qt.MouseButton.LeftButton)
    editor = window.detail.notes.editors[-1]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor)
    qtbot.keyClicks(editor, "# Idea")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "Try the *reward* on our data.")
    # Closed before the debounce fires: the close flushes it.
    window.close()
    again = make_window(lib_path)
    assert [n.text for n in again.library.get(pid).notes] == ["# Idea\nTry the *reward* on our data."]
    again.search_field.setFocus()
    qtbot.keyClicks(again.search_field, "reward has:notes")
    qtbot.waitUntil(lambda: again.table_model.ids == [pid], timeout=3000)
    again.table.select_row(0)
    assert again.detail.notes.editors[0].toPlainText() == "# Idea\nTry the *reward* on our data."


def test_notes_save_after_a_pause_and_on_paper_change(imported, qtbot):
    window = imported
    focus_table(qtbot, window)
    first = window.table.current_id()
    qtbot.keyClick(window.table, Qt.Key.Key_N)
    editor = window.detail.notes.editors[-1]
    qtbot.keyClicks(editor, "draft")
    qtbot.waitUntil(lambda: [n.text for n in window.library.get(first).notes] == ["draft"], timeout=3000)
    qtbot.keyClicks(editor, " two")
    # Changing paper saves right away (no wait for the debounce): the save is queued at once.
    window.table.select_row(3)
    wait_settled(qtbot, window)
    assert [n.text for n in window.library.get(first).notes] == ["draft two"]
    assert window.detail.paper_id != first


def test_deleting_a_note_can_be_undone(imported, qtbot):
    window = imported
    pid = window.table.current_id()
    note_id = window.library.add_note(pid, "keep me")
    window.detail.refresh(notes=True)
    delete = window.detail.notes.findChild(type(window.new_list_button), "deleteNoteButton")
    qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)
    wait_settled(qtbot, window)
    assert window.library.get(pid).notes == []
    assert window.detail.notes.editors == []
    window.acts.undo_action.trigger()
    wait_settled(qtbot, window)
    [note] = window.library.get(pid).notes
    assert (note.id, note.text) == (note_id, "keep me")
    assert window.detail.notes.editors[0].toPlainText() == "keep me"


def test_a_note_that_cannot_be_saved_keeps_its_text(imported, qtbot, monkeypatch, dialogs):
    from papershelf.core.operations import AddNote

    window = imported
    pid = window.table.current_id()
    window.detail.add_note()
    editor = window.detail.notes.editors[-1]

    def broken(self, conn):
        raise OSError("disk full")

    # The writer thread's transaction fails (and rolls back) as on a full disk.
    monkeypatch.setattr(AddNote, "apply", broken)
    editor.insertPlainText("precious")
    assert editor.flush() is True  # queued: whether it lands is known later
    assert editor.dirty
    wait_settled(qtbot, window)
    [(text, _info, _details)] = dialogs.take()
    assert "could not save the note" in text.lower()
    assert editor.dirty and editor.toPlainText() == "precious"
    assert window.library.get(pid).notes == []
    # Now that a save has failed, flushing says so (and tries again).
    assert editor.flush() is False
    wait_settled(qtbot, window)
    assert not dialogs.take(), "the same failure is reported once"
    assert editor.dirty
    # Moving on to another paper keeps the unsaved text and retries it.
    window.table.select_row(3)
    assert window.detail.paper_id != pid
    assert window.detail.notes.dirty
    monkeypatch.undo()
    qtbot.waitUntil(lambda: [n.text for n in window.library.get(pid).notes] == ["precious"], timeout=5000)
    wait_settled(qtbot, window)
    assert not window.detail.notes.dirty
    assert window.detail.flush() is True
    wait_search(qtbot, window)


def test_deleting_a_note_whose_first_save_is_still_on_the_way(imported, qtbot):
    window = imported
    pid = window.table.current_id()
    window.detail.add_note()
    editor = window.detail.notes.editors[-1]
    qtbot.waitUntil(editor.hasFocus)
    qtbot.keyClicks(editor, "not worth keeping")
    delete = window.detail.notes.findChild(type(window.new_list_button), "deleteNoteButton")
    # Delete before the debounce: the note is saved first (so it has an id), then deleted, undoably.
    qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)
    wait_settled(qtbot, window)
    assert window.library.get(pid).notes == []
    assert window.detail.notes.editors == []
    window.acts.undo_action.trigger()
    wait_settled(qtbot, window)
    assert [e.toPlainText() for e in window.detail.notes.editors] == ["not worth keeping"]


def test_delete_clicked_twice_while_another_program_writes_deletes_the_note_once(imported, qtbot, dialogs, lock_holder):
    from PySide6.QtWidgets import QToolButton

    window = imported
    pid = window.table.current_id()
    window.library.add_note(pid, "first")
    window.detail.refresh(notes=True)
    [editor] = window.detail.notes.editors
    [delete] = window.detail.notes.findChildren(QToolButton, "deleteNoteButton")
    depth = window.undo_stack.count()
    holder = lock_holder(window.library.path)
    try:
        qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)
        # The delete waits for the lock; the note is still on screen. Clicking again, typing in it: no effect.
        qtbot.wait(300)
        qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(editor, " edited")
        qtbot.wait(700)  # past the save's debounce
    finally:
        holder.stdin.close()
        holder.wait(10)
    wait_settled(qtbot, window)
    assert dialogs.take() == []
    assert window.library.get(pid).notes == [] and window.detail.notes.editors == []
    assert window.undo_stack.count() == depth + 1
    window.acts.undo_action.trigger()
    wait_settled(qtbot, window)
    assert [n.text for n in window.library.get(pid).notes] == ["first"]
    assert [e.toPlainText() for e in window.detail.notes.editors] == ["first"]
