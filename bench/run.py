"""The benchmark suite: `make bench`.

Every figure is a ratio against a baseline measured in this same run (the
machine is shared and noisy), with the absolute times beside it. Prints a
table and writes bench/results.json.

    python bench/run.py [--papers 100000] [--only import,check,export,gui,lock,backup,bibtex,autoexport,duplicates,pdfindex,pdf,shared]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
sys.path.insert(0, str(ROOT / "desktop"))
sys.path.insert(0, str(ROOT))

from bench.generate import write_json  # noqa: E402

# A profile of its own: the benchmark never touches the user's library,
# backups or window settings (a remembered sort order would change the GUI rows).
HOME = DATA / "work" / "profile"
ENV = dict(os.environ, PYTHONPATH=str(ROOT / "desktop"), QT_QPA_PLATFORM="offscreen", PAPERSHELF_HOME=str(HOME))


@dataclass
class Row:
    what: str
    baseline: str
    value: float
    base: float | None
    unit: str
    target: str
    ratio: float | None
    ok: bool


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    stdout: str


def run(argv: list[str], env: dict | None = None) -> Run:
    """Run a process to the end; its wall time and its own peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env or ENV, text=True)
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    # communicate() has reaped it; getrusage(CHILDREN) would mix children, so
    # read the peak from the process's own report when it gives one.
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(argv)}\n{err}")
    peak = 0.0
    for line in err.splitlines():
        if line.startswith("peak_rss_mb="):
            peak = float(line.split("=", 1)[1])
    return Run(elapsed, peak, out)


