"""The real app, headless, editing a library while other processes import into it.

    python gui_writer.py LIBRARY STEPS

It marks papers read and unread with the window's own action (Space) and
types a note into the detail pane's notes, STEPS times, without waiting for
the library; once every change has landed (the window's writer thread waits
out the imports' write locks) it prints how many papers it left read and exits. Any error dialog the app would show is
printed and makes the exit status 1.
"""

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QMessageBox

errors = []


def record(box):
    errors.append(" | ".join(t for t in (box.text(), box.informativeText(), box.detailedText()) if t))
    return QMessageBox.StandardButton.Ok


QMessageBox.exec = record

from papershelf.gui.app import create_window, ensure_app  # noqa: E402


def main() -> int:
    path, steps = sys.argv[1], int(sys.argv[2])
    app = ensure_app()
    window = create_window(path)
    window.show()
    app.processEvents()
    print("ready", flush=True)
    for step in range(steps):
        window.table.select_row(step % 20)
        app.processEvents()
        window.acts.read_next_action.trigger()
        editor = window.detail.notes.add_note()
        editor.insertPlainText(f"note {step} from the GUI")
        editor.flush()  # as when the note loses the focus
        app.processEvents()
        time.sleep(0.02)
    end = time.monotonic() + 300
    while not window.runner.settled and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    if not window.runner.settled:
        errors.append("changes still waiting to be saved after 300 s")
    read = window.library.count("status:read")
    window.close()
    print(f"read {read}", flush=True)
    for error in errors:
        print(f"error dialog: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
