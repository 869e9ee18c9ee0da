"""The window as a whole: names, state, sidebar management, recovery, errors, start-up."""

from __future__ import annotations

import re
import sys

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMenu, QPushButton, QWidget

from papershelf import logs, paths
from papershelf.gui.models.paper_table import Column

from .conftest import SAMPLE_TEXT, focus_table, wait_search, wait_settled, wait_sidebar

KEY_WIDGETS = [
    "mainWindow",
    "sidebar",
    "paperTable",
    "searchField",
    "detailPane",
    "tagEditor",
    "notesEditor",
    "statusButtons",
    "importButton",
    "prioritySelector",
    "citationKeyEdit",
    "hitCount",
    "abstractView",
    "welcomePanel",
]


def test_key_widgets_have_object_and_accessible_names(window):
    for name in KEY_WIDGETS:
        widget = window if name == "mainWindow" else window.findChild(QWidget, name)
        assert widget is not None, name
        assert widget.accessibleName(), name
    assert window.findChild(QPushButton, "importButton").text() == "Import a listing…"
    assert window.acts.import_action.objectName() == "importAction"
    assert window.acts.import_action in window.acts.toolbar.actions()


def test_window_title_names_a_library_that_is_not_the_default(window, make_window, qtbot):
    assert window.windowTitle() == "Papershelf — library.sqlite3"
    window.close()
    default = make_window(paths.default_library())
    assert default.windowTitle() == "Papershelf"


def test_window_state_is_remembered(window, make_window, qtbot, lib_path):
    window.resize(760, 560)
    window.splitter.setSizes([300, 500, 300])
    header = window.table.horizontalHeader()
    header.moveSection(header.visualIndex(Column.STATUS), 0)
    header.resizeSection(Column.FIRST_AUTHOR, 211)
    window.table.show_sort(Column.FIRST_AUTHOR, False)
    window.table._header_clicked(Column.FIRST_AUTHOR)
    sizes = window.splitter.sizes()
    window.close()
    settings_file = paths.config_dir() / "papershelf.ini"
    assert settings_file.is_file()
    again = make_window(lib_path)
    assert (again.size().width(), again.size().height()) == (760, 560)
    assert again.splitter.sizes() == sizes
    header = again.table.horizontalHeader()
    assert header.visualIndex(Column.STATUS) == 0
    assert header.sectionSize(Column.FIRST_AUTHOR) == 211
    assert header.sectionsMovable()
    assert again.table_model.sort_column == Column.FIRST_AUTHOR
    assert isinstance(again.settings.window_geometry, QByteArray)


def test_clicking_a_header_sorts_in_sql_and_tags_do_not_sort(imported, qtbot):
    window = imported
    header = window.table.horizontalHeader()
    current = window.table.current_id()
    header.setSortIndicator(Column.TITLE, Qt.SortOrder.AscendingOrder)
    window.table._header_clicked(Column.TITLE)
    wait_search(qtbot, window)
    assert window.table_model.ids == window.library.search_ids(window.paper_view.current_query(), sort="title")
    assert window.table.current_id() == current  # the current paper stays selected
    header.setSortIndicator(Column.TAGS, Qt.SortOrder.AscendingOrder)
    window.table._header_clicked(Column.TAGS)
    assert header.sortIndicatorSection() == Column.TITLE


def test_sidebar_filters_combine_with_the_search(imported, qtbot):
    window = imported
    ids = window.table_model.ids
    window.library.set_status(ids[:4], "read")
    window.refresh_all()
    wait_sidebar(qtbot, window)
    window.sidebar.setCurrentIndex(window.sidebar_model.find("status", "read"))
    wait_search(qtbot, window)
    assert sorted(window.table_model.ids) == sorted(ids[:4])
    assert window.sidebar_model.find("status", "read").siblingAtColumn(1).data() == "4"
    window.search_field.setText("nothing-matches-this")
    window.search_field.flush()
    wait_search(qtbot, window)
    assert window.paper_view.current_query() == "status:read nothing-matches-this"
    assert window.table_model.rowCount() == 0
    assert window.detail.currentWidget() is window.detail.placeholder


