"""Measure the real app, headless, with a real event loop. Prints one JSON object.

    python bench/gui_probe.py --library LIB --start EPOCH   # start-up: first paint, table ready, RSS
                                                            # (LIB: a file, or a shared library's URL)
    python bench/gui_probe.py --library LIB --interact      # search as you type, sort by title
    python bench/gui_probe.py --library LIB --settle 5      # CPU used in the 5 s after the papers show
    python bench/gui_probe.py --library LIB --locked 10     # event-loop stalls while another process
                                                            # holds the write lock 10 s (--hold 0: no lock)

Start-up runs the same path as `papershelf` (gui.app.main): the window paints,
then the library opens on a worker. ``--start`` is the wall-clock time at which
the parent started this process, so interpreter start-up counts too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "desktop"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: Queries a researcher types, typed one key at a time.
QUERIES = [
    "diffusion",
    "reinforcement learning",
    "tag:rl",
    "llm agent",
    '"large language"',
    "status:unread video",
    "benchmark -vision",
    "retrieval augmented",
]


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def startup(library: str, start: float, settle: float = 0.0) -> dict:
    from PySide6.QtCore import QTimer

    from papershelf.gui import app as gui_app
    from papershelf.gui.main_window import MainWindow

    qapp = gui_app.ensure_app()
    window = MainWindow(icon=qapp.windowIcon())
    result: dict = {}

    def painted():
        result.setdefault("first_paint", time.time())

    def opened():
        # The library is open and its first results are in the table: the next
        # paint is the first one that shows papers.
        def shown():
            if window.table_model.rowCount() or window.library.count() == 0:
                result["table_ready"] = time.time()
                result["rows"] = window.table_model.rowCount()
                window.repaint()
                result["rss_mb"] = rss_mb()
                result["shared"] = window.library.shared
                if settle:
                    # CPU the app spends (all threads) once the papers show: what
                    # competes with the user's first minutes.
                    cpu = time.process_time()
                    QTimer.singleShot(
                        int(settle * 1000),
                        lambda: (
                            result.__setitem__("cpu_after_ready_s", round(time.process_time() - cpu, 3)),
                            qapp.quit(),
                        ),
                    )
                else:
                    qapp.quit()
            else:
                QTimer.singleShot(5, shown)

        shown()

    window.firstPainted.connect(painted)
    window.libraryOpened.connect(opened)
    window.open_library_later(library if "://" in library else Path(library))  # a shared library's URL stays one
    window.resize(1400, 850)
    window.show()
    QTimer.singleShot(60_000, qapp.quit)
    qapp.exec()
    window.close()
    result["start"] = start
    return result


def wait_for(qapp, condition, timeout=10.0, what="") -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        qapp.processEvents()
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out waiting for the table ({what})")
        time.sleep(0.0005)


def interact(library: str) -> dict:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from papershelf.gui import app as gui_app

    qapp = gui_app.ensure_app()
    window = gui_app.create_window(library)
    window.resize(1400, 850)
    window.show()
    qapp.processEvents()
    model, field = window.table_model, window.search_field
    times: list[float] = []
    done = {"flag": False}

    def finished(*_):
        done["flag"] = True

    model.searchPartial.connect(finished)
    model.searchFinished.connect(finished)
    model.searchFailed.connect(finished)  # "status:" half typed is a query error, shown in the status bar
    for query in QUERIES:
        field.clear()
        field.flush()
        wait_for(qapp, lambda: not model._pending)
        for ch in query:
            done["flag"] = False
            t0 = time.perf_counter()
            QTest.keyClicks(field, ch)
            field.flush()  # skip the typing debounce: measure the work, not the wait
            wait_for(qapp, lambda: done["flag"], what=f"typing {query!r}")
            window.table.viewport().repaint()
            times.append((time.perf_counter() - t0) * 1000)
            if os.environ.get("PROBE_VERBOSE"):
                print(f"{field.text()!r:28} {times[-1]:7.1f} ms  rows={model.rowCount()}", file=sys.stderr)
        wait_for(qapp, lambda: not model._pending)
    field.clear()
    field.flush()
    wait_for(qapp, lambda: not model._pending)
    # Sort by title: a click on the header, until the table shows the new order.
    header = window.table.horizontalHeader()
    from papershelf.gui.models.paper_table import Column

    done["flag"] = False
    t0 = time.perf_counter()
    QTest.mouseClick(
        header.viewport(),
        Qt.MouseButton.LeftButton,
        pos=header.rect().center().__class__(header.sectionViewportPosition(Column.TITLE) + 5, header.height() // 2),
    )
    wait_for(qapp, lambda: done["flag"], what="sorting")
    wait_for(qapp, lambda: not model._pending)
    window.table.viewport().repaint()
    sort_ms = (time.perf_counter() - t0) * 1000
    assert model.sort_column == Column.TITLE, "the click did not sort by title"
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    shared = window.library.shared
    window.close()
    return {
        "shared": shared,
        "search_p95_ms": round(p95, 1),
        "search_median_ms": round(statistics.median(times), 1),
        "keystrokes": len(times),
        "sort_ms": round(sort_ms, 1),
    }


#: Another process holding the library's write lock for SECONDS, as a CLI import does.
HOLDER = (
    "import sqlite3, sys, time\n"
    "con = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "con.execute('BEGIN IMMEDIATE')\n"
    "print('locked', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
    "con.execute('COMMIT')\n"
)


def locked(library: str, seconds: float, hold: bool) -> dict:
    """Press Space (read, next) and J every 250 ms for SECONDS, the write lock held elsewhere or not.

    Reports the longest gap between ticks of a 5 ms timer (a freeze shows as a
    gap of seconds) and whether every change landed once the lock freed.
    """
    import subprocess

    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtTest import QTest

    from papershelf.gui import app as gui_app

    qapp = gui_app.ensure_app()
    window = gui_app.create_window(library)
    window.resize(1400, 850)
    window.show()
    model = window.table_model
    wait_for(qapp, lambda: model.rowCount() > 0 and not model._pending, what="papers on screen")
    # Start from unread papers (an earlier run marked some read), so every Space is a write.
    first = list(model.ids[:200])
    window.library.set_status(first, "unread")
    model.invalidate(first)
    window.table.setFocus()
    pressed: list[int] = []
    holder = None
    if hold:
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, library, str(seconds)], stdout=subprocess.PIPE, text=True
        )
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    clock = QElapsedTimer()
    clock.start()
    ticks: list[int] = []
    ticker = QTimer()
    ticker.setInterval(5)
    ticker.timeout.connect(lambda: ticks.append(clock.elapsed()))
    ticker.start()
    presses = {"space": 0}

    def press() -> None:
        if clock.elapsed() >= seconds * 1000:
            return
        if presses["space"] % 3 == 2:
            QTest.keyClick(window.table, Qt.Key.Key_J)
        else:
            pressed.extend(window.table.selected_ids())
            QTest.keyClick(window.table, Qt.Key.Key_Space)
        presses["space"] += 1
        QTimer.singleShot(250, press)

    QTimer.singleShot(50, press)
    # A little past the lock, so that a stall which ends with it is measured too.
    deadline = time.perf_counter() + seconds + 0.5
    while time.perf_counter() < deadline:
        qapp.processEvents()
        time.sleep(0.001)
    ticker.stop()
    if holder is not None:
        holder.wait(30)
    wait_for(qapp, lambda: not window.runner.busy, timeout=60, what="the queued changes")
    landed = sum(row.status == "read" for row in window.library.rows(pressed).values())
    gaps = sorted(b - a for a, b in zip(ticks, ticks[1:], strict=False))
    window.close()
    return {
        "max_gap_ms": gaps[-1],
        "p99_gap_ms": gaps[int(0.99 * (len(gaps) - 1))],
        "spaces": len(set(pressed)),
        "landed": landed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True)
    parser.add_argument("--start", type=float)
    parser.add_argument("--interact", action="store_true")
    parser.add_argument("--settle", type=float, default=0.0, help="stay SECONDS after the papers show; report CPU used")
    parser.add_argument("--locked", type=float, help="press keys for SECONDS while another process holds the lock")
    parser.add_argument("--hold", type=int, default=1, help="with --locked: 0 = no other process (the baseline)")
    args = parser.parse_args()
    if args.locked:
        result = locked(args.library, args.locked, bool(args.hold))
    elif args.interact:
        result = interact(args.library)
    else:
        result = startup(args.library, args.start or time.time(), args.settle)
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: nothing left to measure


if __name__ == "__main__":
    main()
