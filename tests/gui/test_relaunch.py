"""Relaunching shows the library as it was left: the sidebar view, the sort, the current paper and the scroll."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView

from papershelf.gui.models.paper_table import Column

from .conftest import wait_search, wait_sidebar


def _settled(qtbot, window) -> None:
    wait_search(qtbot, window)
    wait_sidebar(qtbot, window)
    wait_search(qtbot, window)


def _where(window) -> dict:
    """What the user sees: the view, the sort, the rows, the current paper and where it is on screen."""
    table = window.table
    return {
        "view": window.sidebar_controller.model.key(window.sidebar.selected_index()),
        "sort": (window.table_model.sort_column, window.table_model.descending),
        "rows": list(window.table_model.ids),
        "current": table.current_id(),
        "selected": table.selected_ids(),
        "detail": window.detail.paper_id,
        "rows above it": table.currentIndex().row() - table.rowAt(0),
        "top row": table.rowAt(0),
    }


def _scroll_away(qtbot, window, row: int, rows_above: int) -> None:
    """Select ``row`` and scroll so that it is ``rows_above`` rows below the top of the table."""
    window.table.select_row(row)
    top = window.table_model.index(row - rows_above, 0)
    window.table.scrollTo(top, QAbstractItemView.ScrollHint.PositionAtTop)
    qtbot.waitUntil(lambda: window.table.rowAt(0) == row - rows_above, timeout=3000)


def _relaunch(qtbot, make_window, lib_path: Path, deferred: bool):
    """A new window on the library; ``deferred`` opens it on a worker after the first paint, as the app does."""
    if not deferred:
        window = make_window(lib_path)
    else:
        from papershelf.gui.app import create_window

        window = create_window(lib_path, deferred=True)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.library is not None, timeout=5000)
        qtbot.waitUntil(window.table.isVisible, timeout=5000)  # the sidebar counts are in
    _settled(qtbot, window)
    return window


@pytest.mark.parametrize("deferred", [False, True], ids=["opened", "opened after the first paint"])
def test_relaunch_restores_the_view_the_sort_the_selection_and_the_scroll(
    imported, make_window, qtbot, lib_path, deferred
):
    window = imported
    window.resize(900, 500)  # fewer rows than the listing's 49 fit: the table scrolls
    view = window.sidebar_controller.model.key(window.sidebar.selected_index())
    assert view is not None and view[0] == "date"  # the listing just imported, not the default All Papers
    header = window.table.horizontalHeader()
    header.setSortIndicator(Column.TITLE, Qt.SortOrder.DescendingOrder)
    window.table._header_clicked(Column.TITLE)
    wait_search(qtbot, window)
    _scroll_away(qtbot, window, 30, 4)
    before = _where(window)
    assert before["sort"] == (Column.TITLE, True) and before["rows above it"] == 4 and before["top row"] == 26
    window.close()

    again = _relaunch(qtbot, make_window, lib_path, deferred)
    assert _where(again) == before


def test_a_paper_gone_since_is_replaced_by_the_first_and_another_library_starts_fresh(
    imported, make_window, qtbot, lib_path, tmp_path: Path
):
    window = imported
    _scroll_away(qtbot, window, 20, 2)
    gone = window.table.current_id()
    window.close()
    from papershelf.core.library import Library

    with Library(lib_path) as library:
        library.delete_papers([gone])
    again = make_window(lib_path)
    _settled(qtbot, again)
    assert again.sidebar_controller.kind() == "date"  # the view is still restored
    assert again.table.selected_ids() == [again.table_model.ids[0]] and again.table.rowAt(0) == 0
    again.close()

    # Another library has other papers with the same ids: nothing of the first one is restored there.
    other = make_window(tmp_path / "other" / "library.sqlite3")
    _settled(qtbot, other)
    assert other.sidebar_controller.kind() == "all"


def test_a_reading_list_deleted_since_opens_on_all_papers_without_an_error(
    imported, make_window, qtbot, lib_path, dialogs
):
    """The CLI deleted the list the window was left on: relaunch shows All Papers, not a search error."""
    window = imported
    ids = list(window.table_model.ids[:3])
    window.edits.add_to_list("Gone soon", ids, create=True)
    from .conftest import wait_settled

    wait_settled(qtbot, window)
    _settled(qtbot, window)
    assert window.sidebar_controller.select("list", "Gone soon") is not False
    _settled(qtbot, window)
    assert sorted(window.table_model.ids) == sorted(ids)
    window.close()
    from papershelf.core.library import Library

    with Library(lib_path) as library:
        library.delete_list("Gone soon")
    again = make_window(lib_path)
    _settled(qtbot, again)
    assert again.sidebar_controller.kind() == "all"
    assert len(again.table_model.ids) == 49
    assert "no reading list" not in again.statusBar().currentMessage()
    assert dialogs.shown == []
