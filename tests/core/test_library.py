import datetime as dt
import json
from pathlib import Path

import pytest

from papershelf.core.errors import ConflictError, ListingError, NotFoundError, PapershelfError
from papershelf.core.importers import Source
from papershelf.core.library import Cancelled, Library

SEP11 = dt.date(2025, 9, 11)


def snapshot(library: Library) -> str:
    """Everything a user could see, as one comparable value."""
    ids = library.search_ids("")
    papers = [
        (
            p.title,
            p.abstract,
            p.authors,
            p.arxiv_id,
            p.status,
            p.tags,
            p.lists,
            [n.text for n in p.notes],
            p.citation_key,
            [(s.source, s.listing_date, s.position) for s in p.sightings],
        )
        for p in library.get_many(ids)
    ]
    return json.dumps([papers, library.lists(), library.tags()], default=str)


def json_listing(tmp_path: Path, items: list[dict], name="api.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def test_sample_imports_49_papers_with_exact_text(library, sample_text):
    result = library.import_file(sample_text, listing_date=SEP11)
    assert (result.added, result.existing, result.format) == (49, 0, "hf-text")
    assert result.listing_dates == [SEP11]
    papers = library.get_many(library.search_ids(""))
    assert len(papers) == 49
    first = papers[0]
    assert first.title == (
        "DocThinker: Explainable Multimodal Large Language Models with Rule-based Reinforcement Learning for Document Understanding"
    )
    assert first.abstract.startswith("Multimodal Large Language Models (MLLMs) have demonstrated")
    assert first.status == "unread" and first.listing_dates == [SEP11]
    assert first.code_urls == ["https://github.com/wenwenyu/DocThinker"]


def test_importing_twice_adds_nothing(library, sample_text):
    library.import_file(sample_text, listing_date=SEP11)
    before = snapshot(library)
    again = library.import_file(sample_text, listing_date=SEP11)
    assert (again.added, again.existing) == (0, 49)
    assert snapshot(library) == before


def test_new_listing_date_records_a_new_sighting(library, sample_text):
    library.import_file(sample_text, listing_date=SEP11)
    library.import_file(sample_text, listing_date=dt.date(2025, 9, 12))
    paper = library.get(library.search_ids("")[0])
    assert paper.listing_dates == [SEP11, dt.date(2025, 9, 12)]
    assert library.count("") == 49


@pytest.mark.parametrize("pin", ["export", "edit"])
def test_a_key_exported_or_edited_never_changes_when_authors_arrive(library, tmp_path, sample_text, pin):
    from papershelf.core import exporters
    from papershelf.core import operations as ops

    library.import_file(sample_text, listing_date=SEP11)
    pid = library.search_ids('"DocThinker"')[0]
    if pin == "export":
        exporters.export_to_file(library.iter_papers([pid]), "bibtex", tmp_path / "refs.bib")
        library.run(ops.PinKeys((pid,)))  # as the CLI and the app do after every export
    else:
        library.set_citation_key(pid, "docthinker")
    key = library.get(pid).citation_key
    listing = json_listing(
        tmp_path,
        [
            {
                "paper": {
                    "id": "2507.12345",
                    "title": library.get(pid).title,
                    "authors": [{"name": "Wenwen Yu"}],
                    "publishedAt": "2025-07-16T00:00:00Z",
                }
            }
        ],
    )
    library.import_file(listing)
    paper = library.get(pid)
    assert paper.authors == ["Wenwen Yu"] and paper.citation_key == key


def test_json_enriches_a_paper_first_seen_in_text_without_duplicating(library, tmp_path, sample_text):
    library.import_file(sample_text, listing_date=SEP11)
    pid = library.search_ids('"DocThinker"')[0]
    library.add_tags([pid], ["multimodal"])
    library.add_note(pid, "my note")
    library.set_status([pid], "reading")
    key = library.get(pid).citation_key
    title = library.get(pid).title
    listing = json_listing(
        tmp_path,
        [
            {
                "paper": {
                    "id": "2507.12345v2",
                    "title": "docthinker:  explainable multimodal large language models with rule-based "
                    "reinforcement learning for document understanding",
                    "authors": [{"name": "Wenwen Yu"}, {"name": "Zhibo Yang"}],
                    "summary": "different abstract",
                    "publishedAt": "2025-07-16T00:00:00Z",
                    "submittedOnDailyAt": "2025-09-12T00:00:00Z",
                    "githubRepo": "https://github.com/wenwenyu/DocThinker",
                }
            }
        ],
    )
    result = library.import_file(listing)
    assert (result.added, result.existing) == (0, 1)
    assert library.count("") == 49
    paper = library.get(pid)
    assert paper.arxiv_id == "2507.12345"
    assert paper.authors == ["Wenwen Yu", "Zhibo Yang"]
    assert paper.published == dt.date(2025, 7, 16)
    # The user's data and what the library had stay as they were.
    assert paper.title == title
    assert paper.abstract.startswith("Multimodal Large Language Models")
    assert paper.tags == ["multimodal"] and [n.text for n in paper.notes] == ["my note"]
    assert paper.status == "reading"
    # The key made before authors were known takes the author style: it was never exported, copied or edited.
    assert key == "docthinkerexplainable2025" and paper.citation_key == "yu2025docthinker"
    assert paper.code_urls == ["https://github.com/wenwenyu/DocThinker"]
    assert paper.listing_dates == [SEP11, dt.date(2025, 9, 12)]
    # Now findable by the new author and by its arXiv id.
    assert library.search_ids("zhibo") == [pid]
    assert library.resolve("2507.12345v1") == pid


def test_same_arxiv_id_is_the_same_paper_even_with_another_title(library, tmp_path):
    one = json_listing(
        tmp_path, [{"paper": {"id": "2509.00001", "title": "Old Title", "submittedOnDailyAt": "2025-09-11"}}], "a.json"
    )
    two = json_listing(
        tmp_path,
        [{"paper": {"id": "2509.00001v2", "title": "New Title v2", "submittedOnDailyAt": "2025-09-12"}}],
        "b.json",
    )
    library.import_file(one)
    assert library.import_file(two).existing == 1
    assert [p.title for p in library.get_many(library.search_ids(""))] == ["Old Title"]


def test_same_title_with_different_arxiv_ids_are_different_papers(library, tmp_path):
    items = [{"paper": {"id": f"2509.0000{i}", "title": "Survey", "submittedOnDailyAt": "2025-09-11"}} for i in (1, 2)]
    result = library.import_file(json_listing(tmp_path, items))
    assert result.added == 2


def test_duplicates_inside_one_file_count_once(library, tmp_path):
    items = [{"paper": {"id": "2509.00001", "title": "Twice", "submittedOnDailyAt": "2025-09-11"}}] * 2
    items.append({"paper": {"title": "twice!", "submittedOnDailyAt": "2025-09-11"}})
    result = library.import_file(json_listing(tmp_path, items))
    assert (result.added, result.existing) == (1, 2)


def test_a_failing_import_writes_nothing(library, tmp_path, sample_text):
    library.import_file(sample_text, listing_date=SEP11)
    before = snapshot(library)
    good = [
        {"paper": {"id": f"2510.{i:05d}", "title": f"New {i}", "submittedOnDailyAt": "2025-10-01"}} for i in range(1200)
    ]
    bad = good + [{"paper": {"title": 42}}]
    with pytest.raises(ListingError, match="item 1201: paper.title should be a string"):
        library.import_file(json_listing(tmp_path, bad))
    assert snapshot(library) == before


BAD_INPUTS = {
    "empty": (b"", "the file is empty"),
    "blank": (b"  \n\n ", "the file is empty"),
    "binary": (bytes(range(256)) * 10, "binary data"),
    "latin1": ("Sep 11\n\nCaf\u00e9 title\n\nabstract".encode("latin-1"), "line 3: invalid UTF-8"),
    "wrong json": (b'{"not": "the api"}', "expected a JSON array"),
    "one huge line": (b"x" * (50 * 1024 * 1024), "line 1: longer than 1 MiB"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_files_fail_cleanly_and_change_nothing(library, tmp_path, sample_text, case):
    library.import_file(sample_text, listing_date=SEP11)
    before = snapshot(library)
    data, message = BAD_INPUTS[case]
    path = tmp_path / f"{case}.txt"
    path.write_bytes(data)
    with pytest.raises(ListingError) as info:
        library.import_file(path)
    text = str(info.value)
    assert text.startswith(str(path) + ": ") and message in text and "\n" not in text
    assert snapshot(library) == before


def test_missing_file_and_directory(library, tmp_path):
    with pytest.raises(ListingError, match="no such file"):
        library.import_file(tmp_path / "nope.txt")
    with pytest.raises(ListingError, match="is a folder"):
        library.import_file(tmp_path)


def test_preview_counts_without_writing(library, sample_text):
    library.import_file(Source.from_text("Sep 11\n\nWarm-up paper\n\nabstract"), listing_date=SEP11)
    preview = library.import_file(sample_text, listing_date=SEP11, dry_run=True)
    assert (preview.added, preview.existing) == (49, 0)
    assert library.count("") == 1


def test_cancel_rolls_back(library, tmp_path):
    items = [
        {"paper": {"id": f"2510.{i:05d}", "title": f"P {i}", "submittedOnDailyAt": "2025-10-01"}} for i in range(1500)
    ]
    calls = []
    with pytest.raises(Cancelled):
        library.import_file(json_listing(tmp_path, items), progress=calls.append, cancelled=lambda: len(calls) >= 2)
    assert calls == [500, 1000]
    assert library.count("") == 0


def test_citation_keys_are_readable_unique_and_stable(library, tmp_path):
    items = [
        {
            "paper": {
                "id": "1706.03762",
                "title": "Attention Is All You Need",
                "authors": [{"name": "Ashish Vaswani"}],
                "publishedAt": "2017-06-12",
                "submittedOnDailyAt": "2025-09-11",
            }
        },
        {
            "paper": {
                "id": "1706.99999",
                "title": "Attention, again",
                "authors": [{"name": "A. Vaswani"}],
                "publishedAt": "2017-06-13",
                "submittedOnDailyAt": "2025-09-11",
            }
        },
        {"paper": {"title": "Gauß meets Émilie: the Ærodynamics", "submittedOnDailyAt": "2025-09-11"}},
    ]
    library.import_file(json_listing(tmp_path, items))
    keys = [p.citation_key for p in library.get_many(library.search_ids(""))]
    assert keys == ["vaswani2017attention", "vaswani2017attentiona", "gaussmeets2025"]
    pid = library.resolve("vaswani2017attention")
    library.set_title(pid, "Renamed")
    library.import_file(json_listing(tmp_path, items, "again.json"))
    assert library.get(pid).citation_key == "vaswani2017attention"
    assert library.get(pid).title == "Renamed"


def test_citation_key_edits_are_unique_case_insensitively(library, sample_text):
    library.import_file(sample_text, listing_date=SEP11)
    a, b = library.search_ids("")[:2]
    library.set_citation_key(a, "Smith2025Doc")
    with pytest.raises(ConflictError, match="already used by paper"):
        library.set_citation_key(b, "smith2025doc")
    with pytest.raises(PapershelfError, match="citation key"):
        library.set_citation_key(b, "has space")
    assert library.resolve("SMITH2025DOC") == a


def test_tags_status_priority_notes_lists(library, sample_text):
    library.import_file(sample_text, listing_date=SEP11)
    a, b, c = library.search_ids("")[:3]
    library.add_tags([a, b], ["rl", "to cite"])
    library.remove_tags([b], ["rl"])
    assert library.tags() == [("rl", 1), ("to cite", 2)]
    library.set_status([a], "read")
    read_at = library.get(a).read_at
    assert read_at is not None
    library.set_status([a], "read")  # marking again keeps the first date
    assert library.get(a).read_at == read_at
    library.set_status([a], "unread")
    assert library.get(a).read_at is None
    library.set_priority([c], 3)
    assert library.get(c).priority == 3
    with pytest.raises(PapershelfError):
        library.set_priority([c], 4)
    note = library.add_note(a, "first *note*")
    library.update_note(note, "edited note")
    assert [n.text for n in library.get(a).notes] == ["edited note"]
    deleted = library.delete_note(note)
    assert library.get(a).notes == []
    library.restore_note(deleted)
    assert [n.text for n in library.get(a).notes] == ["edited note"]
    library.create_list("To read")
    with pytest.raises(ConflictError):
        library.create_list("to READ")
    assert library.add_to_list("To read", [c, a, c]) == 2
    assert library.add_to_list("To read", [a, b]) == 1
    assert library.list_paper_ids("To read") == [c, a, b]
    library.remove_from_list("To read", [a])
    assert library.list_paper_ids("To read") == [c, b]
    library.rename_list("To read", "Reading group")
    assert library.get(c).lists == ["Reading group"]
    assert library.delete_list("Reading group") == [c, b]
    assert library.lists() == []
    with pytest.raises(NotFoundError):
        library.list_paper_ids("Reading group")
    with pytest.raises(NotFoundError):
        library.add_tags([99999], ["x"])


def test_stats_and_listing_dates(library, sample_text):
    library.import_file(sample_text, listing_date=SEP11)
    library.set_status(library.search_ids("")[:4], "read")
    assert library.stats() == {"all": 49, "unread": 45, "reading": 0, "read": 4}
    assert library.listing_dates() == [(SEP11, 49)]


def test_library_folder_is_created(tmp_path):
    path = tmp_path / "deep" / "er" / "lib.sqlite3"
    with Library(path) as lib:
        assert lib.count() == 0
    assert path.exists()


@pytest.mark.sqlite_only("SQLite pragmas")
def test_pragmas(library):
    with library.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_same_title_from_another_year_is_another_paper(library, tmp_path):
    bib = tmp_path / "editions.bib"
    bib.write_text(
        "@incollection{Gustafsson2010, title = {Arithmetic}, author = {Gustafsson, Oscar}, year = {2010}, booktitle = {Handbook}}\n"
        "@incollection{Gustafsson2013, title = {Arithmetic}, author = {Gustafsson, Oscar}, year = {2013}, booktitle = {Handbook, 2nd ed.}}\n"
        "@misc{undated, title = {Arithmetic!}}\n",
        encoding="utf-8",
    )
    result = library.import_file(bib)
    # Two editions stay two papers; the undated entry has its own key, so it is a
    # third paper, flagged because it cannot be told apart from the first.
    assert (result.added, result.existing) == (3, 0)
    assert result.duplicates == ["undated (line 3) looks like Gustafsson2010 (line 1)"]
    again = library.import_file(bib)
    assert (again.added, again.existing, again.duplicates) == (0, 3, [])  # importing again adds nothing
    keys = sorted(p.citation_key for p in library.get_many(library.search_ids("")))
    assert keys == ["Gustafsson2010", "Gustafsson2013", "undated"]


def test_delete_papers_and_undo_it_exactly(library, sample_text):
    library.import_file(sample_text, listing_date=SEP11)
    a, b, c = library.search_ids("")[:3]
    library.add_tags([a, b], ["rl", "only-a"][:1])
    library.add_tags([a], ["only-a"])
    library.add_note(a, "zebrafish note")
    library.create_list("To read")
    library.add_to_list("To read", [c, a, b])
    library.set_status([a], "read")
    before = snapshot(library)
    removed = library.delete_papers([a, b])
    assert library.count() == 47 and library.search_ids("zebra") == []
    assert library.tags() == []  # tags nobody carries any more disappear
    assert library.list_paper_ids("To read") == [c]
    with pytest.raises(NotFoundError):
        library.get(a)
    library.restore_papers(removed)
    assert snapshot(library) == before
    assert library.list_paper_ids("To read") == [c, a, b]
    assert library.search_ids("zebra") == [a]


# --- BibTeX: distinct entries are distinct papers; merges are named ---------------------

TWO_INTRODUCTIONS = """@inproceedings{smith-conf, title = {Introduction}, author = {Smith, Ana}, booktitle = {Proc. of Things}, year = {2020}}

@incollection{doe-chapter, title = {Introduction}, author = {Doe, John}, booktitle = {Handbook of Stuff}, year = {2020}}

@article{yin2023large,
  title = {Do Large Language Models Know What They Don't Know?},
  author = {Yin, Zhangyue and Sun, Qiushi},
  journal = {arXiv preprint arXiv:2305.18153}, eprint = {2305.18153}, archivePrefix = {arXiv}, year = {2023}
}

@inproceedings{yin-etal-2023-selfaware,
  title = "Do Large Language Models Know What They Don{'}t Know?",
  author = "Yin, Zhangyue and Sun, Qiushi",
  booktitle = ijcai, year = "2023", doi = "10.18653/v1/2023.findings-acl.551"
}
"""


def bib(tmp_path: Path, text: str, name: str = "refs.bib") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_distinct_keys_in_one_file_are_distinct_papers_and_likely_duplicates_are_named(library, tmp_path):
    result = library.import_file(bib(tmp_path, TWO_INTRODUCTIONS))
    assert (result.added, result.existing, result.merged) == (4, 0, [])
    assert result.duplicates == [
        "doe-chapter (line 3) looks like smith-conf (line 1)",
        "yin-etal-2023-selfaware (line 11) looks like yin2023large (line 5)",
    ]
    assert result.warnings == [
        (
            f"{tmp_path / 'refs.bib'}: line 11: entry 'yin-etal-2023-selfaware': field 'booktitle': "
            "undefined @string 'ijcai' (kept as text)"
        )
    ]
    assert result.problems == []  # nothing was skipped
    papers = {p.citation_key: p for p in library.get_many(library.search_ids(""))}
    assert sorted(papers) == ["doe-chapter", "smith-conf", "yin-etal-2023-selfaware", "yin2023large"]
    assert papers["doe-chapter"].authors == ["John Doe"] and papers["smith-conf"].authors == ["Ana Smith"]
    assert papers["yin2023large"].arxiv_id == "2305.18153"
    assert papers["yin-etal-2023-selfaware"].extra_fields["doi"] == "10.18653/v1/2023.findings-acl.551"


def test_against_the_library_only_the_same_key_arxiv_id_or_doi_merges(library, tmp_path):
    library.import_file(bib(tmp_path, TWO_INTRODUCTIONS))
    ids = {p.citation_key: p.id for p in library.get_many(library.search_ids(""))}
    again = bib(
        tmp_path,
        """@inproceedings{smith-conf, title = {Introduction (revised)}, year = {2020}, pages = {1--9}}
@misc{preprint-of-yin, title = {Other words}, eprint = {2305.18153v2}, archivePrefix = {arXiv}}
@misc{acl-yin, title = {Same DOI}, doi = {https://doi.org/10.18653/V1/2023.findings-acl.551}}
@book{intro-book, title = {Introduction}, author = {Roe, Rita}, year = {2020}}
@book{intro-1999, title = {Introduction}, year = {1999}}
""",
        "more.bib",
    )
    result = library.import_file(again)
    assert result.merged == [
        f"smith-conf (line 1) into paper {ids['smith-conf']} (same key)",
        f"preprint-of-yin (line 2) into paper {ids['yin2023large']} (same arXiv id 2305.18153)",
        f"acl-yin (line 3) into paper {ids['yin-etal-2023-selfaware']} (same DOI 10.18653/v1/2023.findings-acl.551)",
    ]
    assert result.duplicates == [f'intro-book (line 4) looks like paper {ids["smith-conf"]} "Introduction"']
    assert (result.added, result.existing) == (2, 3)
    # A merge fills in what the paper lacked and changes nothing it had.
    smith = library.get(ids["smith-conf"])
    assert smith.title == "Introduction" and smith.extra_fields["pages"] == "1–9"


def test_a_listing_imported_twice_still_adds_nothing_and_a_bib_entry_with_its_title_is_flagged(
    library, tmp_path, sample_text
):
    library.import_file(sample_text, listing_date=SEP11)
    assert library.import_file(sample_text, listing_date=SEP11).existing == 49
    pid = library.search_ids('"DocThinker"')[0]
    title = library.get(pid).title
    result = library.import_file(bib(tmp_path, f"@misc{{yu2025doc, title = {{{title}}}, year = {{2025}}}}\n"))
    assert (result.added, result.merged) == (1, [])
    assert result.duplicates == [f'yu2025doc (line 1) looks like paper {pid} "{title[:60]}…"']


def test_keys_that_differ_only_in_case_import_without_a_crash(library, tmp_path):
    result = library.import_file(bib(tmp_path, "@misc{smith2020, title = {A}}\n@misc{Smith2020, title = {B}}\n"))
    assert result.added == 2
    assert result.warnings == [
        f"{tmp_path / 'refs.bib'}: line 2: entry 'Smith2020': the key is taken (keys ignore case); imported as 'Smith2020a'"
    ]
    assert sorted(p.citation_key for p in library.get_many(library.search_ids(""))) == ["Smith2020a", "smith2020"]


def test_two_entries_with_one_arxiv_id_stay_two_papers(library, tmp_path):
    text = "@misc{a, title = {One}, eprint = {2401.00001}, archivePrefix = {arXiv}}\n"
    text += "@misc{b, title = {One, again}, eprint = {2401.00001v2}, archivePrefix = {arXiv}}\n"
    result = library.import_file(bib(tmp_path, text))
    assert result.added == 2
    assert result.duplicates == ["b (line 2) looks like a (line 1) (same arXiv id 2401.00001)"]
    a, b = library.get_many(library.search_ids(""))
    assert a.arxiv_id == "2401.00001"
    # arXiv ids are unique in the library: the second keeps its id as its eprint field.
    assert b.arxiv_id is None and (b.extra_fields["eprint"], b.extra_fields["archiveprefix"]) == ("2401.00001", "arXiv")


def test_a_keyword_longer_than_a_tag_never_aborts_the_import_and_exports_as_written(library, tmp_path):
    keyword = "Key words: Program verification – Java – Refinement calculus – Hoare logic – Specification languages – Separation logic"
    text = f"@article{{leino2004, title = {{Verification}}, keywords = {{{keyword}}}}}\n@article{{b, title = {{B}}, keywords = {{rl}}}}\n"
    result = library.import_file(bib(tmp_path, text))
    assert (result.added, result.problems) == (2, [])
    paper = library.get(library.resolve("leino2004"))
    assert paper.tags == [] and paper.extra_fields["keywords"] == keyword
    from papershelf.core.exporters import render

    exported = "".join(render([paper], "biblatex"))
    assert f"keywords = {{{keyword}}}" in exported
