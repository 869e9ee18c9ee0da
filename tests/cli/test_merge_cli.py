"""`papershelf duplicates` and `papershelf merge`: groups with why, a merge in one change, old keys that still work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

BIB = r"""@misc{smith2023arxiv,
  author = {Smith, Jane},
  title = {Sparse Attention for Long Documents},
  year = {2023},
  eprint = {2301.01234},
  archivePrefix = {arXiv}
}

@inproceedings{smith2024sparse,
  author = {Smith, Jane},
  title = {Sparse attention for long documents},
  booktitle = {Proc. ACL},
  year = {2024}
}

@article{other2020,
  author = {Other, Ann},
  title = {Something Else Entirely},
  journal = {J. Other},
  year = {2020}
}
"""


@pytest.fixture
def shelf(run, tmp_path: Path):
    path = tmp_path / "refs.bib"
    path.write_text(BIB, encoding="utf-8")
    assert run("import", str(path))[0] == 0


def test_duplicates_lists_each_group_with_why(run, shelf):
    code, out, err = run("duplicates")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "group 1: 2 papers"
    assert lines[1].split() == ["1", "smith2023arxiv", "2023", "Sparse", "Attention", "for", "Long", "Documents"]
    assert lines[2].split()[:3] == ["2", "smith2024sparse", "2024"]
    assert lines[3] == "  why: paper 1 and paper 2: same title: a preprint and its published version"
    assert lines[-1].startswith("1 group; merge one with")  # not "1 groups"
    code, out, _ = run("duplicates", "--json")
    assert json.loads(out)[0]["ids"] == [1, 2]


def test_not_duplicates_sticks(run, shelf):
    code, out, err = run("duplicates", "--not", "smith2023arxiv", "2")
    assert code == 0, err
    assert out == "marked 2 papers as not duplicates (1 new pair)\n"
    assert run("duplicates")[1] == "no duplicates found\n"
    code, _, err = run("duplicates", "--not", "1")
    assert code == 2 and "at least two" in err


def test_merge_keeps_old_key_as_alias_for_show_and_export(run, shelf, tmp_path):
    code, out, err = run("merge", "smith2024sparse", "smith2023arxiv", "--prefer", "title=smith2023arxiv")
    assert code == 0, err
    assert out.splitlines() == [
        "merged 1 (smith2023arxiv) into 2 (smith2024sparse): Sparse Attention for Long Documents",
        "old keys kept as aliases: smith2023arxiv",
    ]
    code, out, _ = run("show", "smith2023arxiv")
    assert code == 0 and "smith2024sparse" in out
    target = tmp_path / "out.bib"
    assert run("export", "--all", "-o", str(target))[0] == 0
    assert "  ids = {smith2023arxiv}" in target.read_text(encoding="utf-8")
    assert run("duplicates")[1] == "no duplicates found\n"


def test_a_bad_merge_is_one_line_and_changes_nothing(run, shelf):
    before = run("list")[1]
    code, _, err = run("merge", "2", "1", "--prefer", "title")
    assert code == 2 and "is not FIELD=ID" in err
    code, _, err = run("merge", "2", "1", "--prefer", "title=3")
    assert code == 1 and err == "papershelf: error: --prefer title=3: paper 3 is not one of the papers merged\n"
    code, _, err = run("merge", "2", "2")
    assert code == 1 and "cannot also be merged" in err
    code, _, err = run("merge", "2", "nosuchkey")
    assert code == 1 and "nosuchkey" in err and len(err.splitlines()) == 1
    assert run("list")[1] == before


def test_a_merge_of_papers_that_are_not_one_work_is_refused_without_force(run, shelf, tmp_path):
    """`merge 4 3` of two unrelated papers went through silently, and a CLI merge has no undo."""
    before = run("list")[1]
    code, out, err = run("merge", "2", "other2020")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "papershelf: error: merge: paper 3 does not look like the same work as paper 2 (no shared DOI or arXiv id, "
        "titles not alike, or marked not duplicates), and a merge cannot be undone from the command line; "
        "check the ids, or add --force"
    ]
    assert run("list")[1] == before
    # Papers marked "not duplicates" are refused too.
    assert run("duplicates", "--not", "1", "2")[0] == 0
    code, _, err = run("merge", "2", "1")
    assert code == 1 and "paper 1 does not look like the same work" in err
    # --force merges, after a backup whose path it prints: restoring it takes the merge back.
    code, out, err = run("merge", "2", "other2020", "--force")
    assert code == 0, err
    first = out.splitlines()[0]
    assert first.startswith("backup written first (`papershelf restore FILE` brings it back): ")
    backup = Path(first.split(": ", 1)[1])
    assert backup.is_file() and "before-merge" in backup.name
    assert "merged 3 (other2020) into 2" in out
    assert run("restore", str(backup), "--yes")[0] == 0
    assert run("list")[1] == before


def test_merge_help_does_not_promise_an_undo(run, capsys):
    with pytest.raises(SystemExit):
        run("merge", "--help")
    out = capsys.readouterr().out
    text = " ".join(out.split())
    assert "Undo takes it back" not in text
    assert "cannot be undone" in text and "--force" in text
