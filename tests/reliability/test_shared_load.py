"""Eight members editing one shared library at once, in real processes; then the server killed under them.

Each client (``shared_client.py``) logs every edit it made and how it ended.
Afterwards the library must hold what the logs say was acknowledged (the
operation returned, so it was committed): nothing lost, nothing twice, no
duplicate rows, and every conflict a client was told about explained by a
text someone really saved. An edit whose commit was under way when the
server died is "unknown": either outcome is accepted, but not a third one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import psycopg
import pytest

from papershelf.core.library import Library
from tests.reliability import shared_client
from tests.reliability.shared_client import OWN_TAGS, SHARED_TAGS, own_tag, shared_line, shared_tag

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.generate import write_json  # noqa: E402

pytestmark = pytest.mark.slow

CLIENTS = 8
#: Seconds the clients have for their edits; a client still editing then stops and the test fails.
DEADLINE_S = 120.0
SHARED_NOTES = 4
INITIAL_STATUS = "unread"


def seed(url: str, tmp_path: Path) -> tuple[list[int], dict[int, tuple[int, str]]]:
    """A library of ~200 papers with the shared notes; its paper ids, and each shared note's paper and text by id."""
    listing = write_json(tmp_path / "seed.json", 200, seed=16, start=16_000_000)
    with Library(url, create=True) as library:
        library.import_file(listing)
        ids = library.search_ids("")
        notes = {}
        for paper in ids[:SHARED_NOTES]:
            text = "\n".join([f"Shared note on paper {paper}"] + [f"{shared_line(c)} -" for c in range(CLIENTS)])
            notes[library.add_note(paper, text)] = (paper, text)
    return ids, notes


