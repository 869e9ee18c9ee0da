"""Hostile .bib files: each import runs in a child process with a memory limit and a timeout.

A regression (an @string chain doubling to gigabytes, an 18 MB abstract fed to
the LaTeX decoder, a quadratic regex) then fails the test instead of eating
the machine. Every case must import the good entry, skip the bad one with a
line naming the file, the entry key and its line, and finish in seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import ROOT

#: Address space for the child: the importer's working set is tens of MB; the old code needed gigabytes.
MEMORY_LIMIT = 1024 * 1024 * 1024
TIMEOUT = 60

CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
sys.path.insert(0, {desktop!r})
from papershelf.core.library import Library

started = time.perf_counter()
with Library(sys.argv[1]) as library:
    result = library.import_file(sys.argv[2])
    titles = [p.title[:20] for p in library.get_many(library.search_ids(""))]
print(json.dumps({{"added": result.added, "skipped": result.problems, "warnings": result.warnings[:3],
                  "titles": titles, "seconds": time.perf_counter() - started}}))
"""


def run_import(tmp_path: Path, name: str, text: str) -> dict:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    script = CHILD.format(limit=MEMORY_LIMIT, desktop=str(ROOT / "desktop"))
    child = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "library.sqlite3"), str(path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    return json.loads(child.stdout)


GOOD = "@misc{good, title = {Good entry}}\n"
MIB = 1024 * 1024


def test_a_chain_of_string_macros_is_cut_at_one_mebibyte(tmp_path):
    # 1 KB of @string lines that double at each step: 2^40 characters if expanded.
    lines = ['@string{s0 = "xxxxxxxxxxxxxxxx"}'] + [f"@string{{s{i} = s{i - 1} # s{i - 1}}}" for i in range(1, 40)]
    text = "\n".join(lines) + "\n@misc{k, title = s39}\n" + GOOD
    result = run_import(tmp_path, "chain.bib", text)
    name = tmp_path / "chain.bib"
    assert result["titles"] == ["Good entry"]
    assert result["skipped"] == [
        f"{name}: line 41: entry 'k': field 'title': @string 's39' is longer than 1 MiB; not imported"
    ]
    # The macro that first grew too large is named once, not every macro built on it.
    assert result["warnings"] == [
        f"{name}: line 18: @string 's17': longer than 1 MiB after @string expansion; entries using it are not imported"
    ]


def test_an_18_mb_abstract_full_of_latex_skips_that_entry_quickly(tmp_path):
    abstract = r"The {\"o} $\alpha$ \textit{x} \emph{y} {{z}} -- ``q'' " * (18 * MIB // 52)
    result = run_import(tmp_path, "big.bib", "@misc{big, title = {Big}, abstract = {" + abstract + "}}\n" + GOOD)
    assert result["titles"] == ["Good entry"]
    assert result["skipped"] == [
        f"{tmp_path / 'big.bib'}: line 1: entry 'big': field 'abstract' is longer than 1 MiB; not imported"
    ]
    assert result["seconds"] < 30  # bibtexparser reads 18 MB in a few seconds; the old import took minutes


def test_a_long_latex_value_under_the_field_limit_is_kept_undecoded(tmp_path):
    abstract = r"{\em x} \"o $\beta$ " * (MIB // 20 - 1000)
    result = run_import(tmp_path, "long.bib", "@misc{long, title = {Long}, abstract = {" + abstract + "}}\n" + GOOD)
    assert sorted(result["titles"]) == ["Good entry", "Long"]
    assert result["skipped"] == []
    assert result["seconds"] < 20  # decoding 1 MB of LaTeX took about 15 s and 1 GB


def test_one_large_macro_used_by_thousands_of_entries_stays_within_the_budget(tmp_path):
    big = "x" * (MIB - 10)
    text = (
        "@string{big = {"
        + big
        + "}}\n"
        + "".join(f'@misc{{k{i}, title = big # "{i}"}}\n' for i in range(20_000))
        + GOOD
    )
    result = run_import(tmp_path, "fan.bib", text)
    assert "Good entry" in result["titles"]
    assert 0 < result["added"] < 100  # the first entries fit the 32 MiB budget; 20 GB would not
    assert result["skipped"][0].endswith(": @string and crossref expansions in this file exceed 32 MiB; not imported")


def test_one_large_crossref_parent_inherited_by_thousands_of_children_stays_within_the_budget(tmp_path):
    parent = "@proceedings{p, title = {P}, publisher = {" + "x" * (MIB - 10) + "}}\n"
    children = "".join(f"@inproceedings{{c{i}, title = {{C{i}}}, crossref = {{p}}}}\n" for i in range(20_000))
    result = run_import(tmp_path, "xref.bib", parent + children + GOOD)
    assert "Good entry" in result["titles"]
    assert len(result["skipped"]) > 19_000
    assert (
        "crossref 'p': @string and crossref expansions in this file exceed 32 MiB; not imported" in result["skipped"][0]
    )


@pytest.mark.parametrize("spaces", [" ", "\n", " \t"])
def test_a_name_list_with_a_long_run_of_spaces_is_read_in_linear_time(tmp_path, spaces):
    authors = "Ann Smith" + spaces * 300_000 + "Bo Doe and Cy Roe"
    result = run_import(tmp_path, "names.bib", "@misc{n, title = {Names}, author = {" + authors + "}}\n" + GOOD)
    assert sorted(result["titles"]) == ["Good entry", "Names"]
    assert result["seconds"] < 20
