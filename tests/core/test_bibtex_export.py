"""BibTeX/biblatex export: entry rules, file writing, and the real TeX tools."""

from __future__ import annotations

import datetime as dt
import errno
import itertools
import os
import re

import bibtexparser
import pytest

from papershelf.core.errors import ExportError
from papershelf.core.exporters import FORMATS, export_to_file, export_to_stream, render
from papershelf.core.exporters.bibtex import format_name, render_entry
from papershelf.core.records import Sighting
from tests.core.bib_samples import generated_papers, hf_sighting, hostile_papers, make_paper, note
from tests.texcheck import check_bib, require_tex


def bib(papers, fmt="bibtex", **opts) -> str:
    return "".join(render(papers, fmt, **opts))


def fields_of(text: str) -> dict[str, dict[str, str]]:
    """key -> {field: raw value, braces included} as bibtexparser reads the output."""
    library = bibtexparser.parse_string(text, parse_stack=[])
    assert not library.failed_blocks
    return {e.key: {f.key: f.value for f in e.fields} for e in library.entries}


def entry_type_of(text: str, key: str) -> str:
    return next(e.entry_type for e in bibtexparser.parse_string(text).entries if e.key == key)


# ---------------------------------------------------------------- authors


@pytest.mark.parametrize(
    ("name", "bibtex"),
    [
        ("Ashish Vaswani", "Vaswani, Ashish"),
        ("Jan van der Berg", "van der Berg, Jan"),
        ("Maria de la Cruz", "de la Cruz, Maria"),
        ("Leonardo di Caprio", "di Caprio, Leonardo"),
        ("Ludwig von Mises", "von Mises, Ludwig"),
        ("Joseph M. Reagle Jr.", "Reagle, Jr., Joseph M."),
        ("Vaswani, Ashish", "Vaswani, Ashish"),
        ("van den Huevel, Jr., Johan A", "van den Huevel, Jr., Johan A"),
        ("J. D. Tygar", "Tygar, J. D."),
        ("Jörg Müller", 'M{\\"u}ller, J{\\"o}rg'),
        ("OpenAI Team", "{OpenAI Team}"),
        ("Stanford University", "{Stanford University}"),
        ("The CMS Collaboration", "{The CMS Collaboration}"),
        ("Meta AI", "{Meta AI}"),
        ("Qingyao Ai", "Ai, Qingyao"),
        ("A Name With Far Too Many Words", "{A Name With Far Too Many Words}"),
        ("Johnson and Johnson", "{Johnson and Johnson}"),
        ("Plato", "{Plato}"),
        ("others", "others"),
        # Kept as UTF-8, one bibtex "special character" each: never cut into bytes.
        ("张伟", "{\\relax{}张伟}"),
        ("Wei Zhang (张伟)", "({\\relax{}张伟}), Wei Zhang"),
        ("Nguyễn Văn Hưng", "H{\\relax{}ư}ng, Nguy{\\~{{\\^{e}}}}n V{\\u{a}}n"),
    ],
)
def test_author_names(name, bibtex):
    assert format_name(name) == bibtex


def test_author_field_joins_with_and_and_double_braces_an_organisation():
    out = bib([make_paper(authors=["OpenAI Team"], citation_key="k")])
    assert "  author = {{OpenAI Team}},\n" in out
    out = bib([make_paper(authors=["Ashish Vaswani", "Jan van der Berg"], citation_key="k")])
    assert "  author = {Vaswani, Ashish and van der Berg, Jan},\n" in out


def test_unknown_authors_give_a_key_field_never_anonymous():
    out = bib([make_paper(authors=[], title="DocThinker: Reading", citation_key="k")])
    assert "author" not in fields_of(out)["k"]
    assert fields_of(out)["k"]["key"] == "{DocThinker}"
    assert "Anonymous" not in out
    # A key with characters kept as UTF-8 is one special character for alpha's label.
    out = bib([make_paper(authors=[], title="中文 综述", citation_key="k")])
    assert fields_of(out)["k"]["key"] == "{k}"
    out = bib([make_paper(authors=[], title="T", citation_key="k", extra_fields={"key": "中文"})])
    assert fields_of(out)["k"]["key"] == "{{\\relax{}中文}}"


# ---------------------------------------------------------------- entry type and fields


