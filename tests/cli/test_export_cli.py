"""Export end to end, as a user does it: import listings, export with the CLI, check with the real tools."""

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from papershelf.core.library import Library
from tests.texcheck import check_bib, require_tex

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"

HOSTILE_LISTING = r"""Daily Papers

Sep 11

100% Accuracy & $0 Cost: Learning #1 Models with_under_scores ^ ~ \input{/etc/passwd} \write18{rm -rf ~}

We show that {unbalanced braces and a % comment and \textbf{bold} do not escape. <img src=x onerror=alert(1)> <b>HTML</b>

Σ-Attention: When α ≤ β ⇒ ∞ in ℝ^n for GPT-4o and RLHF-tuned MLLMs

Greek letters Δ and λ, arrows →, and math like x² ∈ ℕ must become math macros; Müller, Łukasz, ễ and Ångström too.

Unbalanced } closing { brace {{{ title

Abstract with a lone backslash \ at the end \

Attention, again

Two papers that would get the same key.

Attention again and again

(The second of them: another title, but the same first two words and year.)
"""


@pytest.fixture
def populated(run, tmp_path):
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(HOSTILE_LISTING, encoding="utf-8")
    for listing in (FIXTURES / "hf-daily-papers-sep-11.txt", FIXTURES / "hf-daily-papers-api-sample.json", hostile):
        assert run("import", str(listing), "--date", "2025-09-11")[0] == 0
    return run


@pytest.mark.tex
@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
def test_exports_of_the_samples_and_a_hostile_listing_pass_bibtex_and_biber(populated, tmp_path, fmt):
    require_tex()
    out = tmp_path / f"all-{fmt}.bib"
    code, _, err = populated("export", "--all", "--format", fmt, "-o", str(out))
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert text.count("\n@") + text.startswith("@") == 56
    if fmt == "bibtex":
        # ASCII but for ℝ and ℕ, which have no LaTeX form without amssymb: kept, and named once.
        assert {c for c in text if not c.isascii()} == {"ℝ", "ℕ"}
        assert "papershelf: warning: 1 paper keeps characters with no LaTeX form" in err
    # pdflatex with T1 has no glyph for ℝ (nor for ễ, kept as UTF-8 by biblatex); all else is checked.
    assert check_bib(out, utf8=fmt == "biblatex", unicode_ok=True) == []
    # LaTeX commands from a listing are inert text.
    assert "\\input{" not in text and "\\write18{" not in text


def test_scopes_and_standard_output(populated, tmp_path):
    run = populated
    run("tag", "1", "rl")
    run("tag", "2", "rl")
    run("lists", "create", "Reading group")
    run("lists", "add", "Reading group", "3", "1")
    keys = {}
    for argv in (
        ["--list", "Reading group"],
        ["--tag", "rl"],
        ["--query", "docthinker"],
        ["--ids", "2", "50"],
        ["--all"],
    ):
        code, out, _ = run("export", *argv, "-o", "-")
        assert code == 0
        keys[argv[0]] = [line.split("{", 1)[1].rstrip(",") for line in out.splitlines() if line.startswith("@")]
    key_of = {i: json.loads(run("show", str(i), "--json")[1])["citation_key"] for i in (1, 2, 3, 50)}
    assert keys["--list"] == [key_of[3], key_of[1]]  # list order
    assert keys["--tag"] == [key_of[1], key_of[2]]
    assert keys["--query"] == [key_of[1]]
    assert keys["--ids"] == [key_of[2], key_of[50]]
    assert len(keys["--all"]) == 56


def test_a_failed_export_keeps_the_old_file(populated, tmp_path):
    target = tmp_path / "refs.bib"
    target.write_text("my old bibliography")
    code, _, err = populated("export", "--list", "No such list", "-o", str(target))
    assert code == 1 and "no reading list" in err
    assert target.read_text() == "my old bibliography"
    code, _, err = populated("export", "--all", "-o", str(tmp_path))
    assert code == 1 and err.startswith(f"papershelf: error: {tmp_path}")


def test_round_trip_through_an_empty_library(populated, tmp_path, library_path):
    run = populated
    zotero = FIXTURES / "real-world" / "zotero-better-bibtex-export.bib"
    assert run("import", str(zotero))[0] == 0
    with Library(library_path) as lib:
        ids = lib.search_ids("")
        lib.add_tags(ids[:5], ["round trip", "rl"])
        lib.create_list("Export me")
        lib.add_to_list("Export me", ids)
        before = lib.get_many(lib.list_paper_ids("Export me"))
    for options in ([], ["--all-fields"]):
        out = tmp_path / f"list{len(options)}.bib"
        assert run("export", "--list", "Export me", "--format", "biblatex", *options, "-o", str(out))[0] == 0
        with Library(tmp_path / f"fresh{len(options)}.sqlite3") as fresh:
            result = fresh.import_file(out)
            assert (result.added, result.problems) == (len(before), [])
            after = fresh.get_many(fresh.search_ids(""))
        assert [p.citation_key for p in after] == [p.citation_key for p in before]
        assert [p.authors for p in after] == [p.authors for p in before]
        assert [sorted(p.tags) for p in after] == [sorted(p.tags) for p in before]
        assert [p.arxiv_id for p in after] == [p.arxiv_id for p in before]
        assert [p.entry_type for p in after] == [p.entry_type for p in before]
        for b, a in zip(before, after):
            if options:
                # With --all-fields every extra field comes back.
                assert {k: a.extra_fields.get(k) for k in b.extra_fields} == b.extra_fields
            else:
                # By default, every field biblatex allows for the entry type comes back
                # (Zotero's publisher = {arXiv} on @misc is one it does not allow).
                kept = {
                    k: v
                    for k, v in b.extra_fields.items()
                    if k in ("doi", "journal", "journaltitle", "volume", "pages")
                }
                assert {k: a.extra_fields.get(k) for k in kept} == kept


