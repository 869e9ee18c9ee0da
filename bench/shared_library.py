"""A shared library (PostgreSQL) against a local one, measured side by side in one run. Prints one JSON object.

    python bench/shared_library.py --local LIB.sqlite3 [--repeat 5] [--only open,search,core,edit]
    python bench/shared_library.py --listen URL     # the other member of the edit rows (started by the above)

Starts a throwaway PostgreSQL server of its own (tests/pgcluster.py: on this
machine, over TCP on 127.0.0.1, fsync off as in the tests), copies the local
library into a database there (``papershelf copy``'s core), then measures
each pair the same way, alternating between the two so the machine's load
falls on both:

- open: ``bench/gui_probe.py`` start-up (the app's own path: the window paints,
  then the library opens on a worker): start to first painted window, and
  start to papers on screen;
- search: ``bench/gui_probe.py --interact`` (keystroke to table, p95), and the
  calls the table makes per keystroke (``search_ids`` of the first page, then
  ``rows`` of it) in-process;
- a tag added by one member reaching another (``--listen``, a process of its
  own): from the write's COMMIT to the other's ``core.live.Watcher`` reporting
  the NOTIFY, and to that member's Library reading the new tag.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "desktop"))
sys.path.insert(0, str(ROOT))

from bench.gui_probe import QUERIES  # noqa: E402

#: Ids per first page of the table (gui/models/paper_table.PaperTableModel.PAGE), sorted as it sorts at start:
#: newest added first, which its SORT_KEYS asks the core as the id order.
PAGE = 200
SORT = ("id", True)
#: Tag edits timed from one member to the other.
EDITS = 40
#: The longest wait for the other member's report of an edit (a lost notification fails the row).
WAIT_S = 10.0
ENV = dict(os.environ, PYTHONPATH=str(ROOT / "desktop"), QT_QPA_PLATFORM="offscreen")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def probe(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HERE / "gui_probe.py"), *args], capture_output=True, text=True, env=ENV, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"gui_probe {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    if result.get("shared") != ("://" in args[args.index("--library") + 1]):
        raise RuntimeError(f"gui_probe {' '.join(args)}: the app did not open that library (it opened {result})")
    return result


def fill(url: str, local: Path) -> float:
    """Copy the local library into the empty shared library at ``url`` (``papershelf copy``'s core); the seconds."""
    from papershelf.core import pg
    from papershelf.core.copy import copy_library
    from papershelf.core.library import Library

    start = time.perf_counter()
    with Library(url, create=True) as dest, Library(local) as source:
        copy_library(source, dest)
    seconds = time.perf_counter() - start
    # The planner's statistics, as autovacuum gathers them within a minute or so of the copy: every run then
    # measures the same plans (without them the first searches plan for an empty table).
    with pg.admin_connection(url) as conn:
        conn.execute("VACUUM ANALYZE")
    return seconds


def open_times(locations: dict[str, str], repeat: int) -> dict[str, dict[str, float]]:
    """Start-up of the app on each library, ``repeat`` times alternating: median first paint and papers on screen."""
    found: dict[str, dict[str, list[float]]] = {name: {"paint": [], "ready": []} for name in locations}
    for location in locations.values():  # not counted: a file's first check of the day, cold caches
        probe("--library", location, "--start", repr(time.time()))
    for _ in range(repeat):
        for name, location in locations.items():
            start = time.time()
            result = probe("--library", location, "--start", repr(start))
            found[name]["paint"].append(result["first_paint"] - start)
            found[name]["ready"].append(result["table_ready"] - start)
    return {name: {k: statistics.median(v) for k, v in times.items()} for name, times in found.items()}


def app_search(locations: dict[str, str], repeat: int) -> dict[str, float]:
    """Search as you type in the app (keystroke to table painted), p95; the median of ``repeat`` runs each."""
    found: dict[str, list[float]] = {name: [] for name in locations}
    for _ in range(repeat):
        for name, location in locations.items():
            found[name].append(probe("--interact", "--library", location)["search_p95_ms"])
    return {name: statistics.median(values) for name, values in found.items()}


def core_search(locations: dict[str, str], rounds: int = 3) -> dict[str, dict[str, float]]:
    """What the table asks the core per keystroke (the first page of ids, then its rows), in-process: p95, median."""
    from papershelf.core.errors import PapershelfError
    from papershelf.core.library import Library

    libraries = {name: Library(location) for name, location in locations.items()}
    times: dict[str, list[float]] = {name: [] for name in locations}
    try:
        for library in libraries.values():  # warm: connections made, caches filled
            library.rows(library.search_ids("", sort=SORT[0], descending=SORT[1], limit=PAGE))
        for _ in range(rounds):
            for query in QUERIES:
                for end in range(1, len(query) + 1):
                    for name, library in libraries.items():
                        start = time.perf_counter()
                        try:
                            ids = library.search_ids(query[:end], sort=SORT[0], descending=SORT[1], limit=PAGE)
                            library.rows(ids)
                        except PapershelfError:
                            pass  # "status:" half typed: the table says so
                        times[name].append((time.perf_counter() - start) * 1000)
    finally:
        for library in libraries.values():
            library.close()
    return {name: {"p95_ms": p95(found), "median_ms": statistics.median(found)} for name, found in times.items()}


def edit_reach(url: str, edits: int = EDITS) -> dict[str, Any]:
    """A tag added here, seen by another member process: COMMIT to NOTIFY received, and to the tag read there."""
    from sqlalchemy import event

    from papershelf.core.library import Library

    other = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--listen", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert other.stdout is not None and other.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in other.stdout or ()], daemon=True).start()

    def next_line() -> str:
        try:
            return lines.get(timeout=WAIT_S)
        except queue.Empty:
            other.kill()
            raise RuntimeError(f"the listening member said nothing for {WAIT_S} s:\n{other.stderr.read()}") from None

    ready = next_line().strip()
    if ready != "ready":
        raise RuntimeError(f"the listening member did not start: {ready}")
    committed: dict[str, float] = {}
    notified, seen = [], []
    with Library(url) as library:

        @event.listens_for(library.engine, "commit")
        def _commit(conn: Any) -> None:
            if conn.get_execution_options().get("sqlite_begin") == "IMMEDIATE":
                committed["at"] = time.monotonic()  # one clock for every process on the machine

        papers = library.search_ids("", limit=edits)
        for n, paper in enumerate(papers):
            tag = f"bench-live-{n}"
            library.add_tags([paper], [tag])
            while True:  # the other member's report of this edit
                report = json.loads(next_line())
                if tag in report["tags"]:
                    break
            notified.append((report["notified"] - committed["at"]) * 1000)
            seen.append((report["read"] - committed["at"]) * 1000)
            library.remove_tags([paper], [tag])
            time.sleep(0.05)
    other.kill()
    other.wait()
    return {
        "edits": len(seen),
        "notify_median_ms": statistics.median(notified),
        "notify_max_ms": max(notified),
        "seen_median_ms": statistics.median(seen),
        "seen_p95_ms": p95(seen),
        "seen_max_ms": max(seen),
    }


def listen(url: str) -> None:
    """The other member: for each change its watcher reports, read the changed papers' tags; one JSON line each."""
    from papershelf.core import live
    from papershelf.core.library import Library

    library = Library(url)

    def report(papers: list[int], notified: float) -> None:
        tags = [tag for names in library.tag_sets(papers).values() for tag in names]
        print(json.dumps({"notified": notified, "read": time.monotonic(), "tags": tags}), flush=True)

    online = threading.Event()

    def on_change(changes: Any) -> None:
        notified = time.monotonic()
        if changes is not None:
            report(sorted(changes.papers), notified)

    watcher = live.Watcher(url, on_change, lambda state: state == live.ONLINE and online.set())
    watcher.start()
    if not online.wait(30):
        raise SystemExit("the watcher did not come online")
    time.sleep(0.5)  # it reports "online" just before its LISTEN
    print("ready", flush=True)
    threading.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", type=Path, help="the local library (SQLite) to compare with")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--only", default="open,search,core,edit", help="open, search (in the app), core (search), edit"
    )
    parser.add_argument("--listen", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.listen:
        listen(args.listen)
        return
    if args.local is None:
        parser.error("--local is required")
    from tests.pgcluster import Cluster

    parts = set(args.only.split(","))
    cluster = Cluster()
    cluster.start()
    try:
        url = cluster.create_database("bench")
        seconds = fill(url, args.local)
        from papershelf.core.library import Library

        with Library(url) as shared, Library(args.local) as local:
            papers = {"shared": shared.count(), "local": local.count()}
        result: dict[str, Any] = {"papers": papers, "copy_s": seconds}
        locations = {"local": str(args.local), "shared": url}
        if "open" in parts:
            result["open"] = open_times(locations, args.repeat)
        if "core" in parts:
            result["core_search"] = core_search(locations)
        if "search" in parts:
            result["app_search_p95_ms"] = app_search(locations, max(1, args.repeat // 2))
        if "edit" in parts:
            result["edit"] = edit_reach(url)
    finally:
        cluster.cleanup()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