def test_arxiv_paper_is_misc_with_eprint_fields():
    paper = make_paper(
        arxiv_id="2509.01234v2",
        primary_class="cs.CV",
        published=dt.date(2025, 9, 11),
        citation_key="k",
        url="https://huggingface.co/papers/2509.01234",
    )
    out = bib([paper])
    assert out.startswith("@misc{k,\n")
    f = fields_of(out)["k"]
    assert f["eprint"] == "{2509.01234}"
    assert f["archivePrefix"] == "{arXiv}"
    assert f["primaryClass"] == "{cs.CV}"
    assert f["url"] == "{https://arxiv.org/abs/2509.01234}"
    assert f["year"] == "{2025}"
    assert f["month"] == "sep"  # a macro, unbraced
    assert "  month = sep,\n" in out
    assert "howpublished" not in f


def test_primary_class_only_when_known():
    assert "primaryClass" not in fields_of(bib([make_paper(primary_class=None, citation_key="k")]))["k"]


def test_paper_without_arxiv_id_gets_url_and_howpublished():
    out = bib([make_paper(arxiv_id=None, url="https://example.org/paper", citation_key="k")])
    f = fields_of(out)["k"]
    assert entry_type_of(out, "k") == "misc"
    assert f["url"] == "{https://example.org/paper}"
    assert f["howpublished"] == "{\\url{https://example.org/paper}}"
    assert "eprint" not in f


def test_howpublished_escapes_a_url_with_latex_specials():
    out = bib([make_paper(arxiv_id=None, url="https://e.org/a_b%20c#x", citation_key="k")])
    f = fields_of(out)["k"]
    assert f["url"] == "{https://e.org/a_b%20c#x}"  # verbatim
    assert f["howpublished"] == "{https://e.org/a\\_b\\%20c\\#x}"


def test_paper_without_any_link_has_no_url_fields():
    f = fields_of(bib([make_paper(arxiv_id=None, url=None, citation_key="k")]))["k"]
    assert "url" not in f and "howpublished" not in f


def test_imported_entry_type_and_extra_fields_are_written_back():
    paper = make_paper(
        arxiv_id=None,
        entry_type="inproceedings",
        citation_key="k",
        extra_fields={
            "booktitle": "Proc. of ACL & EMNLP",
            "pages": "1–10",
            "publisher": "ACL",
            "doi": "10.18653/v1/2020.acl-main.1",
            "address": "Online",
            "editor": "Jan van der Berg and Ana Smith",
        },
    )
    out = bib([paper])
    assert out.startswith("@inproceedings{k,")
    f = fields_of(out)["k"]
    assert f["booktitle"] == "{Proc. of {ACL} \\& {EMNLP}}"
    assert f["pages"] == "{1--10}"
    assert f["publisher"] == "{ACL}"
    assert f["doi"] == "{10.18653/v1/2020.acl-main.1}"
    assert f["address"] == "{Online}"
    assert f["editor"] == "{van der Berg, Jan and Smith, Ana}"


def test_tool_fields_left_out_unless_all_fields():
    tool = {
        "groups": "G",
        "timestamp": "2020",
        "file": ":a.pdf:PDF",
        "owner": "me",
        "bibsource": "dblp",
        "biburl": "https://dblp.org/x",
        "urldate": "2024-01-01",
        "jabref-meta": "x",
        "bdsk-url-1": "http://x",
    }
    paper = make_paper(entry_type="article", citation_key="k", extra_fields={"journal": "J", **tool})
    f = fields_of(bib([paper]))["k"]
    assert f["journal"] == "{J}"
    assert not set(tool) & set(f)
    f = fields_of(bib([paper], all_fields=True))["k"]
    assert set(tool) <= set(f)


def test_fields_biblatex_does_not_allow_for_the_type_are_left_out():
    # Zotero writes number and publisher on @misc preprints; biber warns about both.
    paper = make_paper(
        citation_key="k", extra_fields={"number": "arXiv:1706.03762", "publisher": "arXiv", "note": "Kept"}
    )
    f = fields_of(bib([paper]))["k"]
    assert "number" not in f and "publisher" not in f
    assert f["note"] == "{Kept}"


def test_biblatex_field_names_become_bibtex_ones_for_bibtex():
    paper = make_paper(
        entry_type="article", citation_key="k", extra_fields={"journaltitle": "J. Chem. Phys.", "location": "Berlin"}
    )
    f = fields_of(bib([paper]))["k"]
    assert f["journal"] == "{J. Chem. Phys.}" and "journaltitle" not in f
    f = fields_of(bib([paper], "biblatex"))["k"]
    assert f["journaltitle"] == "{J. Chem. Phys.}"


