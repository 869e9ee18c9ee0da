"""Select All then Space on a big library never asks the model about each row on the GUI thread.

At 100,000 papers, anything per row in Python (``flags()`` for every selected
cell, a database read of every selected paper) froze the window for seconds.
These tests count those calls on ~20,000 papers: they must not grow with the
number of papers.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from papershelf.core.library import Library
from papershelf.gui.models.paper_table import PaperTableModel

from .conftest import focus_table, wait_search, wait_settled

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.generate import write_json

PAPERS = 20_000
#: A tenth of the papers: repaints ask flags() of the visible cells (a few hundred each time), while
#: any per-row work shows up as 20,000 calls or more (Select All alone made 136,000 before the fix).
MAX_CALLS = PAPERS // 10


@pytest.fixture(scope="module")
def big_library(tmp_path_factory) -> tuple[Path, int]:
    """A library of ~20,000 generated papers (a few are duplicates), imported once for the module."""
    folder = tmp_path_factory.mktemp("big")
    listing = write_json(folder / "listing.json", PAPERS)
    path = folder / "big.sqlite3"
    with Library(path) as lib:
        lib.import_file(listing)
        count = len(lib.search_ids(""))
    assert count > PAPERS * 0.9
    return path, count


@pytest.fixture
def big_window(make_window, big_library, tmp_path, qtbot, per_row_calls):
    copy = tmp_path / "copy" / "big.sqlite3"
    copy.parent.mkdir()
    path, count = big_library
    shutil.copyfile(path, copy)
    window = make_window(copy)
    qtbot.waitUntil(lambda: window.table_model.rowCount() == count, timeout=30_000)
    wait_search(qtbot, window)
    wait_settled(qtbot, window)
    focus_table(qtbot, window)
    qtbot.wait(200)
    per_row_calls.update(flags=0, rows=0)  # count what the user's action does, not the opening
    return window


@pytest.fixture
def per_row_calls(monkeypatch) -> dict[str, int]:
    """Count calls of PaperTableModel.flags and Library.rows (patched before any model exists: PySide6
    looks up a Python override of a virtual function once per object)."""
    counts = {"flags": 0, "rows": 0}
    flags, rows = PaperTableModel.flags, Library.rows

    def counted_flags(self, index):
        counts["flags"] += 1
        return flags(self, index)

    def counted_rows(self, ids):
        counts["rows"] += 1
        return rows(self, ids)

    monkeypatch.setattr(PaperTableModel, "flags", counted_flags)
    monkeypatch.setattr(Library, "rows", counted_rows)
    return counts


def test_select_all_then_space_marks_all_read_without_per_row_calls(qtbot, big_window, per_row_calls):
    window = big_window
    window.acts.select_all_action.trigger()
    qtbot.wait(200)  # the table and its header repaint with everything selected
    assert window.table.has_selection()
    after_select = dict(per_row_calls)
    assert after_select["flags"] < MAX_CALLS, f"Select All: {after_select}"

    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    wait_settled(qtbot, window, timeout=60_000)
    qtbot.wait(200)
    assert per_row_calls["flags"] < MAX_CALLS, f"Select All + Space: {per_row_calls}"
    assert per_row_calls["rows"] < MAX_CALLS, f"Select All + Space: {per_row_calls}"
    unread = window.library.search_ids("status:unread")
    assert unread == []


def test_selected_ids_are_all_papers_in_table_order(qtbot, big_window, per_row_calls):
    window = big_window
    window.acts.select_all_action.trigger()
    ids = window.table.selected_ids()
    assert ids == window.table_model.ids
    assert per_row_calls["flags"] < MAX_CALLS
