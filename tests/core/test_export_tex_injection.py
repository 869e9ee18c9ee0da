"""No field of an export can make TeX run code (issue "trust", item 7.1).

TeX turns ``^^5c`` into a backslash while it reads a line, so a value written
to a field that is not escaped (url, doi, eprint, file, primaryClass...) could
carry ``\\immediate\\write18{...}`` past every escape. These tests export papers
whose identifiers carry such payloads, run the real bibtex (plain, abbrv,
alpha, plainnat), biber and ``pdflatex -shell-escape`` on the result, with and
without the url and hyperref packages, and check that no payload ran: each one
would create a marker file. A control document with the same payloads written
raw proves that the markers do appear when a payload runs.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import bibtexparser
import pytest

from papershelf.core.exporters import ExportReport, render
from papershelf.core.exporters.latex import (
    verbatim,
    verbatim_arxiv_class,
    verbatim_arxiv_id,
    verbatim_doi,
)
from tests.core.bib_samples import make_paper
from tests.texcheck import (
    BIBLATEX_BIBLIOGRAPHY,
    BIBTEX_STYLES,
    biblatex_preamble,
    bibtex_bibliography,
    latex_document,
    natbib_for,
    require_tex,
)

pytestmark = pytest.mark.tex


def payload(tag: str) -> str:
    r"""``\immediate\write18{touch pwned-TAG-w18}\immediate\openout15=pwned-TAG-out\relax`` in ^^ notation.

    No backslash, brace or space of its own: only what a verbatim field lets through.
    """
    return (
        f"^^5cimmediate^^5cwrite18^^7btouch^^20pwned-{tag}-w18^^7d"
        f"^^5cimmediate^^5copenout15=pwned-{tag}-out^^5crelax^^20"
    )


def hostile_papers() -> list:
    """Papers whose every verbatim-written value carries a payload (tag = the field)."""
    return [
        make_paper(
            id=1,
            citation_key="arxivclass",
            arxiv_id="2509.01234",
            primary_class="cs.LG" + payload("primaryclass"),
            # Not a DOI (a registrant has 4 to 9 digits): goes to the note.
            extra_fields={"doi": "10.12/abc" + payload("doi")},
        ),
        make_paper(
            id=2,
            citation_key="badid",
            arxiv_id="2509.01234" + payload("eprint"),
            primary_class=None,
            url="https://example.com/x" + payload("url"),
            entry_type="misc",
            extra_fields={
                "file": "/home/me/x" + payload("file") + ".pdf",
                "pdf": "/tmp/" + payload("pdf"),
                "urlraw": "https://e.org/" + payload("urlraw"),
                "verba": payload("verba"),
                "verbb": payload("verbb"),
                "verbc": payload("verbc"),
            },
        ),
        make_paper(
            id=3,
            citation_key="extraeprint",
            arxiv_id=None,
            primary_class=None,
            url=None,
            extra_fields={
                "eprint": "2509.01234" + payload("xeprint"),
                "archiveprefix": "arXiv" + payload("archiveprefix"),
                "primaryclass": "cs.LG" + payload("xprimaryclass"),
                # A DOI by its grammar (printable ASCII): written, percent-encoded.
                "doi": "https://doi.org/10.1234/abc" + payload("gooddoi"),
            },
        ),
        make_paper(
            id=4,
            citation_key="biblatexnames",
            arxiv_id=None,
            primary_class=None,
            url=None,
            extra_fields={
                "eprint": payload("beprint"),
                "eprinttype": "arxiv" + payload("eprinttype"),
                "eprintclass": payload("eprintclass"),
            },
        ),
        make_paper(
            id=5,
            citation_key="otherprint",
            arxiv_id=None,
            primary_class=None,
            url=None,
            extra_fields={"eprint": "hal-0123" + payload("haleprint"), "eprinttype": "hal"},
        ),
        make_paper(
            id=6,
            citation_key="arxivprefix",
            arxiv_id=None,
            primary_class=None,
            url=None,
            extra_fields={"eprint": "2509.0" + payload("prefixeprint"), "archiveprefix": "arXiv"},
        ),
    ]


# What the old exporter wrote: the payloads raw in the verbatim fields.
CONTROL_BIB = f"""@misc{{control,
  author = {{Doe, Jane}},
  title = {{Control}},
  year = {{2025}},
  eprint = {{2509.01234{payload("eprint")}}},
  archivePrefix = {{arXiv}},
  primaryClass = {{cs.LG{payload("primaryclass")}}},
  url = {{https://example.com/x{payload("url")}}},
  doi = {{10.1234/abc{payload("doi")}}}
}}
"""


def _env(work: Path) -> dict[str, str]:
    return dict(os.environ, HOME=str(work), TEXMFVAR=str(work / "texmf-var"))


def _run(cmd: list[str], work: Path) -> None:
    subprocess.run(cmd, cwd=work, env=_env(work), capture_output=True, timeout=300, check=False)


def _pdflatex(work: Path, name: str) -> None:
    _run(["pdflatex", "-shell-escape", "-draftmode", "-interaction=nonstopmode", name + ".tex"], work)


PACKAGES = {"none": "", "url": r"\usepackage{url}", "hyperref": r"\usepackage{hyperref}"}


def run_bibtex(bib: str, style: str, package: str, work: Path) -> list[str]:
    """bibtex with ``style`` and pdflatex -shell-escape; the marker files left behind."""
    work.mkdir()
    (work / "refs.bib").write_text(bib, encoding="utf-8")
    (work / "doc.tex").write_text(latex_document([natbib_for(style), PACKAGES[package]], bibtex_bibliography(style)))
    _pdflatex(work, "doc")
    _run(["bibtex", "doc"], work)
    _pdflatex(work, "doc")
    assert (work / "doc.bbl").exists(), "bibtex wrote no .bbl: the test would prove nothing"
    return sorted(p.name for p in work.glob("pwned-*"))


def run_biber(bib: str, package: str, work: Path, style: str = "numeric") -> list[str]:
    """biblatex + biber and pdflatex -shell-escape; the marker files left behind."""
    work.mkdir()
    (work / "refs.bib").write_text(bib, encoding="utf-8")
    (work / "doc.tex").write_text(
        latex_document([PACKAGES[package], *biblatex_preamble(f"backend=biber,style={style}")], BIBLATEX_BIBLIOGRAPHY)
    )
    _pdflatex(work, "doc")
    _run(["biber", "doc"], work)
    _pdflatex(work, "doc")
    assert (work / "doc.bbl").exists(), "biber wrote no .bbl: the test would prove nothing"
    return sorted(p.name for p in work.glob("pwned-*"))


def _shell_escape_works(tmp_path: Path) -> None:
    """The markers can only prove something if \\write18 runs commands here."""
    work = tmp_path / "shell"
    work.mkdir()
    (work / "probe.tex").write_text(r"\immediate\write18{touch pwned-probe}\csname @@end\endcsname\end" + "\n")
    _pdflatex(work, "probe")
    if not (work / "pwned-probe").exists():
        pytest.fail("pdflatex -shell-escape ran no command: the injection tests would prove nothing")


# ---------------------------------------------------------------- the control


def test_control_payloads_written_raw_do_run(tmp_path):
    """The harness detects a payload that runs: raw values do run through plainnat and biber."""
    require_tex()
    _shell_escape_works(tmp_path)
    ran = run_bibtex(CONTROL_BIB, "plainnat", "none", tmp_path / "plainnat")
    # Without the url package plainnat's \url falls back to \texttt{#1}.
    assert "pwned-url-w18" in ran and "pwned-url-out.tex" in ran
    # biblatex prints primaryClass (eprintclass), read with TeX's usual catcodes.
    assert "pwned-primaryclass-w18" in run_biber(CONTROL_BIB, "none", tmp_path / "biber")


# ---------------------------------------------------------------- the exports


@pytest.fixture(scope="module")
def exports() -> dict[str, str]:
    return {fmt: "".join(render(hostile_papers(), fmt, all_fields=True)) for fmt in ("bibtex", "biblatex")}


@pytest.mark.parametrize("package", sorted(PACKAGES))
@pytest.mark.parametrize("style", BIBTEX_STYLES)
def test_no_payload_runs_through_bibtex(tmp_path, exports, style, package):
    require_tex()
    _shell_escape_works(tmp_path)
    assert run_bibtex(exports["bibtex"], style, package, tmp_path / "run") == []


@pytest.mark.parametrize("package", ["none", "hyperref"])
@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_no_payload_runs_through_biber(tmp_path, exports, fmt, package):
    require_tex()
    _shell_escape_works(tmp_path)
    assert run_biber(exports[fmt], package, tmp_path / "numeric") == []
    assert run_biber(exports[fmt], package, tmp_path / "alphabetic", style="alphabetic") == []


# ---------------------------------------------------------------- what is written


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_no_caret_or_backslash_reaches_a_verbatim_field(exports, fmt):
    library = bibtexparser.parse_string(exports[fmt])
    assert not library.failed_blocks
    for entry in library.entries:
        for field in entry.fields:
            value = str(field.value)
            # In every field: no ^ at all (text fields have \textasciicircum{}).
            assert "^" not in value, (entry.key, field.key, value)
            # Fields biber reads verbatim: nothing TeX acts on, "%" only in an escape.
            if field.key.lower() in {"url", "doi", "eprint", "file", "pdf", "urlraw", "verba", "verbb", "verbc"}:
                assert not set(value) & set("\\{}#"), (entry.key, field.key, value)
                assert re.fullmatch(r"(?:[^%]|%[0-9A-F]{2})*", value), (entry.key, field.key, value)


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_values_failing_their_grammar_are_kept_in_note_and_reported(fmt):
    report = ExportReport()
    text = "".join(render(hostile_papers(), fmt, all_fields=True, report=report))
    fields = {e.key: {f.key.lower(): str(f.value) for f in e.fields} for e in bibtexparser.parse_string(text).entries}
    # Nothing is lost: the arXiv class and the DOI are in the note, escaped.
    assert "arXiv class: cs.LG\\textasciicircum{}\\textasciicircum{}5cimmediate" in fields["arxivclass"]["note"]
    assert "DOI: 10.12/abc\\textasciicircum{}" in fields["arxivclass"]["note"]
    assert fields["extraeprint"]["doi"].startswith("10.1234/abc%5E%5E5cimmediate%5E%5E5cwrite18")
    assert "primaryclass" not in fields["arxivclass"] and "doi" not in fields["arxivclass"]
    assert "eprint" not in fields["badid"]
    assert "arXiv id: 2509.01234\\textasciicircum{}" in fields["badid"]["note"]
    # The valid arXiv id of the first paper is still a link.
    assert fields["arxivclass"]["eprint"] == "2509.01234"
    assert fields["arxivclass"]["url"] == "https://arxiv.org/abs/2509.01234"
    assert ("arxivclass", "primaryClass") in report.not_verbatim
    assert ("arxivclass", "doi") in report.not_verbatim
    assert ("badid", "eprint") in report.not_verbatim
    assert ("badid", "file") in report.not_verbatim
    assert ("arxivprefix", "eprint") in report.not_verbatim
    assert "arXiv id: 2509.0\\textasciicircum{}" in fields["arxivprefix"]["note"]
    [line] = report.warnings()
    assert line.startswith("3 papers have an arXiv id, class, DOI or file path that is not safe in a verbatim field")
    assert line.endswith(": arxivclass (primaryClass, doi), badid (eprint, file), arxivprefix (eprint)")


def test_url_carets_are_percent_encoded():
    assert verbatim("https://e.org/a^b^^5cinput") == "https://e.org/a%5Eb%5E%5E5cinput"
    assert verbatim("https://e.org/?q=a%5Eb") == "https://e.org/?q=a%5Eb"


@pytest.mark.parametrize(
    "good", ["2509.01234", "2509.01234v3", "0704.0001", "hep-th/9901001", "math.AG/0601001v2", "cond-mat/0102536"]
)
def test_arxiv_ids_of_both_styles_pass(good):
    assert verbatim_arxiv_id(good) == good


@pytest.mark.parametrize(
    "bad",
    [
        "2509.01234^^5c",
        "2509.1",
        "25090.01234",
        "hep-th/990100",
        "HEP-TH/9901001",
        "2509.01234 x",
        "2509.01234v",
        "../etc/passwd",
        "2509.01234\\input",
        "",
    ],
)
def test_arxiv_ids_outside_the_grammar_fail(bad):
    assert verbatim_arxiv_id(bad) is None


@pytest.mark.parametrize(
    "good",
    ["cs.LG", "math.AG", "hep-th", "astro-ph.CO", "cond-mat.mes-hall", "q-bio.NC", "physics.optics", "cs", "stat.ML"],
)
def test_arxiv_classes_pass(good):
    assert verbatim_arxiv_class(good) == good


@pytest.mark.parametrize("bad", ["cs.LG^^5cinput", "cs.LG x", "cs..LG", "CS.LG", "cs.LG}", "cs.LG%", "", "cs.LG.x"])
def test_arxiv_classes_outside_the_grammar_fail(bad):
    assert verbatim_arxiv_class(bad) is None


def test_dois_keep_their_printable_ascii_but_nothing_tex_reads():
    sici = "10.1002/(SICI)1097-4636(199706)35:4<409::AID-JBM1>3.0.CO;2-#"
    assert verbatim_doi(sici) == sici.replace("#", "%23")
    assert verbatim_doi("10.1145/3292500.3330701") == "10.1145/3292500.3330701"
    assert verbatim_doi("10.1000/a^^5cb{c}%d\\e") == "10.1000/a%5E%5E5cb%7Bc%7D%25d%5Ce"
    for bad in ["10.1000", "11.1000/x", "10.12/x", "10.1000/a b", "10.1000/ü", "doi 10.1000/x", ""]:
        assert verbatim_doi(bad) is None, bad


# ---------------------------------------------------------------- as a user meets it

EVIL_BIB = r"""@misc{evil,
  title = {Evil},
  author = {Doe, Jane},
  year = {2025},
  eprint = {2509.01234},
  archivePrefix = {arXiv},
  primaryClass = {cs.LG^^5cimmediate^^5cwrite18^^7btouch^^20PWNED^^7d},
  doi = {10.12/x^^5cinput}
}
"""


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_the_cli_names_the_values_kept_out_of_verbatim_fields(tmp_path, library_path, capsys, fmt):
    from papershelf.cli import main

    source = tmp_path / "evil.bib"
    source.write_text(EVIL_BIB, encoding="utf-8")
    assert main(["--library", str(library_path), "import", str(source)]) == 0
    out = tmp_path / "out.bib"
    capsys.readouterr()
    assert main(["--library", str(library_path), "export", "--all", "--format", fmt, "-o", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{out}: 1 paper written ({fmt})",
        (
            "papershelf: warning: 1 paper has an arXiv id, class, DOI or file path that is not safe in a verbatim field"
            " (written to note instead, a file path left out): evil (primaryClass, doi)"
        ),
        (
            "papershelf: warning: 1 paper has TeX that reads or writes files or defines commands in a field"
            " (written as plain text, not as in the imported file): evil"
        ),
    ]
    [entry] = bibtexparser.parse_string(out.read_text(encoding="utf-8")).entries
    assert "primaryclass" not in {f.key.lower() for f in entry.fields}
    assert entry.fields_dict["note"].value.startswith("arXiv class: cs.LG\\textasciicircum{}")


def test_the_warning_stays_one_line_for_many_papers():
    report = ExportReport(not_verbatim=[(f"k{i}", "doi") for i in range(25)])
    [line] = report.warnings()
    assert line.startswith("25 papers have an arXiv id")
    assert line.endswith(
        ": k0 (doi), k1 (doi), k2 (doi), k3 (doi), k4 (doi), k5 (doi), k6 (doi), k7 (doi), k8 (doi),"
        " k9 (doi), k10 (doi), k11 (doi), k12 (doi), k13 (doi), k14 (doi), k15 (doi), k16 (doi),"
        " k17 (doi), k18 (doi), k19 (doi), and 5 more"
    )