def test_biblatex_only_types_map_to_bibtex_types():
    assert entry_type_of(bib([make_paper(entry_type="online", citation_key="k")]), "k") == "misc"
    assert entry_type_of(bib([make_paper(entry_type="report", citation_key="k")]), "k") == "techreport"
    assert entry_type_of(bib([make_paper(entry_type="collection", authors=[], citation_key="k")]), "k") == "proceedings"
    assert entry_type_of(bib([make_paper(entry_type="online", citation_key="k")], "biblatex"), "k") == "online"
    assert entry_type_of(bib([make_paper(entry_type="nonsense", citation_key="k")], "biblatex"), "k") == "misc"


def test_abstract_keywords_and_notes_options():
    paper = make_paper(citation_key="k", tags=["llm", "c++"], notes=[note("Read section 3"), note("50% done")])
    f = fields_of(bib([paper]))["k"]
    assert f["abstract"] == "{We propose a new architecture.}"
    assert f["keywords"] == "{llm, c++}"
    assert "annote" not in f
    f = fields_of(bib([paper], abstract=False, notes=True))["k"]
    assert "abstract" not in f
    assert f["annote"] == "{Read section 3; 50\\% done}"


def test_note_names_the_first_hf_daily_listing():
    paper = make_paper(citation_key="k", sightings=[hf_sighting(12, 1), hf_sighting(11, 4)])
    assert fields_of(bib([paper]))["k"]["note"] == "{Hugging Face Daily Papers, 2025-09-11}"
    other = make_paper(citation_key="k", sightings=[Sighting("somewhere", dt.date(2025, 1, 1), 1)])
    assert "note" not in fields_of(bib([other]))["k"]
    kept = make_paper(citation_key="k", sightings=[hf_sighting(11)], extra_fields={"note": "Oral at ICML"})
    assert fields_of(bib([kept]))["k"]["note"] == "{Oral at ICML}"


def test_year_and_month_only_when_known():
    f = fields_of(bib([make_paper(arxiv_id=None, published=None, citation_key="k")]))["k"]
    assert "year" not in f and "month" not in f
    # The arXiv id says when the paper was submitted.
    f = fields_of(bib([make_paper(arxiv_id="2402.00001", published=None, citation_key="k")]))["k"]
    assert (f["year"], f["month"]) == ("{2024}", "feb")
    # An imported entry with a year only keeps a year only.
    paper = make_paper(arxiv_id=None, published=dt.date(2010, 1, 1), extra_fields={"year": "2010"}, citation_key="k")
    f = fields_of(bib([paper]))["k"]
    assert f["year"] == "{2010}" and "month" not in f


def test_no_empty_fields_are_written():
    paper = make_paper(
        abstract="  ",
        tags=[],
        arxiv_id=None,
        url=None,
        published=None,
        citation_key="k",
        extra_fields={"journal": "", "volume": "  "},
    )
    out = bib([paper])
    assert "{}" not in out.replace("\\textbraceleft{}", "")


def test_citation_keys_are_unique_ignoring_case_and_always_valid():
    papers = [make_paper(citation_key=k) for k in ("smith2024", "smith2024", "SMITH2024", "bad key{", "")]
    keys = list(fields_of(bib(papers)))
    assert len({k.lower() for k in keys}) == 5
    assert keys[:3] == ["smith2024", "smith2024a", "SMITH2024b"]
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_:.+/-]*", k) for k in keys)


def test_bibtex_output_is_ascii_and_biblatex_keeps_letters():
    papers = hostile_papers()
    # ASCII but for characters with no LaTeX form: CJK, Hebrew, Arabic, emoji; Greek capital Alpha.
    non_ascii = [p.citation_key for p in papers if not bib([p]).isascii()]
    assert non_ascii == ["greek2025", "scripts2025"]
    out = bib(papers, "biblatex")
    assert "Müller" in out and "Łukasz" in out and "Phạm" in out
    assert "Σ-Net" in out and "中文" in out


def test_hostile_titles_stay_inert():
    out = bib(hostile_papers())
    assert "\\input{" not in out and "\\write18{" not in out
    assert "\\textbackslash{}input\\textbraceleft{}/etc/passwd\\textbraceright{}" in out
    parsed = fields_of(out)
    assert (
        parsed["caps2025"]["title"]
        == "{{DocThinker}: Teaching {MLLMs} with {RLHF} to Beat {GPT}-4o on {3D} {ImageNet}-{A}, Part {II}}"
    )


