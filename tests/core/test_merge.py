"""Merging duplicates: one paper keeps the union of everything, old keys stay aliases, undo puts all back."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from papershelf.core import operations as ops
from papershelf.core.errors import NotFoundError, PapershelfError
from papershelf.core.exporters import export_to_file
from papershelf.core.library import Library
from tests import texcheck

PREPRINT = """@misc{smith2023arxiv,
  author = {Smith, Jane and Doe, John},
  title = {Sparse Attention for Long Documents},
  year = {2023},
  eprint = {2301.01234},
  archivePrefix = {arXiv},
  abstract = {We make attention sparse.}
}
"""
PUBLISHED = """@inproceedings{smith2024sparse,
  author = {Smith, Jane and Doe, John},
  title = {Sparse Attention for Long Documents},
  booktitle = {Proceedings of {ACL} 2024},
  pages = {1--12},
  year = {2024},
  doi = {10.18653/v1/2024.acl-long.1}
}
"""
OTHER = """@article{other2020,
  author = {Other, Ann},
  title = {Something Else Entirely},
  journal = {J. Other},
  year = {2020}
}
"""


def dump(library: Library) -> dict[str, list]:
    """Every row the merge touches, tags and lists by name."""
    with library.engine.connect() as conn:  # either backend: the library's own engine
        con = conn.exec_driver_sql
        rows = {}
        for table in ("paper", "paper_abstract", "bibtex_source", "note", "sighting", "key_alias", "not_duplicate"):
            result = con(f"SELECT * FROM {table}")
            # A row's version counts its changes, an undo's too: bookkeeping, not user data.
            kept = [i for i, column in enumerate(result.keys()) if column != "version"]
            rows[table] = sorted((tuple(row[i] for i in kept) for row in result), key=repr)
        rows["tags"] = sorted(
            con("SELECT pt.paper_id, t.name FROM paper_tag pt JOIN tag t ON t.id = pt.tag_id").fetchall()
        )
        rows["entries"] = sorted(
            con(
                "SELECT l.name, e.paper_id, e.position FROM list_entry e JOIN reading_list l ON l.id = e.list_id"
            ).fetchall()
        )
        rows["search"] = [(q, library.search_ids(q)) for q in ("sparse", "remember", "acl")]
        return rows


@pytest.fixture
def pair(library: Library, tmp_path: Path) -> tuple[Library, int, int, int]:
    """A preprint and its published version (and an unrelated paper), each with its own history."""
    path = tmp_path / "refs.bib"
    path.write_text(PREPRINT + "\n" + PUBLISHED + "\n" + OTHER, encoding="utf-8")
    library.import_file(path)
    pre, pub, other = (library.resolve(k) for k in ("smith2023arxiv", "smith2024sparse", "other2020"))
    library.add_tags([pre], ["to-read", "attention"])
    library.add_tags([pub], ["acl"])
    library.add_to_list("Thesis", [other, pub], create=True)  # pub at place 2
    library.add_to_list("Thesis", [pre])  # pre at place 3
    library.add_to_list("Later", [pre], create=True)
    library.add_note(pre, "remember the appendix")
    library.add_note(pub, "camera ready")
    library.set_status([pre], "read")
    library.set_status([pub], "reading")
    library.set_priority([pre], 1)
    library.set_priority([pub], 3)
    library.run(ops.MarkNotDuplicate((pre, other)))
    return library, pre, pub, other


def test_merge_keeps_the_union_of_everything(pair):
    library, pre, pub, other = pair
    outcome = library.run(ops.MergePapers(pub, (pre,)))
    assert outcome.result == pub
    with pytest.raises(NotFoundError):
        library.get(pre)
    paper = library.get(pub)
    # KEEP's fields, and the ones it lacked from the preprint.
    assert paper.title == "Sparse Attention for Long Documents"
    assert paper.extra_fields["booktitle"] == "Proceedings of ACL 2024"
    assert paper.extra_fields["doi"] == "10.18653/v1/2024.acl-long.1"
    assert paper.arxiv_id == "2301.01234"
    assert paper.abstract == "We make attention sparse."
    assert paper.published is not None and paper.published.year == 2024
    assert sorted(paper.tags) == ["acl", "attention", "to-read"]
    assert sorted(n.text for n in paper.notes) == ["camera ready", "remember the appendix"]
    assert sorted(paper.lists) == ["Later", "Thesis"]
    assert library.list_paper_ids("Thesis") == [other, pub]
    assert paper.status == "read" and paper.read_at is not None
    assert paper.priority == 3
    assert paper.aliases == ["smith2023arxiv"]
    # The preprint's "not a duplicate of other" now holds for the merged paper.
    with library.engine.connect() as con:
        assert con.exec_driver_sql("SELECT paper_a, paper_b FROM not_duplicate").fetchall() == [
            tuple(sorted((pub, other)))
        ]


def test_prefer_takes_a_field_from_another_paper(pair):
    library, pre, pub, _ = pair
    library.run(ops.MergePapers(pub, (pre,), prefer=(("year", pre), ("abstract", pub))))
    paper = library.get(pub)
    assert paper.published is not None and paper.published.year == 2023
    assert paper.abstract == ""  # KEEP had none, and the user chose KEEP's


def test_prefer_names_a_paper_that_is_merged(pair):
    library, pre, pub, other = pair
    before = dump(library)
    with pytest.raises(PapershelfError, match="not one of the papers merged"):
        library.run(ops.MergePapers(pub, (pre,), prefer=(("title", other),)))
    with pytest.raises(PapershelfError, match="cannot also be merged"):
        library.run(ops.MergePapers(pub, (pub,)))
    assert dump(library) == before


def test_undo_puts_everything_back_exactly_and_redo_merges_again(pair):
    library, pre, pub, _ = pair
    before = dump(library)
    outcome = library.run(ops.MergePapers(pub, (pre,)))
    merged = dump(library)
    redo = library.run(outcome.inverse)
    assert dump(library) == before
    library.run(redo.inverse)
    assert dump(library) == merged


def test_old_key_resolves_and_is_never_given_again(pair, tmp_path):
    library, pre, pub, _ = pair
    library.run(ops.MergePapers(pub, (pre,)))
    assert library.resolve("smith2023arxiv") == pub
    assert library.resolve("SMITH2023ARXIV") == pub
    # An import of an entry under the old key is the merged paper, not a new one with that key.
    again = tmp_path / "again.bib"
    again.write_text(PREPRINT, encoding="utf-8")
    result = library.import_file(again)
    assert result.added == 0 and result.paper_ids == [pub]
    # A different paper (another arXiv id) under the old key gets another key.
    clash = tmp_path / "clash.bib"
    clash.write_text(
        "@misc{smith2023arxiv, title = {A Different Paper}, eprint = {2302.09999}, archiveprefix = {arXiv}}\n",
        encoding="utf-8",
    )
    result = library.import_file(clash)
    assert result.added == 1
    assert library.get(result.paper_ids[0]).citation_key.lower() != "smith2023arxiv"


def test_a_chain_of_merges_keeps_every_old_key(pair, tmp_path):
    library, pre, pub, other = pair
    library.run(ops.MergePapers(pub, (pre,)))
    library.run(ops.MergePapers(other, (pub,)))
    assert library.get(other).aliases == ["smith2023arxiv", "smith2024sparse"]
    assert library.resolve("smith2023arxiv") == other


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_export_writes_the_old_keys_as_ids(pair, tmp_path, fmt):
    library, pre, pub, _ = pair
    library.run(ops.MergePapers(pub, (pre,)))
    out = tmp_path / f"out-{fmt}.bib"
    export_to_file(library.iter_papers(library.search_ids("")), fmt, out)
    text = out.read_text(encoding="utf-8")
    entry = text[text.index("{smith2024sparse,") :].split("\n}\n", 1)[0]
    assert "ids = {smith2023arxiv}" in entry
    assert "booktitle = {Proceedings of {ACL} 2024}" in entry  # still as written


def test_a_kept_paper_whose_import_filled_ids_still_gets_its_aliases(tmp_path):
    """An entry whose key bibtex cannot hold is imported with a generated key and its original in ``ids``;
    after a merge into it, the old key vanished from the export (the as-written path saw ``ids`` taken)."""
    bib = tmp_path / "he.bib"
    bib.write_text(
        "@article{bad key^1,\n  title = {Deep Residual Learning for Image Recognition},\n"
        "  author = {He, Kaiming and Zhang, Xiangyu},\n  journal = {CVPR},\n  year = {2016}\n}\n"
        "@article{he2016other,\n  title = {Deep Residual Learning for Image Recognition},\n"
        "  author = {He, Kaiming and Zhang, Xiangyu},\n  year = {2016},\n  doi = {10.1109/CVPR.2016.90}\n}\n",
        encoding="utf-8",
    )
    with Library(tmp_path / "lib.sqlite3") as library:
        keep, other = library.import_file(bib).paper_ids
        library.run(ops.MergePapers(keep, (other,)))
        for fmt in ("bibtex", "biblatex"):
            out = tmp_path / f"out-{fmt}.bib"
            export_to_file(library.iter_papers([keep]), fmt, out)
            # The uncitable original key stays out: ids is written as is, and "bad key^1" is no key.
            assert "  ids = {he2016other}" in out.read_text(encoding="utf-8").splitlines(), fmt


def test_biber_resolves_the_old_key_after_a_merge(pair, tmp_path):
    texcheck.require_tex()
    library, pre, pub, _ = pair
    library.run(ops.MergePapers(pub, (pre,)))
    with tempfile.TemporaryDirectory(prefix="merge-") as tmp:
        work = Path(tmp)
        export_to_file(library.iter_papers(library.search_ids("")), "biblatex", work / "refs.bib")
        preamble = texcheck.biblatex_preamble("backend=biber,style=numeric")
        body = [r"\cite{smith2023arxiv} and \cite{smith2024sparse}", r"\printbibliography"]
        (work / "doc.tex").write_text(
            "\n".join([r"\documentclass{article}", *preamble, r"\begin{document}", *body, r"\end{document}", ""])
        )
        env = dict(texcheck._work_env(work))
        run = lambda *cmd: subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)  # noqa: E731
        run("pdflatex", "-interaction=nonstopmode", "doc.tex")
        biber = run("biber", "doc")
        run("pdflatex", "-interaction=nonstopmode", "doc.tex")
        run("pdflatex", "-interaction=nonstopmode", "doc.tex")  # biblatex asks again for the alias
        log = (work / "doc.log").read_text(encoding="utf-8", errors="replace")
        bbl = (work / "doc.bbl").read_text(encoding="utf-8")
    assert biber.returncode == 0, biber.stdout + biber.stderr
    assert "undefined" not in log.lower(), re.findall(r".*undefined.*", log)
    assert bbl.count("\\entry{smith2024sparse}") == 1  # one entry, cited under both keys


def test_a_listed_preprint_takes_the_bibtex_source_of_its_published_version(library, tmp_path, sample_json):
    result = library.import_file(sample_json, listing_date=dt.date(2025, 9, 11))
    listed = library.get(result.paper_ids[0])
    bib = tmp_path / "pub.bib"
    bib.write_text(
        "@article{pub2025,\n  author = {X, Y},\n  title = {"
        + listed.title
        + "},\n  journal = {J. Caf{\\'e} Studies},\n  year = {2025}\n}\n",
        encoding="utf-8",
    )
    pub = library.import_file(bib).paper_ids[0]
    library.run(ops.MergePapers(listed.id, (pub,)))
    merged = library.get(listed.id)
    assert merged.bibtex is not None and merged.extra_fields["journal"] == "J. Café Studies"
    assert merged.sightings  # the listing history stays
    out = tmp_path / "out.bib"
    export_to_file(library.iter_papers([listed.id]), "bibtex", out)
    assert "journal = {J. Caf{\\'e} Studies}" in out.read_text(encoding="utf-8")  # as written


def test_mark_not_duplicate_and_undo(pair):
    library, pre, pub, other = pair
    outcome = library.run(ops.MarkNotDuplicate((pub, pre)))
    assert outcome.result == 1
    with library.engine.connect() as con:
        assert (min(pre, pub), max(pre, pub)) in con.exec_driver_sql("SELECT * FROM not_duplicate").fetchall()
    library.run(outcome.inverse)
    with library.engine.connect() as con:
        assert con.exec_driver_sql("SELECT * FROM not_duplicate").fetchall() == [(min(pre, other), max(pre, other))]


def test_no_paper_is_given_an_old_key_by_hand(pair):
    library, pre, pub, other = pair
    library.run(ops.MergePapers(pub, (pre,)))
    with pytest.raises(PapershelfError, match="old key of a paper merged into paper"):
        library.run(ops.SetCitationKey(other, "Smith2023arxiv"))
    library.run(ops.SetCitationKey(pub, "smith2023arxiv"))  # the merged paper itself may take it back
    assert library.resolve("smith2023arxiv") == pub


def test_an_entry_that_crossrefs_an_old_key_follows_to_the_kept_paper(library, tmp_path):
    bib = tmp_path / "x.bib"
    bib.write_text(
        "@proceedings{procA, title = {Proceedings of Things 2020}, year = {2020}}\n"
        "@proceedings{procB, title = {Proceedings of Things}, year = {2020}}\n"
        "@inproceedings{child, author = {Kid, K.}, title = {A Child Paper}, crossref = {procA}}\n",
        encoding="utf-8",
    )
    library.import_file(bib)
    a, b, child = (library.resolve(k) for k in ("procA", "procB", "child"))
    before = dump(library)
    outcome = library.run(ops.MergePapers(b, (a,)))
    assert library.get(child).extra_fields["crossref"] == "procB"
    out = tmp_path / "out.bib"
    export_to_file(library.iter_papers(library.bibtex_order(library.search_ids(""))), "bibtex", out)
    text = out.read_text(encoding="utf-8")
    assert "crossref = {procB}" in text and text.index("{child,") < text.index("{procB,")
    library.run(outcome.inverse)
    assert dump(library) == before
    assert library.get(child).extra_fields["crossref"] == "procA"


def test_the_year_comes_with_the_date_and_an_unknown_field_is_refused(pair):
    library, pre, pub, _ = pair
    with pytest.raises(PapershelfError, match="no paper merged has a field named 'colour'"):
        library.run(ops.MergePapers(pub, (pre,), prefer=(("colour", pre),)))
    library.run(ops.MergePapers(pub, (pre,), prefer=(("date", pre),)))
    paper = library.get(pub)
    assert paper.published is not None and paper.published.year == 2023
    assert paper.extra_fields["year"] == "2023"  # the BibTeX year follows the date chosen


# --- Lossless: a field taken from another paper goes out as that paper's .bib wrote it ----------------

REVIEW_BIB = """@string{acl = "Proc. of ACL"}
@string{arx = "arXiv preprint"}

