"""The window acts on exactly the papers the user sees highlighted, and shows the current one.

Each test moves through the table the way a user does (keys, clicks), then
checks that the highlighted rows, the current row and the detail pane agree,
and that Space, the priority keys 0-3, T and Delete change exactly the
highlighted papers and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from papershelf.core.display import visible

from .conftest import focus_table, wait_search, wait_settled

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
NONE = Qt.KeyboardModifier.NoModifier
K = Qt.Key


def highlighted(window) -> list[int]:
    return sorted(i.row() for i in window.table.selectionModel().selectedRows())


def click(qtbot, window, row: int, modifiers=NONE, button=Qt.MouseButton.LeftButton) -> None:
    table = window.table
    table.scrollTo(window.table_model.index(row, 0))
    rect = table.visualRect(window.table_model.index(row, 0))
    qtbot.mouseClick(table.viewport(), button, modifiers, rect.center())


def key(qtbot, window, which: Qt.Key, modifiers=NONE) -> None:
    qtbot.keyClick(window.table, which, modifiers)


def check_shows_current(window) -> None:
    """The current row is highlighted and is the paper in the detail pane."""
    current = window.table.currentIndex()
    assert current.isValid(), "no current paper"
    assert current.row() in highlighted(window), "the current paper is not highlighted"
    pid = window.table_model.paper_id(current.row())
    assert window.detail.paper_id == pid, "the detail pane shows another paper"
    assert window.detail.title.text() == visible(window.library.get(pid).title)


def check_actions_hit_exactly_the_highlighted(qtbot, window, dialogs, monkeypatch) -> None:
    lib = window.library
    rows = highlighted(window)
    assert rows
    ids = {window.table_model.paper_id(r) for r in rows}
    everyone = set(window.table_model.ids)
    bystander = min(everyone - ids)
    lib.set_priority([bystander], 2)

    key(qtbot, window, K.Key_Space)
    wait_settled(qtbot, window)
    assert set(lib.search_ids("status:read")) == ids
    if len(rows) == 1:  # Space went on to the next paper, as in mail clients: come back to this one
        assert highlighted(window) == [min(rows[0] + 1, len(everyone) - 1)]
        window.table.select_row(rows[0])
    check_shows_current(window)

    for digit in (K.Key_3, K.Key_1):
        key(qtbot, window, digit)
        wait_settled(qtbot, window)
        level = int(chr(digit))
        assert {p.id for p in lib.get_many(list(everyone)) if p.priority == level} == ids
    key(qtbot, window, K.Key_0)
    wait_settled(qtbot, window)
    assert {p.id for p in lib.get_many(list(everyone)) if p.priority} == {bystander}
    check_shows_current(window)

    if len(ids) == 1:
        key(qtbot, window, K.Key_T)
        field = window.detail.tag_editor.input
        assert QApplication.focusWidget() is field
        qtbot.keyClicks(field, "seen")
        qtbot.keyClick(field, K.Key_Return)
        qtbot.keyClick(field, K.Key_Escape)
        assert QApplication.focusWidget() is window.table
    else:
        monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("seen", True)))
        key(qtbot, window, K.Key_T)
    wait_settled(qtbot, window)
    assert set(lib.search_ids("tag:seen")) == ids
    check_shows_current(window)

    dialogs.question = QMessageBox.StandardButton.Yes
    key(qtbot, window, K.Key_Delete)
    wait_settled(qtbot, window)
    wait_search(qtbot, window)
    paper_s = "this paper" if len(ids) == 1 else f"these {len(ids)} papers"
    assert paper_s in dialogs.questions[-1]
    remaining = set(lib.search_ids(""))
    assert not ids & remaining, "a highlighted paper was not deleted"
    assert everyone - ids <= remaining, "a paper that was not highlighted was deleted"


Move = Callable[[object, object], None]


def _seq(*steps: tuple) -> Move:
    """A sequence of ("click", row, modifiers), ("right", row, modifiers) and ("key", Qt.Key, modifiers) steps."""

    def run(qtbot, window) -> None:
        for kind, what, modifiers in steps:
            if kind == "right":
                click(qtbot, window, what, modifiers, Qt.MouseButton.RightButton)
            else:
                (click if kind == "click" else key)(qtbot, window, what, modifiers)

    return run


def _c(row: int, modifiers=NONE) -> tuple:
    return ("click", row, modifiers)


def _k(which: Qt.Key, modifiers=NONE) -> tuple:
    return ("key", which, modifiers)


LAST = 48  # the sample listing has 49 papers

# (what the user does, the rows they then see highlighted)
MOVES = {
    "Up": (_seq(_c(10), _k(K.Key_Up)), [9]),
    "Ctrl+Up": (_seq(_c(10), _k(K.Key_Up, CTRL)), [9]),
    "Down": (_seq(_c(10), _k(K.Key_Down)), [11]),
    "Ctrl+Down": (_seq(_c(10), _k(K.Key_Down, CTRL)), [11]),
    "Home": (_seq(_c(10), _k(K.Key_Home)), [0]),
    "End": (_seq(_c(10), _k(K.Key_End)), [LAST]),
    "Ctrl+Home": (_seq(_c(10), _k(K.Key_Home, CTRL)), [0]),
    "Ctrl+End": (_seq(_c(10), _k(K.Key_End, CTRL)), [LAST]),
    "Ctrl+Shift+End": (_seq(_c(40), _k(K.Key_End, CTRL | SHIFT)), list(range(40, LAST + 1))),
    "J": (_seq(_c(10), _k(K.Key_J)), [11]),
    "K": (_seq(_c(10), _k(K.Key_K)), [9]),
    "J then Shift+Down": (_seq(_c(2), _k(K.Key_J), _k(K.Key_J), _k(K.Key_Down, SHIFT)), [4, 5]),
    "K then Shift+click": (_seq(_c(10), _k(K.Key_K), _c(12, SHIFT)), [9, 10, 11, 12]),
    "click": (_seq(_c(10)), [10]),
    "Shift+click": (_seq(_c(10), _c(13, SHIFT)), [10, 11, 12, 13]),
    "Ctrl+click adds": (_seq(_c(10), _c(13, CTRL)), [10, 13]),
    "Ctrl+click removes the current paper": (_seq(_c(10), _c(13, SHIFT), _c(13, CTRL)), [10, 11, 12]),
    "right-click outside the selection": (_seq(_c(10), _c(11, SHIFT), ("right", 5, NONE)), [5]),
    "right-click inside the selection": (_seq(_c(10), _c(12, SHIFT), ("right", 11, NONE)), [10, 11, 12]),
    "Ctrl+Space removes the current paper": (_seq(_c(10), _k(K.Key_Down, SHIFT), _k(K.Key_Space, CTRL)), [10]),
}


@pytest.mark.parametrize("name", list(MOVES))
def test_actions_apply_to_the_highlighted_papers(name, imported, qtbot, dialogs, monkeypatch):
    window = imported
    focus_table(qtbot, window)
    move, expected = MOVES[name]
    move(qtbot, window)
    assert highlighted(window) == expected
    check_shows_current(window)
    check_actions_hit_exactly_the_highlighted(qtbot, window, dialogs, monkeypatch)


@pytest.mark.parametrize("which", [K.Key_PageDown, K.Key_PageUp], ids=["PageDown", "PageUp"])
@pytest.mark.parametrize("modifiers", [NONE, CTRL], ids=["plain", "ctrl"])
def test_page_keys_select_the_row_they_move_to(which, modifiers, imported, qtbot, dialogs, monkeypatch):
    window = imported
    focus_table(qtbot, window)
    start = 24
    click(qtbot, window, start)
    key(qtbot, window, which, modifiers)
    [row] = highlighted(window)
    assert (row > start) if which == K.Key_PageDown else (row < start)
    check_shows_current(window)
    check_actions_hit_exactly_the_highlighted(qtbot, window, dialogs, monkeypatch)


def test_a_click_below_the_last_row_keeps_the_selection(imported, qtbot, dialogs, monkeypatch):
    window = imported
    window.library.add_tags(window.table_model.ids[:3], ["few"])
    window.search_field.setText("tag:few")
    window.search_field.flush()
    wait_search(qtbot, window)
    assert window.table_model.rowCount() == 3
    focus_table(qtbot, window)
    click(qtbot, window, 1)
    below = window.table.visualRect(window.table_model.index(2, 0)).bottomLeft() + QPoint(10, 20)
    assert not window.table.indexAt(below).isValid()
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, NONE, below)
    assert highlighted(window) == [1]
    check_shows_current(window)
    check_actions_hit_exactly_the_highlighted(qtbot, window, dialogs, monkeypatch)


def test_deselecting_the_last_paper_leaves_nothing_to_act_on(imported, qtbot):
    window = imported
    focus_table(qtbot, window)
    click(qtbot, window, 5)
    click(qtbot, window, 5, CTRL)
    assert highlighted(window) == []
    assert not window.table.currentIndex().isValid()
    assert window.detail.paper_id is None
    key(qtbot, window, K.Key_Space)
    key(qtbot, window, K.Key_3)
    wait_settled(qtbot, window)
    assert window.library.count("status:read") == 0
    assert all(p.priority == 0 for p in window.library.get_many(window.table_model.ids))
    assert not window.acts.read_next_action.isEnabled()
    key(qtbot, window, K.Key_Down)  # the keyboard picks up again at the top
    assert highlighted(window) == [0]
    check_shows_current(window)
