"""Another program holds the write lock: the window says it waits, keeps every change, saves them when it frees.

Changes land on the window's writer thread (gui/operations.py), which tries
again past SQLite's busy timeout instead of giving up, so no change is refused
for being made at the wrong moment. tests/gui/test_lock_held_elsewhere.py
checks the window keeps going meanwhile.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from .conftest import focus_table, wait_settled

WAITING = "Waiting for another program to finish writing to the library; your changes are kept and will be saved then."


@pytest.fixture
def short_busy_timeout(monkeypatch):
    from papershelf.core import db

    # Before the window opens the library: the engine reads it when connecting.
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)


def test_changes_while_another_program_writes_wait_and_land_when_it_is_done(
    short_busy_timeout, imported, qtbot, dialogs, lib_path, lock_holder
):
    window = imported
    library = window.library
    focus_table(qtbot, window)
    pid = window.table.current_id()
    depth = window.undo_stack.count()
    status = window.statusBar()
    holder = lock_holder(lib_path)
    try:
        window.edits.add_tags(["busy-test"], [pid])
        window.edits.set_priority(2, [pid])
        window.edits.set_status("reading", [pid])
        qtbot.waitUntil(lambda: status.currentMessage() == WAITING, timeout=5000)
        # Several busy timeouts have passed: no error, nothing written yet, every change kept and undoable.
        qtbot.wait(700)
        assert dialogs.shown == []
        paper = library.get(pid)
        assert (paper.tags, paper.priority, paper.status) == ([], 0, "unread")
        assert not window.runner.settled
        assert window.undo_stack.count() == depth + 3
        assert status.currentMessage() == WAITING
    finally:
        holder.stdin.close()
        holder.wait(10)
    wait_settled(qtbot, window)
    paper = library.get(pid)
    assert (paper.tags, paper.priority, paper.status) == (["busy-test"], 2, "reading")
    assert window.detail.tag_editor.tags == ["busy-test"]
    qtbot.waitUntil(lambda: status.currentMessage() == "Saved.", timeout=5000)
    assert dialogs.shown == []
    # Each landed exactly once: three undos put the paper back as it was.
    for _ in range(3):
        window.undo_stack.undo()
    wait_settled(qtbot, window)
    paper = library.get(pid)
    assert (paper.tags, paper.priority, paper.status) == ([], 0, "unread")


def test_closing_while_a_change_waits_for_the_lock_asks_before_dropping_it(
    short_busy_timeout, imported, qtbot, dialogs, lib_path, lock_holder
):
    window = imported
    pid = window.table.current_id()
    holder = lock_holder(lib_path)
    try:
        window.edits.set_priority(3, [pid])
        dialogs.question = QMessageBox.StandardButton.Cancel
        window.close()
        assert dialogs.questions and "your last changes wait for it" in dialogs.questions[-1]
        assert window.isVisible() and window.library is not None  # Cancel: the window and the change stay
    finally:
        holder.stdin.close()
        holder.wait(10)
    wait_settled(qtbot, window)
    assert window.library.get(pid).priority == 3
    assert len(dialogs.questions) == 1


def test_delete_pressed_twice_while_another_program_writes_deletes_once(
    short_busy_timeout, imported, qtbot, dialogs, lib_path, lock_holder
):
    """The rows stay until the delete lands; a second Delete on them used to end in "no paper with id N"."""
    window = imported
    library = window.library
    focus_table(qtbot, window)
    pid = window.table.current_id()
    before = library.count()
    dialogs.question = QMessageBox.StandardButton.Yes
    holder = lock_holder(lib_path)
    try:
        window.edits.delete_papers()
        qtbot.wait(300)
        window.edits.delete_papers()  # the same paper, its delete still queued
        assert len(dialogs.questions) == 1  # nothing left to ask about
    finally:
        holder.stdin.close()
        holder.wait(10)
    wait_settled(qtbot, window)
    assert library.count() == before - 1
    assert dialogs.shown == []  # no error
    window.undo_stack.undo()
    wait_settled(qtbot, window)
    assert library.get(pid).id == pid