@article{pre2023,
  author = {Smith, John and Doe, Jane},
  title = {A {{Survey}} of {BERT}ology and $\\alpha$-Nets},
  journal = arx # " 2306.00001",
  year = {2023},
  month = jun # "~21",
  pages = {1--20},
  note = {Extended {TR} version},
}

@inproceedings{pub2024,
  author = {Smith, John and Doe, Jane},
  title = {A Survey of {BERTology} and α-Nets},
  booktitle = acl,
  year = {2024},
  month = jul,
  pages = {100--120},
}
"""


def _entry(text: str, key: str) -> list[str]:
    return text[text.index("{" + key + ",") :].split("\n}\n", 1)[0].splitlines()


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_fields_taken_from_the_other_paper_go_out_as_it_wrote_them(library, tmp_path, fmt):
    """The reviewer's repro: --prefer title/year/pages from the preprint wrote them re-encoded
    (``A Survey of {BERTology}``, ``1–20``, ``{June 21}``) instead of the preprint's own text."""
    path = tmp_path / "a.bib"
    path.write_text(REVIEW_BIB, encoding="utf-8")
    library.import_file(path)
    pre, pub = library.resolve("pre2023"), library.resolve("pub2024")
    before = dump(library)
    outcome = library.run(ops.MergePapers(pub, (pre,), prefer=(("title", pre), ("year", pre), ("pages", pre))))
    out = tmp_path / f"out.{fmt}.bib"
    export_to_file(library.iter_papers([pub]), fmt, out)
    text = out.read_text(encoding="utf-8")
    lines = _entry(text, "pub2024")
    assert "  title = {A {{Survey}} of {BERT}ology and $\\alpha$-Nets}," in lines
    assert "  year = {2023}," in lines
    assert '  month = jun # "~21",' in lines
    assert "  pages = {1--20}," in lines
    assert "  booktitle = acl," in lines  # KEEP's own, still with its @string
    # Filled in from the preprint (KEEP had none): as written, with the @string it uses.
    assert '  journal = arx # " 2306.00001",' in lines
    assert "  note = {Extended {TR} version}," in lines
    assert '@string{arx = "arXiv preprint"}' in text and '@string{acl = "Proc. of ACL"}' in text
    # The undo puts KEEP's source back exactly.
    library.run(outcome.inverse)
    assert dump(library) == before


