import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papershelf.core import db
from papershelf.core.search import QueryError, highlight_terms, parse

SEP11 = dt.date(2025, 9, 11)


@pytest.fixture
def lib(library, sample_text):
    library.import_file(sample_text, listing_date=SEP11)
    return library


def titles(lib, query):
    return [p.title.split(":")[0] for p in lib.get_many(lib.search_ids(query))]


def test_words_match_as_prefixes_for_search_as_you_type(lib):
    assert titles(lib, "docth") == ["DocThinker"]
    assert titles(lib, "do") and set(titles(lib, "doc")) <= set(titles(lib, "do"))
    assert set(titles(lib, "shapley")) >= {"Collective eXplainable AI"}


def test_one_letter_is_a_whole_word_not_a_prefix(lib):
    # "b" alone matches only a word "b" (there is none), not based, benchmark…
    assert lib.count("b") == 0 < lib.count("be")
    assert lib.count("w") == 0 < lib.count("we")
    assert lib.count('"b') == 0  # a half-typed phrase follows the same rule


@pytest.mark.parametrize(
    "query",
    ["reinforcement", "learning -reinforcement", "learning status:unread", "tag:rl le", "-le", '"rule-based', ""],
)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", ["id", "added_at"])
@pytest.mark.parametrize("gathered", [False, True], ids=["walked", "gathered"])
def test_first_page_is_the_start_of_the_full_list(lib, query, descending, sort, gathered, monkeypatch):
    # A shared library finds a first page one of two ways, by how many papers hold the words
    # (pg.few_matches): both give the same page.
    monkeypatch.setattr(db, "fts_few_matches", lambda conn, match, limit: gathered)
    ids = lib.search_ids("")
    lib.add_tags(ids[::3], ["rl"])
    lib.set_status(ids[::4], "read")
    full = lib.search_ids(query, sort=sort, descending=descending)
    for limit in (1, 5, 200):
        assert lib.search_ids(query, sort=sort, descending=descending, limit=limit) == full[:limit]
    assert len(full) == lib.count(query)
    if sort == "id":
        assert full == sorted(full, reverse=descending)


def test_all_words_must_match(lib):
    both = set(titles(lib, "explainable reinforcement"))
    assert both and both <= set(titles(lib, "explainable")) & set(titles(lib, "reinforcement"))


def test_phrases_match_exactly(lib):
    assert titles(lib, '"rule-based reinforcement learning"') == ["DocThinker"]
    assert titles(lib, '"reinforcement rule-based"') == []


def test_negation(lib):
    everything = lib.count("")
    assert lib.count("-shapley") == everything - lib.count("shapley")
    assert "DocThinker" not in titles(lib, "explainable -docthinker")
    # A word with a negated word: each keeps its own match expression.
    with_neg = titles(lib, "explainable -docthinker")
    assert with_neg and set(with_neg) == set(titles(lib, "explainable")) - {"DocThinker"}
    assert lib.count("reinforcement -xyzzy") == lib.count("reinforcement") > 0
    assert lib.count("reinforcement -explain -shapley") == lib.count("reinforcement") - lib.count(
        "reinforcement explain"
    ) - lib.count("reinforcement shapley -explain")


def test_notes_tags_and_authors_are_searchable(lib, tmp_path):
    a, b = lib.search_ids("")[:2]
    lib.add_note(a, "Compare with the zebrafish paper")
    lib.add_tags([b], ["favourite"])
    assert lib.search_ids("zebra") == [a]
    assert lib.search_ids("favour") == [b]
    lib.remove_tags([b], ["favourite"])
    assert lib.search_ids("favour") == []


def test_filters(lib):
    ids = lib.search_ids("")
    lib.add_tags(ids[:3], ["machine learning"])
    lib.create_list("To read")
    lib.add_to_list("To read", ids[2:5])
    lib.set_status(ids[:2], "read")
    lib.add_note(ids[4], "note")
    assert lib.search_ids('tag:"machine learning"') == ids[:3]
    assert lib.search_ids('tag:"MACHINE LEARNING" -status:read') == [ids[2]]
    assert lib.search_ids('list:"to read"') == ids[2:5]
    assert lib.search_ids("status:read") == ids[:2]
    assert lib.count("status:unread") == 47
    assert lib.count("date:2025-09-11") == 49 and lib.count("date:2025-09") == 49
    assert lib.count("date:2025-09-12") == 0
    assert lib.search_ids("has:notes") == [ids[4]]
    assert lib.count("has:code") == len([p for p in lib.get_many(ids) if p.code_urls]) > 0
    assert lib.count("-has:code") == 49 - lib.count("has:code")


@pytest.mark.parametrize("query", ["status:done", "date:yesterday", "has:wings"])
def test_bad_filter_values_explain_themselves(lib, query):
    with pytest.raises(QueryError, match=query.split(":")[0]):
        lib.search_ids(query)


