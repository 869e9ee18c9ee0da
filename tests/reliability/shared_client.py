"""One member of a shared library for the load tests: random edits, one JSON line per edit in its log.

    python shared_client.py URL CLIENT LOG --edits 500 --seconds 100 --seed 1 --shared-notes 3,7

It opens the library and prints "ready", waits for a line on stdin (so all
clients start together), then makes up to ``--edits`` edits until its
deadline: tags added and removed (its own ``c<CLIENT>-t<j>`` and the shared
``shared-<j>``), statuses, notes of its own (``c<CLIENT>-note-<n>``) and edits
of the shared notes (each client rewrites its own line). It prints
"finished N" at the end.

Each log line is one edit: what it did, ``start``/``end`` (``time.monotonic()``,
one clock for every process on the machine) of the attempt that counted, and
its ``outcome``:

- ``ack``: the operation returned, so it is committed;
- ``unknown``: the connection failed while the commit was on its way (it may
  or may not have landed); such an edit is not tried again;
- ``conflict``: the shared note had changed since it was read; the line has
  the ``EditConflict``'s ``base``/``theirs``/``mine``/``merged``. The client then
  takes the merge (or its own text) on top of ``theirs``, as a user would, as
  a new line with ``resolves`` set;
- ``error``: anything else (its message), or a server still gone at the deadline.

An attempt that failed because the server was gone before the commit was
sent (nothing written) is tried again once a connection works; ``retries``
and ``errors`` say how often and why.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import psycopg
import sqlalchemy.exc
from sqlalchemy import event

from papershelf.core import operations as ops
from papershelf.core.errors import EditConflict
from papershelf.core.library import Library
from papershelf.core.records import STATUSES

OWN_TAGS = 4
SHARED_TAGS = 3
#: Rounds of "conflict, then take the merge on top of theirs" before an edit of a shared note gives up.
CONFLICT_ROUNDS = 5
RETRY_PAUSE_S = 0.1


def own_tag(client: int, j: int) -> str:
    return f"c{client}-t{j}"


def shared_tag(j: int) -> str:
    return f"shared-{j}"


def note_text(client: int, n: int) -> str:
    return f"c{client}-note-{n}"


def shared_line(client: int) -> str:
    """The start of the shared notes' line that belongs to ``client``."""
    return f"c{client}:"


