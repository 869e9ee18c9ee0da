"""Timed halves of the BibTeX round trip, for the `bibtex` rows of bench/run.py.

Each mode runs in a fresh interpreter (bench/run.py starts it), imports every
module it needs first, and times only the work itself with perf_counter; it
prints ``{"seconds": ...}`` as JSON on stdout.

    python bench/bib_roundtrip.py export LIBRARY OUT.bib
        Papershelf's `papershelf --library LIBRARY export --all -o OUT.bib`
        (default bibtex format), run in-process through the CLI's own main():
        the library's open, loading its papers, rendering, writing the file.
        Entries already in the library's entry cache are not encoded again.
    python bench/bib_roundtrip.py export-cold LIBRARY OUT.bib
        The same after emptying the entry cache (untimed): every entry encoded.
    python bench/bib_roundtrip.py write IN.bib OUT.bib
        bibtexparser v2's write_string() alone (the file is parsed first,
        untimed), and the string written to OUT.

PYTHONPATH must name the desktop/ folder of the tree being measured
(bench/run.py's ENV does).
"""

from __future__ import annotations

import json
import sys
import time


def export(library: str, out: str) -> float:
    # Everything `papershelf export` imports, loaded before the clock starts:
    # the row measures the export, not module loading.
    import papershelf.cli as cli
    import papershelf.core.display
    import papershelf.core.exporters
    import papershelf.core.fsutil
    import papershelf.core.importers.bibtex  # written.py imports it for edited name lists and keywords
    import papershelf.core.library
    import papershelf.logs  # noqa: F401

    start = time.perf_counter()
    code = cli.main(["--library", library, "export", "--all", "-o", out])
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"papershelf export failed with exit code {code}")
    return elapsed


def export_cold(library: str, out: str) -> float:
    import sqlite3

    # SQLite itself empties the cache, before Papershelf opens the file.
    conn = sqlite3.connect(library)
    with conn:
        conn.execute("DELETE FROM entry_cache")
    conn.close()
    return export(library, out)


def write(source: str, out: str) -> float:
    import bibtexparser

    library = bibtexparser.parse_file(source)
    start = time.perf_counter()
    text = bibtexparser.write_string(library)
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(text)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    modes = {"export": export, "export-cold": export_cold, "write": write}
    if len(argv) != 3 or argv[0] not in modes:
        print(__doc__, file=sys.stderr)
        return 2
    seconds = modes[argv[0]](argv[1], argv[2])
    print(json.dumps({"seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
