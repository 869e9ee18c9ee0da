"""Regenerate the README screenshots: the main window with the sample listing imported,
a paper selected, tagged and annotated.

    QT_QPA_PLATFORM=offscreen python packaging/screenshot.py docs/screenshot.png [WIDTHxHEIGHT]

The size defaults to 1600x1000; the README also shows 800x600 (the details go below the papers).

Runs in a throwaway profile (PAPERSHELF_HOME), so the real library is never touched.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "desktop"))

SIZE = (1600, 1000)
SEARCH = "reinforcement"
PAPER_TITLE_START = "The Invisible Leash"
TAGS = ["rl", "reasoning"]
NOTE = "Claims RLVR mostly re-weights what the base model can already do.\n\nTry: pass@k on our own eval before fine-tuning."


def main(argv: list[str]) -> int:
    if any(arg.startswith("-") for arg in argv[1:]):
        print(__doc__)
        return 2
    target = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "screenshot.png"
    size = tuple(int(n) for n in argv[2].lower().split("x")) if len(argv) > 2 else SIZE
    home = Path(tempfile.mkdtemp(prefix="papershelf-shot-"))
    os.environ["PAPERSHELF_HOME"] = str(home)
    os.environ.pop("PAPERSHELF_LIBRARY", None)

    from PySide6.QtCore import QEventLoop, QTimer, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    qInstallMessageHandler(lambda *_args: None)
    from papershelf import paths
    from papershelf.core.importers import Source
    from papershelf.gui.app import create_window, ensure_app
    from papershelf.gui.settings import Settings

    app = ensure_app()
    Settings().startup_check_asked = True  # a user who answered the start-up question long ago
    window = create_window(paths.default_library())
    library = window.library
    result = library.import_file(Source.from_path(paths.sample_listing()))
    window.resize(*size)
    window.show()
    window._imported(result, None)

    def settle(ms: int = 300) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()
        while window.table_model.searching:
            app.processEvents()

    settle()
    ids = window.table_model.ids
    chosen = next(pid for pid, row in library.rows(ids).items() if row.title.startswith(PAPER_TITLE_START))
    others = [pid for pid in ids if pid != chosen]
    library.set_status(others[:6], "read")
    library.set_status(others[6:8], "reading")
    library.set_priority(others[2:4], 2)
    library.add_tags(others[:3], ["rl"])
    library.add_tags(others[3:5], ["agents"])
    library.add_to_list("To read", [chosen] + others[8:11], create=True)
    library.add_to_list("Reading group: diffusion models 2026", others[11:14], create=True)
    library.save_search("Unread RL", "tag:rl status:unread")
    library.add_tags([chosen], TAGS)
    library.set_priority([chosen], 3)
    library.set_status([chosen], "reading")
    library.add_note(chosen, NOTE)
    # PDFs: a real one from the tests' fixtures under each paper's name, read for the search as the app does.
    from papershelf.core.attachments import attach
    from papershelf.core.pdf.indexing import index_pending

    for pid, name in ((chosen, "invisible-leash.pdf"), (others[0], "zero-shot-rl.pdf"), (others[3], "survey.pdf")):
        pdf = home / name
        pdf.write_bytes((ROOT / "tests" / "fixtures" / "pdfs" / "sympy-paper.pdf").read_bytes())
        attach(library, pid, pdf)
    index_pending(library)
    window.search_field.setText(SEARCH)
    window.search_field.flush()
    window.refresh_all()
    settle()
    window.table.select_row(window.table_model.row_of(chosen))
    window.detail.refresh(notes=True)
    window.table.setFocus()
    settle(400)
    window.detail.form_scroll.verticalScrollBar().setValue(0)
    settle(100)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(target)):
        print(f"{target}: cannot write", file=sys.stderr)
        return 1
    print(target)
    window.close()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