def test_reading_lists_from_the_sidebar_buttons(imported, qtbot, monkeypatch, dialogs):
    window = imported
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Group & friends", True)))
    qtbot.mouseClick(window.new_list_button, Qt.MouseButton.LeftButton)
    wait_settled(qtbot, window)
    assert window.library.lists() == [("Group & friends", 0)]
    wait_sidebar(qtbot, window)
    index = window.sidebar_model.find("list", "Group & friends")
    # Dropping papers from the table on the list adds them (and can be undone).
    mime = window.table_model.mimeData([window.table_model.index(0, 0), window.table_model.index(1, 0)])
    assert window.sidebar_model.dropMimeData(mime, Qt.DropAction.CopyAction, -1, -1, index)
    wait_settled(qtbot, window)
    assert window.library.list_paper_ids("Group & friends") == window.table_model.ids[:2]
    window.acts.undo_action.trigger()
    wait_settled(qtbot, window)
    assert window.library.list_paper_ids("Group & friends") == []
    window.acts.redo_action.trigger()
    wait_settled(qtbot, window)
    wait_sidebar(qtbot, window)
    window.sidebar.setCurrentIndex(window.sidebar_model.find("list", "Group & friends"))
    wait_search(qtbot, window)
    assert window.table_model.rowCount() == 2
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Reading group", True)))
    assert window.rename_list_button.isEnabled()
    qtbot.mouseClick(window.rename_list_button, Qt.MouseButton.LeftButton)
    wait_settled(qtbot, window)
    assert [n for n, _ in window.library.lists()] == ["Reading group"]
    assert window.paper_view.current_query() == 'list:"Reading group"'
    wait_search(qtbot, window)
    assert window.table_model.rowCount() == 2
    dialogs.question = dialogs.question.Yes
    qtbot.mouseClick(window.delete_list_button, Qt.MouseButton.LeftButton)
    assert dialogs.questions and "Reading group" in dialogs.questions[0]
    wait_settled(qtbot, window)
    assert window.library.lists() == []
    assert window.sidebar_model.key(window.sidebar.currentIndex()) == ("all", "all")
    # Deleting a list can be undone, papers and all; then the earlier steps undo too.
    window.acts.undo_action.trigger()
    wait_settled(qtbot, window)
    assert len(window.library.list_paper_ids("Reading group")) == 2
    window.acts.redo_action.trigger()
    wait_settled(qtbot, window)
    assert window.library.lists() == []
    # A clash is reported, not swallowed.
    window.library.create_list("Taken")
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Taken", True)))
    depth = window.undo_stack.count()
    window.acts.new_list_action.trigger()
    wait_settled(qtbot, window)
    [(text, _info, _details)] = dialogs.take()
    assert "Taken" in text
    assert window.undo_stack.count() == depth  # nothing to undo: the list was not created


def test_saving_and_deleting_a_search(imported, qtbot, monkeypatch):
    window = imported
    window.search_field.setText("reinforcement")
    window.search_field.flush()
    wait_search(qtbot, window)
    count = window.table_model.rowCount()
    query = window.paper_view.current_query()
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("RL papers", True)))
    qtbot.mouseClick(window.save_search_button, Qt.MouseButton.LeftButton)
    wait_settled(qtbot, window)
    assert window.library.saved_searches() == [("RL papers", query)]
    wait_search(qtbot, window)
    assert window.sidebar_model.key(window.sidebar.currentIndex()) == ("saved", "RL papers")
    assert window.search_field.text() == ""
    assert window.table_model.rowCount() == count
    window.acts.delete_saved_action.trigger()
    wait_settled(qtbot, window)
    assert window.library.saved_searches() == []