def test_render_entry_alone():
    out = render_entry(make_paper(citation_key="k"))
    assert out.startswith("@misc{k,\n") and out.endswith("\n}\n")


# ---------------------------------------------------------------- streaming and files


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_streams_without_reading_all_papers(fmt):
    consumed = 0

    def endless():
        nonlocal consumed
        for i in itertools.count(1):
            consumed += 1
            yield make_paper(id=i, citation_key=f"k{i}")

    chunks = render(endless(), fmt)
    first = [next(chunks) for _ in range(4)]
    assert "".join(first)
    assert consumed <= 4


def test_unknown_format_is_an_export_error():
    with pytest.raises(ExportError, match="unknown export format"):
        render([], "docx")


def test_export_100000_papers(tmp_path):
    def many():
        for i in range(100_000):
            yield make_paper(id=i, title=f"Paper {i}", authors=["Ana Smith"], abstract="", citation_key=f"p{i}")

    target = tmp_path / "big.bib"
    assert export_to_file(many(), "bibtex", target) == 100_000
    with target.open(encoding="ascii") as fh:
        assert sum(line.startswith("@misc{") for line in fh) == 100_000


def test_export_to_stream_counts(tmp_path):
    import io

    stream = io.StringIO()
    assert export_to_stream(hostile_papers(), "bibtex", stream) == len(hostile_papers())
    assert stream.getvalue() == bib(hostile_papers())


def test_export_writes_atomically_and_keeps_permissions(tmp_path):
    target = tmp_path / "refs.bib"
    target.write_text("old\n")
    target.chmod(0o640)
    assert export_to_file([make_paper()], "bibtex", target) == 1
    assert target.read_text().startswith("@misc{vaswani2017attention,")
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)
    assert os.listdir(tmp_path) == ["refs.bib"]


def _assert_untouched(folder, target):
    assert target.read_text() == "old\n"
    assert sorted(os.listdir(folder)) == [target.name]


def test_failed_export_leaves_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / "refs.bib"
    target.write_text("old\n")

    def broken():
        yield make_paper()
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(ExportError) as info:
        export_to_file(broken(), "bibtex", target)
    assert str(info.value) == f"{target}: the disk is full"
    assert "\n" not in str(info.value)
    _assert_untouched(tmp_path, target)


def test_full_disk_on_write_is_reported(tmp_path, monkeypatch):
    target = tmp_path / "refs.bib"
    target.write_text("old\n")
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ExportError, match="the disk is full"):
        export_to_file([make_paper()], "bibtex", target)
    monkeypatch.setattr(os, "fsync", real_fsync)
    _assert_untouched(tmp_path, target)


def test_read_only_folder_is_reported(tmp_path, monkeypatch):
    target = tmp_path / "refs.bib"
    target.write_text("old\n")

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    # Running as root ignores chmod, so the refusal is simulated where it happens.
    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(ExportError, match=r"refs\.bib: permission denied$"):
        export_to_file([make_paper()], "bibtex", target)
    monkeypatch.undo()
    _assert_untouched(tmp_path, target)


def test_target_that_is_a_folder_is_reported(tmp_path):
    folder = tmp_path / "refs.bib"
    folder.mkdir()
    with pytest.raises(ExportError, match="is a folder"):
        export_to_file([make_paper()], "bibtex", folder)
    assert os.listdir(folder) == [] and os.listdir(tmp_path) == ["refs.bib"]


