"""The app when another program holds the library's write lock: one plain line, nothing written."""

from __future__ import annotations

import pytest

from .conftest import focus_table


@pytest.fixture
def short_busy_timeout(monkeypatch):
    from papershelf.core import db

    # Before the window opens the library: the engine reads it when connecting.
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)


def test_a_change_while_another_program_writes_is_one_line(
    short_busy_timeout, imported, qtbot, dialogs, lib_path, lock_holder
):
    window = imported
    focus_table(qtbot, window)
    pid = window.table.current_id()
    holder = lock_holder(lib_path)
    try:
        window.edits.add_tags(["busy-test"], [pid])
        [(text, _info, _details)] = dialogs.take()
    finally:
        holder.stdin.close()
        holder.wait(10)
    assert text == (
        f"{lib_path}: the library is busy in another program (still locked after 0.3 s); "
        "nothing was written. Try again when that program has finished."
    )
    assert window.library.get(pid).tags == []
