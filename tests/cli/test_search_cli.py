"""Searching from the command line: negated terms without `--`, and filters that name what is wrong."""

import json

import pytest

from papershelf.cli import main

from ..conftest import SAMPLE_JSON, SAMPLE_TEXT


@pytest.fixture
def imported(run, sample_text):
    code, _, err = run("import", str(sample_text), "--date", "2025-09-11")
    assert code == 0, err
    assert run("status", "1", "2", "read")[0] == 0
    assert run("tag", "3", "nlp")[0] == 0


def listed_ids(out: str) -> list[int]:
    return [int(line.split()[0]) for line in out.splitlines()]


@pytest.mark.parametrize(
    "argv",
    [
        ["-status:read"],
        ["--", "-status:read"],
        ["--json", "-status:read"],
        ["-status:read", "--json"],
        ["-tag:nlp", "-status:read", "--limit", "60"],
        ["-has:notes", "-status:read"],  # -has… is not -h (help) with a value
        ["--sort", "title", "-status:read"],
        ["--sort=id", "-status:read", "--limit=60"],
    ],
)
def test_a_negated_term_may_come_first_without_dashes(run, imported, argv):
    # `papershelf list -status:read` used to fail: "unrecognized arguments".
    code, out, err = run("list", *argv)
    assert code == 0, err
    ids = [p["id"] for p in json.loads(out)] if "--json" in argv else listed_ids(out)
    assert 1 not in ids and 2 not in ids
    expected = 46 if "-tag:nlp" in argv else 47
    assert sorted(ids) == [i for i in range(1, 50) if i not in (1, 2) and (i != 3 or expected == 47)]


def test_options_after_negated_terms_still_work(run, imported, capsys):
    code, out, _ = run("list", "-status:read", "--limit", "3", "--sort", "id")
    assert code == 0 and listed_ids(out) == [3, 4, 5]
    for bad, named in ((["--limit", "many"], "--limit"), (["--colour"], "--colour"), (["--limit"], "--limit")):
        with pytest.raises(SystemExit) as info:  # still a usage error, named by argparse
            run("list", "-status:read", *bad)
        assert info.value.code == 2 and named in capsys.readouterr().err


def test_list_help_still_shows_help(capsys, library_path):
    for argv in (["list", "-h"], ["list", "-status:read", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(["--library", str(library_path), *argv])
        assert info.value.code == 0
        assert "usage: papershelf list" in capsys.readouterr().out


def test_export_query_may_start_with_a_negation(run, imported, tmp_path):
    # `export --query -status:read` used to fail: "expected one argument".
    target = tmp_path / "unread.bib"
    code, _, err = run("export", "--query", "-status:read", "-o", str(target))
    assert code == 0, err
    assert err.startswith(f"{target}: 47 papers written")
    code, _, err = run("export", "-o", "-", "--tag", "nlp", "--format", "csl-json")
    assert code == 0, err


@pytest.mark.parametrize(
    "query, message",
    [
        (["tag:"], 'search: "tag:" needs a tag name (tag:NAME)'),
        (["tag:nosuch"], 'search: no tag named "nosuch"'),
        (["tag:nlpp"], 'search: no tag named "nlpp"; did you mean "nlp"?'),
        (["-tag:nosuch"], 'search: no tag named "nosuch"'),
        (["list:NoSuch"], 'search: no reading list named "NoSuch" (the library has no reading lists yet)'),
        (["date:2025-13"], 'search: "date:2025-13" is not a date (use date:YYYY-MM-DD or date:YYYY-MM)'),
    ],
)
def test_a_filter_that_cannot_match_is_named_not_no_papers_match(run, imported, query, message):
    code, out, err = run("list", *query)
    assert (code, out) == (1, "")
    assert err == f"papershelf: error: {message}\n"


def test_export_of_an_unknown_tag_writes_nothing(run, imported, tmp_path):
    target = tmp_path / "out.bib"
    code, _, err = run("export", "--tag", "nosuch", "-o", str(target))
    assert code == 1 and err == 'papershelf: error: search: no tag named "nosuch"\n'
    assert not target.exists()


def test_untag_a_tag_the_paper_does_not_have_says_nothing_changed(run, imported):
    # `untag 1 no-such-tag` used to exit 0 and say nothing.
    code, out, err = run("untag", "3", "no-such-tag")
    assert (code, out) == (1, "")
    assert err == 'papershelf: error: 3: no tag "no-such-tag" on this paper; nothing changed\n'
    assert json.loads(run("show", "3", "--json")[1])["tags"] == ["nlp"]


def test_untag_removes_what_is_there_and_names_what_was_not(run, imported):
    run("tag", "3", "vision")
    code, out, err = run("untag", "3", "NLP", "nope", "other")
    assert code == 0
    assert out == "3: tags: vision\n"
    assert err == 'papershelf: warning: 3: no tags "nope", "other" on this paper; the rest were removed\n'
    code, out, err = run("untag", "3", "vision")
    assert (code, out, err) == (0, "3: tags: (none)\n", "")


@pytest.mark.parametrize(
    "fmt, sample",
    [
        ("hf-json", SAMPLE_TEXT),
        ("hf-text", SAMPLE_JSON),
        ("hf-text", "bib"),
        ("hf-json", "bib"),
        ("bibtex", SAMPLE_JSON),
    ],
)
def test_an_import_format_that_does_not_fit_the_file_is_one_line(run, tmp_path, fmt, sample):
    if sample == "bib":
        sample = tmp_path / "refs.bib"
        sample.write_text("@article{key,\n  title = {Sep 11},\n  year = 2025\n}\n", encoding="utf-8")
    code, out, err = run("import", "--format", fmt, "--date", "2025-09-11", str(sample))
    assert code == 1 and out == ""
    assert err.startswith(f"papershelf: error: {sample}: ") and err.count("\n") == 1
    assert run("list")[1].startswith("the library is empty")
