"""The writer thread: changes land in order, undo follows its change, and another program's lock freezes nothing."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtGui import QUndoStack

from papershelf.core import operations as ops
from papershelf.core.errors import ConflictError
from papershelf.gui.commands import OperationCommand
from papershelf.gui.operations import OperationRunner

SEP11 = dt.date(2025, 9, 11)


@pytest.fixture
def runner():
    runner = OperationRunner()
    yield runner
    runner.stop()


def _settle(qtbot, runner: OperationRunner, timeout: int = 20_000) -> None:
    """Wait until every change has landed and been reported on this thread (not only written)."""
    qtbot.waitUntil(lambda: not runner.busy and runner.settled, timeout=timeout)


def test_changes_land_in_the_order_they_were_made(qtbot, runner, library, sample_text):
    library.import_file(sample_text, listing_date=SEP11)
    pid = library.search_ids("")[0]
    for status in ("read", "reading", "unread", "read"):
        runner.submit(library, ops.SetStatus((pid,), status))
    _settle(qtbot, runner)
    assert library.get(pid).status == "read"


def test_undo_pressed_before_the_change_was_saved_runs_after_it(qtbot, runner, library, sample_text, lock_holder):
    library.import_file(sample_text, listing_date=SEP11)
    ids = library.search_ids("")[:3]
    stack = QUndoStack()
    holder = lock_holder(library.path)  # nothing can be written yet
    OperationCommand(runner, library, ops.AddTags(tuple(ids), ("later",)), on_error=pytest_fail).push_to(stack)
    stack.undo()
    stack.redo()
    stack.undo()
    assert runner.busy
    holder.stdin.close()
    holder.wait(10)
    _settle(qtbot, runner)
    assert library.search_ids("later") == []
    stack.redo()
    _settle(qtbot, runner)
    assert sorted(library.search_ids("later")) == sorted(ids)


def test_a_refused_change_is_reported_and_leaves_the_undo_stack(qtbot, runner, library, sample_text):
    library.import_file(sample_text, listing_date=SEP11)
    a, b = library.search_ids("")[:2]
    library.set_citation_key(a, "taken2025")
    stack = QUndoStack()
    errors = []
    OperationCommand(runner, library, ops.SetStatus((b,), "read"), on_error=pytest_fail).push_to(stack)
    OperationCommand(
        runner, library, ops.SetCitationKey(b, "taken2025"), on_error=lambda exc, _d: errors.append(exc)
    ).push_to(stack)
    _settle(qtbot, runner)
    qtbot.waitUntil(lambda: stack.count() == 1)
    assert isinstance(errors[0], ConflictError)
    assert stack.undoText() == "Mark 1 paper read"
    stack.undo()
    _settle(qtbot, runner)
    assert library.get(b).status == "unread"


@pytest.mark.sqlite_only("another program holds the SQLite file's write lock")
def test_the_window_keeps_its_event_loop_while_another_program_holds_the_lock(
    qtbot, runner, library, sample_text, lock_holder
):
    """A CLI import holding the write lock used to freeze the window for up to 30 s on every key press."""
    library.import_file(sample_text, listing_date=SEP11)
    pid = library.search_ids("")[0]
    applied = []
    runner.applied.connect(applied.append)
    waiting = []
    runner.waiting.connect(waiting.append)
    holder = lock_holder(library.path)

    ticks: list[int] = []
    clock = QElapsedTimer()
    clock.start()
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(clock.elapsed()))
    timer.start()
    runner.submit(library, ops.SetStatus((pid,), "read"))
    qtbot.wait(2500)
    assert library.get(pid).status == "unread"  # still waiting for the lock, and not lost
    assert waiting == [True]  # the window can say why
    holder.stdin.close()
    holder.wait(10)
    _settle(qtbot, runner)
    timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    # A freeze would be a gap of seconds; the bench measures the real figure.
    assert max(gaps) < 1000
    assert library.get(pid).status == "read"
    assert len(applied) == 1  # applied once, not twice
    # The all-clear is sent just after the change is reported.
    qtbot.waitUntil(lambda: waiting == [True, False], timeout=5000)


def pytest_fail(exc: BaseException, details: str) -> None:
    raise AssertionError(f"unexpected failure: {exc}\n{details}")


def test_closing_waits_for_what_is_queued(qtbot, runner, library, sample_text):
    library.import_file(sample_text, listing_date=SEP11)
    ids = library.search_ids("")
    for pid in ids:
        runner.submit(library, ops.SetPriority((pid,), 2))
    started = time.monotonic()
    assert runner.wait_idle(20)
    assert time.monotonic() - started < 20
    assert {row.priority for row in library.rows(ids).values()} == {2}


def test_a_refusal_that_lands_after_the_undo_stack_was_cleared_is_still_reported(qtbot, runner, library, sample_text):
    library.import_file(sample_text, listing_date=SEP11)
    a, b = library.search_ids("")[:2]
    library.set_citation_key(a, "taken2025")
    stack = QUndoStack()
    errors = []
    OperationCommand(
        runner, library, ops.SetCitationKey(b, "taken2025"), on_error=lambda exc, _d: errors.append(exc)
    ).push_to(stack)
    stack.clear()  # Qt deletes the entry before its refusal arrives
    qtbot.waitUntil(lambda: runner.settled)
    assert isinstance(errors[0], ConflictError)