def test_missing_folder_is_reported(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        export_to_file([make_paper()], "bibtex", tmp_path / "nope" / "refs.bib")


def test_a_bug_while_rendering_is_still_an_export_error(tmp_path):
    target = tmp_path / "refs.bib"
    target.write_text("old\n")
    with pytest.raises(ExportError):
        export_to_file([make_paper(title=None)], "bibtex", target)
    _assert_untouched(tmp_path, target)


# ---------------------------------------------------------------- real tools


def _hostile_dated():
    """The hostile set minus the paper that has no date at all (tested on its own)."""
    return [p for p in hostile_papers() if p.citation_key != "website"]


# Text pdflatex cannot print with T1 once it is UTF-8: scripts with no LaTeX
# form, Greek capitals and omicron (kept as UTF-8), and Vietnamese letters
# with a dot below, which biber decodes from {\d{a}} to ạ.
_BEYOND_T1 = {"scripts2025", "accents2025", "greek2025"}


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_hostile_papers_pass_bibtex_and_biber_without_a_warning(tmp_path, fmt):
    require_tex()
    path = tmp_path / "hostile.bib"
    export_to_file([p for p in _hostile_dated() if p.citation_key not in _BEYOND_T1], fmt, path, notes=True)
    assert check_bib(path, utf8=fmt == "biblatex") == []


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_hostile_papers_beyond_t1_are_accepted_by_bibtex_and_biber(tmp_path, fmt):
    """Kept as UTF-8, they pass every bibtex style and biber; only pdflatex has no glyphs for them."""
    require_tex()
    path = tmp_path / "hostile.bib"
    export_to_file(_hostile_dated(), fmt, path, notes=True)
    assert check_bib(path, utf8=fmt == "biblatex", unicode_ok=True) == []


def test_hostile_papers_with_all_fields_still_parse(tmp_path):
    path = tmp_path / "all.bib"
    export_to_file(hostile_papers(), "bibtex", path, notes=True, all_fields=True)
    library = bibtexparser.parse_string(path.read_text())
    assert not library.failed_blocks and len(library.entries) == len(hostile_papers())


def test_a_paper_without_any_date_warns_only_about_the_missing_year(tmp_path):
    require_tex()
    path = tmp_path / "undated.bib"
    export_to_file([p for p in hostile_papers() if p.citation_key == "website"], "bibtex", path)
    # No date is known, so there is no year to give; these warnings say exactly that.
    assert sorted(check_bib(path)) == sorted(
        [
            "biber-tool: WARN - Datamodel: Entry 'website' (refs.bib): Missing mandatory field - one of 'date, year' must be defined",
            "biblatex/biber: WARN - Datamodel: Entry 'website' (refs.bib): Missing mandatory field - one of 'date, year' must be defined",
            "bibtex/plainnat: Warning--empty year in website",
        ]
    )


def test_1000_generated_papers_pass_the_real_tools(tmp_path):
    require_tex()
    papers = generated_papers(1000)
    path = tmp_path / "generated.bib"
    assert export_to_file(papers, "bibtex", path) == 1000
    # Emoji and omicron (in Σοφία) have no LaTeX form: accepted, not printed by pdflatex.
    assert check_bib(path, unicode_ok=True) == []
    # The papers with a LaTeX form for every character pass every check.
    latin = [p for p in papers if render_entry(p).isascii()]
    assert len(latin) > 200
    assert export_to_file(latin, "bibtex", path) == len(latin)
    assert check_bib(path) == []


def test_the_checker_itself_finds_problems(tmp_path):
    """A checker that passes everything would make the tests above worthless."""
    require_tex()
    path = tmp_path / "bad.bib"
    path.write_text(
        "@misc{k1,\n  title = {50% of GPT},\n  author = {M\u00fcller, J\u00f6rg},\n  url = {a b}\n}\n\n"
        "@misc{k2,\n  title = {T},\n  year = {2020},\n  number = {1}\n}\n",
        encoding="utf-8",
    )
    problems = check_bib(path)
    expected = [
        "ascii: non-ASCII character in line 3",
        "lint: k1: title: unescaped '%'",
        "lint: k1: title: capitals not brace-protected: GPT",
        "lint: k1: url: verbatim field contains white space",
        "biber-tool: WARN - Datamodel: Entry 'k1' (refs.bib): Missing mandatory field - one of 'date, year' must be defined",
        "biber-tool: WARN - Datamodel: Entry 'k2' (refs.bib): Invalid field 'number' for entrytype 'misc'",
        "bibtex/plainnat: Warning--empty year in k1",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert check_bib(path, utf8=True)  # biber still complains in the biblatex profile


def test_missing_tex_tools_skip_or_fail(monkeypatch, tmp_path):
    from tests import texcheck

    monkeypatch.setenv("PATH", str(tmp_path))  # no pdflatex, bibtex or biber here
    assert "TeX tools not installed" in texcheck.tex_missing()
    monkeypatch.delenv("PAPERSHELF_REQUIRE_TEX", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        texcheck.require_tex()
    monkeypatch.setenv("PAPERSHELF_REQUIRE_TEX", "1")
    with pytest.raises(pytest.fail.Exception, match="PAPERSHELF_REQUIRE_TEX=1"):
        texcheck.require_tex()
