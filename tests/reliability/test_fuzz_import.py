"""Damaged listings: the only outcomes are a clean import or the documented error.

Mutations of the real samples (truncation, byte flips, inserted NULs, mixed
encodings) plus hand-made pathological files. On an error the library must be
exactly as it was.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papershelf.core.errors import ListingError
from papershelf.core.importers import Source
from papershelf.core.library import Library

from ..conftest import FIXTURES, SAMPLE_JSON, SAMPLE_TEXT

SAMPLES = {
    "text": SAMPLE_TEXT.read_bytes(),
    "json": SAMPLE_JSON.read_bytes(),
    "bib": (FIXTURES / "real-world" / "zotero-better-bibtex-export.bib").read_bytes(),
}


def state(lib: Library) -> str:
    papers = lib.get_many(lib.search_ids(""))
    return json.dumps(
        [
            (p.title, p.abstract, p.authors, p.arxiv_id, [(s.listing_date, s.position) for s in p.sightings])
            for p in papers
        ],
        default=str,
    )


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    library = Library(tmp_path_factory.mktemp("fuzz") / "lib.sqlite3")
    library.import_file(Source.from_text("Sep 10\n\nAlready here\n\nAn abstract."))
    yield library
    library.close()


def check(lib: Library, data: bytes) -> None:
    before = state(lib)
    try:
        lib.import_file(Source(name="fuzzed", data=data), dry_run=True)
    except ListingError as exc:
        message = str(exc)
        assert message.startswith("fuzzed: ") and "\n" not in message
    assert state(lib) == before


mutation = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("latin1"), st.floats(0, 1)),
)


def mutate(data: bytes, steps) -> bytes:
    for step in steps:
        at = int(step[1] * len(data))
        if step[0] == "truncate":
            data = data[:at]
        elif step[0] == "flip":
            data = data[:at] + bytes([step[2]]) + data[at + 1 :]
        elif step[0] == "insert":
            data = data[:at] + step[2] + data[at:]
        else:
            data = data[:at] + "é".encode("latin-1") + data[at:]
    return data


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(kind=st.sampled_from(sorted(SAMPLES)), steps=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_samples(lib, kind, steps):
    check(lib, mutate(SAMPLES[kind], steps))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_random_bytes(lib, data):
    check(lib, data)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"[" * 200_000, id="deeply nested json"),
        pytest.param(
            b"["
            + b'{"paper": {"title": "x", "submittedOnDailyAt": "2025-09-11", "deep": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}}]",
            id="deep field",
        ),
        pytest.param(b'[{"paper": {"title": 1e999, "submittedOnDailyAt": "2025-09-11"}}]', id="number for a string"),
        pytest.param(
            b'[{"paper": {"title": "t", "authors": "Ann", "submittedOnDailyAt": "2025-09-11"}}]', id="string for a list"
        ),
        pytest.param(
            b'[{"paper": {"title": "t", "submittedOnDailyAt": "2025-09-11", "githubRepo": ["x"]}}]',
            id="list for a string",
        ),
        pytest.param(SAMPLES["text"].replace(b"\n", b"\x00\n", 3), id="NUL bytes in text"),
        pytest.param(b"Sep 11\n\n" + b"A" * (100 * 1024 * 1024), id="100 MB line"),
        pytest.param(SAMPLES["text"][: len(SAMPLES["text"]) // 2], id="truncated text"),
        pytest.param(SAMPLES["json"][: len(SAMPLES["json"]) // 2], id="truncated json"),
        pytest.param(SAMPLES["text"].decode().encode("utf-16"), id="utf-16"),
        pytest.param(SAMPLES["text"] + "Caf\u00e9".encode("latin-1"), id="mixed encodings"),
    ],
)
def test_pathological_files(lib, data):
    check(lib, data)
