"""Someone else changed the note or field being edited: the user sees both versions and chooses; nothing is lost.

``member`` is another member's Papershelf on the same library (a second :class:`Library` on the file).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel

from papershelf.core import operations as ops
from papershelf.core.library import Library
from papershelf.gui.dialogs.conflict import ConflictDialog
from papershelf.gui.dialogs.entry_editor import EntryEditor

from .conftest import wait_settled

NOTE = "Reading notes\nThe method is neat.\nTry it on our data.\n"
THEIRS = NOTE.replace("neat", "neat, but slow")
MINE = NOTE.replace("our data", "the lab's data")
MERGED = "Reading notes\nThe method is neat, but slow.\nTry it on the lab's data.\n"


@pytest.fixture
def member(papers, lib_path):
    other = Library(lib_path)
    yield other
    other.close()


@pytest.fixture
def noted(papers, qtbot):
    """The window, its current paper's id, and a note on it the window shows."""
    window = papers
    pid = window.table.current_id()
    note_id = window.library.add_note(pid, NOTE)
    window.detail.refresh(notes=True)
    qtbot.waitUntil(lambda: [e.note_id for e in window.detail.notes.editors] == [note_id])
    return window, pid, note_id


def stored(library: Library, pid: int) -> list[str]:
    return [n.text for n in library.get(pid).notes]


def conflict_after_typing(qtbot, editor, text: str) -> ConflictDialog:
    editor.setPlainText(text)  # typed: the editor is dirty
    editor.flush()
    qtbot.waitUntil(lambda: editor.conflict_dialog is not None and editor.conflict_dialog.isVisible(), timeout=5000)
    dialog = editor.conflict_dialog
    assert dialog is not None
    return dialog


def click(qtbot, button) -> None:
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_note_changed_meanwhile_shows_both_versions_side_by_side_and_saves_nothing(noted, member, qtbot):
    window, pid, note_id = noted
    editor = window.detail.notes.editors[0]
    member.run(ops.UpdateNote(note_id, THEIRS, base=NOTE))
    dialog = conflict_after_typing(qtbot, editor, MINE)
    assert dialog.theirs_views["text"].toPlainText() == THEIRS
    mine = dialog.mine_views["text"]
    assert mine.toPlainText() == MINE and mine.isReadOnly()
    # Mine is selectable and copyable while the dialog is open.
    assert mine.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByKeyboard
    mine.selectAll()
    assert mine.textCursor().selectedText().replace("\u2029", "\n") == MINE
    assert dialog.merged_views["text"].toPlainText() == MERGED
    message = dialog.findChild(QLabel, "conflictMessage").text()
    assert (
        message == f"Note {note_id} of paper {pid} was changed by someone else while you edited it; nothing was saved."
    )
    wait_settled(qtbot, window)
    assert stored(window.library, pid) == [THEIRS]
    assert editor.toPlainText() == MINE and editor.dirty
    click(qtbot, dialog.merged_button)
    wait_settled(qtbot, window)
    assert stored(member, pid) == [MERGED]
    assert editor.toPlainText() == MERGED and not editor.dirty


def test_keep_mine_saves_the_users_text_over_theirs(noted, member, qtbot):
    window, pid, note_id = noted
    editor = window.detail.notes.editors[0]
    member.run(ops.UpdateNote(note_id, THEIRS, base=NOTE))
    click(qtbot, conflict_after_typing(qtbot, editor, MINE).mine_button)
    wait_settled(qtbot, window)
    assert stored(member, pid) == [MINE]
    # The next edit starts from the user's text: no second conflict.
    editor.setPlainText(MINE + "More.\n")
    editor.flush()
    wait_settled(qtbot, window)
    assert stored(member, pid) == [MINE + "More.\n"] and editor.conflict_dialog is None


def test_keep_theirs_shows_theirs_and_keeps_mine_on_the_clipboard_and_in_undo(noted, member, qtbot):
    window, pid, note_id = noted
    editor = window.detail.notes.editors[0]
    member.run(ops.UpdateNote(note_id, THEIRS, base=NOTE))
    click(qtbot, conflict_after_typing(qtbot, editor, MINE).theirs_button)
    wait_settled(qtbot, window)
    assert stored(member, pid) == [THEIRS]
    assert editor.toPlainText() == THEIRS and not editor.dirty
    assert QGuiApplication.clipboard().text() == MINE
    editor.undo()
    assert editor.toPlainText() == MINE


def test_the_same_lines_changed_by_both_offer_no_merge(noted, member, qtbot):
    window, pid, note_id = noted
    editor = window.detail.notes.editors[0]
    member.run(ops.UpdateNote(note_id, NOTE.replace("neat", "slow"), base=NOTE))
    dialog = conflict_after_typing(qtbot, editor, NOTE.replace("neat", "brilliant"))
    assert not dialog.merged_button.isEnabled() and not dialog.merged_views
    assert "same lines" in dialog.merged_button.toolTip()
    click(qtbot, dialog.mine_button)
    wait_settled(qtbot, window)
    assert stored(member, pid) == [NOTE.replace("neat", "brilliant")]


def test_closing_the_dialog_saves_nothing_and_keeps_the_text_to_ask_again(noted, member, qtbot):
    window, pid, note_id = noted
    editor = window.detail.notes.editors[0]
    member.run(ops.UpdateNote(note_id, THEIRS, base=NOTE))
    conflict_after_typing(qtbot, editor, MINE).reject()
    wait_settled(qtbot, window)
    assert stored(member, pid) == [THEIRS]
    assert editor.toPlainText() == MINE and editor.dirty
    editor.flush()  # leaving the note saves: asked again
    qtbot.waitUntil(lambda: editor.conflict_dialog is not None, timeout=5000)
    click(qtbot, editor.conflict_dialog.mine_button)
    wait_settled(qtbot, window)
    assert stored(member, pid) == [MINE]


