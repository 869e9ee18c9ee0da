"""The real app, headless, driven one step at a time from standard input.

    python gui_driver.py LIBRARY

Reads one command a line and answers "ok ..." when it is done, that is once
every change it made has landed (the app writes on its writer thread):
``space`` (mark the current paper read, as the Space key does), ``select N``
(the N-th row), ``note TEXT`` (typed into a new note of the current paper),
``backup`` (File > Back Up Now, waited for),
``state`` (prints the current paper id and how many papers are read) and
``quit``. The day's backup runs at once, as on the first launch of a day in
the old app, so that it overlaps the other program's commands. Any error
dialog is printed and makes the exit status 1.
"""

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

errors = []


def record(box):
    errors.append(" | ".join(t for t in (box.text(), box.informativeText(), box.detailedText()) if t))
    return QMessageBox.StandardButton.Ok


QMessageBox.exec = record

from papershelf.gui import library_session  # noqa: E402
from papershelf.gui.app import create_window, ensure_app  # noqa: E402

library_session.DAILY_BACKUP_DELAY_MS = 0


def settle(app: QApplication, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def settle_changes(app: QApplication, window, timeout_s: float = 60.0) -> bool:
    """Process events until every change the window queued has landed and been reported; False on timeout."""
    end = time.monotonic() + timeout_s
    while not window.runner.settled:
        if time.monotonic() > end:
            return False
        settle(app, 0.02)
    return True


def main() -> int:
    path = sys.argv[1]
    app = ensure_app()
    window = create_window(path)
    window.show()
    settle(app, 1.0)
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        if command == "space":
            window.table.setFocus()
            QTest.keyClick(window.table, Qt.Key.Key_Space)
        elif command == "select":
            window.table.select_row(int(arg))
        elif command == "note":
            editor = window.detail.notes.add_note()
            QTest.keyClicks(editor, arg)
            editor.flush()  # as when the note loses the focus
        elif command == "backup":
            window.acts.backup_action.trigger()
            end = time.monotonic() + 30
            while "Backed up to" not in window.statusBar().currentMessage() and time.monotonic() < end:
                settle(app, 0.05)
        elif command == "state":
            print(f"ok current={window.table.current_id()} read={window.library.count('status:read')}", flush=True)
            continue
        elif command == "quit":
            break
        settle(app)
        if not settle_changes(app, window):
            print(f"timeout {command}: changes still waiting to be saved", flush=True)
            continue
        print(f"ok {command}", flush=True)
    window.close()
    settle(app, 0.2)
    for error in errors:
        print(f"error dialog: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
