"""Telling listings from BibTeX by their structure, quickly, and refusing a format that does not fit."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from papershelf.core.errors import ListingError
from papershelf.core.importers import Source, read_records, shape, sniff

from ..conftest import FIXTURES, SAMPLE_JSON, SAMPLE_TEXT

REAL_BIB = sorted((FIXTURES / "real-world").rglob("*.bib"))

# A copied daily page whose second abstract quotes a BibTeX entry on a line of its own.
LISTING_QUOTING_BIBTEX = """Daily Papers

Sep 11

First Paper Title

An abstract about things.

Second Paper: Citing Properly

We release a BibTeX entry:
@misc{second2025, title={Second}}
and more text after it.

Third Paper

Another abstract.
"""


def records(text: str, **kw):
    return list(read_records(Source.from_text(text, "listing.txt"), **kw).records)


def test_a_listing_quoting_a_bibtex_entry_is_still_a_listing():
    found = records(LISTING_QUOTING_BIBTEX)
    assert [r.title for r in found] == ["First Paper Title", "Second Paper: Citing Properly", "Third Paper"]
    assert "@misc{second2025" in found[1].abstract


@pytest.mark.parametrize("path", REAL_BIB, ids=lambda p: p.name)
def test_real_bib_files_are_bibtex(path: Path):
    assert sniff(Source.from_path(path)) == "bibtex"


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("This file was created with JabRef 2.3.1.\nEncoding: Cp1252\n\n@Article{a, title = {T}}\n", "bibtex"),
        ("% Encoding: UTF-8\n", "bibtex"),  # an empty JabRef library
        ("\n\n  @String{acl = {ACL}}\n@misc{a, title = acl}", "bibtex"),
        ("[Re] Reproducing a paper\n\nSep 11\n\nTitle\n\nAbstract", "hf-text"),
        ("Daily Papers\nby @AK (Twitter)\n\nSep 11\n\nTitle\n\nAbstract", "hf-text"),
        ('[\n  {"paper": {}}]', "hf-json"),
        ("[]", "hf-json"),
        ('{"not": "the api"}', "hf-json"),  # refused by the JSON reader with a clear message
    ],
)
def test_shapes(text, fmt):
    assert shape(text) == fmt


def test_samples_are_told_apart():
    assert sniff(Source.from_path(SAMPLE_TEXT)) == "hf-text"
    assert sniff(Source.from_path(SAMPLE_JSON)) == "hf-json"


@pytest.mark.parametrize("blank", ["\n", " \n", "\t \r\n"])
def test_detection_is_fast_on_a_file_of_blank_lines(blank):
    text = blank * (60 * 1024 // len(blank)) + "x\n"
    started = time.perf_counter()
    assert sniff(Source.from_text(text, "blank.txt")) == "hf-text"
    assert time.perf_counter() - started < 0.5  # was 4 to 8 s: a regex that rescanned every blank line


def test_content_after_more_blank_lines_than_detection_reads_is_not_an_empty_file():
    text = "\n" * 100_000 + "Sep 11\n\nTitle\n\nAbstract\n"
    assert [r.title for r in records(text)] == ["Title"]


def test_a_forced_format_that_does_not_fit_is_one_line_error():
    with pytest.raises(ListingError) as info:
        records(SAMPLE_TEXT.read_text(encoding="utf-8"), fmt="bibtex")
    assert str(info.value) == (
        "listing.txt: not BibTeX: no line starts an entry such as '@article{key,' "
        "(it looks like a daily papers text listing; try --format auto)"
    )
    with pytest.raises(ListingError, match="^listing.txt: line 1: expected a JSON array"):
        records(LISTING_QUOTING_BIBTEX, fmt="hf-json")
    with pytest.raises(ListingError, match="^listing.txt: no listing date line"):
        records("@misc{a, title = {T}}\n", fmt="hf-text")


def test_a_forced_format_that_fits_is_used():
    # JabRef-style free text before the entries, with a line that reads like a date.
    text = "Reading list\nSep 11\n\n@misc{a, title = {T}}\n"
    assert shape(text) == "hf-text"
    assert [r.citation_key for r in records(text, fmt="bibtex")] == ["a"]