def test_a_real_entry_merged_keeps_the_other_entrys_text(library, tmp_path):
    """Real dblp entries: a title with {SMT} and pages 244--261 taken from the other entry stay as written."""
    corpus = Path(__file__).parents[1] / "fixtures" / "bib-corpus" / "dblp-cvc5.bib"
    library.import_file(corpus)
    rows = [p for p in library.iter_papers(library.search_ids("")) if p.bibtex is not None]
    other = next(
        p
        for p in rows
        if "{SMT}" in dict(p.bibtex.fields).get("title", "")
        and "pages" in dict((n.lower(), v) for n, v in p.bibtex.fields)
    )
    keep = next(
        p
        for p in rows
        if p.id != other.id and p.title != other.title and "pages" in dict((n.lower(), v) for n, v in p.bibtex.fields)
    )
    raw = {n.lower(): v for n, v in other.bibtex.fields}
    library.run(ops.MergePapers(keep.id, (other.id,), prefer=(("title", other.id), ("pages", other.id))))
    for fmt in ("bibtex", "biblatex"):
        out = tmp_path / f"real.{fmt}.bib"
        export_to_file(library.iter_papers([keep.id]), fmt, out)
        lines = [line.rstrip(",") for line in _entry(out.read_text(encoding="utf-8"), keep.citation_key)]
        title_name = next(n for n, _ in other.bibtex.fields if n.lower() == "title")
        assert f"  {title_name} = {raw['title']}" in lines or any(
            line.endswith(raw["title"]) and line.lstrip().lower().startswith("title") for line in lines
        ), fmt
        assert any(line.lstrip().lower().startswith("pages") and line.endswith(raw["pages"]) for line in lines), fmt
