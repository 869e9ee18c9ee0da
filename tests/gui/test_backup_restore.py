"""Your data: File ▸ Back Up Now and File ▸ Restore from Backup…, and the daily backup."""

import zipfile

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from papershelf import paths
from papershelf.core import backup
from papershelf.gui.dialogs.restore import RestoreDialog

from .conftest import wait_search, wait_settled


def dailies(folder):
    return [p for p in backup.list_backups(folder) if backup.summarize(p).kind == "daily"]


def test_the_first_launch_of_the_day_backs_up_later_not_at_start(make_window, qtbot, lib_path, sample, monkeypatch):
    """The copy reads the whole library: it waits, and does not compete with the user's first minutes."""
    from papershelf.core.library import Library
    from papershelf.gui import library_session

    with Library(lib_path) as lib:
        lib.import_file(sample)
    folder = paths.backups_dir(lib_path)
    monkeypatch.setattr(library_session, "DAILY_BACKUP_DELAY_MS", 1500)
    first = make_window(lib_path)
    qtbot.wait(500)
    assert dailies(folder) == []
    qtbot.waitUntil(lambda: len(dailies(folder)) == 1, timeout=10000)
    with zipfile.ZipFile(dailies(folder)[0]) as archive:
        (lib_path.parent / "unpacked.sqlite3").write_bytes(archive.read(backup.MEMBER))
    with Library(lib_path.parent / "unpacked.sqlite3") as copy:
        assert copy.count() == 49
    first.close()
    second = make_window(lib_path)  # a second launch the same day adds none
    qtbot.wait(2000)
    second.close()
    assert len(dailies(folder)) == 1


def test_closing_early_still_takes_the_days_backup(make_window, qtbot, lib_path, sample):
    from papershelf.core.library import Library

    with Library(lib_path) as lib:
        lib.import_file(sample)
    folder = paths.backups_dir(lib_path)
    window = make_window(lib_path)
    qtbot.wait(200)
    assert dailies(folder) == []
    window.close()
    assert len(dailies(folder)) == 1


def test_back_up_now_then_restore_puts_the_old_state_back(imported, qtbot, lib_path, monkeypatch):
    window = imported
    folder = paths.backups_dir(lib_path)
    window.acts.backup_action.trigger()
    qtbot.waitUntil(lambda: "Backed up to" in window.statusBar().currentMessage(), timeout=10000)
    assert any("-manual-" in p.name for p in backup.list_backups(folder))

    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Space)  # mark the first paper read
    wait_settled(qtbot, window)
    assert window.library.count("status:read") == 1

    shown = {}

    def pick_first(dialog: RestoreDialog):
        shown["items"] = [dialog.view.item(i).text() for i in range(dialog.view.count())]
        dialog.accept()  # the newest backup is preselected
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(RestoreDialog, "exec", pick_first)
    window.acts.restore_action.trigger()
    qtbot.waitUntil(lambda: "kept in" in window.statusBar().currentMessage(), timeout=20000)
    wait_search(qtbot, window)
    assert "manual · 49 papers" in shown["items"][0]
    assert window.library.count("status:read") == 0 and window.library.count() == 49
    qtbot.waitUntil(lambda: "kept in" in window.statusBar().currentMessage(), timeout=10000)
    kept = [p for p in backup.list_backups(folder) if backup.summarize(p).kind == "before-restore"]
    from papershelf.core.library import Library

    unpacked = lib_path.parent / "previous.sqlite3"
    unpacked.write_bytes(zipfile.ZipFile(kept[0]).read(backup.MEMBER))
    with Library(unpacked) as previous:
        assert previous.count("status:read") == 1


def test_cancelling_the_restore_changes_nothing(imported, qtbot, monkeypatch):
    window = imported
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    monkeypatch.setattr(RestoreDialog, "exec", lambda dialog: QDialog.DialogCode.Rejected)
    window.acts.restore_action.trigger()
    wait_settled(qtbot, window)
    assert window.library.count("status:read") == 1


def test_the_restore_dialog_shows_both_sides_and_warns_before_dropping_papers(imported, qtbot, lib_path, sample_json):
    from papershelf.core.library import Library

    window = imported
    folder = paths.backups_dir(lib_path)
    with Library(lib_path) as lib:
        backup.backup(lib_path, folder=folder)
        lib.import_file(sample_json)
        now = lib.count()
    current = backup.summarize_library(lib_path)
    dialog = RestoreDialog(lib_path, backup.list_backups(folder), window, current=current)
    qtbot.addWidget(dialog)
    assert f"{now} papers" in dialog.now_label.text()
    assert "49 papers" in dialog.view.item(0).text()
    assert f"drops {now - 49} paper" in dialog.warning.text() and dialog.restore_button.text() == "Restore Anyway"


def test_back_up_with_pdfs_then_restore_brings_the_pdf_back(make_window, qtbot, lib_path, sample, monkeypatch):
    """File ▸ Back Up with PDFs, then the files folder is lost: Restore from Backup… puts the PDF back too."""
    import shutil
    from pathlib import Path

    from papershelf.core import attachments
    from papershelf.core.library import Library

    pdf = Path(__file__).parents[1] / "fixtures" / "pdfs" / "sympy-paper.pdf"
    with Library(lib_path) as lib:
        lib.import_file(sample)
        stored = attachments.attach(lib, 1, pdf)
        stored_file = stored.path
    assert stored_file.read_bytes() == pdf.read_bytes()
    window = make_window(lib_path)
    wait_search(qtbot, window)
    window.acts.backup_files_action.trigger()
    qtbot.waitUntil(lambda: "Backed up to" in window.statusBar().currentMessage(), timeout=20000)
    assert "with 1 PDF" in window.statusBar().currentMessage()

    shutil.rmtree(paths.files_dir(lib_path))  # a lost disk: the PDFs are gone, the library is not

    def pick_with_files(dialog: RestoreDialog):
        texts = [dialog.view.item(i).text() for i in range(dialog.view.count())]
        row = next(i for i, text in enumerate(texts) if "with 1 PDF" in text)
        dialog.view.setCurrentRow(row)
        dialog.accept()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(RestoreDialog, "exec", pick_with_files)
    window.acts.restore_action.trigger()
    qtbot.waitUntil(lambda: "PDFs: 1 put back" in window.statusBar().currentMessage(), timeout=30000)
    assert stored_file.read_bytes() == pdf.read_bytes()
    with Library(lib_path) as lib:
        assert [a.name for a in attachments.attachments_of(lib, [1])[1]] == ["sympy-paper.pdf"]
