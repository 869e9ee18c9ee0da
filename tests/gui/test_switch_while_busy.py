"""Opening another library or restoring a backup while a change waits for another program's lock (issue 11).

The window used to wait for the change on the GUI thread (frozen, up to a
minute), then closed the library anyway, and the change later landed in the
library it had closed. Now it waits briefly, then asks: Cancel keeps the
library and the change (it lands when the lock frees); going ahead drops the
change, which never reaches the old file, and the writer thread goes on
serving the next library.

No short busy timeout here: SQLite's own 30 s wait must not hold anything up.
"""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from papershelf.gui.dialogs.restore import RestoreDialog

from .conftest import focus_table, wait_settled

WAITS = "your last changes wait for it"
#: The lock holder lets go this long after the test starts switching: well after the question is due.
RELEASE_S = 7.0
#: The question comes after the short wait (3 s), not after the lock frees.
ASKED_WITHIN_S = 5.0


@pytest.fixture
def hold_lock(lib_path, lock_holder) -> Iterator[Callable[[], None]]:
    """``hold_lock()``: another program takes the library's write lock now and lets go RELEASE_S later."""
    started: list[tuple[subprocess.Popen, threading.Timer]] = []

    def hold() -> None:
        holder = lock_holder(lib_path)
        timer = threading.Timer(RELEASE_S, holder.stdin.close)
        timer.start()
        started.append((holder, timer))

    yield hold
    for holder, timer in started:
        timer.join()  # a test that failed early still lets go on time
        holder.wait(10)