PEAK_WRAPPER = (
    "import resource, runpy, sys\n"
    "sys.argv = ['papershelf'] + sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_module('papershelf', run_name='__main__')\n"
    "except SystemExit as e:\n"
    "    code = e.code\n"
    "else:\n"
    "    code = 0\n"
    "print(f'peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def papershelf(*args: str) -> Run:
    return run([sys.executable, "-c", PEAK_WRAPPER, *args])


def fresh_library(path: Path) -> Path:
    """An empty library with Papershelf's schema (so the floor writes into the same tables)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    from papershelf.core.library import Library

    Library(path).close()
    return path


def row(what, baseline, value, base, unit, limit, kind) -> Row:
    """kind: 'ratio' (value/base <= limit), 'abs' (value <= limit), 'delta' (value-base <= limit)."""
    if kind == "ratio":
        ratio = value / base
        return Row(what, baseline, value, base, unit, f"<= {limit}x", round(ratio, 2), ratio <= limit)
    if kind == "delta":
        return Row(
            what, baseline, value, base, unit, f"<= +{limit} {unit}", round(value - base, 1), value - base <= limit
        )
    return Row(what, baseline, value, base, unit, f"<= {limit} {unit}", None, value <= limit)


def bench_import(n: int, rows: list[Row], work: Path) -> Path:
    listing = DATA / f"listing-{n}.json"
    if not listing.exists():
        write_json(listing, n, seed=1)
    extra = DATA / "listing-1k-new.json"
    if not extra.exists():
        write_json(extra, 1000, seed=99, start=5_000_000)

    floor_lib = fresh_library(work / "floor.sqlite3")
    floor = run([sys.executable, str(HERE / "floor_import.py"), str(floor_lib), str(listing)])
    big = fresh_library(work / "big.sqlite3")
    first = papershelf("--library", str(big), "import", str(listing))
    rows.append(
        row(
            f"import {n:,} hf-json into an empty library",
            "plain sqlite3 floor",
            first.seconds,
            floor.seconds,
            "s",
            2.0,
            "ratio",
        )
    )
    rows.append(row("peak RSS of that import", "-", first.peak_rss_mb, None, "MB", 300, "abs"))
    again = papershelf("--library", str(big), "import", str(listing))
    rows.append(
        row(
            f"re-import the same {n:,} (nothing new)",
            "the first import",
            again.seconds,
            first.seconds,
            "s",
            0.5,
            "ratio",
        )
    )

    small = fresh_library(work / "small.sqlite3")
    into_empty = papershelf("--library", str(small), "import", str(extra))
    copy = work / "big-copy.sqlite3"
    shutil.copy(big, copy)
    checked(copy)  # a library not seen before gets the full check first: bench_check measures that
    into_big = papershelf("--library", str(copy), "import", str(extra))
    rows.append(
        row(
            f"import 1k new papers into {n:,}",
            "the same into an empty library",
            into_big.seconds,
            into_empty.seconds,
            "s",
            3.0,
            "ratio",
        )
    )
    return big


def checked(library: Path) -> Run:
    """Open ``library`` once with the CLI, so its check of the day is done and not counted in a row after it."""
    return papershelf("--library", str(library), "list", "--limit", "1")


def bench_check(library: Path, n: int, rows: list[Row], work: Path) -> None:
    """The full check a library gets when Papershelf has not seen it (or something else changed it)."""
    copy = work / "unseen-copy.sqlite3"
    shutil.copy(library, copy)
    first = checked(copy)
    later = checked(copy)
    rows.append(
        row(
            f"first command on a {n:,}-paper library not seen before (integrity check)",
            "a later command",
            first.seconds,
            later.seconds,
            "s",
            8.0,
            "delta",
        )
    )


def bench_export(library: Path, n: int, rows: list[Row], work: Path) -> None:
    """The first export encodes every entry (and stores it); the next one takes them from the entry cache."""
    import sqlite3

    checked(library)  # brought to this version's schema
    with sqlite3.connect(library) as conn:  # cold, even on a library an earlier run exported
        conn.execute("DELETE FROM entry_cache")
    conn.close()
    checked(library)  # that change was not Papershelf's: the check it causes is not counted below
    out = work / "all.bib"
    exported = papershelf("--library", str(library), "export", "--all", "-o", str(out))
    again = papershelf("--library", str(library), "export", "--all", "-o", str(work / "all-again.bib"))
    if (work / "all-again.bib").read_bytes() != out.read_bytes():
        raise SystemExit("the export from the entry cache differs from the first export")
    naive = run([sys.executable, str(HERE / "naive_export.py"), str(library), str(work / "naive.bib")])
    rows.append(
        row(
            f"BibTeX export of all {n:,}", "naive loop, no escaping", exported.seconds, naive.seconds, "s", 3.0, "ratio"
        )
    )
    rows.append(
        row(
            f"BibTeX export of all {n:,} again (entry cache)",
            "naive loop, no escaping",
            again.seconds,
            naive.seconds,
            "s",
            3.0,
            "ratio",
        )
    )


def bench_gui(library: Path, n: int, rows: list[Row], work: Path) -> None:
    empty = fresh_library(work / "empty-gui.sqlite3")
    checked(library)
    probe = [sys.executable, str(HERE / "gui_probe.py")]

    def measure(lib: Path, repeat: int = 5) -> tuple[float, float, float]:
        paints, ready, rss = [], [], []
        for _ in range(repeat):
            start = time.time()
            result = json.loads(run(probe + ["--library", str(lib), "--start", repr(start)]).stdout)
            paints.append(result["first_paint"] - start)
            ready.append(result["table_ready"] - start)
            rss.append(result["rss_mb"])
        return statistics.median(paints), statistics.median(ready), statistics.median(rss)

    empty_paint, empty_ready, empty_rss = measure(empty)
    big_paint, big_ready, big_rss = measure(library)
    rows.append(
        row(
            f"start to first painted window, {n:,} papers",
            "the same, empty library",
            big_paint,
            empty_paint,
            "s",
            1.2,
            "ratio",
        )
    )
    # Not in the table, but what a user waits for: the library open and
    # its first papers on screen (the empty library shows its welcome panel).
    rows.append(
        row(f"start to papers on screen, {n:,}", "the same, empty library", big_ready, empty_ready, "s", 2.0, "ratio")
    )
    rows.append(
        row(
            f"resident memory with papers on screen, {n:,}",
            "the same, empty library",
            big_rss,
            empty_rss,
            "MB",
            40,
            "delta",
        )
    )
    interactive = json.loads(run(probe + ["--library", str(library), "--interact"]).stdout)
    rows.append(
        row(
            f"search as you type, p95 keystroke to table, {n:,}",
            "-",
            interactive["search_p95_ms"],
            None,
            "ms",
            30,
            "abs",
        )
    )
    rows.append(row(f"sort the table by title, {n:,}", "-", interactive["sort_ms"], None, "ms", 100, "abs"))


def bench_lock(library: Path, n: int, rows: list[Row], work: Path) -> None:
    """The window while another process (a CLI import) holds the write lock for 10 s."""
    probe = [sys.executable, str(HERE / "gui_probe.py"), "--library", str(library), "--locked", "10"]
    free = json.loads(run([*probe, "--hold", "0"]).stdout)
    held = json.loads(run(probe).stdout)
    if held["landed"] != held["spaces"] or free["landed"] != free["spaces"]:
        raise SystemExit(f"changes made while the lock was held were lost or doubled: {held} / {free}")
    rows.append(
        row(
            f"longest event-loop stall, lock held 10 s, Space every 250 ms, {n:,}",
            "the same, no lock",
            held["max_gap_ms"],
            free["max_gap_ms"],
            "ms",
            50,
            "abs",
        )
    )


def bench_backup(library: Path, n: int, rows: list[Row], work: Path) -> None:
    """Backup size and time, and what the day's first launch costs the user once the papers show."""
    folder = work / "backups"
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    shutil.copy(library, work / "plain-copy.sqlite3")
    copied = time.perf_counter() - start
    made = papershelf("--library", str(library), "backup", str(folder / "bench.sqlite3.zip"))
    size_mb, library_mb = (folder / "bench.sqlite3.zip").stat().st_size / 1e6, library.stat().st_size / 1e6
    rows.append(
        row(
            f"backup size, {n:,} papers ({library_mb:.0f} MB library)",
            "the library file",
            size_mb,
            library_mb,
            "MB",
            0.25,
            "ratio",
        )
    )
    rows.append(row(f"backup time, {n:,}", "plain file copy", made.seconds, copied, "s", 20.0, "ratio"))
    probe = [sys.executable, str(HERE / "gui_probe.py"), "--library", str(library), "--settle", "5"]
    # A fresh profile has no backup of today: this is the first launch of the day.
    shutil.rmtree(HOME, ignore_errors=True)
    first = json.loads(run(probe).stdout)["cpu_after_ready_s"]
    later = json.loads(run(probe).stdout)["cpu_after_ready_s"]
    rows.append(
        row(
            f"CPU in the 5 s after papers show, first launch of a day, {n:,}",
            "a later launch",
            first,
            later,
            "s",
            0.5,
            "delta",
        )
    )


#: The largest file of the real-world corpus (tests/fixtures/bib-corpus/SOURCES.md): 3,994 entries, 1.5 MB.
LARGEST_BIB = ROOT / "tests" / "fixtures" / "bib-corpus" / "project-petsc.bib"

# The round-trip baseline: bibtexparser v2's own parse and write of the same
# file, default settings, in a fresh interpreter like the papershelf CLI runs.
BIBTEXPARSER_ROUNDTRIP = (
    "import sys, bibtexparser\n"
    "lib = bibtexparser.parse_file(sys.argv[1])\n"
    "with open(sys.argv[2], 'w', encoding='utf-8') as fh:\n"
    "    fh.write(bibtexparser.write_string(lib))\n"
)


def bench_bibtex(rows: list[Row], work: Path, repeat: int = 3) -> None:
    """Lossless BibTeX import and export (issue 12) of the largest corpus file, against bibtexparser v2 itself.

    Every run is a fresh process on both sides (interpreter start and module
    loading counted), the two sides alternating so the shared machine's load
    falls on both; the median of ``repeat`` runs is kept.
    """
    bib = LARGEST_BIB
    library = work / "bib-roundtrip.sqlite3"
    ours, theirs = [], []
    entries = 0
    for _ in range(repeat):
        fresh_library(library)
        imported = papershelf("--library", str(library), "import", str(bib))
        exported = papershelf("--library", str(library), "export", "--all", "-o", str(work / "bib-roundtrip.bib"))
        ours.append(imported.seconds + exported.seconds)
        found = re.search(r"(\d+) added", imported.stdout)
        entries = int(found.group(1)) if found else 0
        theirs.append(
            run([sys.executable, "-c", BIBTEXPARSER_ROUNDTRIP, str(bib), str(work / "bib-bibtexparser.bib")]).seconds
        )
    if entries < 3900:  # the file has 3,994: an import that adds nothing would make a fast, meaningless row
        raise SystemExit(f"bibtex row: the import of {bib.name} added {entries} papers\n{imported.stdout}")
    # <= 3x: the import runs bibtexparser's own parse, so the target leaves all
    # the rest (LaTeX decoding, the library's tables and search index, the
    # export, a second process) twice what bibtexparser's whole round trip takes.
    rows.append(
        row(
            f"import+export {bib.name} ({entries:,}), 2 CLI runs incl. start",
            "bibtexparser parse_file + write_string, one process incl. start",
            statistics.median(ours),
            statistics.median(theirs),
            "s",
            3.0,
            "ratio",
        )
    )

    # The export alone, without interpreter start or module loading: the library the last import made.
    # <= 1x: writing back each entry's stored text should cost no more than
    # bibtexparser formatting the same entries from its own model.
    # Cold: every entry encoded (the entry cache emptied first); warm: from the entry cache the export before filled.
    helper = [sys.executable, str(HERE / "bib_roundtrip.py")]
    cold_s, export_s, write_s = [], [], []
    for _ in range(repeat):
        cold_s.append(
            json.loads(run([*helper, "export-cold", str(library), str(work / "bib-export.bib")]).stdout)["seconds"]
        )
        export_s.append(
            json.loads(run([*helper, "export", str(library), str(work / "bib-export.bib")]).stdout)["seconds"]
        )
        write_s.append(json.loads(run([*helper, "write", str(bib), str(work / "bib-write.bib")]).stdout)["seconds"])
    for what, seconds in (("every entry encoded", cold_s), ("again, from the entry cache", export_s)):
        rows.append(
            row(
                f"export of that library alone, in-process, modules loaded: {what}",
                "bibtexparser write_string alone, in-process",
                statistics.median(seconds),
                statistics.median(write_s),
                "s",
                1.0,
                "ratio",
            )
        )


def bench_autoexport(rows: list[Row], work: Path) -> None:
    """A live .bib file of 1,000 papers rewritten after one change (issue 14), in-process (bench/live_file.py)."""
    listing = DATA / "listing-live-1100.json"
    if not listing.exists():
        write_json(listing, 1100, seed=14, start=6_000_000)
    helper = [sys.executable, str(HERE / "live_file.py"), str(work / "live.sqlite3"), str(listing), str(work / "live")]
    measured = json.loads(run(helper).stdout)
    what = f"rewrite a live .bib of {measured['papers']:,} after one change"
    rows.append(row(what + ", commit to file replaced", "-", measured["rewrite_s"] * 1000, None, "ms", 150, "abs"))
    # The rewrite renders what `export -o` renders (both after one change, from the entry cache), then compares
    # with the old file and records when it was written (one more commit): at most 2x.
    rows.append(
        row(
            what,
            "export -o of the same papers, in-process",
            measured["rewrite_s"],
            measured["export_s"],
            "s",
            2.0,
            "ratio",
        )
    )


def bench_shared(library: Path, n: int, rows: list[Row], work: Path) -> None:
    """The same papers in a shared library on a PostgreSQL server of the bench's own (bench/shared_library.py)."""
    from tests.pgcluster import find_binaries

    if find_binaries() is None:
        print("shared library rows skipped: PostgreSQL is not installed (initdb, postgres)", file=sys.stderr)
        return
    checked(library)
    m = json.loads(run([sys.executable, str(HERE / "shared_library.py"), "--local", str(library)]).stdout)
    print(f"shared library: {m['papers']['shared']:,} papers copied in {m['copy_s']:.0f} s", file=sys.stderr)
    local, shared = m["open"]["local"], m["open"]["shared"]
    for key, what in (("paint", "first painted window"), ("ready", "papers on screen")):
        rows.append(
            row(
                f"shared library of {n:,}: start to {what}",
                "the same, local file",
                shared[key],
                local[key],
                "s",
                1.5,
                "ratio",
            )
        )
    app = m["app_search_p95_ms"]
    rows.append(
        row(
            f"shared library: search as you type in the app, p95, {n:,}",
            "the same, local file",
            app["shared"],
            app["local"],
            "ms",
            50,
            "abs",
        )
    )
    core = m["core_search"]
    rows.append(
        row(
            "shared library: a keystroke's search, first page + its rows, p95",
            "the same, local file",
            core["shared"]["p95_ms"],
            core["local"]["p95_ms"],
            "ms",
            50,
            "abs",
        )
    )
    edit = m["edit"]
    rows.append(
        row(
            f"a tag edit reaching another member: COMMIT to NOTIFY received, max of {edit['edits']}",
            "-",
            edit["notify_max_ms"],
            None,
            "ms",
            1000,
            "abs",
        )
    )
    rows.append(
        row(
            f"a tag edit reaching another member: to its Library reading the tag, max of {edit['edits']}",
            "-",
            edit["seen_max_ms"],
            None,
            "ms",
            1000,
            "abs",
        )
    )


def print_table(rows: list[Row]) -> None:
    header = f"{'what':<52} {'value':>10} {'baseline':>10} {'ratio':>7} {'target':>12}  ok"
    print(header)
    print("-" * len(header))
    for r in rows:
        base = f"{r.base:.3f}" if r.base is not None else "-"
        ratio = f"{r.ratio}" if r.ratio is not None else "-"
        print(
            f"{r.what:<52} {r.value:>8.3f}{r.unit:>2} {base:>10} {ratio:>7} {r.target:>12}  {'yes' if r.ok else 'NO'}"
        )


#: The baseline of the duplicates row: the plain group-by of the title key an import already does.
GROUP_BY_TITLE_KEY = (
    "import sqlite3, sys\n"
    "conn = sqlite3.connect(f'file:{sys.argv[1]}?mode=ro', uri=True)\n"
    "groups = {}\n"
    "for pid, key in conn.execute('SELECT id, title_key FROM paper'):\n"
    "    groups.setdefault(key, []).append(pid)\n"
    "print(sum(len(ids) > 1 for ids in groups.values()))\n"
)


def bench_duplicates(library: Path, n: int, rows: list[Row], work: Path) -> None:
    """`papershelf duplicates` (DOIs, arXiv ids, titles alike within blocks) against a title-key group-by."""
    checked(library)
    found = papershelf("--library", str(library), "duplicates", "--json")
    plain = run([sys.executable, "-c", GROUP_BY_TITLE_KEY, str(library)])
    groups = len(json.loads(found.stdout))
    rows.append(
        row(
            f"find duplicates in {n:,} papers ({groups} groups)",
            "title-key group-by",
            found.seconds,
            plain.seconds,
            "s",
            40.0,
            "ratio",
        )
    )


def bench_pdf_index(library: Path, n: int, rows: list[Row], work: Path) -> None:
    """1,000 PDFs read into the search, the search as you type afterwards, the library's growth (bench/pdf_index.py)."""
    helper = [sys.executable, str(HERE / "pdf_index.py"), str(work / "pdf-index"), "--papers", str(n)]
    if library.exists():
        helper += ["--from", str(library)]
    m = json.loads(run(helper).stdout)
    pdfs = f"{m['pdfs']:,} PDFs of {m['pages']} pages"
    rows.append(
        row(
            f"read {pdfs} for the search",
            "their sandboxed extraction",
            m["index_s"],
            m["extract_s"],
            "s",
            1.25,
            "ratio",
        )
    )
    rows.append(
        row(
            f"search p95 per keystroke, {m['papers']:,} papers + {m['pdfs']:,} PDFs",
            "the same library without PDFs",
            m["search_p95_ms"],
            m["plain_search_p95_ms"],
            "ms",
            30,
            "abs",
        )
    )
    # The same, in the app: keystroke to table painted (bench/gui_probe.py), the library with and without the
    # PDFs, alternating, the median of three runs each (one run swings 2x on a shared machine).
    probe = [sys.executable, str(HERE / "gui_probe.py"), "--interact", "--library"]
    app: dict[str, list[float]] = {"pdf-shelf": [], "pdf-plain": []}
    for _ in range(3):
        for name, found in app.items():
            found.append(json.loads(run(probe + [str(work / "pdf-index" / f"{name}.sqlite3")]).stdout)["search_p95_ms"])
    rows.append(
        row(
            f"search as you type in the app, p95, + {m['pdfs']:,} PDFs",
            "the same library without PDFs",
            statistics.median(app["pdf-shelf"]),
            statistics.median(app["pdf-plain"]),
            "ms",
            30,
            "abs",
        )
    )
    rows.append(
        row(
            "library growth per PDF",
            "the text read from it",
            m["growth_per_pdf_kb"],
            m["text_per_pdf_kb"],
            "KB",
            2.0,
            "ratio",
        )
    )


def bench_pdf_extract(rows: list[Row], work: Path) -> None:
    """The text of a 30-page paper through the sandbox, against pypdfium2's own CLI (bench/pdf_extract.py)."""
    measured = json.loads(run([sys.executable, str(HERE / "pdf_extract.py"), "--work", str(work), "--json"]).stdout)
    # <= 2x: both are a fresh process that loads PDFium; the sandbox also sets its limits, reads the
    # metadata, ids and annotations, and sends everything back as JSON.
    rows.append(
        row(
            f"extract the text of a {measured['pages']}-page PDF, sandboxed worker",
            "python -m pypdfium2_cli extract-text, same file",
            measured["papershelf_s"],
            measured["pypdfium2_cli_s"],
            "s",
            2.0,
            "ratio",
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument(
        "--only", default="import,check,export,gui,lock,backup,bibtex,autoexport,duplicates,pdfindex,pdf,shared"
    )
    args = parser.parse_args()
    parts = set(args.only.split(","))
    work = DATA / "work"
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(HOME, ignore_errors=True)
    rows: list[Row] = []
    big = work / "big.sqlite3"
    # The bibtex rows make their own library: `--only bibtex` builds no listing library.
    if "import" in parts or (not big.exists() and parts - {"pdf", "bibtex", "autoexport", "pdfindex"}):
        big = bench_import(args.papers, rows, work)
    if "check" in parts:
        bench_check(big, args.papers, rows, work)
    if "export" in parts:
        bench_export(big, args.papers, rows, work)
    if "gui" in parts:
        bench_gui(big, args.papers, rows, work)
    if "lock" in parts:
        bench_lock(big, args.papers, rows, work)
    if "backup" in parts:
        bench_backup(big, args.papers, rows, work)
    if "bibtex" in parts:
        bench_bibtex(rows, work)
    if "autoexport" in parts:
        bench_autoexport(rows, work)
    if "duplicates" in parts:
        bench_duplicates(big, args.papers, rows, work)
    if "pdf" in parts:
        bench_pdf_extract(rows, work)
    if "pdfindex" in parts:
        bench_pdf_index(big, args.papers, rows, work)
    if "shared" in parts:
        bench_shared(big, args.papers, rows, work)
    print_table(rows)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    (HERE / "results.json").write_text(
        json.dumps({"machine": machine, "papers": args.papers, "rows": [asdict(r) for r in rows]}, indent=2) + "\n"
    )
    print(f"\nmachine: {machine}\nwritten: {HERE / 'results.json'}")
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
