"""Bench helper: rewriting a live .bib file of 1,000 papers after one change, in-process, modules loaded.

    python bench/live_file.py LIBRARY LISTING OUT_DIR [--repeat 15]

Imports LISTING (at least 1,000 papers) into a fresh LIBRARY, puts 1,000 of them in a
reading list bound to OUT_DIR/live.bib, then, ``repeat`` times: one change to
one paper of the list (its title), committed, and the time from that commit
to the file replaced (``autoexport.sync``). The baseline, in the same process,
on the same papers and also after one change: what ``papershelf export --list … -o`` does after
opening the library (crossref order, entries from the entry cache or encoded,
atomic write, pin keys).
Prints medians in seconds as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "desktop"))

from papershelf.core import autoexport, exporters
from papershelf.core import operations as ops
from papershelf.core.library import Library


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("library", type=Path)
    parser.add_argument("listing", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm"):
        Path(str(args.library) + suffix).unlink(missing_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    live = args.out / "live.bib"
    live.unlink(missing_ok=True)
    with Library(args.library) as library:
        library.import_file(args.listing)
        ids = library.search_ids("")[:1000]  # the listing holds a few more (some are merged as duplicates)
        library.add_to_list("Thesis", ids, create=True)
        library.run(autoexport.prepare("list", "Thesis", live, "bibtex"))
        [first] = autoexport.sync(library)
        assert first.status == "written" and first.count == len(ids), first

        rewrite, export = [], []
        for turn in range(args.repeat):
            library.run(ops.SetTitle(ids[turn * 37 % len(ids)], f"A title changed by hand, turn {turn}"))
            start = time.perf_counter()  # committed
            [result] = autoexport.sync(library)
            rewrite.append(time.perf_counter() - start)
            assert result.status == "written", result

            # The export after a change too, so both sides encode one entry again and take the rest from the cache.
            library.run(ops.SetTitle(ids[(turn * 37 + 11) % len(ids)], f"Another title changed by hand, turn {turn}"))
            start = time.perf_counter()
            order = library.bibtex_order(library.list_paper_ids("Thesis"))
            exporters.export_to_file(exporters.LibraryPapers(library, order), "bibtex", args.out / "export.bib")
            library.run(ops.PinKeys(tuple(order)))
            export.append(time.perf_counter() - start)
        autoexport.sync(library)  # the file takes the export's last change
        unchanged = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            [result] = autoexport.sync(library)
            unchanged.append(time.perf_counter() - start)
            assert result.status == "unchanged", result
    print(
        json.dumps(
            {
                "papers": len(ids),
                "rewrite_s": statistics.median(rewrite),
                "export_s": statistics.median(export),
                "unchanged_s": statistics.median(unchanged),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
