import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papershelf.core.errors import ListingError
from papershelf.core.importers import Source, hf_json, read_records

from ..conftest import SAMPLE_JSON


def parse(data: str | bytes, name="api.json", **kw):
    source = Source(name=name, data=data.encode() if isinstance(data, str) else data)
    return list(read_records(source, **kw).records)


def item(**paper):
    base = {
        "id": "2509.00001",
        "title": "A Title",
        "summary": "An abstract.",
        "submittedOnDailyAt": "2025-09-11T04:00:00Z",
    }
    return {"paper": base | paper}


def test_sample_items():
    recs = parse(SAMPLE_JSON.read_bytes())
    assert [r.arxiv_id for r in recs] == ["2509.90001", "2509.90002"]
    first, second = recs
    assert first.authors == ["Ada Lovelace", "Alan M. Turing", "Grace Hopper"]
    assert first.title == "A Format Sample: Rule-Based Rewards for Document Reasoning"
    assert first.code_urls == ["https://github.com/example/format-sample"]
    assert first.published == dt.date(2025, 9, 8)
    assert first.listing_date == dt.date(2025, 9, 11)
    assert second.authors == ["Émilie du Châtelet", "Carl Friedrich Gauß"]
    assert second.project_url == "https://example.invalid/project"
    assert second.code_urls == []


def test_unknown_fields_ignored_and_optional_ones_may_be_missing():
    recs = parse(
        json.dumps(
            [{"paper": {"title": "Only a title", "submittedOnDailyAt": "2025-09-11", "new": {"x": 1}}, "extra": 3}]
        )
    )
    assert recs[0].title == "Only a title"
    assert recs[0].authors == [] and recs[0].arxiv_id is None and recs[0].abstract == ""


def test_streams_across_chunk_boundaries(monkeypatch):
    monkeypatch.setattr(hf_json, "CHUNK", 7)
    items = [item(id=f"2509.{i:05d}", title=f"Paper {i} é") for i in range(50)]
    recs = parse(json.dumps(items, ensure_ascii=False, indent=1))
    assert [r.title for r in recs] == [f"Paper {i} é" for i in range(50)]


def test_date_option_overrides():
    recs = parse(json.dumps([item()]), listing_date=dt.date(2024, 1, 2))
    assert recs[0].listing_date == dt.date(2024, 1, 2)


@pytest.mark.parametrize(
    "data, message",
    [
        ('{"papers": []}', "expected a JSON array"),
        ("[]", "holds no papers"),
        (
            '[{"paper": {"title": 5, "submittedOnDailyAt": "2025-09-11"}}]',
            "item 1: paper.title should be a string, not int",
        ),
        ('[{"title": "no paper object"}]', "item 1: not a daily papers item"),
        ('[{"paper": {"title": "t", "submittedOnDailyAt": "2025-09-11"}}, 3]', "item 2: not a daily papers item"),
        (
            '[{"paper": {"title": "t", "submittedOnDailyAt": "2025-09-11", "authors": [{"name": 7}]}}]',
            r"paper.authors\[1\].name should be a string",
        ),
        ('[{"paper": {"title": "t"}}]', "no listing date"),
        ('[{"paper": {"title": "t", "submittedOnDailyAt": "soon"}}]', "not a date"),
        ('[{"paper": {"title": "t", "submittedOnDailyAt": "2025-09-11"}}', "item 1 .*expected ',' or ']'"),
        ('[{"paper": {"title": "t", "submittedOnDailyAt": "2025-09-11"}} x', "expected ',' or ']'"),
        ('[{"paper": {"title": "t", "submittedOnDailyAt": "2025-09-11"}}] trailing', "unexpected data after"),
        ('[{"paper": {"title": "t", "submittedOn', "item 1 .*invalid JSON"),
        ("[" * 100000 + "]" * 100000, "item 1: "),
    ],
)
def test_bad_json_names_the_item(data, message):
    with pytest.raises(ListingError, match=message) as info:
        parse(data)
    assert str(info.value).startswith("api.json: ")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_parses_or_fails_cleanly(value):
    try:
        parse(json.dumps(value))
    except ListingError as exc:
        assert "\n" not in str(exc)


def test_a_lone_surrogate_is_kept_as_a_replacement_character_with_a_warning():
    # JSON may escape half of a character; it cannot be stored as UTF-8 text.
    data = '[{"paper": {"id": "2509.00001", "title": "Broken \\ud800 title", "summary": "ok \\udc00\\ud83d\\ude00", '
    data += '"submittedOnDailyAt": "2025-09-11"}}]'
    reading = read_records(Source(name="api.json", data=data.encode()))
    (record,) = list(reading.records)
    assert record.title == "Broken \ufffd title"
    assert record.abstract == "ok \ufffd\U0001f600"  # a proper pair is one character, kept
    assert reading.warnings == [
        "api.json: item 1: title: a lone surrogate \\ud800 (half a character) is not text; kept as U+FFFD",
        "api.json: item 1: abstract: a lone surrogate \\udc00 (half a character) is not text; kept as U+FFFD",
    ]
