from hypothesis import given
from hypothesis import strategies as st

from papershelf.core.normalize import arxiv_id, title_key


def test_title_key_ignores_case_punctuation_spacing_and_width():
    assert title_key("DocThinker: Explainable  MLLMs!") == title_key("docthinker - explainable mllms")
    assert title_key("ＧＰＴ-4o") == title_key("gpt 4o")  # NFKC folds full-width letters
    assert title_key("Straße") == title_key("STRASSE")  # case folding
    assert title_key("A  B\tC") == "a b c"


def test_different_titles_stay_different():
    assert title_key("Attention is all you need") != title_key("Attention is not all you need")


@given(st.text())
def test_title_key_is_idempotent(text):
    assert title_key(title_key(text)) == title_key(text)


@given(st.text(), st.sampled_from(["", " ", "  ", ".", "!", ":", " - "]))
def test_title_key_ignores_trailing_punctuation_and_space(text, tail):
    assert title_key(text + tail) == title_key(text)


@given(st.text())
def test_title_key_has_no_edge_or_double_spaces(text):
    key = title_key(text)
    assert key == key.strip() and "  " not in key


def test_arxiv_ids_lose_their_version_and_prefix():
    assert arxiv_id("2509.01234v3") == "2509.01234"
    assert arxiv_id("arXiv:1706.03762") == "1706.03762"
    assert arxiv_id("https://arxiv.org/abs/2509.01234v2") == "2509.01234"
    assert arxiv_id("https://arxiv.org/pdf/2509.01234.pdf") == "2509.01234"
    assert arxiv_id("hep-th/9901001v1") == "hep-th/9901001"
    assert arxiv_id("not an id") is None
    assert arxiv_id(None) is None
