"""`papershelf import`: what it says about each entry, and its exit status."""

from __future__ import annotations

from pathlib import Path

from ..conftest import SAMPLE_TEXT


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_warnings_are_not_skips_and_exit_0_when_every_entry_was_imported(run, tmp_path):
    path = write(tmp_path, "refs.bib", "@misc{a, title = {A}, booktitle = ijcai}\n@misc{b, title = {B}, title = {C}}\n")
    code, out, err = run("import", str(path))
    assert code == 0
    assert out == f"{path}: 2 added, 0 already in library\n"
    assert err.splitlines() == [
        f"  warning: {path}: line 1: entry 'a': field 'booktitle': undefined @string 'ijcai' (kept as text)",
        f"  warning: {path}: line 2: entry 'b': field 'title' is given twice; the first value is kept",
    ]


def test_a_skipped_entry_is_named_and_exits_1(run, tmp_path):
    path = write(tmp_path, "refs.bib", "@misc{a, title = {A}}\n@misc{broken title = {B}, year = 2020}\n")
    code, out, err = run("import", str(path))
    assert code == 1
    assert out == f"{path}: 1 added, 0 already in library\n"
    assert err == f"  skipped: {path}: line 2: entry 'broken': not imported: no comma after the citation key\n"


def test_merges_and_possible_duplicates_are_listed_with_the_summary(run, tmp_path):
    first = write(
        tmp_path,
        "a.bib",
        "@misc{intro-a, title = {Introduction}, year = 2020, eprint = {2305.18153}, archivePrefix = {arXiv}}\n",
    )
    assert run("import", str(first))[0] == 0
    second = write(
        tmp_path,
        "b.bib",
        "@misc{yin2023large, title = {Other}, eprint = {2305.18153}, archivePrefix = {arXiv}}\n"
        "\n@misc{intro-b, title = {Introduction}, year = 2020}\n",
    )
    code, out, err = run("import", str(second))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{second}: 1 added, 1 already in library",
        "  merged: yin2023large (line 1) into paper 1 (same arXiv id 2305.18153)",
        '  possible duplicate: intro-b (line 3) looks like paper 1 "Introduction"',
    ]


def test_a_keyword_longer_than_a_tag_imports_with_a_warning(run, tmp_path):
    keyword = "Key words: " + " – ".join(f"topic {i}" for i in range(20))
    path = write(
        tmp_path,
        "zotero.bib",
        f"@article{{k, title = {{T}}, keywords = {{{keyword}}}}}\n@article{{j, title = {{U}}}}\n",
    )
    code, out, err = run("import", str(path))
    assert code == 0 and out == f"{path}: 2 added, 0 already in library\n"
    assert "is longer than 100 characters: kept in the keywords field, not as a tag" in err


def test_a_lone_surrogate_in_json_is_a_warning_not_an_internal_error(run, tmp_path):
    path = write(
        tmp_path,
        "api.json",
        '[{"paper": {"id": "2509.00001", "title": "Broken \\ud800", "submittedOnDailyAt": "2025-09-11"}}]',
    )
    code, out, err = run("import", str(path))
    assert code == 0 and out == f"{path}: 1 added, 0 already in library\n"
    assert (
        err
        == f"  warning: {path}: item 1: title: a lone surrogate \\ud800 (half a character) is not text; kept as U+FFFD\n"
    )
    assert "Broken \ufffd" in run("list")[1]


def test_a_format_that_does_not_fit_the_file_is_one_line_exit_1(run):
    code, out, err = run("import", "--format", "bibtex", str(SAMPLE_TEXT))
    assert (code, out) == (1, "")
    assert err == (
        f"papershelf: error: {SAMPLE_TEXT}: not BibTeX: no line starts an entry such as '@article{{key,' "
        "(it looks like a daily papers text listing; try --format auto)\n"
    )
    assert "the library is empty" in run("list")[1]  # nothing was imported
