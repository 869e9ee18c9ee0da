"""How much of a real .bib library survives import and export: the baseline for the BibTeX round trip.

For every file of the real-world corpus (tests/fixtures/bib-corpus/, sources in
its SOURCES.md), import it into a fresh temporary library, export every paper
with the default ``bibtex`` format, and compare the two files entry by entry as
bibtexparser v2 reads them with its default parse stack (@string macros
resolved, enclosing braces or quotes removed). Only the public core API is used.

    python bench/bib_corpus_report.py [FILE.bib ...]   # default: the whole corpus

One line per file:

- ``entries``: entries in the original file;
- ``keys``: original citation keys found again in the export;
- ``types``: of those, entries that kept their entry type (compared in lower case);
- ``missing``: fields of the original (with a non-blank value) absent from the
  exported entry, counted once per entry and field;
- ``changed``: fields present on both sides whose values differ once runs of
  whitespace are collapsed;
- the field names most often missing and changed.

Fields in ``papershelf.core.exporters.bibtex.TOOL_FIELDS`` (reference-manager
bookkeeping the export leaves out on purpose) are ignored on both sides. The
import's own counts (added, already in the library, skipped, merged) and the
time taken close the line. Nothing here touches the user's profile: the script
runs with a temporary PAPERSHELF_HOME.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT / "tests" / "fixtures" / "bib-corpus"
sys.path.insert(0, str(ROOT / "desktop"))

import bibtexparser  # noqa: E402


@dataclass
class Comparison:
    entries: int = 0
    keys: int = 0
    types: int = 0
    missing: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)


def collapse(value: object) -> str:
    return " ".join(str(value).split())


def fields_of(entry, ignored: frozenset[str]) -> dict[str, str]:
    """Lower-case field name -> value with whitespace collapsed; the first of repeated names wins."""
    result: dict[str, str] = {}
    for f in entry.fields:
        name = f.key.lower()
        if name not in ignored and name not in result:
            result[name] = collapse(f.value)
    return result


def compare(original_text: str, exported_text: str, ignored: frozenset[str]) -> Comparison:
    original = bibtexparser.parse_string(original_text)
    exported = bibtexparser.parse_string(exported_text)
    by_key = {}
    for entry in exported.entries:
        by_key.setdefault(entry.key, entry)
    result = Comparison(entries=len(original.entries))
    for entry in original.entries:
        twin = by_key.get(entry.key)
        if twin is None:
            continue
        result.keys += 1
        result.types += entry.entry_type.lower() == twin.entry_type.lower()
        theirs = fields_of(twin, ignored)
        for name, value in fields_of(entry, ignored).items():
            if not value:
                continue  # a blank field carries nothing to lose
            if name not in theirs:
                result.missing[name] += 1
            elif theirs[name] != value:
                result.changed[name] += 1
    return result


def top(counter: Counter[str], n: int = 4) -> str:
    return ",".join(f"{name}:{count}" for name, count in counter.most_common(n)) or "-"


def measure(path: Path, workdir: Path) -> str:
    from papershelf.core import exporters
    from papershelf.core.exporters.bibtex import TOOL_FIELDS
    from papershelf.core.library import Library

    library = Library(workdir / f"{path.stem}.sqlite3")
    try:
        start = time.perf_counter()
        try:
            result = library.import_file(path)
        except Exception as exc:  # the line says why; the other files still run
            return f"{path.name}: import failed ({type(exc).__name__}: {exc})".splitlines()[0]
        imported = time.perf_counter() - start
        start = time.perf_counter()
        text = "".join(exporters.render(library.iter_papers(library.search_ids("")), "bibtex"))
        exported = time.perf_counter() - start
    finally:
        library.close()
    c = compare(path.read_text(encoding="utf-8-sig"), text, frozenset(TOOL_FIELDS))
    return (
        f"{path.name}: entries {c.entries} | keys {c.keys} | types {c.types} | "
        f"missing {sum(c.missing.values())} [{top(c.missing)}] | "
        f"changed {sum(c.changed.values())} [{top(c.changed)}] | "
        f"import added {result.added}, existing {result.existing}, skipped {len(result.problems)}, "
        f"merged {len(result.merged)} | {imported:.1f}s + {exported:.1f}s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="BibTeX files (default: every file of the corpus)")
    args = parser.parse_args(argv)
    files = args.files or sorted(CORPUS.glob("*.bib"))
    with tempfile.TemporaryDirectory(prefix="bib-corpus-") as tmp:
        home = Path(tmp) / "profile"
        os.environ["PAPERSHELF_HOME"] = str(home)
        os.environ.pop("PAPERSHELF_LIBRARY", None)
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
            os.environ[name] = str(home / name.lower())
        for path in files:
            print(measure(path, Path(tmp)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
