"""Fixes from a hostile review: import from pipes and devices, control characters on the terminal,
a private error log, and exports that keep a paper's own URL and never carry biblatex's ``execute``."""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from pathlib import Path

import pytest
from sqlalchemy import update

from papershelf import cli, logs
from papershelf.core.library import Library, P

ESC, BEL, RLO = "\x1b", "\x07", "\u202e"
# What a terminal acts on instead of showing: C0/C1 controls but newline, and bidi controls.
_HAZARDS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and /dev")


def hazards(text: str) -> list[str]:
    return _HAZARDS.findall(text)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- A: import from non-regular files


def test_import_dash_reads_standard_input(run):
    code, out, err = run("import", "-", stdin="@misc{s1, title = {From Standard Input}}\n")
    assert (code, out, err) == (0, "standard input: 1 added, 0 already in library\n", "")
    assert "From Standard Input" in run("list")[1]


@linux_only
def test_import_of_a_pipe_imports_its_entries(run):
    read_end, write_end = os.pipe()
    os.write(write_end, b"@misc{s1, title = {Piped}}\n")
    os.close(write_end)
    try:
        code, out, _ = run("import", f"/dev/fd/{read_end}")  # what bash passes for <(printf ...)
    finally:
        os.close(read_end)
    assert (code, out) == (0, f"/dev/fd/{read_end}: 1 added, 0 already in library\n")


@linux_only
@pytest.mark.parametrize(
    ("path", "reason"),
    [("/proc/self/mem", "cannot read (input/output error)"), ("/dev/null", "is a device, not a listing file")],
)
def test_an_unreadable_file_or_a_device_is_one_line_and_exit_1(run, path, reason):
    code, out, err = run("import", path)
    assert (code, out, err) == (1, "", f"papershelf: error: {path}: {reason}\n")


def test_a_folder_is_one_line_and_exit_1(run, tmp_path):
    code, out, err = run("import", str(tmp_path))
    assert (code, out, err) == (1, "", f"papershelf: error: {tmp_path}: is a folder, not a listing file\n")


# ---------------------------------------------------------------- B: control characters


EVIL_KEY = f"k{ESC}[31mRED{RLO}x"


def test_an_imported_key_with_control_characters_gets_a_generated_key_and_is_kept(run, tmp_path, library_path):
    text = f"@misc{{ok, title = {{First}}}}\n@misc{{{EVIL_KEY}, title = {{Second}}, year = 2024}}\n"
    path = write(tmp_path / "evil.bib", text)
    code, out, err = run("import", str(path))
    assert (code, out) == (0, f"{path}: 2 added, 0 already in library\n")
    assert not hazards(err)
    assert err == (
        f"  warning: {path}: line 2: entry 'k<U+001B>[31mRED<U+202E>x': the key has an invisible or control"
        " character U+001B; imported with a generated key (the original is kept in the field 'ids')\n"
    )
    code, key, _ = run("key", "2")
    assert code == 0 and not hazards(key)
    assert key.strip() == "second2024"  # made from the title and year, like any paper without a key
    assert run("key", "2", key.strip())[0] == 0  # a key `papershelf key` itself accepts
    with Library(library_path) as library:
        assert library.get(2).extra_fields["ids"] == EVIL_KEY  # nothing lost


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("my key", "white space"),
        ("a\\b", "the character '\\'"),
        ("a#b", "the character '#'"),
        ("a%b", "the character '%'"),
        ("O'Brien2020", "the character '''"),
        ("a~b", "the character '~'"),
        ("a(b", "the character '('"),
        ("zero\u200bwidth", "an invisible or control character U+200B"),
    ],
)
def test_keys_bibtex_cannot_cite_are_replaced_with_a_warning(run, tmp_path, library_path, key, problem):
    path = write(tmp_path / "refs.bib", f"@misc{{{key}, title = {{Title}}, year = 2024, ids = {{old1}}}}\n")
    code, _, err = run("import", str(path))
    assert code == 0
    assert f"entry '{key}': the key has {problem}; imported with a generated key" in err
    assert run("key", "1")[1] == "title2024\n"
    with Library(library_path) as library:
        assert library.get(1).extra_fields["ids"] == f"old1, {key}"  # added to the entry's other keys


