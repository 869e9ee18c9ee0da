"""The floor for an import: plain sqlite3, the same rows, the same FTS5 index.

Reads the hf-json listing with ``json.load`` and inserts every paper, its
abstract and its sighting, then fills the same full-text index, in one
transaction, into a library whose schema Papershelf created. No dedup, no
citation keys, no validation: what any import must at least cost.

    python bench/floor_import.py LIBRARY LISTING
"""

import datetime as dt
import json
import sqlite3
import sys


def main(library: str, listing: str) -> None:
    with open(listing, encoding="utf-8") as fh:
        items = json.load(fh)
    conn = sqlite3.connect(library, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("BEGIN IMMEDIATE")
    now = dt.datetime.now().isoformat(" ")
    papers, abstracts, sightings, fts = [], [], [], []
    for pid, item in enumerate(items, start=1):
        p = item["paper"]
        authors = [a["name"] for a in p["authors"]]
        day = p["submittedOnDailyAt"][:10]
        papers.append(
            (
                pid,
                p["title"],
                p["title"].lower(),
                json.dumps(authors),
                authors[0] if authors else "",
                p["id"],
                f"https://huggingface.co/papers/{p['id']}",
                p["publishedAt"][:10],
                day,
                now,
                f"key{pid}",
            )
        )
        abstracts.append((pid, p["summary"]))
        sightings.append((pid, "hf-daily", day, pid))
        fts.append((pid, p["title"], p["summary"], ", ".join(authors), None, None))
    conn.executemany(
        "INSERT INTO paper (id, title, title_key, authors, first_author, arxiv_id, url, published, listed_on, added_at, "
        "citation_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        papers,
    )
    conn.executemany("INSERT OR IGNORE INTO paper_abstract (paper_id, abstract) VALUES (?, ?)", abstracts)
    conn.executemany(
        "INSERT OR IGNORE INTO sighting (paper_id, source, listing_date, position) VALUES (?, ?, ?, ?)", sightings
    )
    conn.executemany(
        "INSERT INTO paper_fts (rowid, title, abstract, authors, notes, tags) VALUES (?, ?, ?, ?, ?, ?)", fts
    )
    conn.execute("COMMIT")
    conn.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
