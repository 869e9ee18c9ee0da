"""A shared library from the command line: --library URL, init-shared, grant, read-only members and copy."""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path

import psycopg
import pytest

from papershelf import paths
from papershelf.cli import main
from papershelf.core import pg
from papershelf.core.library import Library
from tests.conftest import FIXTURES, PG_TEMPLATE, SAMPLE_TEXT, _make_template
from tests.core import pdf_helpers

BIB_CORPUS = sorted((FIXTURES / "bib-corpus").glob("*.bib"))
READ_ONLY = "you have read-only access to this shared library; nothing was changed"


@pytest.fixture
def cli(capsys, monkeypatch, tmp_path):
    """``cli(*argv) -> (exit status, stdout, stderr)``, run in a folder of its own (``tmp_path / "cwd"``)."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # a URL taken for a file name would become a file here

    def run(*argv: str):
        code = main([str(arg) for arg in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def shared(pg_cluster, pg_database) -> str:
    """An empty shared library (made by init-shared's Library(url, create=True)), its owner's URL."""
    return pg_database(template=pg_cluster.ensure_template(PG_TEMPLATE, _make_template))


def dbname(url: str) -> str:
    return url.rsplit("/", 1)[1]


def role(pg_cluster, url: str, kind: str) -> str:
    """A login role of the test's own (roles belong to the whole server), its URL."""
    name = f"{kind}_{dbname(url)}"
    pg_cluster.sql(psycopg.sql.SQL("CREATE ROLE {} LOGIN").format(psycopg.sql.Identifier(name)))
    return pg_cluster.url(dbname(url), user=name)


def ok(result) -> str:
    code, out, err = result
    assert code == 0, err
    return out


# --- Every command on a shared library ------------------------------------------------------------


def test_library_commands_work_on_a_shared_library_given_by_its_url(cli, shared, tmp_path):
    lib = ("--library", shared)
    assert "49 added" in ok(cli(*lib, "import", SAMPLE_TEXT, "--date", "2025-09-11"))
    assert ok(cli(*lib, "list", "--limit", "2")).startswith("1 [ ]")
    assert ok(cli(*lib, "tag", "1", "cite")) == "1: tags: cite\n"
    assert ok(cli(*lib, "status", "1", "2", "read")) == "2 papers marked read\n"
    assert ok(cli(*lib, "priority", "2", "3")) == "1 paper set to priority 3\n"
    assert ok(cli(*lib, "note", "1", "shared thoughts")) == "note 1 added to 1\n"
    assert ok(cli(*lib, "key", "2", "smith2025shared")) == "smith2025shared\n"
    assert ok(cli(*lib, "edit", "2", "journal=Lab Notes"))
    ok(cli(*lib, "lists", "create", "Thesis"))
    assert ok(cli(*lib, "lists", "add", "Thesis", "2", "1")) == "Thesis: 2 added\n"
    refs = tmp_path / "thesis.bib"
    ok(cli(*lib, "export", "--list", "Thesis", "-o", refs, "--keep-updated"))
    assert "@misc{smith2025shared," in refs.read_text() and "shared thoughts" not in refs.read_text()
    ok(cli(*lib, "lists", "add", "Thesis", "3"))  # the live file follows a change made to the shared library
    assert refs.read_text().count("@misc{") == 3
    assert str(refs) in ok(cli(*lib, "autoexport", "list"))
    shown = json.loads(ok(cli(*lib, "show", "1", "--json")))
    assert (shown["tags"], shown["status"], shown["lists"]) == (["cite"], "read", ["Thesis"])
    assert [n["text"] for n in shown["notes"]] == ["shared thoughts"]
    found = json.loads(ok(cli(*lib, "list", "--json", "shared", "thoughts")))  # notes are searched
    assert [p["id"] for p in found] == [1]
    assert ok(cli(*lib, "list", "tag:cite", "status:read")).startswith("1 [x]")
    assert ok(cli(*lib, "delete", "49")).startswith("deleted: ")
    with Library(shared) as library:  # what another member sees
        assert library.stats()["all"] == 48 and library.list_paper_ids("Thesis") == [2, 1, 3]
        assert library.get(2).extra_fields["journal"] == "Lab Notes"
    assert os.listdir(".") == []  # nothing was made in the working folder (a URL is no file name)


def test_papershelf_library_in_the_environment_may_be_a_url(cli, shared, monkeypatch):
    monkeypatch.setenv("PAPERSHELF_LIBRARY", shared)
    assert paths.library_path() == shared
    ok(cli("import", SAMPLE_TEXT, "--date", "2025-09-11"))
    assert ok(cli("list", "--limit", "1")).startswith("1 [ ]")
    with Library(shared) as library:
        assert library.stats()["all"] == 49
    assert os.listdir(".") == []


@pytest.mark.parametrize(
    ("argv", "instead"),
    [
        (["backup"], "it is backed up on its server (pg_dump), or copied to a file with: papershelf copy URL FILE"),
        (["backup", "--with-files", "x.zip"], "it is backed up on its server (pg_dump)"),
        (["restore", "--yes"], "it is restored on its server (pg_restore), or filled from a library file with: "),
        (["backups"], "its backups are kept on its server (pg_dump); a copy in a file: papershelf copy URL FILE"),
    ],
)
def test_commands_about_the_library_file_say_what_to_do_instead(cli, shared, argv, instead):
    with_password = shared.replace("postgres@", "postgres:s3cret@")  # the test server trusts, and ignores it
    code, out, err = cli("--library", with_password, *argv)
    shown = pg.display(with_password)
    assert code == 2 and out == ""
    assert err.startswith(f"papershelf: {argv[0]}: {shown} is a shared library: {instead}")
    assert err.count("\n") == 1 and "s3cret" not in err and "postgres:***@" in err
    assert os.listdir(".") == []


def test_an_unreachable_server_is_one_line_without_the_password(cli, pg_cluster):
    url = f"postgresql://someone:s3cret@127.0.0.1:{pg_cluster.port + 1}/papers"  # nothing listens there
    for argv in (["--library", url, "list"], ["init-shared", url], ["copy", url, "local.sqlite3"]):
        code, out, err = cli(*argv)
        assert code == 1 and out == "" and err.count("\n") == 1, argv
        assert err.startswith("papershelf: error: ") and "postgresql://someone:***@127.0.0.1:" in err
        assert "s3cret" not in err
    assert os.listdir(".") == []  # the failed copy left no half-made file behind


# --- init-shared and grant ----------------------------------------------------------------------------


def test_init_shared_creates_the_library_once_and_says_what_comes_next(cli, pg_database):
    url = pg_database()
    out = ok(cli("init-shared", url))
    assert out.startswith(f"created a shared Papershelf library in {url} (schema {pg.SCHEMA_HEAD})\n")
    assert "papershelf grant URL ROLE --read-only" in out and "papershelf copy library.sqlite3 URL" in out
    assert ok(cli("--library", url, "list")).startswith("the library is empty")
    code, _, err = cli("init-shared", url)
    assert code == 1
    assert (
        err
        == f"papershelf: error: {url}: already a Papershelf library (schema {pg.SCHEMA_HEAD}); nothing was changed\n"
    )


def test_init_shared_refuses_a_database_that_holds_other_tables(cli, pg_cluster, pg_database):
    url = pg_database()
    pg_cluster.sql("CREATE TABLE invoices (id integer)", dbname(url))
    code, _, err = cli("init-shared", url)
    assert code == 1 and err.count("\n") == 1
    assert "the database already holds tables of something else in schema public (invoices)" in err
    assert "nothing was changed" in err
    tables = pg_cluster.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", dbname(url))
    assert tables == [("invoices",)]


def test_a_read_only_member_searches_reads_and_exports_but_changes_nothing(cli, pg_cluster, shared, tmp_path):
    ok(cli("--library", shared, "import", SAMPLE_TEXT, "--date", "2025-09-11"))
    ok(cli("--library", shared, "tag", "1", "kept"))
    ok(cli("--library", shared, "lists", "create", "Thesis"))
    reader = role(pg_cluster, shared, "reader")
    user = reader.split("//")[1].split("@")[0]
    assert ok(cli("grant", shared, user, "--read-only")).startswith(f"{user} may now search, read and export {shared}")
    r = ("--library", reader)
    before = ok(cli("--library", shared, "list", "--json"))
    assert ok(cli(*r, "list", "--json")) == before
    assert ok(cli(*r, "list", "tag:kept")).startswith("1 [ ]")
    assert json.loads(ok(cli(*r, "show", "1", "--json")))["tags"] == ["kept"]
    # Its export is written; the keys it cannot pin are said once.
    mine = tmp_path / "reader.bib"
    code, _, err = cli(*r, "export", "--all", "-o", mine)
    assert code == 0 and mine.read_text().count("@misc{") == 49
    assert "read-only access: 49 exported citation keys are not pinned" in err
    owners = tmp_path / "owner.bib"
    ok(cli("--library", shared, "export", "--all", "-o", owners))  # the owner's export pins them
    code, _, err = cli(*r, "export", "--all", "-o", mine)
    assert code == 0 and err == f"{mine}: 49 papers written (bibtex)\n" and mine.read_text() == owners.read_text()
    for argv in (
        ["tag", "1", "mine"],
        ["untag", "1", "kept"],
        ["status", "1", "read"],
        ["note", "1", "my note"],
        ["lists", "add", "Thesis", "1"],
        ["lists", "create", "Mine"],
        ["delete", "2"],
        ["import", FIXTURES / "hf-daily-papers-api-sample.json"],
        ["export", "--list", "Thesis", "-o", tmp_path / "live.bib", "--keep-updated"],
    ):
        code, out, err = cli(*r, *argv)
        assert (code, err) == (1, f"papershelf: error: {reader}: {READ_ONLY}\n"), argv
    assert ok(cli("--library", shared, "list", "--json")) == before  # nothing changed
    assert not (tmp_path / "live.bib").exists()  # review: the live file was written, then reported failed
    # Write access, then none.
    assert ok(cli("grant", shared, user, "--read-write")).startswith(f"{user} may now search, read and change")
    assert ok(cli(*r, "tag", "1", "mine")) == "1: tags: kept, mine\n"
    with psycopg.connect(reader, autocommit=True) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("UPDATE alembic_version SET version_num = 'x'")  # schema changes stay the owner's
    assert ok(cli("grant", shared, user, "--read-only")).startswith(f"{user} may now search, read and export")
    code, _, err = cli(*r, "untag", "1", "mine")
    assert (code, err) == (1, f"papershelf: error: {reader}: {READ_ONLY}\n")  # a read-write member made read-only
    assert ok(cli("grant", shared, user, "--none")) == f"{user} no longer has access to {shared}\n"
    code, _, err = cli(*r, "list")
    assert code == 1 and err.startswith(f"papershelf: error: {reader}: cannot open the shared library (")
    assert "permission denied" in err and err.count("\n") == 1


def test_grant_refuses_a_role_that_does_not_exist_and_the_owner(cli, shared):
    code, _, err = cli("grant", shared, "nobody_here", "--read-only")
    assert code == 1 and "the server has no role 'nobody_here'; create it first: CREATE ROLE" in err
    code, _, err = cli("grant", shared, "postgres", "--read-only")
    assert (code, err) == (
        1,
        "papershelf: error: grant: postgres owns the library: PostgreSQL lets it do anything there; nothing was changed\n",
    )


def test_tables_a_later_schema_adds_are_granted_too(cli, pg_cluster, shared):
    """Default privileges: a migration (run by the owner) adds a table, and members may use it."""
    reader = role(pg_cluster, shared, "reader")
    user = reader.split("//")[1].split("@")[0]
    ok(cli("grant", shared, user, "--read-only"))
    pg_cluster.sql("CREATE TABLE added_later (id serial PRIMARY KEY)", dbname(shared))
    with psycopg.connect(reader, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM added_later").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO added_later DEFAULT VALUES")


# --- copy ---------------------------------------------------------------------------------------


def build_local(cli, tmp_path: Path, corpus: list[Path] = BIB_CORPUS) -> Path:
    """A library file with real papers and a bit of everything, made as a user makes it."""
    local = tmp_path / "local.sqlite3"
    lib = ("--library", local)
    if corpus:
        ok(cli(*lib, "import", *corpus))
    ok(cli(*lib, "import", SAMPLE_TEXT, "--date", "2025-09-11"))
    hf = json.loads(ok(cli(*lib, "list", "--json", "DocThinker")))[0]["id"]
    a, b, c = [str(p["id"]) for p in json.loads(ok(cli(*lib, "list", "--json", "--limit", "4"))) if p["id"] != hf][:3]
    ok(cli(*lib, "tag", a, "to-read", "Ünïcode"))
    ok(cli(*lib, "tag", hf, "to-read"))
    ok(cli(*lib, "note", a, "a note\nover two lines"))
    ok(cli(*lib, "status", a, "read"))
    ok(cli(*lib, "priority", b, "2"))
    ok(cli(*lib, "lists", "create", "Thesis"))
    ok(cli(*lib, "lists", "add", "Thesis", c, hf, a))
    ok(cli(*lib, "lists", "create", "Other"))
    ok(cli(*lib, "lists", "add", "Other", b, a))
    pdf = tmp_path / "incoming" / "paper.pdf"
    pdf.parent.mkdir()
    pdf_helpers.annotate(pdf_helpers.HELLO, pdf, [pdf_helpers.Mark(page=1, kind="note", comment="quarks")])
    ok(cli(*lib, "attach", hf, pdf))
    ok(cli(*lib, "index"))
    return local


def listing(cli, location: Path | str, *query: str) -> list[dict]:
    """``list --json`` with each stored PDF's path relative to the library's files folder (each copy has its own)."""
    papers = json.loads(ok(cli("--library", location, "list", "--json", *query)))
    with Library(location) as library:
        root = str(paths.files_dir(library.path))
    for paper in papers:
        for pdf in paper["pdfs"]:
            if pdf["kind"] == "stored":
                assert pdf["path"].startswith(root + os.sep) and not pdf["missing"]
                pdf["path"] = os.path.relpath(pdf["path"], root)
    return papers


def bibtex(cli, location: Path | str, *scope: str) -> str:
    return ok(cli("--library", location, "export", "--format", "bibtex", "--notes", *(scope or ["--all"]), "-o", "-"))


def test_copy_to_a_shared_library_and_back_keeps_list_json_and_bibtex(cli, pg_database, tmp_path):
    local = build_local(cli, tmp_path)
    url = pg_database()  # an empty database: the copy makes its tables
    back = tmp_path / "back" / "library.sqlite3"
    before, exported = listing(cli, local), bibtex(cli, local)
    assert len(before) > 4000 and any(p["pdfs"] for p in before) and any(p["notes"] for p in before)
    out = ok(cli("copy", local, url))
    notes = sum(len(p["notes"]) for p in before)  # a note of its own, and the PDF's annotations in one
    tags = len({t for p in before for t in p["tags"]})  # BibTeX keywords are tags too
    assert notes == 2 and tags > 100
    assert out.startswith(
        f"copied {len(before)} papers, {notes} notes, {tags} tags, 2 reading lists, 1 PDF from {local} to {url}\n"
    )
    assert "stored PDFs: 1 file copied to " in out
    assert listing(cli, url) == before
    assert bibtex(cli, url) == exported
    ok(cli("copy", url, back))
    assert listing(cli, back) == before
    assert bibtex(cli, back) == exported
    for location in (url, back):  # the search index came along: words, notes and the PDF's text
        assert listing(cli, location, "quarks") == listing(cli, local, "quarks") != []
        assert listing(cli, location, "hello") == listing(cli, local, "hello") != []
    assert os.listdir(".") == []


def test_copy_of_a_reading_list(cli, shared, tmp_path):
    local = build_local(cli, tmp_path, corpus=[])
    out = ok(cli("copy", "--list", "Thesis", local, shared))
    assert out.startswith(
        f"copied reading list 'Thesis': 3 papers, 2 notes, 2 tags, 1 reading list, 1 PDF from {local}"
    )
    wanted = [p | {"lists": ["Thesis"]} for p in listing(cli, local, "list:Thesis")]
    assert listing(cli, shared) == wanted
    assert ok(cli("--library", shared, "lists")) == "Thesis (3)\n"


def test_copy_refuses_a_destination_that_is_not_empty_and_leaves_no_new_file_on_failure(cli, shared, tmp_path):
    local = build_local(cli, tmp_path, corpus=[])
    ok(cli("copy", local, shared))
    code, _, err = cli("copy", local, shared)
    assert (code, err) == (
        1,
        f"papershelf: error: copy: {shared} is not empty (it holds 49 papers); a copy goes into a new library file "
        "or an empty shared library (papershelf init-shared URL); nothing was copied\n",
    )
    code, _, err = cli("copy", local, local)
    assert code == 1 and "is both the source and the destination; nothing was copied" in err
    fresh = tmp_path / "new.sqlite3"
    code, _, err = cli("copy", "--list", "No such list", local, fresh)
    assert (code, err) == (1, "papershelf: error: no reading list named 'No such list'\n")
    assert not fresh.exists() and not paths.files_dir(fresh).exists()  # the file it began is gone again
    code, _, err = cli("copy", tmp_path / "missing.sqlite3", fresh)
    assert (code, err) == (
        1,
        f"papershelf: error: copy: {tmp_path / 'missing.sqlite3'}: no such library file; nothing was copied\n",
    )
    assert not fresh.exists()


def test_copy_refuses_a_database_of_another_program(cli, pg_cluster, pg_database, tmp_path):
    local = build_local(cli, tmp_path, corpus=[])
    url = pg_database()
    pg_cluster.sql("CREATE TABLE invoices (id integer)", dbname(url))
    code, _, err = cli("copy", local, url)
    assert code == 1 and err.count("\n") == 1
    assert re.search(
        r"copy: .*: the database already holds tables of something else .*\(invoices\); nothing was copied", err
    )
    assert pg_cluster.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", dbname(url)) == [(1,)]


def test_the_readme_setup_a_database_owned_by_a_lab_role_and_two_members(cli, pg_cluster, tmp_path):
    """README: createdb --owner, init-shared as that owner (no superuser), grant, then members at work."""
    suffix = os.urandom(4).hex()
    owner, alice, guest, database = (f"{name}_{suffix}" for name in ("lab", "alice", "guest", "papers"))
    for name in (owner, alice, guest):
        pg_cluster.sql(psycopg.sql.SQL("CREATE ROLE {} LOGIN").format(psycopg.sql.Identifier(name)))
    pg_cluster.sql(
        psycopg.sql.SQL("CREATE DATABASE {} OWNER {}").format(
            psycopg.sql.Identifier(database), psycopg.sql.Identifier(owner)
        )
    )
    try:
        url = pg_cluster.url(database, user=owner)
        ok(cli("init-shared", url))
        ok(cli("grant", url, alice, "--read-write"))
        ok(cli("grant", url, guest, "--read-only"))
        as_alice = ("--library", pg_cluster.url(database, user=alice))
        as_guest = ("--library", pg_cluster.url(database, user=guest))
        ok(cli(*as_alice, "import", SAMPLE_TEXT, "--date", "2025-09-11"))
        ok(cli(*as_alice, "note", "1", "from alice"))
        assert json.loads(ok(cli(*as_guest, "show", "1", "--json")))["notes"][0]["text"] == "from alice"
        code, _, err = cli(*as_guest, "note", "1", "from the guest")
        assert code == 1 and err.endswith(f"{READ_ONLY}\n")
        ok(cli("copy", pg_cluster.url(database, user=guest), tmp_path / "mine.sqlite3"))  # a guest takes a copy home
        assert json.loads(ok(cli("--library", tmp_path / "mine.sqlite3", "show", "1", "--json")))["notes"]
    finally:
        pg_cluster.drop_database(database)


def test_a_forced_merge_on_a_shared_library_needs_no_backup_file(cli, shared):
    # Review: `merge --force` wrote a backup of the library file first, and a shared library has none.
    lib = ("--library", shared)
    ok(cli(*lib, "import", SAMPLE_TEXT, "--date", "2025-09-11"))
    out = ok(cli(*lib, "merge", "1", "2", "--force"))
    assert f"no backup is written first: {shared} is a shared library" in out
    assert "merged 2 (" in out and " into 1 (" in out
    code, _, err = cli(*lib, "show", "2")
    assert code != 0 and "no paper with id" in err


def test_a_read_only_members_live_file_is_written_and_not_reported_failed(cli, pg_cluster, shared, tmp_path):
    # Review: the keys a read-only member's live file could not pin made the written file a failure.
    ok(cli("--library", shared, "import", SAMPLE_TEXT, "--date", "2025-09-11"))
    reader = role(pg_cluster, shared, "live")
    user = reader.split("//")[1].split("@")[0]
    ok(cli("grant", shared, user, "--read-only"))
    with Library(reader) as library:
        from papershelf.core import autoexport

        assert autoexport._pin(library, [1, 2]) is None  # the refusal is logged, never raised
    with Library(shared) as library:
        assert [p.key_pinned for p in library.get_many([1, 2])] == [False, False]


def test_a_members_live_file_is_written_by_that_member_only(cli, pg_cluster, shared, tmp_path):
    # Review: bindings had no owner, so every member's Papershelf rewrote every member's paths on its own computer.
    ok(cli("--library", shared, "import", SAMPLE_TEXT, "--date", "2025-09-11"))
    ok(cli("--library", shared, "lists", "create", "Thesis"))
    ok(cli("--library", shared, "lists", "add", "Thesis", "1"))
    alice, bob = (role(pg_cluster, shared, name) for name in ("alice", "bob"))
    for url in (alice, bob):
        ok(cli("grant", shared, url.split("//")[1].split("@")[0], "--read-write"))
    refs = tmp_path / "alice.bib"
    ok(cli("--library", alice, "export", "--list", "Thesis", "-o", refs, "--keep-updated"))
    assert refs.read_text().count("@misc{") == 1
    ok(cli("--library", bob, "lists", "add", "Thesis", "2"))  # bob's command syncs bob's live files: none
    assert refs.read_text().count("@misc{") == 1
    assert "no live files" in ok(cli("--library", bob, "autoexport", "list")).lower()
    ok(cli("--library", alice, "autoexport", "run"))
    assert refs.read_text().count("@misc{") == 2


@pytest.mark.parametrize(
    "typed",
    [
        "postgresql:/alice:typo-secret@127.0.0.1/papers",  # one slash
        "postgresq://alice:typo-secret@127.0.0.1/papers",  # a letter short
        "http://alice:typo-secret@127.0.0.1/papers",
    ],
)
def test_a_mistyped_url_is_refused_and_makes_no_file(cli, typed, tmp_path):
    # Review: such a value became a new library file in the working folder, the password in its name and the log.
    code, _, err = cli("--library", typed, "list")
    assert code == 1 and "not a library file, and not a shared library's URL" in err
    assert "typo-secret" not in err and err.count("\n") == 1
    assert list((tmp_path / "cwd").iterdir()) == []


def test_libpqs_keyword_form_and_an_upper_case_scheme_are_connections(cli, pg_cluster, shared, tmp_path):
    # Review: "host=… dbname=… password=…" (psql takes it) became a library file named after it, password and all.
    ok(cli("--library", shared, "import", SAMPLE_TEXT, "--date", "2025-09-11"))
    keywords = f"host=127.0.0.1 port={pg_cluster.port} user=postgres dbname={dbname(shared)} password=kw-secret"
    assert ok(cli("--library", keywords, "list", "--limit", "1")).startswith("1 [ ]")
    upper = "POSTGRESQL://" + shared.split("://", 1)[1]
    assert ok(cli("--library", upper, "list", "--limit", "1")).startswith("1 [ ]")
    assert list((tmp_path / "cwd").iterdir()) == []
    code, _, err = cli("--library", keywords.replace(str(pg_cluster.port), "9"), "list")
    assert code == 1 and "password=***" in err and "kw-secret" not in err


def test_a_read_write_member_may_copy_into_an_empty_shared_library(cli, pg_cluster, shared, tmp_path):
    # Review: the copy failed on setting the id sequences ("permission denied for sequence"), told as read-only access.
    local = tmp_path / "local.sqlite3"
    ok(cli("--library", local, "import", SAMPLE_TEXT, "--date", "2025-09-11"))
    member = role(pg_cluster, shared, "copier")
    ok(cli("grant", shared, member.split("//")[1].split("@")[0], "--read-write"))
    ok(cli("copy", local, member))
    assert ok(cli("--library", member, "list", "--json")) == ok(cli("--library", local, "list", "--json"))


# --- What reaches the user when the connection fails ---------------------------------------------


@contextlib.contextmanager
def no_root_log_handler():
    """The root logger as outside pytest: no handler (pytest's own would catch what Python prints to stderr)."""
    import logging

    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers.clear()
    try:
        yield
    finally:
        root.handlers[:] = saved


def test_a_server_killed_in_the_middle_of_a_copy_is_our_one_line_only(cli, pg_cluster, pg_database, tmp_path):
    # Review: psycopg printed "error ignored terminating <psycopg.Pipeline [BAD] …>" to stderr besides our line.
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    local = tmp_path / "local.sqlite3"
    ok(cli("--library", local, "import", SAMPLE_TEXT, "--date", "2025-09-11"))
    url = pg_database()
    killed = []

    def kill_during_the_papers(conn, cursor, statement, parameters, context, executemany):
        if (
            executemany
            and not killed
            and conn.dialect.name == "postgresql"
            and statement.startswith("INSERT INTO paper ")
        ):
            killed.append(True)
            pg_cluster.kill()

    event.listen(Engine, "before_cursor_execute", kill_during_the_papers)
    try:
        with no_root_log_handler():
            code, out, err = cli("copy", local, url)
    finally:
        event.remove(Engine, "before_cursor_execute", kill_during_the_papers)
        pg_cluster.restart()
    assert killed and code == 1 and out == ""
    assert err.startswith(f"papershelf: error: copy: {url}: the shared library's server cannot be reached (")
    assert err.count("\n") == 1, err


def test_the_drivers_own_warnings_go_to_the_log_not_beside_our_line(capfd):
    # Whether psycopg warns as the server dies depends on timing (above): its warnings are routed, whatever they are.
    import logging

    from papershelf import cli_shared, logs

    with no_root_log_handler():
        logs.setup()
        cli_shared.route_driver_logs()
        logging.getLogger("psycopg").warning("error ignored terminating <psycopg.Pipeline [BAD]>")
    assert capfd.readouterr().err == ""
    assert "error ignored terminating" in logs.log_file().read_text()


def _password_only(pg_cluster, role_name: str):
    """Let ``role_name`` in over TCP with a password only (scram), as a lab's server does; undone by the caller."""
    hba = pg_cluster.folder / "data" / "pg_hba.conf"
    before = hba.read_text()
    hba.write_text(f"host all {role_name} 127.0.0.1/32 scram-sha-256\n" + before)
    pg_cluster.sql("SELECT pg_reload_conf()")
    return lambda: (hba.write_text(before), pg_cluster.sql("SELECT pg_reload_conf()"))


def test_a_refused_login_and_an_unreachable_server_are_worded_alike_everywhere(cli, pg_cluster, shared, tmp_path):
    # Review: opening, copy and init-shared each worded a failed connection differently, and a missing or wrong
    # password read as if the server could not be reached.
    ok(cli("--library", shared, "import", SAMPLE_TEXT, "--date", "2025-09-11"))
    member = role(pg_cluster, shared, "pw")
    user = member.split("//")[1].split("@")[0]
    pg_cluster.sql(psycopg.sql.SQL("ALTER ROLE {} PASSWORD 'right-secret'").format(psycopg.sql.Identifier(user)))
    ok(cli("grant", shared, user, "--read-write"))
    local = tmp_path / "local.sqlite3"
    ok(cli("--library", local, "import", SAMPLE_TEXT, "--date", "2025-09-11"))
    undo = _password_only(pg_cluster, user)
    try:
        wrong = member.replace(f"{user}@", f"{user}:wrong-secret@")
        for url, words in ((member, "no password supplied"), (wrong, "password authentication failed")):
            shown = pg.display(url)
            for argv in (
                ["--library", url, "list"],
                ["init-shared", url],
                ["copy", local, url],
                ["copy", url, "x.sqlite3"],
            ):
                code, out, err = cli(*argv)
                assert code == 1 and out == "" and err.count("\n") == 1, (argv, err)
                assert f"{shown}: " in err and "the shared library's server refused the login (" in err, (argv, err)
                # Review: a password given and refused was answered with where to give one.
                hint = pg.WRONG_PASSWORD_HINT if url == wrong else pg.PASSWORD_HINT
                assert words in err and hint in err and "cannot be reached" not in err, (argv, err)
                assert "secret" not in err.replace("wrong-secret", "") and "wrong-secret" not in err
        right = member.replace(f"{user}@", f"{user}:right-secret@")
        assert ok(cli("--library", right, "list", "--limit", "1")).startswith("1 [ ]")
    finally:
        undo()
    gone = f"postgresql://someone:s3cret@127.0.0.1:{pg_cluster.port + 1}/papers"  # nothing listens there
    for argv in (
        ["--library", gone, "list"],
        ["init-shared", gone],
        ["copy", gone, "x.sqlite3"],
        ["copy", local, gone],
    ):
        code, _, err = cli(*argv)
        assert code == 1 and err.count("\n") == 1
        assert "the shared library's server cannot be reached (" in err and "Connection refused" in err, (argv, err)
        assert f'127.0.0.1", port {pg_cluster.port + 1}' in err and "s3cret" not in err
    assert os.listdir(".") == []


def test_a_password_file_others_can_read_is_one_line_of_ours(pg_cluster, shared, tmp_path, monkeypatch, capfd):
    # Review: libpq printed "WARNING: password file … has group or world access" on every connection.
    passfile = tmp_path / "pgpass"
    passfile.write_text("*:*:*:*:unused\n")
    passfile.chmod(0o644)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    monkeypatch.chdir(tmp_path)
    assert main(["--library", shared, "list"]) == 0
    _, err = capfd.readouterr()
    assert err == f"papershelf: warning: {passfile} is readable by others, so libpq ignores it: chmod 600 {passfile}\n"
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    assert main(["--library", shared, "list"]) == 0
    assert capfd.readouterr()[1] == ""


def test_a_read_only_members_import_of_papers_already_there_says_so_and_nothing_else(cli, pg_cluster, shared):
    # Review: importing a file whose papers were all in the library printed "merged" lines as if it had done something.
    bib = BIB_CORPUS[0]
    ok(cli("--library", shared, "import", bib))
    reader = role(pg_cluster, shared, "importer")
    ok(cli("grant", shared, reader.split("//")[1].split("@")[0], "--read-only"))
    assert "merged: " in ok(cli("--library", shared, "import", bib))  # what the owner sees: the entries matched
    before = ok(cli("--library", shared, "list", "--json"))
    code, out, err = cli("--library", reader, "import", bib)
    assert (code, out, err) == (1, "", f"papershelf: error: {reader}: {READ_ONLY}\n")
    assert ok(cli("--library", shared, "list", "--json")) == before


def test_a_command_on_a_server_that_hangs_gives_up_in_one_line(cli, shared, pg_cluster, monkeypatch):
    # Review: `papershelf list` waited 62 s, until the paused server was woken; from cron it would wait forever.
    import threading
    import time

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from papershelf import cli as cli_module

    ok(cli("--library", shared, "import", SAMPLE_TEXT, "--date", "2025-09-11"))
    monkeypatch.setattr(cli_module, "SERVER_WAIT_S", 1.0)
    paused: list[int] = []

    def pause_once_connected(conn, cursor, statement, parameters, context, executemany):
        if not paused and conn.dialect.name == "postgresql" and "FROM paper" in statement:
            paused.extend(pg_cluster.pause())  # connected, and now it answers nothing
            threading.Timer(30.0, pg_cluster.resume, [list(paused)]).start()  # a failing test fails, not hangs

    event.listen(Engine, "before_cursor_execute", pause_once_connected)
    try:
        start = time.monotonic()
        code, out, err = cli("--library", shared, "list")
        elapsed = time.monotonic() - start
    finally:
        event.remove(Engine, "before_cursor_execute", pause_once_connected)
        pg_cluster.resume(paused)
    assert paused and elapsed < 15.0
    assert code == 1 and out == ""
    assert "did not answer within 1 s" in err and err.count("\n") == 1, err