def run_clients(
    url: str, tmp_path: Path, edits: int, shared: dict[int, tuple[int, str]], during: Any = None
) -> list[list[dict[str, Any]]]:
    """Start the clients together, wait for them (``during(logs)`` runs meanwhile); each client's log."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "desktop"), str(ROOT)]))
    logs = [tmp_path / f"client{c}.jsonl" for c in range(CLIENTS)]
    stderr = [(tmp_path / f"client{c}.err").open("w") for c in range(CLIENTS)]
    notes = ",".join(f"{paper}:{note}" for note, (paper, _text) in shared.items())
    procs = [
        subprocess.Popen(
            [sys.executable, shared_client.__file__, url, str(c), str(logs[c]), "--edits", str(edits)]
            + ["--seconds", str(DEADLINE_S), "--seed", "16", "--shared-notes", notes],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr[c],
            text=True,
            env=env,
        )
        for c in range(CLIENTS)
    ]
    try:
        for c, proc in enumerate(procs):
            assert proc.stdout.readline().strip() == "ready", (tmp_path / f"client{c}.err").read_text()
        started = time.monotonic()
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        if during is not None:
            during(logs)
        outputs = [proc.communicate(timeout=DEADLINE_S + 60)[0] for proc in procs]
        elapsed = time.monotonic() - started
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for fh in stderr:
            fh.close()
    made = []
    for c, (proc, out) in enumerate(zip(procs, outputs)):
        assert proc.returncode == 0, f"client {c} failed:\n{(tmp_path / f'client{c}.err').read_text()[-3000:]}"
        made.append(int(out.split("finished ")[-1]))
    assert made == [edits] * CLIENTS, (
        f"the clients made {made} of {edits} edits each before their {DEADLINE_S:.0f} s deadline ({elapsed:.1f} s)"
    )
    return [[json.loads(line) for line in path.read_text().splitlines()] for path in logs]


def final_candidates(writes: list[dict[str, Any]], value: str, initial: Any) -> set[Any]:
    """The values the last committed of ``writes`` (one field, any clients) may have left.

    The last write to commit committed after every acknowledged write started
    (each committed after its own start), and its attempt ended after its
    commit: so it is one whose ``end`` is past the latest acknowledged
    ``start``. Unknown writes may or may not have committed.
    """
    landed = [w for w in writes if w["outcome"] in ("ack", "unknown")]
    acked = [w for w in landed if w["outcome"] == "ack"]
    threshold = max((w["start"] for w in acked), default=float("-inf"))
    found = {w[value] for w in landed if w["end"] >= threshold}
    if not acked:
        found.add(initial)  # nothing may have committed
    return found


def check_library(
    url: str, logs: list[list[dict[str, Any]]], ids: list[int], seeded: dict[int, tuple[int, str]]
) -> None:
    """The invariants, from the clients' logs and the library's rows."""
    entries = [dict(e, client=c) for c, log in enumerate(logs) for e in log]
    errors = [
        f"client {e['client']} edit {e['n']} ({e['kind']}): {e['message']}" for e in entries if e["outcome"] == "error"
    ]
    assert not errors, f"{len(errors)} edits failed:\n" + "\n".join(errors[:10])

    with psycopg.connect(url) as conn:
        notes = conn.execute("SELECT id, paper_id, text FROM note").fetchall()
        pairs = {
            (pid, name)
            for pid, name in conn.execute(
                "SELECT pt.paper_id, t.name::text FROM paper_tag AS pt JOIN tag AS t ON t.id = pt.tag_id"
            )
        }
        statuses = dict(conn.execute("SELECT id, status FROM paper").fetchall())
        duplicates = {
            "paper_tag": conn.execute(
                "SELECT paper_id, tag_id FROM paper_tag GROUP BY 1, 2 HAVING count(*) > 1"
            ).fetchall(),
            "tag": conn.execute("SELECT lower(name::text) FROM tag GROUP BY 1 HAVING count(*) > 1").fetchall(),
            "note": conn.execute("SELECT paper_id, text FROM note GROUP BY 1, 2 HAVING count(*) > 1").fetchall(),
        }
    assert not any(duplicates.values()), f"duplicate rows: {duplicates}"
    assert sorted(statuses) == ids, "papers were added or lost"

    # Own notes: each acknowledged one there once, on its paper; an unknown one at most once; none from nowhere.
    own = {text: (note_id, pid) for note_id, pid, text in notes if re.fullmatch(r"c\d+-note-\d+", text)}
    tried = {e["text"]: e for e in entries if e["kind"] == "note"}
    assert set(own) <= set(tried), f"notes no client added: {sorted(set(own) - set(tried))[:5]}"
    lost = [
        e["text"] for e in tried.values() if e["outcome"] == "ack" and own.get(e["text"]) != (e["note"], e["paper"])
    ]
    assert not lost, f"{len(lost)} acknowledged notes are missing or elsewhere: {lost[:5]}"

    # Own tags: only their client writes them, in its log's order: the last acknowledged op decides
    # (or an unknown one after it).
    for c, log in enumerate(logs):
        possible: dict[tuple[int, str], set[bool]] = defaultdict(lambda: {False})
        for e in log:
            if e["kind"] == "tag" and e["tag"].startswith(f"c{c}-") and e["outcome"] in ("ack", "unknown"):
                for pid in e["papers"]:
                    key = (pid, e["tag"])
                    possible[key] = {e["add"]} if e["outcome"] == "ack" else possible[key] | {e["add"]}
        wrong = [
            (pid, tag)
            for pid in ids
            for tag in (own_tag(c, j) for j in range(OWN_TAGS))
            if ((pid, tag) in pairs) not in possible[(pid, tag)]
        ]
        assert not wrong, f"client {c}'s tags differ from its acknowledged edits on (paper, tag): {wrong[:5]}"

    # Shared tags and statuses: any client; the last to commit decides.
    tag_writes: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    status_writes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        for pid in e.get("papers", []):
            if e["kind"] == "tag" and e["tag"].startswith("shared-"):
                tag_writes[(pid, e["tag"])].append(e)
            elif e["kind"] == "status":
                status_writes[pid].append(e)
    for pid in ids:
        for tag in (shared_tag(j) for j in range(SHARED_TAGS)):
            assert ((pid, tag) in pairs) in final_candidates(tag_writes[(pid, tag)], "add", False), (pid, tag)
        assert statuses[pid] in final_candidates(status_writes[pid], "status", INITIAL_STATUS), (
            f"paper {pid}: status {statuses[pid]!r}, none of the last writes: {status_writes[pid][-3:]}"
        )

    # Shared notes.
    text_of = {note_id: text for note_id, _pid, text in notes}
    for note_id, (_paper, first) in seeded.items():
        writes = [e for e in entries if e["kind"] == "shared_note" and e["note"] == note_id]
        assert text_of[note_id] in final_candidates(writes, "text", first)
        saved = {first} | {w["text"] for w in writes if w["outcome"] in ("ack", "unknown")}
        for w in writes:
            if w["outcome"] == "conflict":  # explained: the text it was told about is one someone saved
                conflict = w["conflict"]
                assert conflict["theirs"] in saved and conflict["mine"] == w["text"], w
                assert conflict["base"] == w["base"] and conflict["theirs"] != w["base"], w
        # No edit was silently overwritten: from the final text back to the first one, each text
        # was saved on top of the one before it, and that history holds every acknowledged edit.
        based_on = {w["text"]: w["base"] for w in writes if w["outcome"] in ("ack", "unknown")}
        history, text = [], text_of[note_id]
        while text != first:
            history.append(text)
            assert text in based_on and len(history) <= len(writes), f"note {note_id}: {text!r} came from nowhere"
            text = based_on[text]
        overwritten = {w["text"] for w in writes if w["outcome"] == "ack"} - set(history)
        assert not overwritten, f"note {note_id}: acknowledged edits overwritten: {sorted(overwritten)[:3]}"

    # The search sees the same tags and notes.
    with Library(url) as library:
        for c in range(CLIENTS):
            tag = own_tag(c, 0)
            assert set(library.search_ids(f"tag:{tag}")) == {pid for pid, name in pairs if name == tag}
            mine = [text for text in own if text.startswith(f"c{c}-")]
            if mine:
                assert library.search_ids(f'"{mine[-1]}"') == [own[mine[-1]][1]]


def summary(logs: list[list[dict[str, Any]]]) -> Counter[str]:
    return Counter(e["outcome"] for log in logs for e in log)


def test_eight_members_edit_at_once(pg_database, tmp_path):
    url = pg_database()
    ids, seeded = seed(url, tmp_path)
    logs = run_clients(url, tmp_path, 500, seeded)
    outcomes = summary(logs)
    # No server trouble here: every edit ended at its first attempt.
    assert outcomes["unknown"] == 0 and sum(e["retries"] for log in logs for e in log) == 0, outcomes
    # Eight members on four shared notes: some saves met someone else's edit and were told (then took the merge).
    assert outcomes["conflict"] > 0, outcomes
    check_library(url, logs, ids, seeded)


def test_server_killed_mid_edits(pg_cluster, pg_database, tmp_path):
    url = pg_database()
    ids, seeded = seed(url, tmp_path)
    edits = 200

    def kill_and_restart(logs: list[Path]) -> None:
        # A third of the way through, the server dies; it is back a second later.
        deadline = time.monotonic() + DEADLINE_S / 2
        while sum(path.read_text().count("\n") for path in logs if path.exists()) < CLIENTS * edits // 3:
            assert time.monotonic() < deadline, "the clients made too few edits to kill the server among them"
            time.sleep(0.02)
        pg_cluster.kill()
        time.sleep(1.0)
        pg_cluster.restart()

    logs = run_clients(url, tmp_path, edits, seeded, during=kill_and_restart)
    outcomes = summary(logs)
    retried = [e for log in logs for e in log if e["retries"]]
    # The kill landed among the edits: some failed for want of a server and went through after the restart.
    assert retried, outcomes
    assert all(e["outcome"] in ("ack", "unknown", "conflict") for e in retried), retried[:3]
    check_library(url, logs, ids, seeded)