def test_unknown_prefix_is_plain_text_and_half_typed_quotes_work(lib):
    assert lib.search_ids("foo:bar") == []
    assert titles(lib, '"rule-based reinf') == ["DocThinker"]


def test_sorting_in_sql(lib):
    by_title = lib.search_ids("", sort="title")
    names = [p.title.lower() for p in lib.get_many(by_title)]
    assert names == sorted(names)
    assert lib.search_ids("", sort="title", descending=True) == by_title[::-1]


def test_parse_and_highlight_terms():
    assert parse('tag:"a b" -status:read "x y" z') == [
        parse('tag:"a b"')[0],
        parse("-status:read")[0],
        parse('"x y"')[0],
        parse("z")[0],
    ]
    assert highlight_terms('tag:x "exact phrase" word -not') == ["exact phrase", "word"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_typed_text_is_a_valid_query_or_a_clear_error(text):
    from papershelf.core.search import where_clause

    try:
        where_clause(text)
    except QueryError:
        pass


@pytest.mark.parametrize(
    "query, message",
    [
        ("tag:", 'search: "tag:" needs a tag name (tag:NAME)'),
        ('tag:""', 'search: "tag:" needs a tag name (tag:NAME)'),
        ("-tag: learning", 'search: "tag:" needs a tag name (tag:NAME)'),
        ("learning list:", 'search: "list:" needs a list name (list:NAME)'),
        ("STATUS:", 'search: "status:" needs a status (status:unread, status:reading or status:read)'),
        ("date:", 'search: "date:" needs a date (date:YYYY-MM-DD or date:YYYY-MM)'),
        ("has:", 'search: "has:" needs has:notes, has:code or has:pdf'),
    ],
)
def test_a_filter_without_a_value_is_named_not_searched_as_a_word(lib, query, message):
    # "tag:" used to search for the word "tag" and list whatever matched.
    with pytest.raises(QueryError) as info:
        lib.search_ids(query)
    assert str(info.value) == message
    assert highlight_terms(query) == [w for w in ("learning",) if w in query]  # highlighting never raises


def test_an_unknown_tag_or_list_is_named_with_close_matches(lib):
    ids = lib.search_ids("")
    lib.add_tags(ids[:2], ["nlp", "vision"])
    lib.create_list("Thesis")
    lib.add_to_list("Thesis", ids[:1])
    cases = {
        "tag:nosuch": 'search: no tag named "nosuch"',
        "-tag:nosuch": 'search: no tag named "nosuch"',
        "tag:nlpp": 'search: no tag named "nlpp"; did you mean "nlp"?',
        "learning tag:visoin": 'search: no tag named "visoin"; did you mean "vision"?',
        "tag:vi": 'search: no tag named "vi"; did you mean "vision"?',  # half-typed in the search box
        "list:NoSuch": 'search: no reading list named "NoSuch"',
        'list:"thesis draft"': 'search: no reading list named "thesis draft"; did you mean "Thesis"?',
    }
    for query, message in cases.items():
        for call in (lib.search_ids, lib.count):
            with pytest.raises(QueryError) as info:
                call(query)
            assert str(info.value) == message, query
    # Names match whatever their case, as before.
    assert lib.search_ids("tag:NLP") == ids[:2] and lib.search_ids("list:thesis") == ids[:1]
    assert lib.count("-tag:nlp") == len(ids) - 2


def test_no_tags_at_all_says_so(lib):
    with pytest.raises(QueryError, match=r'^search: no tag named "nlp" \(the library has no tags yet\)$'):
        lib.search_ids("tag:nlp")


@pytest.mark.parametrize("value", ["2025-13", "2025-00", "0000-01", "2025-02-30", "2025-9"])
def test_impossible_dates_are_rejected(lib, value):
    # date:2025-13 used to run and say nothing matched.
    with pytest.raises(QueryError) as info:
        lib.search_ids(f"date:{value}")
    assert str(info.value) == f'search: "date:{value}" is not a date (use date:YYYY-MM-DD or date:YYYY-MM)'


@pytest.mark.parametrize("descending", [False, True])
def test_papers_without_a_listing_date_sort_first_going_up_on_both_backends(lib, tmp_path, descending):
    # Review: PostgreSQL puts NULL above every value, SQLite below: a shared library sorted them last.
    bib = tmp_path / "undated.bib"
    bib.write_text("@article{undated2024,\n  title = {Undated paper},\n  author = {Doe, Jane},\n  year = {2024}\n}\n")
    lib.import_file(bib)
    undated = lib.resolve("undated2024")
    full = lib.search_ids("", sort="listed_on", descending=descending)
    assert (full[-1] if descending else full[0]) == undated
    for limit in (1, 5):
        assert lib.search_ids("", sort="listed_on", descending=descending, limit=limit) == full[:limit]