# --- where -o writes: links, streams and never the library -------------------


def entries(text: str) -> int:
    return text.count("\n@") + text.startswith("@")


def test_export_through_a_symlink_writes_its_target_and_keeps_the_link(populated, tmp_path):
    real = tmp_path / "overleaf" / "refs.bib"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o644)
    link = tmp_path / "thesis" / "refs.bib"
    link.parent.mkdir()
    link.symlink_to("../overleaf/refs.bib")
    code, _, err = populated("export", "--all", "-o", str(link))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == "../overleaf/refs.bib"
    assert entries(real.read_text(encoding="utf-8")) == 56
    assert stat.S_IMODE(real.stat().st_mode) == 0o644


def test_export_through_a_dangling_symlink_creates_its_target(populated, tmp_path):
    link = tmp_path / "refs.bib"
    link.symlink_to("synced/refs.bib")
    (tmp_path / "synced").mkdir()
    code, _, err = populated("export", "--all", "-o", str(link))
    assert code == 0, err
    assert link.is_symlink() and entries((tmp_path / "synced" / "refs.bib").read_text(encoding="utf-8")) == 56
    assert stat.S_IMODE((tmp_path / "synced" / "refs.bib").stat().st_mode) == 0o600


def test_export_into_a_fifo_streams_to_its_reader(populated, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")), daemon=True)
    reader.start()
    code, _, err = populated("export", "--all", "-o", str(fifo))
    reader.join(10)
    assert code == 0, err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and len(received) == 1 and entries(received[0]) == 56


def test_export_to_a_character_device_leaves_it_a_device(populated, tmp_path):
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (OSError, AttributeError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    code, _, err = populated("export", "--all", "-o", str(device))
    assert code == 0, err
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    # Only once that works: /dev/null itself (as root, the old code replaced it with a file).
    code, _, err = populated("export", "--all", "-o", "/dev/null")
    assert code == 0, err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex", "csl-json", "ris", "markdown"])
def test_export_to_standard_output_is_the_file_byte_for_byte(populated, tmp_path, fmt):
    out = tmp_path / "out"
    assert populated("export", "--all", "--format", fmt, "--notes", "-o", str(out))[0] == 0
    code, text, _ = populated("export", "--all", "--format", fmt, "--notes", "-o", "-")
    assert code == 0 and text == out.read_text(encoding="utf-8")


def cli_process(library_path, *argv, stdout):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "desktop")}
    command = [sys.executable, "-m", "papershelf", "--library", str(library_path), *argv]
    return subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="no /proc on this platform")
def test_export_to_proc_self_fd_1_writes_the_stream_it_is(populated, tmp_path, library_path):
    piped = cli_process(library_path, "export", "--all", "-o", "/proc/self/fd/1", stdout=subprocess.PIPE)
    assert piped.returncode == 0, piped.stderr
    assert entries(piped.stdout) == 56
    out = tmp_path / "redirected.bib"
    with open(out, "w") as stream:
        inode = os.fstat(stream.fileno()).st_ino
        redirected = cli_process(library_path, "export", "--all", "-o", "/proc/self/fd/1", stdout=stream)
    assert redirected.returncode == 0, redirected.stderr
    assert out.read_text(encoding="utf-8") == piped.stdout and out.stat().st_ino == inode


@pytest.mark.parametrize("kind", ["library", "wal", "hard link", "symlink", "backup", "new file in backups"])
def test_export_refuses_the_library_and_its_backups(populated, tmp_path, library_path, kind):
    run = populated
    code, backup, _ = run("backup")
    assert code == 0
    backup = Path(backup.strip())
    backup_bytes = backup.read_bytes()
    targets = {
        "library": library_path,
        "wal": library_path.with_name(library_path.name + "-wal"),
        "hard link": tmp_path / "hard.bib",
        "symlink": tmp_path / "link.bib",
        "backup": backup,
        "new file in backups": backup.parent / "refs.bib",
    }
    os.link(library_path, targets["hard link"])
    targets["symlink"].symlink_to(library_path)
    target = targets[kind]
    before = run("list", "--json")[1]
    code, out, err = run("export", "--all", "-o", str(target))
    assert code == 1 and out == ""
    assert err.startswith(f"papershelf: error: {target}: ") and err.count("\n") == 1, err
    assert run("list", "--json")[1] == before
    assert targets["symlink"].is_symlink() and backup.read_bytes() == backup_bytes
    assert not (backup.parent / "refs.bib").exists()
    assert library_path.read_bytes().startswith(b"SQLite format 3\0")


def test_export_errors_name_the_file_in_one_line(populated, tmp_path):
    target = tmp_path / "missing" / "refs.bib"
    code, _, err = populated("export", "--all", "-o", str(target))
    assert (code, err) == (1, f"papershelf: error: {target}: the folder does not exist\n")
    link = tmp_path / "link.bib"
    link.symlink_to("missing/refs.bib")
    code, _, err = populated("export", "--all", "-o", str(link))
    assert code == 1 and err.startswith(f"papershelf: error: {link}: ") and "missing/refs.bib" in err
    assert err.count("\n") == 1 and link.is_symlink()
