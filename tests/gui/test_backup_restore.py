"""Your data: File ▸ Back Up Now and File ▸ Restore from Backup…, and the daily backup."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from papershelf import paths
from papershelf.core import backup
from papershelf.gui.dialogs.restore import RestoreDialog

from .conftest import wait_search


def test_the_first_launch_of_the_day_backs_up(make_window, qtbot, lib_path, sample):
    from papershelf.core.library import Library

    with Library(lib_path) as lib:
        lib.import_file(sample)
    folder = paths.backups_dir(lib_path)
    first = make_window(lib_path)

    def dailies():
        return [p for p in backup.list_backups(folder) if "-daily-" in p.name]

    qtbot.waitUntil(lambda: len(dailies()) == 1, timeout=10000)
    with Library(dailies()[0]) as copy:
        assert copy.count() == 49
    first.close()
    second = make_window(lib_path)  # a second launch the same day adds none
    qtbot.wait(200)
    second.close()
    assert len(dailies()) == 1


def test_back_up_now_then_restore_puts_the_old_state_back(imported, qtbot, lib_path, monkeypatch):
    window = imported
    folder = paths.backups_dir(lib_path)
    window.backup_action.trigger()
    qtbot.waitUntil(lambda: "Backed up to" in window.statusBar().currentMessage(), timeout=10000)
    assert any("-manual-" in p.name for p in backup.list_backups(folder))

    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Space)  # mark the first paper read
    assert window.library.count("status:read") == 1

    shown = {}

    def pick_first(dialog: RestoreDialog):
        shown["items"] = [dialog.view.item(i).text() for i in range(dialog.view.count())]
        dialog.accept()  # the newest backup is preselected
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(RestoreDialog, "exec", pick_first)
    window.restore_action.trigger()
    wait_search(qtbot, window)
    assert "manual" in shown["items"][0]
    assert window.library.count("status:read") == 0 and window.library.count() == 49
    assert "kept in" in window.statusBar().currentMessage()
    kept = [p for p in backup.list_backups(folder) if "-before-restore-" in p.name]
    from papershelf.core.library import Library

    with Library(kept[0]) as previous:
        assert previous.count("status:read") == 1


def test_cancelling_the_restore_changes_nothing(imported, qtbot, monkeypatch):
    window = imported
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    monkeypatch.setattr(RestoreDialog, "exec", lambda dialog: QDialog.DialogCode.Rejected)
    window.restore_action.trigger()
    assert window.library.count("status:read") == 1
