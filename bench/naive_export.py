"""The baseline for the export benchmark: a naive loop writing the same fields, no escaping.

python bench/naive_export.py LIBRARY OUT.bib
"""

import json
import sqlite3
import sys


def main(library: str, out: str) -> None:
    conn = sqlite3.connect(library)
    rows = conn.execute(
        "SELECT p.citation_key, p.title, p.authors, p.arxiv_id, p.published, a.abstract "
        "FROM paper p LEFT JOIN paper_abstract a ON a.paper_id = p.id ORDER BY p.id"
    )
    with open(out, "w", encoding="utf-8") as fh:
        for key, title, authors, arxiv, published, abstract in rows:
            names = " and ".join(json.loads(authors))
            fh.write(
                f"@misc{{{key},\n  title = {{{title}}},\n  author = {{{names}}},\n  year = {{{(published or '')[:4]}}},\n"
                f"  eprint = {{{arxiv}}},\n  archivePrefix = {{arXiv}},\n  url = {{https://arxiv.org/abs/{arxiv}}},\n"
                f"  abstract = {{{abstract}}}\n}}\n\n"
            )


if __name__ == "__main__":
    main(*sys.argv[1:3])
