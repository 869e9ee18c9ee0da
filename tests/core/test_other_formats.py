"""CSL-JSON, RIS and Markdown exports."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import jsonschema
import pytest

from papershelf.core.exporters import export_to_file, render
from tests.core.bib_samples import generated_papers, hf_sighting, hostile_papers, make_paper, note

CSL_SCHEMA = json.loads((Path(__file__).parent / "data" / "csl-data.json").read_text(encoding="utf-8"))


def text(papers, fmt, **opts) -> str:
    return "".join(render(papers, fmt, **opts))


# ---------------------------------------------------------------- CSL-JSON


def csl(papers, **opts) -> list[dict]:
    return json.loads(text(papers, "csl-json", **opts))


def test_csl_json_is_valid_against_the_official_schema():
    items = csl(hostile_papers() + generated_papers(200), notes=True)
    jsonschema.validate(items, CSL_SCHEMA)
    assert len(items) == len(hostile_papers()) + 200


def test_csl_json_of_nothing_is_an_empty_array():
    assert csl([]) == []
    jsonschema.validate([], CSL_SCHEMA)


def test_csl_arxiv_preprint():
    paper = make_paper(
        arxiv_id="2509.01234v2",
        published=dt.date(2025, 9, 11),
        tags=["llm", "rl"],
        authors=["Jan van der Berg", "OpenAI Team"],
        citation_key="berg2025",
        sightings=[hf_sighting(11)],
        extra_fields={"doi": "10.1/x"},
    )
    (item,) = csl([paper])
    assert item["id"] == "berg2025"
    assert item["type"] == "article"
    assert item["publisher"] == "arXiv"
    assert item["number"] == "arXiv:2509.01234"
    assert item["URL"] == "https://arxiv.org/abs/2509.01234"
    assert item["DOI"] == "10.1/x"
    assert item["issued"] == {"date-parts": [[2025, 9, 11]]}
    assert item["author"] == [{"family": "van der Berg", "given": "Jan"}, {"literal": "OpenAI Team"}]
    assert item["abstract"] == "We propose a new architecture."
    assert item["keyword"] == "llm, rl"
    assert item["note"] == "Hugging Face Daily Papers, 2025-09-11"


def test_csl_journal_article_from_bibtex():
    paper = make_paper(
        arxiv_id=None,
        entry_type="article",
        published=dt.date(2005, 5, 1),
        citation_key="k",
        extra_fields={
            "journal": "BPTrends",
            "volume": "3",
            "number": "5",
            "pages": "1--11",
            "year": "2005",
            "month": "may",
        },
    )
    (item,) = csl([paper])
    assert item["type"] == "article-journal"
    assert item["container-title"] == "BPTrends"
    assert (item["volume"], item["issue"], item["page"]) == ("3", "5", "1--11")
    assert item["issued"] == {"date-parts": [[2005, 5]]}  # as precise as the entry was


def test_csl_options_and_unicode():
    paper = make_paper(title="Müller’s Σ & <b>", notes=[note("first"), note("second")])
    (item,) = csl([paper], abstract=False, notes=True)
    assert item["title"] == "Müller’s Σ & <b>"  # JSON needs no escaping beyond its own
    assert "abstract" not in item
    assert item["annote"] == "first\n\nsecond"


# ---------------------------------------------------------------- RIS


def parse_ris(data: str) -> list[list[tuple[str, str]]]:
    records, current = [], []
    for line in data.splitlines():
        if not line.strip():
            continue
        assert line[2:6] == "  - ", line
        tag, value = line[:2], line[6:]
        if tag == "ER":
            records.append(current)
            current = []
        else:
            current.append((tag, value))
    assert not current
    return records


def test_ris_record():
    paper = make_paper(
        authors=["Ashish Vaswani", "Jan van der Berg", "OpenAI Team"],
        tags=["nlp", "attention"],
        notes=[note("my note")],
        extra_fields={"doi": "10.1/x"},
        sightings=[hf_sighting(11)],
    )
    (record,) = parse_ris(text([paper], "ris", notes=True))
    assert record[0] == ("TY", "GEN")
    assert [v for t, v in record if t == "AU"] == ["Vaswani, Ashish", "van der Berg, Jan", "OpenAI Team"]
    tags = dict(record)
    assert tags["TI"] == "Attention Is All You Need"
    assert tags["AB"] == "We propose a new architecture."
    assert tags["PY"] == "2017" and tags["DA"] == "2017/06/12"
    assert tags["UR"] == "https://arxiv.org/abs/1706.03762"
    assert tags["DO"] == "10.1/x"
    assert [v for t, v in record if t == "KW"] == ["nlp", "attention"]
    assert [v for t, v in record if t == "N1"] == ["Hugging Face Daily Papers, 2025-09-11", "my note"]


def test_ris_journal_article_and_no_notes_by_default():
    paper = make_paper(
        arxiv_id=None,
        url="https://e.org",
        entry_type="article",
        notes=[note("secret")],
        extra_fields={"journal": "J", "volume": "2", "pages": "10--20"},
    )
    (record,) = parse_ris(text([paper], "ris"))
    tags = dict(record)
    assert tags["TY"] == "JOUR"
    assert (tags["JO"], tags["VL"], tags["SP"], tags["EP"], tags["UR"]) == ("J", "2", "10", "20", "https://e.org")
    assert "secret" not in text([paper], "ris")


def test_ris_untrusted_newlines_cannot_start_a_tag():
    paper = make_paper(title="Title\nER  - \nTY  - JOUR", abstract="a\r\nAU  - Evil")
    records = parse_ris(text([paper], "ris"))
    assert len(records) == 1
    assert dict(records[0])["TI"] == "Title ER - TY - JOUR"
    assert [v for t, v in records[0] if t == "AU"] == ["Vaswani, Ashish", "Shazeer, Noam"]


def test_ris_of_many_papers():
    assert len(parse_ris(text(hostile_papers() + generated_papers(100), "ris"))) == len(hostile_papers()) + 100


# ---------------------------------------------------------------- Markdown


def test_markdown_item():
    paper = make_paper(
        status="read", tags=["llm", "machine learning"], authors=["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"]
    )
    assert text([paper], "markdown") == (
        "- [x] **Attention Is All You Need** — Ashish Vaswani et al. "
        "(<https://arxiv.org/abs/1706.03762>) #llm #machine-learning\n"
    )


@pytest.mark.parametrize(("status", "box"), [("unread", "[ ]"), ("reading", "[ ]"), ("read", "[x]")])
def test_markdown_status_checkbox(status, box):
    assert text([make_paper(status=status)], "markdown").startswith(f"- {box} ")


def test_markdown_authors_and_links():
    assert " — Ana Smith (" in text([make_paper(authors=["Ana Smith"])], "markdown")
    assert " — Ana Smith and Bo Li (" in text([make_paper(authors=["Ana Smith", "Bo Li"])], "markdown")
    assert " — Jan van der Berg (" in text([make_paper(authors=["van der Berg, Jan"])], "markdown")
    out = text([make_paper(authors=[], arxiv_id=None, url=None)], "markdown")
    assert out == "- [ ] **Attention Is All You Need**\n"
    out = text([make_paper(arxiv_id=None, url="https://e.org/a b<c>")], "markdown")
    assert "(<https://e.org/a%20b%3Cc%3E>)" in out


def test_markdown_notes_are_indented_when_asked():
    paper = make_paper(notes=[note("First point\n\nSecond *point*"), note("1. not a list")])
    out = text([paper], "markdown", notes=True)
    assert out.splitlines()[1:] == ["    - First point", "    - Second \\*point\\*", "    - 1\\. not a list"]
    assert "First point" not in text([paper], "markdown")


def test_markdown_escapes_untrusted_text():
    paper = make_paper(
        title="<img src=x onerror=alert(1)> **bold** [link](http://evil) `code` #notatag $x$ | ~~s~~ &amp;",
        authors=["_Under_ Score"],
    )
    line = text([paper], "markdown")
    assert "\\<img src=x onerror=alert(1)\\>" in line
    assert "\\*\\*bold\\*\\*" in line and "\\[link\\](http://evil)" in line
    assert "\\`code\\`" in line and "\\#notatag" in line and "\\$x\\$" in line
    assert "\\|" in line and "\\~\\~s\\~\\~" in line and "\\&amp;" in line
    assert "\\_Under\\_ Score" in line
    assert line.count("\n") == 1


def test_markdown_tags_become_hashtags():
    paper = make_paper(tags=["c++", "deep learning", "#x", "✓"])
    assert text([paper], "markdown").rstrip().endswith("#c #deep-learning #x")


def test_export_files_of_every_other_format(tmp_path):
    papers = hostile_papers()
    for fmt, name in (("csl-json", "x.json"), ("ris", "x.ris"), ("markdown", "x.md")):
        assert export_to_file(papers, fmt, tmp_path / name, notes=True) == len(papers)
    jsonschema.validate(json.loads((tmp_path / "x.json").read_text(encoding="utf-8")), CSL_SCHEMA)


# Text from a listing that tries to act on the terminal showing the export:
# NUL, an ANSI colour, an OSC title change ended by BEL, CSI as one C1 character,
# DEL, and a bidi override and isolate ("Trojan Source").
HOSTILE_TEXT = "Bad\x00\x1b[31mred\x1b]0;pwned\x07 \x9b2J\x7fx \u202egnp.exe\u2066iso\u2069"
PRINTABLE = "Ünïcödé 👩‍💻 中文 \u200fok"  # every one of these must survive (the emoji's ZWJ, RLM too)
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def control_papers():
    return [
        make_paper(
            title=HOSTILE_TEXT + " " + PRINTABLE,
            authors=["Eve\x1b[8m Hidden", "Ana\u202e Smith"],
            abstract="Abstract\x1b[2J with\x00 NUL " + PRINTABLE,
            tags=["\x1b[31mred"],
            notes=[note("note\x1b]8;;file:///etc/passwd\x07link\x1b]8;;\x07 " + PRINTABLE)],
        )
    ]


@pytest.mark.parametrize(("fmt", "copies"), [("ris", 3), ("markdown", 2)])  # a reading list has no abstracts
def test_ris_and_markdown_strip_control_characters_and_keep_every_printable_one(fmt, copies):
    out = text(control_papers(), fmt, notes=True)
    assert CONTROLS.findall(out) == []
    assert out.count(PRINTABLE) == copies
    visible = out.replace("\\", "")  # Markdown's escapes
    assert "Bad[31mred]0;pwned 2Jx gnp.exeiso " + PRINTABLE in visible
    assert "Eve[8m" in visible and "[31mred" in visible
    assert ("Smith, Ana" if fmt == "ris" else "Ana Smith") in visible


def test_csl_json_escapes_control_characters_and_keeps_them():
    out = text(control_papers(), "csl-json", notes=True)
    assert CONTROLS.findall(out) == []
    item = json.loads(out)[0]
    assert item["title"] == HOSTILE_TEXT + " " + PRINTABLE


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        " data:text/html,<script>x</script>",
        "file:///etc/passwd",
        "vbscript:msgbox",
        "https:evil",
        "//evil.example/x",
    ],
)
def test_markdown_links_only_web_pages(url):
    out = text([make_paper(url=url, arxiv_id=None)], "markdown")
    assert "(<" not in out and "](" not in out
    scheme = url.strip().split(":")[0]
    if ":" in url:
        assert f"{scheme}\\:" in out  # shown, as text that no renderer takes for a link
    assert out.count("\n") == 1


@pytest.mark.parametrize("url", ["https://example.org/a?b=1#c", "HTTP://example.org/x", "http://[::1]:8080/x"])
def test_markdown_links_web_pages(url):
    assert f"(<{url}>)" in text([make_paper(url=url, arxiv_id=None)], "markdown")
