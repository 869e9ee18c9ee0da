"""A morning's triage by keyboard: Space, T then Enter, favourite tags, and the keys each one costs.

Keys go to the widget that has the keyboard (the focus, or an open completion
popup), as a user's would; typed text is not counted as keys.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QInputDialog

from .conftest import focus_table, wait_search, wait_settled, wait_sidebar

K = Qt.Key
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
NATIVE = QKeySequence.SequenceFormat.NativeText


class Keyboard:
    """Presses keys where the keyboard is, and counts them."""

    def __init__(self, qtbot):
        self.qtbot = qtbot
        self.count = 0

    @staticmethod
    def target():
        widget = QApplication.activePopupWidget() or QApplication.focusWidget()
        assert widget is not None, "no widget has the keyboard"
        return widget

    def press(self, key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        self.qtbot.keyClick(self.target(), key, modifiers)
        self.count += 1

    def type(self, text: str) -> None:
        self.qtbot.keyClicks(self.target(), text)


def shortcuts_shown(window) -> dict[str, str]:
    window.acts.shortcuts_action.trigger()
    table = window.acts.shortcuts_dialog.table
    shown = {table.item(r, 1).text(): table.item(r, 2).text() for r in range(table.rowCount())}
    window.acts.shortcuts_dialog.close()
    return shown


def test_a_morning_of_triage_takes_at_most_two_keys_per_paper(imported, qtbot):
    window = imported
    library = window.library
    ids = list(window.table_model.ids)  # the listing, in its page order
    assert len(ids) == 49
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.table)
    keys = Keyboard(qtbot)
    assert window.table.selected_ids() == [ids[0]]
    # Paper 1: the tag is new, so it is typed once.
    keys.press(K.Key_T)
    keys.type("to-read")
    keys.press(K.Key_Return)
    keys.press(K.Key_J)
    tagged = {ids[0]}
    for n, pid in enumerate(ids[1:], start=1):
        assert window.table.selected_ids() == [pid] and window.detail.paper_id == pid
        if n % 3 == 0:  # a third are kept with the tag used before: T, Enter, J
            keys.press(K.Key_T)
            keys.press(K.Key_Return)
            keys.press(K.Key_J)
            tagged.add(pid)
        else:  # the rest are read: Space
            keys.press(K.Key_Space)
    # The keys never waited for the library; what they asked for lands in order.
    wait_settled(qtbot, window)
    assert sorted(library.search_ids("tag:to-read")) == sorted(tagged)
    assert set(library.search_ids("status:read")) == set(ids) - tagged
    assert library.count("status:unread") == len(tagged)
    assert all(library.get(pid).tags == ["to-read"] for pid in tagged)
    assert keys.count / len(ids) <= 2, f"{keys.count} keys for {len(ids)} papers"
    # Each of these keys is one step of Undo: the last tag, then the last Space.
    assert QApplication.focusWidget() is window.table
    keys.press(K.Key_Z, CTRL)
    wait_settled(qtbot, window)
    assert library.get(ids[-1]).tags == []
    keys.press(K.Key_Z, CTRL)
    wait_settled(qtbot, window)
    assert library.get(ids[-2]).status == "unread"
    assert library.get(ids[-3]).status == "read"


@pytest.mark.parametrize("deferred", [False, True], ids=["opened", "opened after the first paint"])
def test_on_launch_the_first_paper_is_selected_so_j_goes_to_the_second(qtbot, lib_path, sample, deferred):
    from papershelf.core.library import Library
    from papershelf.gui.app import create_window

    with Library(lib_path) as lib:
        lib.import_file(sample)
    window = create_window(lib_path, deferred=deferred)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # shortcuts reach only the active window
    qtbot.waitUntil(lambda: window.library is not None and window.table_model.rowCount() == 49, timeout=5000)
    wait_search(qtbot, window)
    qtbot.waitUntil(window.table.isVisible)  # "Opening the library…" gives way once the sidebar is in
    first, second = window.table_model.ids[:2]
    assert window.table.selected_ids() == [first]
    assert window.detail.paper_id == first
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.table)
    qtbot.keyClick(window.table, K.Key_Space)
    assert window.table.selected_ids() == [second]
    wait_settled(qtbot, window)
    assert window.library.get(first).status == "read"
    assert window.table.selected_ids() == [second]
    qtbot.keyClick(window.table, K.Key_J)
    assert window.table.currentIndex().row() == 2


def test_after_an_import_the_first_paper_of_the_listing_is_selected(imported, qtbot):
    window = imported
    assert window.table.selected_ids() == [window.table_model.ids[0]]
    assert window.detail.paper_id == window.table_model.ids[0]


def test_a_listing_is_shown_in_its_page_order_and_all_papers_newest_first(imported, qtbot, make_window, lib_path):
    from papershelf.gui.models.paper_table import Column

    window = imported
    listing = window.sidebar_model.key(window.sidebar.currentIndex())
    assert listing[0] == "date"
    shown = window.table_model.ids
    positions = [min(s.position for s in window.library.get(pid).sightings) for pid in shown]
    assert positions == sorted(positions) and len(set(positions)) == 49
    header = window.table.horizontalHeader()
    assert header.sortIndicatorSection() == Column.ADDED_AT
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    window.sidebar.setCurrentIndex(window.sidebar_model.find("all", "all"))
    wait_search(qtbot, window)
    assert window.table_model.ids == sorted(shown, reverse=True)
    # A sort the user chooses holds in every view.
    header.setSortIndicator(Column.TITLE, Qt.SortOrder.AscendingOrder)
    window.table._header_clicked(Column.TITLE)
    wait_search(qtbot, window)
    window.sidebar.setCurrentIndex(window.sidebar_model.find(*listing))
    wait_search(qtbot, window)
    assert window.table_model.rowCount() == 49 and window.paper_view.current_query().startswith("date:")
    titles = [window.table_model.index(r, Column.TITLE).data() for r in range(window.table_model.rowCount())]
    assert titles == sorted(titles, key=str.casefold)
    # View ▸ Default Order goes back to the page order, for good.
    window.acts.default_order_action.trigger()
    wait_search(qtbot, window)
    assert window.table_model.ids == shown
    window.close()
    again = make_window(lib_path)
    assert again.table_model.ids == shown  # the listing again, in page order: the default is not saved as a sort
    again.sidebar.setCurrentIndex(again.sidebar_model.find("all", "all"))
    wait_search(qtbot, again)
    assert again.table_model.ids == sorted(shown, reverse=True)  # All papers: newest first


def test_t_offers_the_last_tags_selected_and_enter_hands_back_to_the_table(imported, qtbot, make_window, lib_path):
    window = imported
    first, second = window.table_model.ids[:2]
    field = window.detail.tag_editor.input
    focus_table(qtbot, window)
    keys = Keyboard(qtbot)
    keys.press(K.Key_T)
    assert QApplication.focusWidget() is field and field.text() == ""
    keys.type("rl, reasoning")
    keys.press(K.Key_Return)
    wait_settled(qtbot, window)
    assert sorted(window.library.get(first).tags) == ["reasoning", "rl"]
    assert QApplication.focusWidget() is window.table
    assert window.table.selected_ids() == [first]  # Enter leaves the selection where it is
    keys.press(K.Key_J)
    keys.press(K.Key_T)
    assert field.text() == "rl, reasoning" and field.selectedText() == "rl, reasoning"
    keys.type("agents")  # typing replaces the suggestion
    keys.press(K.Key_Return)
    wait_settled(qtbot, window)
    assert window.library.get(second).tags == ["agents"]
    keys.press(K.Key_Z, CTRL)
    wait_settled(qtbot, window)
    assert window.library.get(second).tags == []
    # Escape adds nothing and goes back too.
    keys.press(K.Key_T)
    assert field.text() == "agents"
    keys.press(K.Key_Escape)
    assert QApplication.focusWidget() is window.table
    wait_settled(qtbot, window)
    assert window.library.get(second).tags == []
    # The suggestion outlives the window.
    window.close()
    again = make_window(lib_path)
    wait_search(qtbot, again)
    focus_table(qtbot, again)
    qtbot.keyClick(again.table, K.Key_T)
    assert again.detail.tag_editor.input.selectedText() == "agents"


def test_enter_takes_the_highlighted_completion_of_the_tag_being_typed(imported, qtbot):
    window = imported
    first = window.table_model.ids[0]
    window.library.add_tags([window.table_model.ids[5]], ["to-read", "rl"])
    window.refresh_all()
    wait_sidebar(qtbot, window)
    field = window.detail.tag_editor.input
    focus_table(qtbot, window)
    keys = Keyboard(qtbot)
    keys.press(K.Key_T)
    keys.type("rl, to-r")
    popup = field.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    keys.press(K.Key_Down)
    assert field.text() == "rl, to-read"
    keys.press(K.Key_Return)
    wait_settled(qtbot, window)
    assert sorted(window.library.get(first).tags) == ["rl", "to-read"]
    assert not popup.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.table)


def test_alt_digits_apply_favourite_tags_and_the_digits_still_set_priority(
    imported, qtbot, monkeypatch, make_window, lib_path
):
    window = imported
    first, second = window.table_model.ids[:2]
    asked = {}

    def answer(*args, **kwargs):
        asked["text"] = kwargs.get("text")
        return "to-read, R&D", True

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(answer))
    window.acts.assign_favourites_action.trigger()
    assert asked["text"] == ""
    focus_table(qtbot, window)
    keys = Keyboard(qtbot)
    keys.press(K.Key_1, ALT)
    wait_settled(qtbot, window)
    assert window.library.get(first).tags == ["to-read"]
    assert window.table.selected_ids() == [first]
    keys.press(K.Key_2, ALT)
    wait_settled(qtbot, window)
    assert sorted(window.library.get(first).tags) == ["R&D", "to-read"]
    keys.press(K.Key_1, ALT)  # again: the paper has it, so it comes off
    wait_settled(qtbot, window)
    assert window.library.get(first).tags == ["R&D"]
    keys.press(K.Key_Z, CTRL)
    wait_settled(qtbot, window)
    assert sorted(window.library.get(first).tags) == ["R&D", "to-read"]
    keys.press(K.Key_3)
    wait_settled(qtbot, window)
    assert window.library.get(first).priority == 3
    keys.press(K.Key_3, ALT)  # no tag assigned: says how, changes nothing
    wait_settled(qtbot, window)
    assert "Alt+3" in window.statusBar().currentMessage()
    assert sorted(window.library.get(first).tags) == ["R&D", "to-read"]
    keys.press(K.Key_J)
    keys.press(K.Key_2, ALT)
    wait_settled(qtbot, window)
    assert window.library.get(second).tags == ["R&D"]
    # The shortcuts dialog and the menu name each key's tag.
    shown = shortcuts_shown(window)
    assert shown["Tag “to-read”"] == QKeySequence("Alt+1").toString(NATIVE)
    assert shown["Tag “R&D”"] == QKeySequence("Alt+2").toString(NATIVE)
    assert not any(QKeySequence("Alt+3").toString(NATIVE) == key for key in shown.values())
    menu_texts = [a.text() for a in window.acts.favourites_menu.actions()]
    assert "Tag “to-read”" in menu_texts and "Tag “R&&D”" in menu_texts
    # Kept for the next launch, and offered for editing.
    window.close()
    again = make_window(lib_path)
    again.acts.assign_favourites_action.trigger()
    assert asked["text"] == "to-read, R&D"


def test_the_shortcuts_dialog_shows_one_readable_key_per_action(imported, qtbot):
    window = imported
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, K.Key_Space)  # something to undo: the menu says "Undo Mark 1 paper read"
    shown = shortcuts_shown(window)
    undo = window.acts.undo_action.shortcuts()
    assert shown["Undo"] == undo[0].toString(NATIVE)
    assert shown["Mark as Unread"] == "U"
    assert shown["Mark Read and Next"] == "Space"
    for text, key in shown.items():
        assert QKeySequence.fromString(key, NATIVE).count() == 1 and key, f"{text}: {key!r}"


def test_tabbing_into_the_table_after_a_search_selects_the_paper_it_shows(imported, qtbot):
    window = imported
    window.search_field.setFocus()
    qtbot.keyClicks(window.search_field, "shapley")
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 1, timeout=3000)
    wait_search(qtbot, window)
    assert window.table.selected_ids() == []  # the paper that was current is not in the results
    window.table.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(window.table.hasFocus)
    found = window.table_model.ids[0]
    assert window.table.selected_ids() == [found] and window.detail.paper_id == found
    qtbot.keyClick(window.table, K.Key_Space)
    wait_settled(qtbot, window)
    assert window.library.get(found).status == "read"