def test_the_shortcuts_dialog_lists_every_shortcut(imported, qtbot):
    window = imported
    window.acts.shortcuts_action.trigger()
    dialog = window.acts.shortcuts_dialog
    table = dialog.table
    shown = {table.item(r, 1).text(): table.item(r, 2).text() for r in range(table.rowCount())}
    assert shown["Next Paper"] == "J"
    assert shown["Previous Paper"] == "K"
    assert shown["Mark Read and Next"] == "Space"
    assert shown["Edit Tags"] == "T"
    assert shown["Add to Reading List"] == "L"
    assert shown["Add Note"] == "N"
    assert shown["Priority 3"] == "3"
    assert shown["Clear Priority"] == "0"
    assert shown["Find"] == QKeySequence(QKeySequence.StandardKey.Find).toString(QKeySequence.SequenceFormat.NativeText)
    assert "Undo" in shown and "Redo" in shown and "Quit" in shown
    assert shown["Import from Clipboard"] == QKeySequence("Ctrl+Shift+V").toString(
        QKeySequence.SequenceFormat.NativeText
    )
    dialog.close()


def test_triage_keys_do_not_fire_while_typing_in_the_search(imported, qtbot):
    window = imported
    pid = window.table.current_id()
    window.search_field.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search_field)
    qtbot.keyClicks(window.search_field, "j k 1 t")
    qtbot.keyClick(window.search_field, Qt.Key.Key_Space)
    assert window.search_field.text() == "j k 1 t "
    assert window.library.get(pid).priority == 0
    assert window.library.get(pid).status == "unread"


def test_unreadable_library_offers_quit_and_leaves_the_file_alone(make_window, qtbot, tmp_path, dialogs):
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"this is not a database at all" * 100)
    before = broken.read_bytes()
    dialogs.click = "Quit"
    window = make_window(broken)
    [(text, info, _details)] = dialogs.take()
    assert "cannot open" in text.lower() and "not a Papershelf library" in info
    assert window.library is None
    assert broken.read_bytes() == before
    assert not window.acts.import_action.isEnabled()


def test_a_damaged_library_can_be_restored_from_the_newest_backup(make_window, qtbot, tmp_path, dialogs):
    from papershelf.core import backup
    from papershelf.core.library import Library

    path = tmp_path / "mine.sqlite3"
    with Library(path) as library:
        library.import_file(SAMPLE_TEXT)
    backup.backup(path, folder=paths.backups_dir(path))
    damaged = b"SQLite format 3\x00" + b"\xff" * 5000
    path.write_bytes(damaged)
    dialogs.click = "Restore newest backup"
    window = make_window(path)
    [(text, info, _details)] = dialogs.take()
    assert "Restoring it keeps the current file aside" in info
    assert window.library is not None and window.library.count() == 49
    kept = [p for p in path.parent.iterdir() if "damaged" in p.name and p.suffix == ".sqlite3"]
    assert len(kept) == 1 and kept[0].read_bytes() == damaged


def test_choose_another_library_file(make_window, qtbot, tmp_path, dialogs, monkeypatch):
    broken = tmp_path / "broken.sqlite3"
    broken.write_text("nope")
    other = tmp_path / "other.sqlite3"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(other), "")))
    dialogs.click = "Choose another file…"
    window = make_window(broken)
    assert len(dialogs.take()) == 1
    assert window.library_path == other and window.library is not None
    assert broken.read_text() == "nope"


def test_the_error_hook_logs_and_shows_a_dialog(window, dialogs, monkeypatch):
    from papershelf.gui.app import install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_excepthook(lambda: window)
    try:
        raise RuntimeError("kaboom")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    [(text, _info, details)] = dialogs.take()
    assert text == "Something went wrong: RuntimeError: kaboom"
    assert "Traceback" in details
    log = logs.log_file()
    assert "RuntimeError: kaboom" in log.read_text()


def test_deferred_opening_paints_first(qtbot, lib_path):
    from papershelf.core.library import Library
    from papershelf.gui.app import create_window

    with Library(lib_path) as library:
        library.import_file(SAMPLE_TEXT)
    events = []
    window = create_window(lib_path, deferred=True)
    qtbot.addWidget(window)
    window.firstPainted.connect(lambda: events.append("painted"))
    window.libraryOpened.connect(lambda: events.append("opened"))
    assert window.library is None
    window.show()
    qtbot.waitUntil(lambda: "opened" in events, timeout=10000)
    assert events == ["painted", "opened"]
    wait_search(qtbot, window)
    assert window.table_model.rowCount() == 49


