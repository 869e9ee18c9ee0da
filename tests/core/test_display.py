"""core.display.visible: hidden characters of untrusted text become visible, nothing is dropped."""

from __future__ import annotations

import unicodedata

import pytest

from papershelf.core.display import BIDI_CONTROLS, mark, visible, visible_choice

BIDI = sorted(BIDI_CONTROLS)


def _hidden(text: str) -> list[str]:
    """Characters a screen or terminal acts on instead of showing."""
    return [
        c for c in text if unicodedata.category(c) in ("Cc", "Cs") or ord(c) in BIDI_CONTROLS or c in "\u2028\u2029"
    ]


def test_a_right_to_left_override_cannot_disguise_a_file_name():
    shown = visible("invoice\u202etxt.exe")
    assert shown == "invoice<U+202E>txt.exe"
    assert not _hidden(shown)


@pytest.mark.parametrize("code", BIDI)
def test_every_bidi_control_is_shown(code):
    shown = visible(f"a{chr(code)}b")
    assert shown == f"a<U+{code:04X}>b"


def test_c0_controls_and_del_show_their_code_points():
    assert visible("\x1b[31mred\x1b[0m") == "<U+001B>[31mred<U+001B>[0m"
    assert visible("nul\x00here") == "nul<U+0000>here"
    assert visible("bell\x07") == "bell<U+0007>"
    assert visible("del\x7f") == "del<U+007F>"
    assert visible("a\tb\nc\rd") == "a<U+0009>b<U+000A>c<U+000D>d"


def test_c1_controls_show_their_code_point():
    assert visible("\x9b31m") == "<U+009B>31m"  # CSI, the one-byte escape
    assert visible("next\x85line") == "next<U+0085>line"


def test_multiline_text_keeps_tabs_newlines_and_crlf_but_not_a_lone_cr():
    assert visible("one\n\ttwo\r\nthree", multiline=True) == "one\n\ttwo\r\nthree"
    assert visible("shown\rhidden", multiline=True) == "shown<U+000D>hidden"
    assert visible("x\x1b]8;;http://evil\x07y\n", multiline=True) == "x<U+001B>]8;;http://evil<U+0007>y\n"
    assert visible("\u202eabc\n", multiline=True) == "<U+202E>abc\n"


def test_ordinary_text_is_returned_unchanged():
    for text in ("", "Attention Is All You Need", "Über 日本語 עברית العربية", "emoji 👩‍🔬 flag 🏴󠁧󠁢󠁳󠁣󠁴󠁿", "<img src=x>"):
        assert visible(text) == text
    assert visible(None) == ""


def test_no_character_is_dropped_and_nothing_hidden_is_left():
    """Over every code point: each one is kept or becomes its mark, and no output hides anything."""
    for code in range(0x110000):
        char = chr(code)
        shown = visible(char)
        assert shown in (char, mark(char)), hex(code)
        assert not _hidden(shown), hex(code)
    text = "".join(chr(c) for c in range(0x3000)) + "".join(chr(c) for c in BIDI)
    assert visible(text) == "".join(visible(c) for c in text)


def test_a_choice_shown_visibly_maps_back_to_the_stored_name():
    names = ["plain", "evil\u202eeman", "tab\tname"]
    assert visible_choice(visible(names[1]), names) == names[1]
    assert visible_choice("tab<U+0009>name", names) == "tab\tname"
    assert visible_choice("missing", names) is None


def test_json_safe_escapes_what_json_leaves_raw_and_keeps_the_data():
    import json

    from papershelf.core.display import json_safe

    data = {"title": "a\u202eb\x7f\x9b\u2028c", "notes": ["x\x1b[2J\n"], "ok": "Über 日本語"}
    text = json_safe(json.dumps(data, ensure_ascii=False, indent=2))
    assert json.loads(text) == data
    assert "\\u202e" in text and "\\u009b" in text and "Über 日本語" in text
    assert not [c for c in text if c != "\n" and (unicodedata.category(c) == "Cc" or ord(c) in BIDI_CONTROLS)]