def test_a_key_in_another_script_is_kept(run, tmp_path):
    path = write(tmp_path / "refs.bib", "@misc{müller2020, title = {Title}}\n")
    assert run("import", str(path))[:3:2] == (0, "")
    assert run("key", "1")[1] == "müller2020\n"


def test_key_prints_a_stored_key_through_marks(run, tmp_path, library_path):
    path = write(tmp_path / "refs.bib", "@misc{plain, title = {Title}}\n")
    assert run("import", str(path))[0] == 0
    with Library(library_path) as library, library.engine.begin() as conn:
        # A key an older version imported as it was.
        conn.execute(update(P).where(P.c.id == 1).values(citation_key=EVIL_KEY))
    code, out, _ = run("key", "1")
    assert (code, out) == (0, "k<U+001B>[31mRED<U+202E>x\n")


def test_file_names_are_printed_with_marks_by_import_and_export(run, tmp_path):
    name = f"evil{ESC}]0;pwn{BEL}.bib"
    path = write(tmp_path / name, "@misc{a, title = {A}}\n")
    code, out, err = run("import", str(path))
    assert code == 0 and not hazards(out + err)
    assert out == f"{tmp_path}/evil<U+001B>]0;pwn<U+0007>.bib: 1 added, 0 already in library\n"
    target = tmp_path / f"out{ESC}[2J.bib"
    code, out, err = run("export", "--all", "-o", str(target))
    assert code == 0 and target.exists() and not hazards(out + err)
    assert err == f"{tmp_path}/out<U+001B>[2J.bib: 1 paper written (bibtex)\n"


def test_list_names_are_printed_with_marks(run, tmp_path):
    assert run("import", str(write(tmp_path / "a.bib", "@misc{a, title = {A}}\n")))[0] == 0
    name, other = f"L{ESC}[31m{RLO}", f"M{BEL}"
    outputs = [
        run("lists", "create", name),
        run("lists", "add", name, "1"),
        run("lists", "remove", name, "1"),
        run("lists", "rename", name, other),
        run("lists", "delete", other),
    ]
    assert [code for code, _, _ in outputs] == [0] * 5
    printed = "".join(out + err for _, out, err in outputs)
    assert not hazards(printed)
    assert printed.splitlines() == [
        "created list 'L<U+001B>[31m<U+202E>'",
        "L<U+001B>[31m<U+202E>: 1 added",
        "L<U+001B>[31m<U+202E>: 1 removed",
        "renamed 'L<U+001B>[31m<U+202E>' to 'M<U+0007>'",
        "deleted list 'M<U+0007>'",
    ]


@pytest.mark.parametrize("columns", range(40, 60))
def test_list_never_cuts_a_mark_in_the_middle(run, tmp_path, monkeypatch, columns):
    title = "Word " + "".join(f"x{RLO}y{ESC}" for _ in range(12))
    assert run("import", str(write(tmp_path / "a.bib", f"@misc{{a, title = {{{title}}}}}\n")))[0] == 0
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, _ = run("list")
    assert code == 0
    shown = out.rstrip("\n").split("     ", 1)[1]
    assert shown.endswith("…")
    # Every "<U+" that was printed is a whole mark.
    assert shown.count("<U+") == len(re.findall(r"<U\+[0-9A-F]{4}>", shown))


# ---------------------------------------------------------------- C: a private error log


@pytest.fixture
def crash(monkeypatch):
    def boom(args):
        raise RuntimeError("unexpected")

    monkeypatch.setitem(cli.COMMANDS, "list", boom)
    old = os.umask(0o022)  # the usual umask: what is not asked private comes out 0644
    yield
    os.umask(old)


def test_the_error_log_is_private(run, crash, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["papershelf", "list", "secret note text"])  # what the log records
    code, _, err = run("list", "secret note text")
    assert code == 70 and "internal error: RuntimeError: unexpected" in err
    log = logs.log_file()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    assert "secret note text" in log.read_text(encoding="utf-8")  # argv is what makes it private


