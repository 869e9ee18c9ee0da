"""The import preview lists merges, possible duplicates, warnings and skipped entries, each for what it is."""

from __future__ import annotations

from .conftest import wait_preview


def test_the_preview_tells_warnings_from_skipped_entries(window, qtbot, tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text(
        "@misc{a, title = {Introduction}, booktitle = ijcai, year = 2020}\n"
        "@misc{b, title = {Introduction}, year = 2020}\n"
        "@misc{broken title = {B}, year = 2020}\n",
        encoding="utf-8",
    )
    window.import_flow.import_paths([path])
    preview = wait_preview(qtbot, window)
    assert preview.new_label.text() == "2"
    assert preview.problems.toPlainText().splitlines() == [
        "possible duplicate: b (line 2) looks like a (line 1)",
        f"warning: {path}: line 1: entry 'a': field 'booktitle': undefined @string 'ijcai' (kept as text)",
        f"skipped: {path}: line 3: entry 'broken': not imported: no comma after the citation key",
    ]
    assert preview.status.text().endswith("; 1 entry will be skipped.")  # the warning is not a skip
    preview.reject()