def test_a_second_window_on_the_same_library_sees_changes(imported, make_window, qtbot, lib_path):
    first = imported
    second = make_window(lib_path)
    assert second.table_model.rowCount() == 49
    pid = second.table_model.ids[0]
    first.library.add_tags([pid], ["shared"])
    first.activateWindow()
    qtbot.waitUntil(first.isActiveWindow)
    second.activateWindow()
    qtbot.waitUntil(second.isActiveWindow)
    wait_sidebar(qtbot, second)
    assert second.sidebar_model.find("tag", "shared").isValid()
    assert second.table_model.index(0, Column.TAGS).data() == "shared"


def test_main_runs_and_quits(qtbot, lib_path, monkeypatch):
    from papershelf.gui import app as app_module

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    seen = {}

    def close_when_open():
        for widget in QApplication.topLevelWidgets():
            if widget.objectName() == "mainWindow" and widget.isVisible():
                if widget.library is None:
                    break
                seen["title"] = widget.windowTitle()
                widget.close()
                return
        QTimer.singleShot(50, close_when_open)

    QTimer.singleShot(50, close_when_open)
    assert app_module.main(str(lib_path)) == 0
    assert seen["title"] == "Papershelf — library.sqlite3"


# --- Menus: a mnemonic each, keys that clash with nothing ------------------------------------------


def _mnemonic(text: str) -> str | None:
    """The letter after a lone "&" ("&&" is a literal "&"), lower case; None if the text has none."""
    marks = re.findall(r"&(.)", text.replace("&&", ""))
    assert len(marks) <= 1, f"{text!r} has {len(marks)} mnemonics"
    return marks[0].lower() if marks else None


def _check_mnemonics(menu: QMenu, exempt: set, where: str) -> int:
    """Every item of ``menu`` (and of its submenus) has a mnemonic, none shared within one menu; the count checked."""
    seen: dict[str, str] = {}
    checked = 0
    for action in menu.actions():
        if action.isSeparator() or action in exempt:
            continue
        text = action.text()
        letter = _mnemonic(text)
        assert letter is not None, f"{where} ▸ {text!r} has no mnemonic"
        assert letter not in seen, f"{where}: {text!r} and {seen[letter]!r} share Alt+{letter.upper()}"
        seen[letter] = text
        checked += 1
        if action.menu() is not None:
            checked += _check_mnemonics(action.menu(), exempt, f"{where} ▸ {text}")
    return checked


def _popped_menu(window, show) -> QMenu:
    """The context menu ``show()`` pops up."""
    show()
    [menu] = [m for m in window.findChildren(QMenu) if m.isVisible()]
    menu.close()
    return menu


def test_every_menu_item_has_a_mnemonic_of_its_own(imported, qtbot):
    """Review: Attach P&DF…, &Download PDFs, Find &Duplicates… and &Delete Papers… all took Alt+D in the Paper menu."""
    window = imported
    acts = window.acts
    # A step to undo named with the user's words: its "&" is theirs, shown, not a second mnemonic.
    window.edits.add_tags(["R&D"], [window.table.current_id()])
    wait_settled(qtbot, window)
    assert acts.undo_action.text() == "&Undo Tag 1 paper with R&&D"
    window.undo_stack.undo()
    wait_settled(qtbot, window)
    assert acts.redo_action.text() == "&Redo Tag 1 paper with R&&D"
    # Favourite tags are named after the user's tags (and reached with Alt+1…9).
    exempt = set(acts.favourite_actions)
    checked = 0
    for top in window.menuBar().actions():
        assert _mnemonic(top.text()) is not None, top.text()
        checked += _check_mnemonics(top.menu(), exempt, top.text().replace("&", ""))
    assert checked > 50
    assert len({_mnemonic(a.text()) for a in window.menuBar().actions()}) == len(window.menuBar().actions())
    # The context menus of a paper, a reading list and a saved search too (list names are the user's).
    window.library.create_list("R&D later")
    window.library.save_search("Mine", "tag:mine")
    window.refresh_all()
    wait_sidebar(qtbot, window)
    rect = window.table.visualRect(window.table_model.index(0, 0))
    paper_menu = _popped_menu(window, lambda: window.edits.show_table_menu(rect.center()))
    [lists] = [a.menu() for a in paper_menu.actions() if a.menu() is not None and "Reading" in a.text()]
    _check_mnemonics(paper_menu, exempt | set(lists.actions()[:-2]), "paper's menu")
    for kind, value in (("list", "R&D later"), ("saved", "Mine")):
        index = window.sidebar_model.find(kind, value)
        point = window.sidebar.viewport().mapToGlobal(window.sidebar.visualRect(index).center())
        menu = _popped_menu(window, lambda index=index, point=point: window.sidebar_controller.show_menu(index, point))
        _check_mnemonics(menu, exempt, f"{kind}'s menu")