def test_an_error_log_left_readable_becomes_private(run, crash):
    log = logs.log_file()
    log.parent.mkdir(parents=True)
    log.write_text("an older entry\n", encoding="utf-8")
    log.chmod(0o644)
    assert run("list")[0] == 70
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    older, crash_record = log.read_text(encoding="utf-8").split("\n", 1)
    assert older == "an older entry" and "RuntimeError: unexpected" in crash_record


def test_the_desktop_apps_error_log_is_private():
    pytest.importorskip("PySide6.QtWidgets")
    from papershelf.gui.dialogs.errors import log_error

    old = os.umask(0o022)
    try:
        log = log_error("Traceback: a title from a note")
    finally:
        os.umask(old)
    assert log == logs.log_file()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    assert "a title from a note" in log.read_text(encoding="utf-8")


# ---------------------------------------------------------------- D: exports


OWN_URL_ENTRY = (
    "@misc{x, title={T}, eprint={2401.00001}, archivePrefix={arXiv}, url={https://github.com/a/b}, year=2024}\n"
)


def export(run, fmt: str, *extra: str) -> tuple[str, str]:
    code, out, err = run("export", "--all", "-o", "-", "--format", fmt, *extra)
    assert code == 0, err
    return out, err


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex", "ris", "csl-json", "markdown"])
def test_a_papers_own_url_survives_its_arxiv_eprint_in_every_format(run, tmp_path, fmt):
    assert run("import", str(write(tmp_path / "x.bib", OWN_URL_ENTRY)))[0] == 0
    out, _ = export(run, fmt)
    assert "https://github.com/a/b" in out
    assert "arxiv.org/abs" not in out  # one URL per paper: its own (the arXiv id is written as such)
    if fmt in ("bibtex", "biblatex"):
        # The entry's last field since an author-less import gets no invented ``key`` (issue 12).
        assert re.search(r"(?m)^  url = \{https://github\.com/a/b\},?$", out)
        assert "  eprint = {2401.00001},\n  archivePrefix = {arXiv},\n" in out
    if fmt == "ris":
        assert out.count("UR  - ") == 1 and "AN  - arXiv:2401.00001\n" in out
    if fmt == "csl-json":
        assert json.loads(out)[0]["URL"] == "https://github.com/a/b"


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json"])
def test_without_a_url_of_its_own_an_arxiv_paper_links_its_abstract_page(run, tmp_path, fmt):
    entry = "@misc{x, title={T}, eprint={2401.00001}, archivePrefix={arXiv}, url={https://arxiv.org/abs/2401.00001v2}}"
    assert run("import", str(write(tmp_path / "x.bib", entry)))[0] == 0
    out, _ = export(run, fmt)
    assert "https://arxiv.org/abs/2401.00001" in out


def test_a_daily_listing_page_is_not_a_papers_own_url():
    from types import SimpleNamespace

    from papershelf.core.exporters.common import own_url

    listed = SimpleNamespace(url="https://huggingface.co/papers/2509.01234", arxiv_id="2509.01234")
    assert own_url(listed) is None  # the listing's page for the id: the arXiv page stands for it
    other = SimpleNamespace(url="https://huggingface.co/papers/2509.09999", arxiv_id="2509.01234")
    assert own_url(other) == "https://huggingface.co/papers/2509.09999"


EXECUTE_ENTRY = "@misc{pwn, title={T}, year=2024, execute={\\typeout{PWNED-EXEC}}, note={kept}}\n"


@pytest.mark.parametrize("options", [(), ("--all-fields",)], ids=["default", "all-fields"])
@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_execute_is_never_exported_and_the_warning_names_the_paper(run, tmp_path, library_path, fmt, options):
    path = write(tmp_path / "x.bib", EXECUTE_ENTRY + "@misc{clean, title={U}}\n")
    assert run("import", str(path))[0] == 0
    out, err = export(run, fmt, *options)
    assert "execute" not in out.lower() and "PWNED" not in out
    assert "note = {kept}" in out  # the other fields are written as before
    assert err == (
        "papershelf: warning: 1 paper has an 'execute' field, TeX code biblatex would run"
        " (left out of the export, kept in the library): pwn\n"
    )
    with Library(library_path) as library:
        assert "execute" in library.get(1).extra_fields