def wait_released(held_path: Path) -> None:
    """Block until the other program has let go of the write lock (the change, if still queued, can land now)."""
    conn = sqlite3.connect(held_path, timeout=RELEASE_S + 10, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def priority_in_file(path: Path, pid: int) -> int:
    """The paper's priority as stored in the file, read with SQLite alone."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT priority FROM paper WHERE id = ?", (pid,)).fetchone()[0]
    finally:
        conn.close()


def queue_a_change(qtbot, window) -> int:
    """Set the current paper's priority to 3 (it cannot land while the lock is held); its id."""
    focus_table(qtbot, window)
    pid = window.table.current_id()
    assert window.library.get(pid).priority == 0
    window.edits.set_priority(3, [pid])
    assert window.runner.busy
    return pid


def test_opening_another_library_asks_and_cancel_keeps_the_library_and_the_change(
    imported, qtbot, dialogs, lib_path, hold_lock, tmp_path
):
    window = imported
    library = window.library
    hold_lock()
    pid = queue_a_change(qtbot, window)
    other = tmp_path / "other" / "other.sqlite3"
    dialogs.question = QMessageBox.StandardButton.Cancel
    start = time.monotonic()
    assert window.open_library(other) is False
    assert time.monotonic() - start < ASKED_WITHIN_S
    assert len(dialogs.questions) == 1 and WAITS in dialogs.questions[0]
    assert window.library is library and window.library_path == lib_path
    assert not other.exists()
    # The change still waits, and lands once the other program is done.
    assert window.runner.busy
    wait_settled(qtbot, window)
    assert library.get(pid).priority == 3
    assert priority_in_file(lib_path, pid) == 3


def test_opening_another_library_anyway_drops_the_change_and_it_never_lands(
    imported, qtbot, dialogs, lib_path, hold_lock, tmp_path
):
    window = imported
    hold_lock()
    pid = queue_a_change(qtbot, window)
    other = tmp_path / "other" / "other.sqlite3"
    dialogs.question = QMessageBox.StandardButton.Open
    start = time.monotonic()
    assert window.open_library(other) is True
    assert time.monotonic() - start < ASKED_WITHIN_S
    assert len(dialogs.questions) == 1 and WAITS in dialogs.questions[0]
    assert window.library_path == other and window.library.count() == 0
    assert window.undo_stack.count() == 0
    wait_settled(qtbot, window)

    wait_released(lib_path)
    qtbot.wait(500)  # a dropped change still retrying would land now
    assert priority_in_file(lib_path, pid) == 0

    # The writer thread is still there: back in the first library, a change lands.
    assert window.open_library(lib_path) is True
    assert window.library.get(pid).priority == 0
    window.edits.set_priority(1, [pid])
    wait_settled(qtbot, window)
    assert priority_in_file(lib_path, pid) == 1
    assert len(dialogs.questions) == 1


def _back_up(qtbot, window) -> None:
    window.acts.backup_action.trigger()
    qtbot.waitUntil(lambda: "Backed up to" in window.statusBar().currentMessage(), timeout=10000)


def _pick_newest_backup(monkeypatch) -> None:
    def pick_first(dialog: RestoreDialog):
        dialog.accept()  # the newest backup is preselected
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(RestoreDialog, "exec", pick_first)


def test_restoring_asks_and_cancel_restores_nothing_and_keeps_the_change(
    imported, qtbot, dialogs, lib_path, hold_lock, monkeypatch
):
    window = imported
    library = window.library
    _back_up(qtbot, window)
    hold_lock()
    pid = queue_a_change(qtbot, window)
    _pick_newest_backup(monkeypatch)
    dialogs.question = QMessageBox.StandardButton.Cancel
    start = time.monotonic()
    window.acts.restore_action.trigger()
    assert time.monotonic() - start < ASKED_WITHIN_S
    assert len(dialogs.questions) == 1 and WAITS in dialogs.questions[0]
    assert window.library is library and "Restor" not in window.statusBar().currentMessage()
    wait_settled(qtbot, window)
    assert library.get(pid).priority == 3
    assert priority_in_file(lib_path, pid) == 3


def test_restoring_anyway_drops_the_change_and_it_never_lands(
    imported, qtbot, dialogs, lib_path, hold_lock, monkeypatch
):
    window = imported
    _back_up(qtbot, window)  # before the change: the backup holds priority 0
    hold_lock()
    pid = queue_a_change(qtbot, window)
    _pick_newest_backup(monkeypatch)
    dialogs.question = QMessageBox.StandardButton.Yes
    start = time.monotonic()
    window.acts.restore_action.trigger()
    assert time.monotonic() - start < ASKED_WITHIN_S
    assert len(dialogs.questions) == 1 and WAITS in dialogs.questions[0]
    # The restore itself waits on a worker for the other program, then the library reopens.
    qtbot.waitUntil(lambda: "Restored from" in window.statusBar().currentMessage(), timeout=30000)
    wait_settled(qtbot, window)
    qtbot.wait(500)  # a dropped change still retrying would land now
    assert window.library.get(pid).priority == 0
    assert priority_in_file(lib_path, pid) == 0
    window.edits.set_priority(2, [pid])
    wait_settled(qtbot, window)
    assert priority_in_file(lib_path, pid) == 2


def test_a_delete_given_up_with_the_old_library_does_not_block_deleting_later(
    imported, qtbot, dialogs, lib_path, hold_lock, tmp_path
):
    """Delete skips papers whose delete is still queued; one given up is not queued any more."""
    window = imported
    focus_table(qtbot, window)
    pid = window.table.current_id()
    before = window.library.count()
    hold_lock()
    dialogs.question = QMessageBox.StandardButton.Yes
    window.edits.delete_papers()
    dialogs.question = QMessageBox.StandardButton.Open
    assert window.open_library(tmp_path / "other" / "other.sqlite3") is True
    wait_released(lib_path)

    assert window.open_library(lib_path) is True
    assert window.library.count() == before  # the delete never landed
    focus_table(qtbot, window)
    window.table.select_row(window.table_model.ids.index(pid))
    assert window.table.selected_ids() == [pid]
    dialogs.question = QMessageBox.StandardButton.Yes
    window.edits.delete_papers()
    wait_settled(qtbot, window)
    assert len(dialogs.questions) == 3  # delete, open anyway, delete again
    assert window.library.count() == before - 1


def test_closing_anyway_with_several_changes_waiting_closes_at_once_and_none_lands(
    imported, qtbot, dialogs, lib_path, hold_lock
):
    """It used to stop the writer thread, then wait the full minute for the changes left in its queue."""
    window = imported
    hold_lock()
    pid = queue_a_change(qtbot, window)
    window.edits.set_status("reading", [pid])
    dialogs.question = QMessageBox.StandardButton.Close
    start = time.monotonic()
    window.close()
    assert time.monotonic() - start < ASKED_WITHIN_S
    assert len(dialogs.questions) == 1 and WAITS in dialogs.questions[0]
    assert window.library is None
    wait_released(lib_path)
    qtbot.wait(500)  # a change given up and still retrying would land now
    assert priority_in_file(lib_path, pid) == 0
