"""Keyboard triage after an import: move, mark read, prioritise, tag, list, note, undo."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from .conftest import focus_table, wait_search, wait_settled, wait_sidebar


def test_after_import_the_listing_is_shown_and_ready(imported, qtbot):
    window = imported
    kind, value = window.sidebar_model.key(window.sidebar.currentIndex())
    assert kind == "date"
    assert window.paper_view.current_query() == f"date:{value}"
    assert window.table.currentIndex().row() == 0
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.table)
    assert window.detail.paper_id == window.table_model.ids[0]
    assert window.hit_count.text().startswith("49 papers")


def test_j_k_and_arrows_move(imported, qtbot):
    window = imported
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_J)
    qtbot.keyClick(window.table, Qt.Key.Key_J)
    assert window.table.currentIndex().row() == 2
    qtbot.keyClick(window.table, Qt.Key.Key_K)
    assert window.table.currentIndex().row() == 1
    qtbot.keyClick(window.table, Qt.Key.Key_Down)
    assert window.table.currentIndex().row() == 2
    assert window.detail.paper_id == window.table_model.ids[2]


def test_space_marks_read_and_moves_on_shift_space_and_u_mark_unread_and_stay(imported, qtbot):
    window = imported
    focus_table(qtbot, window)
    first, second = window.table_model.ids[:2]
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    # On to the next paper at once, while the change is saved.
    assert window.table.selected_ids() == [second]
    wait_settled(qtbot, window)
    assert window.library.get(first).status == "read"
    assert window.library.get(first).read_at is not None
    assert window.table_model.index(0, 2).data() == "Read"
    # On to the next paper, as in a mail client; it is the one shown.
    assert window.table.selected_ids() == [second] and window.detail.paper_id == second
    assert window.library.get(second).status == "unread"
    qtbot.keyClick(window.table, Qt.Key.Key_K)
    qtbot.keyClick(window.table, Qt.Key.Key_Space, Qt.KeyboardModifier.ShiftModifier)
    wait_settled(qtbot, window)
    assert window.library.get(first).status == "unread" and window.library.get(first).read_at is None
    assert window.table.selected_ids() == [first]  # Shift+Space stays
    assert window.detail.status_buttons.status() == "unread"
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    qtbot.keyClick(window.table, Qt.Key.Key_K)
    qtbot.keyClick(window.table, Qt.Key.Key_U)
    wait_settled(qtbot, window)
    assert window.library.get(first).status == "unread"
    assert window.table.selected_ids() == [first]  # U stays too
    # Each key is one step of Undo.
    qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_settled(qtbot, window)
    assert window.library.get(first).status == "read"
    qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_settled(qtbot, window)
    assert window.library.get(first).status == "unread"
    qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_settled(qtbot, window)
    assert window.library.get(first).status == "read"
    wait_sidebar(qtbot, window)
    read = window.sidebar_model.find("status", "read")
    assert read.siblingAtColumn(1).data() == "1"


def test_space_on_a_read_paper_moves_on_without_an_empty_undo_step(imported, qtbot):
    window = imported
    first = window.table_model.ids[0]
    window.library.set_status([first], "read")
    window.refresh_all()
    wait_search(qtbot, window)
    focus_table(qtbot, window)
    depth = window.undo_stack.count()
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    wait_settled(qtbot, window)
    assert window.library.get(first).status == "read"
    assert window.table.currentIndex().row() == 1
    assert window.undo_stack.count() == depth


def test_space_on_the_last_paper_marks_it_and_stays(imported, qtbot):
    window = imported
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_End)
    last = window.table.current_id()
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    wait_settled(qtbot, window)
    assert window.library.get(last).status == "read"
    assert window.table.selected_ids() == [last] and window.detail.paper_id == last


def test_number_keys_set_priority(imported, qtbot):
    window = imported
    focus_table(qtbot, window)
    pid = window.table.current_id()
    qtbot.keyClick(window.table, Qt.Key.Key_3)
    wait_settled(qtbot, window)
    assert window.library.get(pid).priority == 3
    assert window.detail.priority.currentIndex() == 3
    qtbot.keyClick(window.table, Qt.Key.Key_1)
    wait_settled(qtbot, window)
    assert window.library.get(pid).priority == 1
    qtbot.keyClick(window.table, Qt.Key.Key_0)
    wait_settled(qtbot, window)
    assert window.library.get(pid).priority == 0
    window.undo_stack.undo()
    wait_settled(qtbot, window)
    assert window.library.get(pid).priority == 1
    assert window.detail.priority.currentIndex() == 1


def test_t_focuses_the_tag_editor_and_enter_adds_tags(imported, qtbot):
    window = imported
    focus_table(qtbot, window)
    pid = window.table.current_id()
    qtbot.keyClick(window.table, Qt.Key.Key_T)
    field = window.detail.tag_editor.input
    assert QApplication.focusWidget() is field
    qtbot.keyClicks(field, "rl, reasoning")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    wait_settled(qtbot, window)
    assert sorted(window.library.get(pid).tags) == ["reasoning", "rl"]
    assert window.detail.tag_editor.tags == ["reasoning", "rl"]
    assert field.text() == ""
    assert QApplication.focusWidget() is window.table  # Enter hands the keyboard back
    wait_sidebar(qtbot, window)
    assert window.sidebar_model.find("tag", "rl").isValid()
    assert window.table_model.index(0, 4).data() in ("reasoning, rl", "rl, reasoning")
    # Escape goes back to the table too; the completer now knows the tags.
    qtbot.keyClick(window.table, Qt.Key.Key_T)
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is window.table
    assert "rl" in window.detail.tag_editor._names.stringList()
    # Undo takes both tags away; the chip of a tag removes it.
    window.acts.undo_action.trigger()
    wait_settled(qtbot, window)
    assert window.library.get(pid).tags == []
    assert window.detail.tag_editor.tags == []
    window.acts.redo_action.trigger()
    wait_settled(qtbot, window)
    chip = [c for c in window.detail.tag_editor.findChildren(type(window.new_list_button), "tagChip") if c.isVisible()]
    assert len(chip) == 2
    qtbot.mouseClick(chip[0], Qt.MouseButton.LeftButton)
    wait_settled(qtbot, window)
    assert len(window.library.get(pid).tags) == 1


def test_l_adds_to_a_new_list_and_undo_removes_it(imported, qtbot):
    window = imported
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_J)
    pid = window.table.current_id()
    qtbot.keyClick(window.table, Qt.Key.Key_L)
    chooser = window.edits.list_chooser
    qtbot.waitUntil(chooser.isActiveWindow)
    qtbot.keyClicks(chooser.input, "To read")
    qtbot.keyClick(chooser.input, Qt.Key.Key_Return)
    wait_settled(qtbot, window)
    assert window.library.list_paper_ids("To read") == [pid]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.table)
    wait_sidebar(qtbot, window)
    item = window.sidebar_model.find("list", "To read")
    assert item.siblingAtColumn(1).data() == "1"
    assert "To read" in window.detail.lists.text()
    # The chooser now offers the existing list first.
    qtbot.keyClick(window.table, Qt.Key.Key_J)
    second = window.table.current_id()
    qtbot.keyClick(window.table, Qt.Key.Key_L)
    chooser = window.edits.list_chooser
    qtbot.waitUntil(chooser.isActiveWindow)
    qtbot.keyClicks(chooser.input, "to r")
    qtbot.keyClick(chooser.input, Qt.Key.Key_Return)
    wait_settled(qtbot, window)
    assert window.library.list_paper_ids("To read") == [pid, second]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.table)
    qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_settled(qtbot, window)
    assert window.library.list_paper_ids("To read") == [pid]
    qtbot.keyClick(window.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_settled(qtbot, window)
    assert window.library.lists() == []


def test_n_adds_a_note_and_focuses_it(imported, qtbot):
    window = imported
    focus_table(qtbot, window)
    pid = window.table.current_id()
    qtbot.keyClick(window.table, Qt.Key.Key_N)
    editor = window.detail.notes.editors[-1]
    assert QApplication.focusWidget() is editor
    qtbot.keyClicks(editor, "Read the *method* section.")
    qtbot.waitUntil(
        lambda: [n.text for n in window.library.get(pid).notes] == ["Read the *method* section."], timeout=3000
    )


def test_enter_opens_the_paper_page(make_window, qtbot, sample_json_file, monkeypatch):
    from .conftest import import_through_preview

    window = make_window()
    import_through_preview(qtbot, window, sample_json_file)
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toString()) or True))
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    paper = window.library.get(window.table.current_id())
    assert opened == [paper.link]
    assert opened[0].startswith("https://")


def test_ctrl_f_focuses_search_and_typing_searches(imported, qtbot):
    window = imported
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.search_field
    qtbot.keyClicks(window.search_field, "shapley")
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 1, timeout=3000)
    assert "Shapley" in window.table_model.index(0, 0).data()
    assert window.hit_count.text() == "1 paper of 49"
    # The abstract highlights the search words, not with HTML.
    window.table.select_row(0)
    assert window.detail.abstract.highlighted
    assert all(h.lower().startswith("shapley") for h in window.detail.abstract.highlighted)
    # Down goes back to the table for triage.
    qtbot.keyClick(window.search_field, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is window.table


def test_a_bad_query_shows_its_message_in_the_status_bar(imported, qtbot):
    window = imported
    window.search_field.setFocus()
    qtbot.keyClicks(window.search_field, "status:done")
    qtbot.waitUntil(lambda: "status:done" in window.statusBar().currentMessage(), timeout=3000)
    assert window.table_model.rowCount() == 49  # the last good results stay
    qtbot.keyClick(window.search_field, Qt.Key.Key_Backspace)
    qtbot.keyClick(window.search_field, Qt.Key.Key_Backspace)
    qtbot.keyClick(window.search_field, Qt.Key.Key_Backspace)
    qtbot.keyClick(window.search_field, Qt.Key.Key_Backspace)
    qtbot.keyClicks(window.search_field, "unread")
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "", timeout=3000)
    wait_search(qtbot, window)


def test_bulk_actions_on_a_multi_selection(imported, qtbot, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    window = imported
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(window.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    ids = window.table.selected_ids()
    assert len(ids) == 3
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("survey, later", True)))
    window.acts.add_tags_action.trigger()
    wait_settled(qtbot, window)
    assert all(sorted(t) == ["later", "survey"] for t in window.library.tag_sets(ids).values())
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: ("later", True)))
    window.acts.remove_tags_action.trigger()
    wait_settled(qtbot, window)
    assert all(t == ["survey"] for t in window.library.tag_sets(ids).values())
    window.acts.status_actions["reading"].trigger()
    wait_settled(qtbot, window)
    assert {p.status for p in window.library.get_many(ids)} == {"reading"}
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    wait_settled(qtbot, window)
    assert {p.status for p in window.library.get_many(ids)} == {"read"}
    window.edits.add_to_list("Later", ids, create=True)
    wait_settled(qtbot, window)
    assert window.library.list_paper_ids("Later") == ids
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: ("Later", True)))
    window.acts.remove_from_list_action.trigger()
    wait_settled(qtbot, window)
    assert window.library.list_paper_ids("Later") == []
    window.acts.undo_action.trigger()
    wait_settled(qtbot, window)
    assert window.library.list_paper_ids("Later") == ids
    for _ in range(4):
        window.acts.undo_action.trigger()
    wait_settled(qtbot, window)
    assert {p.status for p in window.library.get_many(ids)} == {"unread"}


def test_a_change_the_library_refuses_is_reported_and_not_undoable(imported, qtbot, dialogs):
    window = imported
    focus_table(qtbot, window)
    pid = window.table.current_id()
    depth = window.undo_stack.count()
    window.edits.add_tags(["x" * 101], [pid])
    # The library refuses it when the change lands: reported then, and it leaves the undo stack.
    wait_settled(qtbot, window)
    [(text, _info, _details)] = dialogs.take()
    assert "longer than 100 characters" in text
    assert window.undo_stack.count() == depth
    assert window.library.get(pid).tags == []


def test_context_menus_offer_the_paper_and_list_actions(imported, qtbot):
    from PySide6.QtWidgets import QMenu

    window = imported
    window.library.create_list("Later")
    window.refresh_all()
    wait_sidebar(qtbot, window)
    rect = window.table.visualRect(window.table_model.index(0, 0))
    window.edits.show_table_menu(rect.center())
    menus = [m for m in window.findChildren(QMenu) if m.isVisible()]
    assert menus
    texts = [a.text() for a in menus[-1].actions()]
    assert "Mark &Read and Next" in texts and "Add to Reading &List" in texts
    menus[-1].close()
    index = window.sidebar_model.find("list", "Later")
    window.sidebar_controller.show_menu(
        index, window.sidebar.viewport().mapToGlobal(window.sidebar.visualRect(index).center())
    )
    menus = [m for m in window.findChildren(QMenu) if m.isVisible()]
    texts = [a.text() for a in menus[-1].actions()]
    assert "&Rename Reading List…" in texts and "&Delete Reading List…" in texts
    menus[-1].close()


def test_priority_and_status_from_the_detail_pane(imported, qtbot):
    window = imported
    pid = window.detail.paper_id
    qtbot.mouseClick(window.detail.status_buttons.buttons["reading"], Qt.MouseButton.LeftButton)
    wait_settled(qtbot, window)
    assert window.library.get(pid).status == "reading"
    window.detail.priority.priorityChosen.emit(2)
    wait_settled(qtbot, window)
    assert window.library.get(pid).priority == 2
    window.acts.undo_action.trigger()
    window.acts.undo_action.trigger()
    wait_settled(qtbot, window)
    paper = window.library.get(pid)
    assert (paper.status, paper.priority) == ("unread", 0)
    assert window.detail.status_buttons.status() == "unread"


def test_citation_key_clash_is_shown_inline_and_reverted(imported, qtbot):
    window = imported
    ids = window.table_model.ids
    taken = window.library.get(ids[1]).citation_key
    own = window.detail.paper.citation_key
    field = window.detail.citation_key
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, taken)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    wait_settled(qtbot, window)
    assert field.text() == own
    assert window.detail.citation_key_message.isVisible()
    assert "already used" in window.detail.citation_key_message.text()
    assert "already used" in window.statusBar().currentMessage()
    field.selectAll()
    qtbot.keyClicks(field, "mykey2026")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    wait_settled(qtbot, window)
    assert window.library.get(window.detail.paper_id).citation_key == "mykey2026"
    assert not window.detail.citation_key_message.isVisible()


def test_triage_keys_work_right_after_launch_and_escape_leaves_a_note(make_window, qtbot, lib_path, sample):
    from papershelf.core.library import Library

    with Library(lib_path) as lib:
        lib.import_file(sample)
    window = make_window(lib_path)
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 49, timeout=5000)
    assert window.table.hasFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_J)
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    wait_settled(qtbot, window)
    assert window.library.count("status:read") == 1
    qtbot.keyClick(window.table, Qt.Key.Key_N)
    editor = window.detail.notes.editors[-1]
    qtbot.waitUntil(editor.hasFocus)
    qtbot.keyClicks(editor, "baseline")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert window.table.hasFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_J)  # moves, and is not typed into the note
    assert editor.toPlainText() == "baseline"
    wait_settled(qtbot, window)
    assert window.library.count("has:notes") == 1


def test_t_on_several_papers_tags_them_all(imported, qtbot, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    window = imported
    window.table.selectAll()
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("multi-t", True)))
    qtbot.keyClick(window.table, Qt.Key.Key_T)
    wait_settled(qtbot, window)
    assert window.library.count("tag:multi-t") == 49


def test_delete_key_deletes_the_selection_and_undo_brings_it_back(imported, qtbot, dialogs):
    from PySide6.QtWidgets import QMessageBox

    window = imported
    window.library.add_note(window.table_model.paper_id(0), "keep me")
    focus_table(qtbot, window)
    window.table.select_row(0)
    qtbot.keyClick(window.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    dialogs.question = QMessageBox.StandardButton.Yes
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert dialogs.questions and "these 2 papers" in dialogs.questions[-1]
    wait_settled(qtbot, window)
    wait_search(qtbot, window)
    assert window.library.count() == 47 and window.table_model.rowCount() == 47
    window.acts.undo_action.trigger()
    wait_settled(qtbot, window)
    wait_search(qtbot, window)
    assert window.library.count() == 49 and window.table_model.rowCount() == 49
    assert window.library.count("has:notes") == 1
