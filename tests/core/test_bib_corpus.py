"""The lossless BibTeX round trip on real libraries (issue 12): tests/fixtures/bib-corpus/.

Each of the corpus's files (sources and licences in its SOURCES.md) is
imported into an empty library and exported as the CLI does it. Then:

* the export has every entry and every field of the original, with the same
  value, and nothing the original did not have (tests/bibfidelity.py; the
  same comparison as bench/bib_corpus_report.py, as assertions);
* bibtex (plainnat) and biber say nothing about the export they did not say
  about the original;
* importing the export and exporting again gives the same bytes.

The import and its exports are made once per file and shared by the tests
(:func:`tests.bibfidelity.corpus_import`).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import bibtexparser
import pytest

from tests.bibfidelity import CORPUS, EXPORTS, compare, corpus_import, import_and_export, shown
from tests.texcheck import biber_messages, biblatex_bcf, bibtex_messages, require_tex

SOURCES = CORPUS / "SOURCES.md"
FILES = sorted(p.name for p in CORPUS.glob("*.bib"))


def file_id(name: str) -> str:
    return name.removesuffix(".bib")


#: Entries of the original the export does not have, per file: key -> why.
#: Each must be missing from the export; every entry an import problem names
#: (skipped) must be here; any other missing entry fails.
#: (None now: the BibDesk file that had an @bibdesk_info block left the corpus.)
KNOWN_SKIPPED: dict[str, dict[str, str]] = {}

_PROBLEM_KEY_RE = re.compile(r": entry '([^']*)': ")


@pytest.mark.parametrize("export_id", list(EXPORTS))
@pytest.mark.parametrize("name", FILES, ids=file_id)
def test_export_keeps_every_entry_and_field(name, export_id):
    imported = corpus_import(name)
    known = KNOWN_SKIPPED.get(name, {})
    unknown = [p for p in imported.problems if (m := _PROBLEM_KEY_RE.search(p)) is None or m.group(1) not in known]
    assert not unknown, f"the import skipped entries not listed in KNOWN_SKIPPED: {unknown}"

    _fmt, opts = EXPORTS[export_id]
    original = (CORPUS / name).read_text(encoding="utf-8-sig")
    diffs = compare(original, imported.exports[export_id], all_fields=opts.get("all_fields", False), skipped=known)
    assert not diffs, shown(diffs, f"{name}, {export_id} export")


# (check id, the export it reads, the runner): bibtex reads the bibtex export,
# biber the biblatex one, as a user of each would write them.
TEX_CHECKS = {
    "bibtex-plainnat": ("bibtex", lambda path: bibtex_messages(path, "plainnat")),
    "biber": ("biblatex", biber_messages),
}


@pytest.mark.tex
@pytest.mark.parametrize("check", list(TEX_CHECKS))
@pytest.mark.parametrize("name", FILES, ids=file_id)
def test_export_compiles_without_new_warnings(name, check, tmp_path):
    require_tex()
    export_id, messages_of = TEX_CHECKS[check]
    exported = tmp_path / "export.bib"
    exported.write_bytes(corpus_import(name).exports[export_id].encode("utf-8"))
    if check == "biber":
        biblatex_bcf()  # made once, before the two runs would both make it
    # The two runs side by side: biber takes most of a minute on the largest files.
    with ThreadPoolExecutor(2) as pool:
        before, after = pool.map(messages_of, [CORPUS / name, exported])
    new = Counter(after) - Counter(before)
    lines = [f"{count} x {message}" if count > 1 else message for message, count in sorted(new.items())]
    assert not new, shown(lines, f"{name}: {check} says of the {export_id} export what it did not of the original")


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
@pytest.mark.parametrize("name", FILES, ids=file_id)
def test_export_import_export_is_byte_identical(name, fmt, tmp_path):
    first = corpus_import(name).exports[fmt].encode("utf-8")
    path = tmp_path / f"first-{fmt}.bib"
    path.write_bytes(first)
    again = import_and_export(path, tmp_path, {fmt: (fmt, {})})
    assert not again.problems, f"the import of the {fmt} export skipped entries: {again.problems}"
    second = again.exports[fmt].encode("utf-8")
    if second != first:
        diff = difflib.unified_diff(
            first.decode("utf-8").splitlines(),
            second.decode("utf-8").splitlines(),
            "first export",
            "second export",
            n=0,
            lineterm="",
        )
        lines = list(diff)[2:]
        pytest.fail(shown(lines, f"{name}: the second {fmt} export differs from the first (unified diff)"))


# ---------------------------------------------------------------- the corpus itself


def _sections(text: str) -> dict[str, str]:
    """File name -> its ``### `name` `` section of SOURCES.md."""
    parts = re.split(r"(?m)^### `([^`]+)`\s*$", text)
    return {parts[i]: parts[i + 1].split("\n## ")[0] for i in range(1, len(parts), 2)}


def _table_counts(text: str) -> dict[str, int]:
    """File name -> entry count, from the table's ``| `name` | 62 (+19 `@string`) |`` rows."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"(?m)^\| `([^`]+\.bib)` \| (\d+)", text)}


def _git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_the_corpus_is_what_sources_md_says():
    text = SOURCES.read_text(encoding="utf-8")
    sections = _sections(text)
    counts = _table_counts(text)
    assert len(FILES) >= 8, FILES
    assert set(sections) == set(FILES), "SOURCES.md sections and the .bib files differ"
    assert set(counts) == set(FILES), "SOURCES.md table rows and the .bib files differ"
    entries = {}
    for name in FILES:
        section = sections[name]
        licence = re.search(r"(?m)^- Licen[cs]e: *(\S.*)$", section)
        assert licence, f"{name}: no '- Licence:' line in SOURCES.md"
        assert re.search(r"(?m)^- Repository: `[^`]+/[^`]+`, path `[^`]+`", section), f"{name}: no repository line"
        blob = re.search(r"blob `([0-9a-f]{40})`", section)
        assert blob, f"{name}: no blob hash in SOURCES.md"
        data = (CORPUS / name).read_bytes()
        assert _git_blob(data) == blob.group(1), f"{name} is not byte for byte the file SOURCES.md names"
        entries[name] = len(bibtexparser.parse_string(data.decode("utf-8-sig"), parse_stack=[]).entries)
    assert entries == counts, "entry counts differ from SOURCES.md's table"
    assert max(entries.values()) > 1000, entries