def is_disconnect(exc: BaseException | None) -> bool:
    """The server or the connection to it was gone (as opposed to a refusal or a bug)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
            return True
        if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


class Client:
    def __init__(self, library: Library, client: int, log: Any, deadline: float, rng: random.Random):
        self.library = library
        self.client = client
        self.log = log
        self.deadline = deadline
        self.rng = rng
        self.ids = library.search_ids("")
        self.notes_added = 0
        self.committing = False  # a write transaction's COMMIT was sent in the current attempt

        @event.listens_for(library.engine, "commit")
        def _commit(conn: Any) -> None:
            if conn.get_execution_options().get("sqlite_begin") == "IMMEDIATE":
                self.committing = True

    def write(self, entry: dict[str, Any]) -> None:
        self.log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.log.flush()

    def attempt(self, entry: dict[str, Any], operation: Callable[[], Any]) -> Any:
        """Run ``operation`` until it is committed, or may be, or fails for another reason; fill in ``entry``."""
        entry.setdefault("retries", 0)
        entry.setdefault("errors", [])
        while True:
            self.committing = False
            entry["start"] = time.monotonic()
            try:
                result = operation()
            except Exception as exc:
                entry["end"] = time.monotonic()
                if isinstance(exc, EditConflict):
                    entry["outcome"] = "conflict"
                    entry["conflict"] = {k: getattr(exc, k) for k in ("what", "base", "theirs", "mine", "merged")}
                    entry["message"] = str(exc)
                    return exc
                if not is_disconnect(exc):
                    entry["outcome"] = "error"
                    entry["message"] = one_line(exc)
                    return None
                if self.committing:
                    entry["outcome"] = "unknown"
                    entry["message"] = one_line(exc)
                    return None
                entry["retries"] += 1
                if len(entry["errors"]) < 5:
                    entry["errors"].append(one_line(exc))
                if time.monotonic() > self.deadline:
                    entry["outcome"] = "error"
                    entry["message"] = "the server was still gone at the deadline: " + one_line(exc)
                    return None
                time.sleep(RETRY_PAUSE_S)
                continue
            entry["end"] = time.monotonic()
            entry["outcome"] = "ack"
            return result

    # --- The edits -----------------------------------------------------------------

    def papers(self, most: int) -> list[int]:
        return self.rng.sample(self.ids, self.rng.randint(1, most))

    def tag(self, n: int, shared: bool) -> None:
        name = (
            shared_tag(self.rng.randrange(SHARED_TAGS))
            if shared
            else own_tag(self.client, self.rng.randrange(OWN_TAGS))
        )
        papers, add = self.papers(3), self.rng.random() < 0.6
        entry = {"n": n, "kind": "tag", "papers": papers, "tag": name, "add": add}
        if add:
            self.attempt(entry, lambda: self.library.add_tags(papers, [name]))
        else:
            self.attempt(entry, lambda: self.library.remove_tags(papers, [name]))
        self.write(entry)

    def status(self, n: int) -> None:
        papers, status = self.papers(2), self.rng.choice(STATUSES)
        entry = {"n": n, "kind": "status", "papers": papers, "status": status}
        self.attempt(entry, lambda: self.library.set_status(papers, status))
        self.write(entry)

    def note(self, n: int) -> None:
        paper, text = self.rng.choice(self.ids), note_text(self.client, self.notes_added)
        self.notes_added += 1
        entry = {"n": n, "kind": "note", "paper": paper, "text": text}
        entry["note"] = self.attempt(entry, lambda: self.library.add_note(paper, text))
        self.write(entry)

    def shared_note(self, n: int, shared_notes: list[tuple[int, int]]) -> None:
        """Rewrite this client's line of a shared note, from the text just read (passed as ``base``)."""
        paper, note_id = self.rng.choice(shared_notes)
        line = f"{shared_line(self.client)} {n}"
        entry: dict[str, Any] = {"n": n, "kind": "shared_note", "note": note_id}

        def read_and_save() -> None:
            base = next(note.text for note in self.library.get(paper).notes if note.id == note_id)
            mine = "\n".join(line if old.startswith(shared_line(self.client)) else old for old in base.split("\n"))
            entry.update(base=base, text=mine)
            self.save(note_id, mine, base)

        conflict = self.attempt(entry, read_and_save)
        self.write(entry)
        for _round in range(CONFLICT_ROUNDS):
            if conflict is None or entry["outcome"] != "conflict":
                return
            theirs, merged = conflict.theirs, conflict.merged
            if theirs is None:  # deleted meanwhile: the shared notes never are
                return
            # Keep the merge (or mine) on top of what is there now, as the conflict dialog offers.
            text = merged if merged is not None else entry["text"]
            entry = {"n": n, "kind": "shared_note", "note": note_id, "base": theirs, "text": text, "resolves": True}
            conflict = self.attempt(entry, lambda entry=entry: self.save(note_id, entry["text"], entry["base"]))
            self.write(entry)

    def save(self, note_id: int, text: str, base: str) -> None:
        self.library.run(ops.UpdateNote(note_id, text, base=base))

    def edit(self, n: int, shared_notes: list[tuple[int, int]]) -> None:
        roll = self.rng.random()
        if roll < 0.30:
            self.tag(n, shared=False)
        elif roll < 0.40:
            self.tag(n, shared=True)
        elif roll < 0.60:
            self.status(n)
        elif roll < 0.80:
            self.note(n)
        else:
            self.shared_note(n, shared_notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("client", type=int)
    parser.add_argument("log")
    parser.add_argument("--edits", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shared-notes", default="", help="PAPER:NOTE,… the shared notes")
    args = parser.parse_args()
    shared_notes = [(int(p), int(n)) for p, n in (pair.split(":") for pair in args.shared_notes.split(",") if pair)]
    library = Library(args.url)
    with open(args.log, "w", encoding="utf-8") as log:
        client = Client(library, args.client, log, 0.0, random.Random(args.seed * 1000 + args.client))
        print("ready", flush=True)
        sys.stdin.readline()
        client.deadline = time.monotonic() + args.seconds
        done = 0
        while done < args.edits and time.monotonic() < client.deadline:
            client.edit(done, shared_notes)
            done += 1
    print(f"finished {done}", flush=True)
    library.close()


if __name__ == "__main__":
    main()
