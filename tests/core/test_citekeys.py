"""Citation keys (papershelf.core.exporters.citekeys)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papershelf.core.exporters.citekeys import ascii_fold, base_key, is_valid_user_key, surname, unique_key


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Gauß", "gauss"),
        ("Müller", "muller"),
        ("Łukasz", "lukasz"),
        ("Ærø", "aero"),
        ("O'Neil-Smith", "oneilsmith"),
        ("Nguyễn", "nguyen"),
        ("Σωκράτης", ""),
        ("İstanbul", "istanbul"),
    ],
)
def test_ascii_fold(text, folded):
    assert ascii_fold(text) == folded


@pytest.mark.parametrize(
    ("name", "last"),
    [
        ("Ashish Vaswani", "Vaswani"),
        ("Vaswani, Ashish", "Vaswani"),
        ("Ludwig van Beethoven", "Beethoven"),
        ("van der Berg, Jan", "Berg"),
        ("{St-Charles}, Pierre-Luc", "St-Charles"),
        ("Plato", "Plato"),
        ("  Jörg   Müller ", "Müller"),
    ],
)
def test_surname(name, last):
    assert surname(name) == last


def test_base_key_is_surname_year_first_significant_word():
    assert base_key(["Ashish Vaswani"], 2017, "Attention Is All You Need") == "vaswani2017attention"
    assert base_key(["Jörg Müller"], 2025, "The Gauß Map") == "muller2025gauss"
    # Both forms of the same name give the same key.
    assert base_key(["Jan van der Berg"], 2024, "X") == base_key(["van der Berg, Jan"], 2024, "X")


def test_base_key_without_author_or_year():
    assert base_key([], 2024, "On the Scaling of Models") == "scalingmodels2024"
    assert base_key(["A B"], None, "Deep Nets") == "bdeep"
    assert base_key([], None, "") == "paper"
    assert base_key(["张伟"], 2025, "中文") == "paper2025"


def test_unique_key_appends_letters():
    assert unique_key("smith2024", set()) == "smith2024"
    assert unique_key("smith2024", {"smith2024"}) == "smith2024a"
    taken = {"k"} | {f"k{c}" for c in "abcdefghijklmnopqrstuvwxyz"}
    assert unique_key("k", taken) == "kaa"


@pytest.mark.parametrize("key", ["vaswani2017attention", "DBLP:conf/wicsa/2015", "a_b-c.d+e", "1102917"])
def test_valid_user_keys(key):
    assert is_valid_user_key(key)


@pytest.mark.parametrize("key", ["", "has space", "brace{", "comma,", "-leading", "ümlaut", "per%cent"])
def test_invalid_user_keys(key):
    assert not is_valid_user_key(key)


@given(st.lists(st.text(), max_size=3), st.one_of(st.none(), st.integers(1900, 2100)), st.text())
def test_generated_keys_are_always_valid(authors, year, title):
    key = base_key(authors or [], year, title)
    assert re.fullmatch(r"[a-z0-9]+", key)
    assert is_valid_user_key(key)