def test_a_note_deleted_meanwhile_can_be_added_again(noted, member, qtbot):
    window, pid, note_id = noted
    editor = window.detail.notes.editors[0]
    member.delete_note(note_id)
    dialog = conflict_after_typing(qtbot, editor, MINE)
    assert dialog.theirs_views == {} and dialog.mine_button.text() == "Add Mine Again"
    assert not dialog.merged_button.isEnabled()
    click(qtbot, dialog.mine_button)
    wait_settled(qtbot, window)
    assert stored(member, pid) == [MINE]
    assert editor.note_id is not None and not editor.dirty


def test_a_note_deleted_meanwhile_can_be_let_go_with_the_text_on_the_clipboard(noted, member, qtbot):
    window, pid, note_id = noted
    editor = window.detail.notes.editors[0]
    member.delete_note(note_id)
    click(qtbot, conflict_after_typing(qtbot, editor, MINE).theirs_button)
    wait_settled(qtbot, window)
    assert stored(member, pid) == []
    assert window.detail.notes.editors == []
    assert QGuiApplication.clipboard().text() == MINE


# --- The entry editor ----------------------------------------------------------------------------


def open_entry_editor(qtbot, window) -> EntryEditor:
    window.acts.edit_entry_action.trigger()
    editor = window.citing.editor
    assert editor is not None
    qtbot.waitExposed(editor)
    return editor


def test_two_members_editing_different_fields_in_the_entry_editor_both_succeed(papers, member, qtbot):
    window = papers
    pid = window.table.current_id()
    editor = open_entry_editor(qtbot, window)
    member.run(ops.EditFields.of(pid, {"journal": "Their Journal"}))
    editor.fields["title"][0].setText("My Title")
    click(qtbot, editor.ok_button)
    qtbot.waitUntil(lambda: not editor.isVisible(), timeout=5000)
    paper = member.get(pid)
    assert (paper.title, paper.extra_fields["journal"]) == ("My Title", "Their Journal")


def test_the_same_field_changed_in_the_entry_editor_asks_and_keeps_mine(papers, member, qtbot):
    window = papers
    pid = window.table.current_id()
    editor = open_entry_editor(qtbot, window)
    member.run(ops.EditFields.of(pid, {"title": "Their Title", "journal": "Their Journal"}))
    editor.fields["title"][0].setText("My Title")
    editor.fields["volume"][0].setText("12")
    click(qtbot, editor.ok_button)
    qtbot.waitUntil(lambda: editor.conflict_dialog is not None and editor.conflict_dialog.isVisible(), timeout=5000)
    dialog = editor.conflict_dialog
    assert dialog is not None
    assert (dialog.theirs_views["title"].toPlainText(), dialog.mine_views["title"].toPlainText()) == (
        "Their Title",
        "My Title",
    )
    assert "title of paper" in editor.problem_label.text()
    assert member.get(pid).title == "Their Title" and "volume" not in member.get(pid).extra_fields
    click(qtbot, dialog.mine_button)
    qtbot.waitUntil(lambda: not editor.isVisible(), timeout=5000)
    paper = member.get(pid)
    assert (paper.title, paper.extra_fields["journal"], paper.extra_fields["volume"]) == (
        "My Title",
        "Their Journal",
        "12",
    )


def test_keep_theirs_in_the_entry_editor_saves_the_other_fields_and_keeps_mine_on_the_clipboard(papers, member, qtbot):
    window = papers
    pid = window.table.current_id()
    editor = open_entry_editor(qtbot, window)
    member.run(ops.EditFields.of(pid, {"title": "Their Title"}))
    editor.fields["title"][0].setText("My Title")
    editor.fields["volume"][0].setText("12")
    click(qtbot, editor.ok_button)
    qtbot.waitUntil(lambda: editor.conflict_dialog is not None, timeout=5000)
    click(qtbot, editor.conflict_dialog.theirs_button)
    qtbot.waitUntil(lambda: not editor.isVisible(), timeout=5000)
    wait_settled(qtbot, window)
    paper = member.get(pid)
    assert (paper.title, paper.extra_fields["volume"]) == ("Their Title", "12")
    assert QGuiApplication.clipboard().text() == "My Title"


def test_undo_of_an_entry_edit_never_overwrites_a_later_change_by_someone_else(papers, member, qtbot, dialogs):
    window = papers
    pid = window.table.current_id()
    editor = open_entry_editor(qtbot, window)
    editor.fields["title"][0].setText("My Title")
    click(qtbot, editor.ok_button)
    qtbot.waitUntil(lambda: not editor.isVisible(), timeout=5000)
    wait_settled(qtbot, window)
    member.run(ops.EditFields.of(pid, {"title": "Their Title"}))
    window.acts.undo_action.trigger()
    wait_settled(qtbot, window)
    ((text, _info, _details),) = dialogs.take()
    assert "the title of paper" in text and "changed by someone else" in text
    assert member.get(pid).title == "Their Title"


def test_a_notes_saves_share_one_pending_key_so_offline_only_the_last_is_kept(noted, qtbot):
    """gui/operations.py keeps, of saves with one pending_key waiting for the server, only the last one's."""
    window, pid, _note_id = noted
    window.detail.add_note()
    first, second = window.detail.notes.editors
    saves = [first._ref.saver(pid, text) for text in ("a", "ab")]
    assert saves[0].pending_key is saves[1].pending_key is not None
    assert second._ref.saver(pid, "other").pending_key is not saves[0].pending_key
