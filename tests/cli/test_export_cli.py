"""Export end to end, as a user does it: import listings, export with the CLI, check with the real tools."""

import json
from pathlib import Path

import pytest

from papershelf.core.library import Library
from tests.texcheck import check_bib, require_tex

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

HOSTILE_LISTING = r"""Daily Papers

Sep 11

100% Accuracy & $0 Cost: Learning #1 Models with_under_scores ^ ~ \input{/etc/passwd} \write18{rm -rf ~}

We show that {unbalanced braces and a % comment and \textbf{bold} do not escape. <img src=x onerror=alert(1)> <b>HTML</b>

Σ-Attention: When α ≤ β ⇒ ∞ in ℝ^n for GPT-4o and RLHF-tuned MLLMs

Greek letters Δ and λ, arrows →, and math like x² ∈ ℕ must become math macros; Müller, Łukasz, ễ and Ångström too.

Unbalanced } closing { brace {{{ title

Abstract with a lone backslash \ at the end \

Attention, again

Two papers that would get the same key.

Attention again and again

(The second of them: another title, but the same first two words and year.)
"""


@pytest.fixture
def populated(run, tmp_path):
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(HOSTILE_LISTING, encoding="utf-8")
    for listing in (FIXTURES / "hf-daily-papers-sep-11.txt", FIXTURES / "hf-daily-papers-api-sample.json", hostile):
        assert run("import", str(listing), "--date", "2025-09-11")[0] == 0
    return run


@pytest.mark.tex
@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_exports_of_the_samples_and_a_hostile_listing_pass_bibtex_and_biber(populated, tmp_path, fmt):
    require_tex()
    out = tmp_path / f"all-{fmt}.bib"
    code, _, err = populated("export", "--all", "--format", fmt, "-o", str(out))
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert text.count("\n@") + text.startswith("@") == 56
    if fmt == "bibtex":
        assert text.isascii()
    assert check_bib(out, utf8=fmt == "biblatex") == []
    # LaTeX commands from a listing are inert text.
    assert "\\input{" not in text and "\\write18{" not in text


def test_scopes_and_standard_output(populated, tmp_path):
    run = populated
    run("tag", "1", "rl")
    run("tag", "2", "rl")
    run("lists", "create", "Reading group")
    run("lists", "add", "Reading group", "3", "1")
    keys = {}
    for argv in (["--list", "Reading group"], ["--tag", "rl"], ["--query", "docthinker"], ["--ids", "2", "50"], ["--all"]):
        code, out, _ = run("export", *argv, "-o", "-")
        assert code == 0
        keys[argv[0]] = [line.split("{", 1)[1].rstrip(",") for line in out.splitlines() if line.startswith("@")]
    key_of = {i: json.loads(run("show", str(i), "--json")[1])["citation_key"] for i in (1, 2, 3, 50)}
    assert keys["--list"] == [key_of[3], key_of[1]]  # list order
    assert keys["--tag"] == [key_of[1], key_of[2]]
    assert keys["--query"] == [key_of[1]]
    assert keys["--ids"] == [key_of[2], key_of[50]]
    assert len(keys["--all"]) == 56


def test_a_failed_export_keeps_the_old_file(populated, tmp_path):
    target = tmp_path / "refs.bib"
    target.write_text("my old bibliography")
    code, _, err = populated("export", "--list", "No such list", "-o", str(target))
    assert code == 1 and "no reading list" in err
    assert target.read_text() == "my old bibliography"
    code, _, err = populated("export", "--all", "-o", str(tmp_path))
    assert code == 1 and err.startswith(f"papershelf: error: {tmp_path}")


def test_round_trip_through_an_empty_library(populated, tmp_path, library_path):
    run = populated
    zotero = FIXTURES / "real-world" / "zotero-better-bibtex-export.bib"
    assert run("import", str(zotero))[0] == 0
    with Library(library_path) as lib:
        ids = lib.search_ids("")
        lib.add_tags(ids[:5], ["round trip", "rl"])
        lib.create_list("Export me")
        lib.add_to_list("Export me", ids)
        before = lib.get_many(lib.list_paper_ids("Export me"))
    for options in ([], ["--all-fields"]):
        out = tmp_path / f"list{len(options)}.bib"
        assert run("export", "--list", "Export me", "--format", "biblatex", *options, "-o", str(out))[0] == 0
        with Library(tmp_path / f"fresh{len(options)}.sqlite3") as fresh:
            result = fresh.import_file(out)
            assert (result.added, result.problems) == (len(before), [])
            after = fresh.get_many(fresh.search_ids(""))
        assert [p.citation_key for p in after] == [p.citation_key for p in before]
        assert [p.authors for p in after] == [p.authors for p in before]
        assert [sorted(p.tags) for p in after] == [sorted(p.tags) for p in before]
        assert [p.arxiv_id for p in after] == [p.arxiv_id for p in before]
        assert [p.entry_type for p in after] == [p.entry_type for p in before]
        for b, a in zip(before, after):
            if options:
                # With --all-fields every extra field comes back.
                assert {k: a.extra_fields.get(k) for k in b.extra_fields} == b.extra_fields
            else:
                # By default, every field biblatex allows for the entry type comes back
                # (Zotero's publisher = {arXiv} on @misc is one it does not allow).
                kept = {k: v for k, v in b.extra_fields.items() if k in ("doi", "journal", "journaltitle", "volume", "pages")}
                assert {k: a.extra_fields.get(k) for k in kept} == kept
