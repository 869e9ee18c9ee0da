"""Every CLI command, as a user types it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from papershelf.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def imported(run, sample_text):
    code, out, _ = run("import", str(sample_text), "--date", "2025-09-11")
    assert code == 0
    return out


def test_import_prints_one_line_per_file(run, sample_text, sample_json):
    code, out, err = run("import", str(sample_text), str(sample_json), "--date", "2025-09-11")
    assert code == 0, err
    assert out.splitlines() == [
        f"{sample_text}: 49 added, 0 already in library",
        f"{sample_json}: 2 added, 0 already in library",
    ]
    code, out, _ = run("import", str(sample_text), "--date", "2025-09-11")
    assert out.strip() == f"{sample_text}: 0 added, 49 already in library"


def test_list_table_and_query(run, imported):
    code, out, _ = run("list")
    assert code == 0 and len(out.splitlines()) == 49
    code, out, _ = run("list", "docthinker")
    assert len(out.splitlines()) == 1 and "DocThinker" in out
    code, out, _ = run("list", "--limit", "3")
    assert len(out.splitlines()) == 3
    code, out, _ = run("list", "zzzznothing")
    assert out.strip() == "no papers match"


def test_list_json_has_the_documented_keys(run, imported):
    run("tag", "1", "rl")
    run("note", "1", "hello")
    run("lists", "create", "Thesis")
    run("lists", "add", "Thesis", "1")
    code, out, _ = run("list", "--json", "--limit", "2")
    data = json.loads(out)
    assert len(data) == 2
    keys = {
        "id",
        "title",
        "abstract",
        "authors",
        "arxiv_id",
        "url",
        "code_urls",
        "status",
        "read_at",
        "priority",
        "tags",
        "lists",
        "notes",
        "citation_key",
        "listing_dates",
    }
    assert keys <= set(data[0])
    first = data[0]
    assert first["tags"] == ["rl"] and first["lists"] == ["Thesis"]
    assert first["notes"][0]["text"] == "hello" and {"id", "text", "created", "updated"} <= set(first["notes"][0])
    assert first["listing_dates"] == ["2025-09-11"] and first["status"] == "unread"
    assert isinstance(first["authors"], list) and first["code_urls"] == ["https://github.com/wenwenyu/DocThinker"]


def test_show_by_id_key_and_arxiv_id(run, imported, sample_json):
    run("import", str(sample_json))
    code, out, _ = run("show", "1")
    assert code == 0 and out.startswith("DocThinker:")
    key = json.loads(run("show", "1", "--json")[1])["citation_key"]
    assert json.loads(run("show", key, "--json")[1])["id"] == 1
    assert json.loads(run("show", "2509.90002v1", "--json")[1])["authors"] == [
        "Émilie du Châtelet",
        "Carl Friedrich Gauß",
    ]


def test_tag_untag_status_priority_note_key(run, imported):
    assert run("tag", "1", "rl", "to read")[1].strip() == "1: tags: rl, to read"
    assert run("untag", "1", "rl")[1].strip() == "1: tags: to read"
    assert run("status", "1", "2", "3", "read")[1].strip() == "3 papers marked read"
    assert run("priority", "4", "2")[0] == 0
    assert run("note", "5", "-", stdin="# Heading\nfrom stdin\n")[0] == 0
    assert run("key", "5", "mykey2025")[1].strip() == "mykey2025"
    paper = json.loads(run("show", "mykey2025", "--json")[1])
    assert paper["notes"][0]["text"] == "# Heading\nfrom stdin\n"
    assert json.loads(run("list", "status:read", "--json")[1])[0]["read_at"]
    assert [p["id"] for p in json.loads(run("list", "status:read", "--json")[1])] == [1, 2, 3]
    assert json.loads(run("show", "4", "--json")[1])["priority"] == 2


def test_lists_commands(run, imported):
    assert "no reading lists yet" in run("lists")[1]
    assert run("lists", "create", "To read")[0] == 0
    assert run("lists", "add", "To read", "3", "1")[1].strip() == "To read: 2 added"
    code, out, _ = run("lists", "show", "To read")
    assert [line.split()[0] for line in out.splitlines()] == ["3", "1"]
    assert run("lists", "remove", "To read", "3")[1].strip() == "To read: 1 removed"
    assert run("lists")[1].strip() == "To read (1)"
    assert run("lists", "rename", "To read", "Done")[0] == 0
    assert run("lists", "delete", "Done")[0] == 0
    assert "no reading lists yet" in run("lists")[1]


@pytest.mark.parametrize(
    "argv, message",
    [
        (("show", "9999"), "no paper with id, citation key or arXiv id '9999'"),
        (("tag", "nokey", "x"), "no paper with"),
        (("lists", "add", "Missing", "1"), "no reading list named 'Missing'"),
        (("note", "1", "   "), "the note is empty"),
        (("list", "status:done"), "status:done"),
    ],
)
def test_user_errors_exit_1_with_one_line(run, imported, argv, message):
    code, out, err = run(*argv)
    assert code == 1
    assert err.startswith("papershelf: error: ") and message in err and err.count("\n") == 1


def test_usage_errors_exit_2(run, imported):
    assert run("status", "1", "done")[0] == 2
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_bad_file_exits_1_and_changes_nothing(run, imported, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"paper": {"title": 3}}]')
    before = run("list", "--json")[1]
    code, out, err = run("import", str(bad))
    assert code == 1 and err.strip() == f"papershelf: error: {bad}: item 1: paper.title should be a string, not int"
    assert run("list", "--json")[1] == before


def cli(*argv, env=None, input=None):
    environment = {k: v for k, v in os.environ.items() if k not in ("PAPERSHELF_LIBRARY",)}
    environment.update(env or {})
    environment["PYTHONPATH"] = str(ROOT / "desktop")
    return subprocess.run(
        [sys.executable, "-m", "papershelf", *argv], capture_output=True, text=True, env=environment, input=input
    )


def test_real_process_env_var_default_location_and_no_tracebacks(tmp_path, sample_text):
    library = tmp_path / "via-env" / "lib.sqlite3"
    result = cli("import", str(sample_text), env={"PAPERSHELF_LIBRARY": str(library)})
    assert result.returncode == 0 and library.exists()
    # The default library lives in the (redirected) user data folder.
    home = tmp_path / "home"
    result = cli("import", str(sample_text), env={"PAPERSHELF_HOME": str(home)})
    assert result.returncode == 0 and (home / "data" / "library.sqlite3").exists()
    for argv in (["import", str(tmp_path)], ["import", str(tmp_path / "missing.txt")], ["show", "x"]):
        result = cli(*argv, env={"PAPERSHELF_LIBRARY": str(library)})
        assert result.returncode == 1 and "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_a_library_file_that_is_not_a_library(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("my precious notes")
    result = cli("--library", str(bogus), "list")
    assert result.returncode == 1 and "not a Papershelf library" in result.stderr
    assert bogus.read_text() == "my precious notes"


def test_help_for_every_command():
    for command in ("import", "list", "show", "tag", "untag", "status", "note", "lists", "export", "backup", "restore"):
        result = cli(command, "--help")
        assert result.returncode == 0 and "usage: papershelf" in result.stdout
    # The BibTeX import says what happens to a broken entry.
    assert "a broken entry is skipped and reported by key and line" in " ".join(cli("import", "--help").stdout.split())


def test_backup_and_restore_commands(run, imported, library_path, tmp_path):
    code, out, _ = run("backup")
    made = out.strip()
    assert code == 0 and made.endswith(".sqlite3.zip")
    run("status", "1", "read")
    target = tmp_path / "explicit.sqlite3.zip"
    assert run("backup", str(target))[1].strip() == str(target)
    code, out, _ = run("restore", made)
    assert code == 0 and f"restored {library_path} from {made}" in out
    assert "49 papers" in out  # what the backup holds, shown first
    assert json.loads(run("show", "1", "--json")[1])["status"] == "unread"
    assert made in run("backups")[1]
    code, _, err = run("restore", str(tmp_path / "missing.sqlite3"))
    assert code == 1 and "no such backup file" in err


def test_damage_found_after_the_daily_check_is_reported_cleanly(run, imported, library_path):
    # The day's quick check already passed; now the file gets damaged behind our back.
    data = bytearray(library_path.read_bytes())
    for offset in range(8192, len(data) - 4096, 4096):
        data[offset : offset + 64] = b"\xde\xad" * 32
    library_path.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        Path(str(library_path) + suffix).unlink(missing_ok=True)
    code, out, err = run("list", "--json")
    assert code == 1 and "Traceback" not in err and err.count("\n") == 1
    assert "damaged" in err or "not a Papershelf library" in err


def test_delete_command(run, imported):
    code, out, _ = run("delete", "1", "2")
    assert code == 0 and out.startswith("deleted: DocThinker")
    assert len(json.loads(run("list", "--json")[1])) == 47
    assert run("show", "1")[0] == 1


# --- Listing text never drives the terminal ------------------------------------------------

RLO = "\u202e"
HOSTILE_TITLE = f"Invoice {RLO}exe.txt \x1b]0;pwned\x07 \x1b[2J NUL\x00 CSI\x9b31m"
HOSTILE_ABSTRACT = f"First\x1b[31m red\nSecond line {RLO}lmth.exe\rOVERWRITE"
HOSTILE_AUTHOR = f"Eve {RLO}evE\x1b[8m"
HOSTILE_URL = f"https://github.com/example/{RLO}txt.exe"


def _terminal_hazards(text: str) -> list[str]:
    """Characters a terminal acts on instead of printing (newline excepted)."""
    import unicodedata

    from papershelf.core.display import BIDI_CONTROLS

    return [c for c in text if c != "\n" and (unicodedata.category(c) == "Cc" or ord(c) in BIDI_CONTROLS)]


@pytest.fixture
def hostile(run, tmp_path):
    listing = tmp_path / "hostile.json"
    paper = {
        "id": "2509.99999",
        "title": HOSTILE_TITLE,
        "summary": HOSTILE_ABSTRACT,
        "authors": [{"name": HOSTILE_AUTHOR}],
        "publishedAt": "2025-09-10T00:00:00.000Z",
        "submittedOnDailyAt": "2025-09-11T00:00:00.000Z",
        "githubRepo": HOSTILE_URL,
    }
    listing.write_text(json.dumps([{"paper": paper}]), encoding="utf-8")
    assert run("import", str(listing))[0] == 0
    assert run("tag", "1", f"{RLO}gat", "esc\x1b[5mtag")[0] == 0
    assert run("note", "1", "note \x1b[2J with\ttab\nand a second line")[0] == 0
    assert run("lists", "create", f"List\x1b[31m{RLO}")[0] == 0
    assert run("lists", "add", f"List\x1b[31m{RLO}", "1")[0] == 0
    return paper


def test_list_and_lists_show_print_control_characters_as_marks(run, hostile, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # room for the whole title
    for argv in (["list"], ["lists", "show", f"List\x1b[31m{RLO}"]):
        code, out, _ = run(*argv)
        assert code == 0
        assert not _terminal_hazards(out), argv
        assert "Invoice <U+202E>exe.txt <U+001B>]0;pwned<U+0007> <U+001B>[2J NUL<U+0000> CSI<U+009B>31m" in out
        assert "Eve <U+202E>ev" in out  # the author column is 18 wide
        # The tags column is 24 wide: the cut falls inside the next mark, so the mark goes whole.
        assert "esc<U+001B>[5mtag, …" in out


def test_show_prints_every_field_with_marks(run, hostile):
    code, out, _ = run("show", "1")
    assert code == 0
    assert not _terminal_hazards(out.replace("\t", ""))
    lines = out.splitlines()
    assert lines[0] == "Invoice <U+202E>exe.txt <U+001B>]0;pwned<U+0007> <U+001B>[2J NUL<U+0000> CSI<U+009B>31m"
    assert lines[1] == "Eve <U+202E>evE<U+001B>[8m"
    assert "         code: https://github.com/example/<U+202E>txt.exe" in lines
    [tags] = [line for line in lines if line.startswith("         tags: ")]
    assert sorted(tags[15:].split(", ")) == sorted(["<U+202E>gat", "esc<U+001B>[5mtag"])
    assert "        lists: List<U+001B>[31m<U+202E>" in lines
    # The abstract and notes keep their lines; a lone CR could overprint, so it shows too.
    assert "First<U+001B>[31m red\nSecond line <U+202E>lmth.exe<U+000D>OVERWRITE" in out
    assert "note <U+001B>[2J with\ttab\nand a second line" in out


def test_json_output_is_terminal_safe_and_exact(run, hostile):
    """--json keeps every character (scripts get the data), escaped so a terminal shows it as text."""
    code, out, _ = run("show", "1", "--json")
    assert code == 0
    assert not _terminal_hazards(out)
    shown = json.loads(out)
    assert (shown["title"], shown["abstract"], shown["authors"]) == (HOSTILE_TITLE, HOSTILE_ABSTRACT, [HOSTILE_AUTHOR])
    assert shown["code_urls"] == [HOSTILE_URL]
    assert sorted(shown["tags"]) == sorted([f"{RLO}gat", "esc\x1b[5mtag"])
    code, out, _ = run("list", "--json")
    assert code == 0
    assert not _terminal_hazards(out)
    assert json.loads(out) == [shown]


def test_tags_list_names_titles_and_errors_never_reach_the_terminal_raw(run, imported):
    """ESC, BEL and a bidi override in a tag, a list name or an error line are printed as visible marks."""
    evil = "x\x1b]0;owned\x07\u202ey"
    code, out, _ = run("tag", "1", evil)
    assert code == 0 and "\x1b" not in out and "\u202e" not in out and "<U+001B>" in out
    run("lists", "create", evil)
    code, out, _ = run("lists")
    assert "\x1b" not in out and "\u202e" not in out and "<U+202E>" in out
    code, _, err = run("lists", "show", evil + "nope")
    assert code == 1 and "\x1b" not in err and "\u202e" not in err


@pytest.mark.parametrize(("command", "value"), [("status", "STATUS"), ("priority", "PRIORITY")])
def test_status_and_priority_usage_say_ids_then_one_value(capsys, command, value):
    # Review: "ID... STATUS [ID... STATUS ...]" read as if ids and a status could repeat in turn.
    from papershelf.cli import main

    with pytest.raises(SystemExit):
        main([command, "--help"])
    usage = capsys.readouterr().out.splitlines()[0]
    assert usage == f"usage: papershelf {command} [-h] ID [ID ...] {value}"