def test_attach_pdf_has_a_key_of_its_own_listed_with_the_pdf_keys(imported, qtbot):
    window = imported
    acts = window.acts
    [attach] = acts.attach_pdf_action.shortcuts()
    assert attach == QKeySequence("Ctrl+Shift+P")
    # Not a key of Qt's own on any platform (Ctrl+Shift+A is Deselect on Linux: text fields take it) ...
    for standard in QKeySequence.StandardKey:
        assert attach not in QKeySequence.keyBindings(standard), standard
    assert attach != QKeySequence("Ctrl+Shift+A")
    # ... nor another command's.
    keys = [(a.objectName(), k.toString()) for a in window.findChildren(QAction) for k in a.shortcuts()]
    taken = [name for name, key in keys if key == attach.toString()]
    assert taken == ["attachPdfAction"], taken
    duplicates = {key for _name, key in keys if [k for _n, k in keys].count(key) > 1}
    assert not duplicates, duplicates
    # Help ▸ Keyboard Shortcuts lists it beside D, Enter and Shift+Enter, saying what Enter opens.
    acts.shortcuts_action.trigger()
    table = acts.shortcuts_dialog.table
    shown = {table.item(r, 1).text(): table.item(r, 2).text() for r in range(table.rowCount())}
    acts.shortcuts_dialog.close()
    native = QKeySequence.SequenceFormat.NativeText
    assert shown["Attach PDF"] == attach.toString(native)
    assert shown["Download PDFs"] == "D"
    enter = "Return" if sys.platform == "darwin" else "Enter"
    assert shown["Open Paper (its PDF, or its web page if it has none)"] == QKeySequence(enter).toString(native)
    assert shown["Open Web Page"] == QKeySequence(f"Shift+{enter}").toString(native)
    # The key works where the user is: the table (it opens the file dialog on the highlighted paper).
    opened = []
    window.pdf_flow.attach_dialog = lambda: opened.append(window.table.current_id())  # type: ignore[method-assign]
    acts.attach_pdf_action.triggered.disconnect()
    acts.attach_pdf_action.triggered.connect(lambda _=False: window.pdf_flow.attach_dialog())
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert opened == [window.table.current_id()]


def test_the_lists_menu_downloads_the_chosen_lists_pdfs(imported, qtbot, monkeypatch):
    """Review: only the sidebar's context menu had Download PDFs for a reading list; the Lists menu has it too."""
    window = imported
    acts = window.acts
    window.library.add_to_list("Train reading", window.table_model.ids[:2], create=True)
    window.refresh_all()
    wait_sidebar(qtbot, window)
    asked: list[str] = []
    monkeypatch.setattr(window.pdf_flow, "download_list", asked.append)
    lists_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Lists")
    assert acts.download_list_action in lists_menu.actions()
    acts.update_enabled()
    assert not acts.download_list_action.isEnabled()  # a listing is chosen, not a reading list
    assert window.sidebar_controller.select("list", "Train reading")
    wait_search(qtbot, window)
    lists_menu.aboutToShow.emit()
    assert acts.download_list_action.isEnabled()
    acts.download_list_action.trigger()
    assert asked == ["Train reading"]
