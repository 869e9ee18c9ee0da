import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papershelf.core.errors import ListingError
from papershelf.core.importers import Source, read_records
from papershelf.core.importers.hf_text import code_urls, resolve_year

from ..conftest import SAMPLE_TEXT


def records(text: str, **kw):
    reading = read_records(Source.from_text(text, "paste.txt"), **kw)
    return reading.format, list(reading.records)


def test_sample_has_49_papers_exactly_as_in_the_file():
    fmt, recs = records(SAMPLE_TEXT.read_text(encoding="utf-8"), today=dt.date(2026, 11, 27))
    assert fmt == "hf-text"
    assert len(recs) == 49
    paragraphs = [p for p in SAMPLE_TEXT.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    body = paragraphs[paragraphs.index("Sep 11") + 1 :]
    assert [r.title for r in recs] == body[0::2]
    assert [r.abstract for r in recs] == [p.rstrip("\n") for p in body[1::2]]
    assert recs[0].title.startswith("DocThinker: Explainable Multimodal")
    assert [r.position for r in recs] == list(range(1, 50))
    assert {r.listing_date for r in recs} == {dt.date(2026, 9, 11)}
    assert recs[0].code_urls == ["https://github.com/wenwenyu/DocThinker"]


def test_date_option_overrides_the_year_guess():
    _, recs = records(SAMPLE_TEXT.read_text(encoding="utf-8"), listing_date=dt.date(2025, 9, 11))
    assert recs[0].listing_date == dt.date(2025, 9, 11)


@pytest.mark.parametrize(
    "today, expected",
    [
        (dt.date(2026, 11, 27), dt.date(2026, 9, 11)),
        (dt.date(2026, 9, 11), dt.date(2026, 9, 11)),
        (dt.date(2026, 9, 10), dt.date(2025, 9, 11)),
    ],
)
def test_year_is_the_latest_on_or_before_today(today, expected):
    assert resolve_year(9, 11, today) == expected


def test_feb_29_goes_back_to_a_leap_year():
    assert resolve_year(2, 29, dt.date(2027, 3, 1)) == dt.date(2024, 2, 29)


def test_header_may_be_missing_or_different():
    text = "Some other header\nTrending\n\nSep 11\n\nTitle One\n\nAbstract one.\n\nTitle Two\n\nAbstract two."
    _, recs = records(text, today=dt.date(2026, 1, 1))
    assert [r.title for r in recs] == ["Title One", "Title Two"]
    _, recs = records("Sep 11\n\nOnly\n\nAbstract.")
    assert [r.title for r in recs] == ["Only"]


def test_crlf_bom_tabs_trailing_space_and_no_final_newline():
    text = "\ufeffDaily Papers\r\n\r\nSep 11 \r\n\t\r\nA\tTitle  \r\n\r\nThe abstract.\t\r\n\r\nSecond\r\n\r\nLast abstract"
    _, recs = records(text)
    assert [(r.title, r.abstract) for r in recs] == [("A Title", "The abstract."), ("Second", "Last abstract")]


def test_wrapped_paragraphs_are_joined():
    _, recs = records("Sep 11\n\nA long\ntitle\n\nAn abstract\nover two lines.\n")
    assert recs[0].title == "A long title"
    assert recs[0].abstract == "An abstract over two lines."


def test_code_links_from_github_gitlab_and_hugging_face():
    text = (
        "Code: https://github.com/a/b. Models at https://huggingface.co/org/model, "
        "mirror https://gitlab.com/x/y and https://github.com/a/b again; site https://example.org/z."
    )
    assert code_urls(text) == ["https://github.com/a/b", "https://huggingface.co/org/model", "https://gitlab.com/x/y"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("Daily Papers\n\nno date here\n\nTitle\n\nAbstract", "no listing date line"),
        ("Sep 11\n\nTitle\n\nAbstract\n\nDangling title\n", "line 7: a title with no abstract"),
        ("Sep 11\n\n", "no papers after the date line"),
    ],
)
def test_broken_listings_name_the_problem(text, message):
    with pytest.raises(ListingError, match=message) as info:
        records(text)
    assert str(info.value).startswith("paste.txt: ")
    assert "\n" not in str(info.value)


titles = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\u0085\ufeff"),
        min_size=1,
        max_size=80,
    )
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)


@settings(max_examples=150, deadline=None)
@given(papers=st.lists(st.tuples(titles, titles), min_size=1, max_size=8), crlf=st.booleans())
def test_any_well_formed_listing_round_trips(papers, crlf):
    # A title that looks like a date line would be a different listing; skip those.
    from papershelf.core.importers.hf_text import NOISE, parse_date_line

    # A title that looks like a date line, an upvote count or a bullet is page
    # chrome by design, not a paper: skip those examples.
    if any(parse_date_line(t) or NOISE.fullmatch(t) for pair in papers for t in pair):
        return
    nl = "\r\n" if crlf else "\n"
    text = nl.join(["Daily Papers", "", "Sep 11", ""] + [f"{t}{nl}{nl}{a}{nl}" for t, a in papers])
    _, recs = records(text)
    assert [(r.title, r.abstract) for r in recs] == papers


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_either_parses_or_fails_cleanly(text):
    try:
        records(text)
    except ListingError as exc:
        assert "\n" not in str(exc)


def test_page_chrome_between_title_and_abstract_is_skipped():
    text = (
        "Sep 11\n\nFirst Title\n\nSubmitted by akhaliq\n\n42\n\nThe first abstract, long enough.\n\n"
        "Second Title\n\n·\n\n1.2k\n\nThe second abstract.\n"
    )
    _, recs = records(text)
    assert [(r.title, r.abstract) for r in recs] == [
        ("First Title", "The first abstract, long enough."),
        ("Second Title", "The second abstract."),
    ]
