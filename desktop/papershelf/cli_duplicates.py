"""``papershelf duplicates`` and ``papershelf merge``: find papers that are one work, and fold them into one.

Finding, merging and marking are the core's (``core/duplicates.py``,
``core/operations/merge.py``), the same the app's Find Duplicates dialog uses.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `papershelf --help` loads no core module
    from .core.library import Library

DUPLICATES_HELP = """\
List groups of papers that look like one work: the same DOI, the same arXiv id
(any version), or titles alike enough with the same first author and close
years (a preprint and its published version among them). Each group shows
every paper's id, key, year and title, and why they were grouped. Merge a
group with `papershelf merge`, or say its papers are different works with
--not, after which they are never grouped together again."""

MERGE_HELP = """\
Merge papers into KEEP, in one change. A merge made here cannot be undone: the
app's Undo covers only what was done in that window, and the command line has
no undo. So merge refuses papers that `papershelf duplicates` would not group
with KEEP (no shared DOI or arXiv id, titles not alike, or marked as not
duplicates); --force merges them anyway, after writing a backup of the library
(its path is printed; `papershelf restore FILE` brings it back). KEEP's
fields stay, except those --prefer takes from another paper (FIELD=ID, e.g.
--prefer title=12 --prefer venue=12); a field KEEP lacks is filled from the
others. FIELD is title, authors, year (or date), type, url, arxiv, abstract,
venue (journal and booktitle), or any BibTeX field (volume, pages, doi, ...).
Tags, notes, reading lists, listing history and read status are all kept. The
other papers' citation keys become aliases of KEEP: `papershelf show OLDKEY`
finds it, and BibTeX exports write them as `ids = {...}`, so biblatex still
resolves \\cite{OLDKEY} (classic bibtex ignores ids)."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "duplicates",
        help="list groups of papers that look like one work",
        description=DUPLICATES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true", help="print the groups as JSON")
    p.add_argument("--not", dest="not_ids", nargs="+", metavar="ID", help="mark these papers as not duplicates")
    p = sub.add_parser(
        "merge",
        help="merge duplicate papers into one",
        description=MERGE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("keep", metavar="KEEP", help="the paper kept: numeric id, citation key or arXiv id")
    p.add_argument("ids", nargs="+", metavar="OTHER", help="the papers merged into KEEP")
    p.add_argument("--prefer", action="append", default=[], metavar="FIELD=ID", help="take FIELD from paper ID")
    p.add_argument(
        "--force",
        action="store_true",
        help="merge papers that do not look like one work (a backup of the library is written first)",
    )


def cmd_duplicates(
    args: argparse.Namespace, open_library: Callable[[argparse.Namespace], Library], usage: type[Exception]
) -> int:
    from .core import duplicates
    from .core import operations as ops
    from .core.display import visible

    if args.not_ids is not None:
        if len(args.not_ids) < 2:
            raise usage("duplicates --not: give at least two papers")
        with open_library(args) as library:
            ids = library.resolve_many(args.not_ids)
            if len(set(ids)) < 2:
                raise usage("duplicates --not: give at least two different papers")
            outcome = library.run(ops.MarkNotDuplicate(tuple(ids)))
        new = outcome.result
        print(f"marked {len(set(ids))} papers as not duplicates ({new} new {'pair' if new == 1 else 'pairs'})")
        return 0
    with open_library(args) as library:
        groups = duplicates.find(library)
        rows = library.get_many(sorted({pid for g in groups for pid in g.ids}))
    by_id = {p.id: p for p in rows}
    if args.json:

        def entry(pid: int) -> dict[str, object]:
            paper = by_id[pid]
            year = paper.published.year if paper.published else None
            return {"id": pid, "key": paper.citation_key, "year": year, "title": paper.title}

        out = [{"ids": list(g.ids), "papers": [entry(p) for p in g.ids], "reasons": list(g.reasons)} for g in groups]
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    if not groups:
        print("no duplicates found")
        return 0
    width = max(len(str(pid)) for g in groups for pid in g.ids)
    keys = max(len(by_id[pid].citation_key) for g in groups for pid in g.ids)
    for n, group in enumerate(groups, 1):
        if n > 1:
            print()
        print(f"group {n}: {len(group.ids)} papers")
        for pid in group.ids:
            paper = by_id[pid]
            year = str(paper.published.year) if paper.published else "----"
            print(visible(f"  {pid:>{width}}  {paper.citation_key:<{keys}}  {year}  {paper.title}"))
        for reason in group.reasons:
            print(visible(f"  why: {reason}"))
    print(
        f"\n{len(groups)} {'group' if len(groups) == 1 else 'groups'}; merge one with: papershelf merge KEEP OTHER…, or: papershelf duplicates --not ID ID…"
    )
    return 0


def cmd_merge(
    args: argparse.Namespace, open_library: Callable[[argparse.Namespace], Library], usage: type[Exception]
) -> int:
    from .core import backup, duplicates
    from .core import operations as ops
    from .core.display import visible
    from .core.errors import PapershelfError

    wanted: list[tuple[str, str]] = []
    for word in args.prefer:
        name, sep, ident = word.partition("=")
        if not sep or not name.strip() or not ident.strip():
            raise usage(f"merge: --prefer {word!r} is not FIELD=ID")
        wanted.append((name.strip(), ident.strip()))
    with open_library(args) as library:
        keep = library.resolve(args.keep)
        others = tuple(dict.fromkeys(library.resolve_many(args.ids)))
        prefer = tuple((name, library.resolve(ident)) for name, ident in wanted)
        old = {p.id: p.citation_key for p in library.get_many(list(others))}
        apart = [pid for pid in duplicates.not_grouped(library, keep, others) if pid != keep]
        if apart and not args.force:
            raise PapershelfError(
                f"merge: {_listed(apart)} {'does' if len(apart) == 1 else 'do'} not look like the same work as "
                f"paper {keep} (no shared DOI or arXiv id, titles not alike, or marked not duplicates), and a "
                "merge cannot be undone from the command line; check the ids, or add --force"
            )
        if apart and library.shared:
            print(f"no backup is written first: {library.name} is a shared library (its server's backups undo a merge)")
        elif apart:
            made = backup.backup(library.path, folder=library.backups_dir or library.path.parent, reason="before-merge")
            print(f"backup written first (`papershelf restore FILE` brings it back): {made}")
        library.run(ops.MergePapers(keep, others, prefer))
        paper = library.get(keep)
    merged = ", ".join(f"{pid} ({old[pid]})" for pid in others)
    print(visible(f"merged {merged} into {keep} ({paper.citation_key}): {paper.title}"))
    if paper.aliases:
        print(visible(f"old keys kept as aliases: {', '.join(paper.aliases)}"))
    return 0


def _listed(ids: list[int]) -> str:
    """``paper 3`` or ``papers 3, 4``."""
    return ("paper " if len(ids) == 1 else "papers ") + ", ".join(map(str, ids))
