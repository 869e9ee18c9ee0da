"""What an adversarial review of the lossless round trip found (issue 12), one test each.

Each .bib here is the reviewer's reproduction, cut to the entry that shows it.
"""

from __future__ import annotations

import re

import bibtexparser
import pytest

from papershelf.core import exporters
from papershelf.core import operations as ops

# What TeX would run: the commands and escapes the exporter must never write as TeX.
RUNS = re.compile(r"\^\^|\\(?:input|InputIfFileExists|UseName|ExplSyntaxOn|file_input)")


def export(library, ids=None, **opts) -> str:
    ids = library.search_ids("") if ids is None else ids
    return "".join(exporters.render(library.iter_papers(library.bibtex_order(ids)), "bibtex", **opts))


def resolved(text: str) -> dict[str, dict[str, str]]:
    """key -> field -> value as bibtex reads it: every @string (nested ones and months too) and # join resolved.

    bibtexparser's own resolution stops at a @string made of another, so the
    export is read back by Papershelf's importer, which evaluates like bibtex.
    """
    from papershelf.core.importers.bibtex import read_bibtex

    return {r.citation_key or "": {**r.extra_fields, "title": r.title} for r in read_bibtex(text, "export").records}


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "entry",
    [
        '@article{concat, title = "\\in" # "put{secret.tex}", year = 2020}',
        '@string{inp = "\\inp"}\n@article{viastring, title = inp # "ut{secret.tex}", year = 2020}',
        '@article{caret, title = "^" # "^5cinput{secret.tex}", year = 2020}',
        "@article{expl, title = {\\ExplSyntaxOn \\file_input:n {secret.tex} \\ExplSyntaxOff}, year = 2020}",
        "@article{usename, title = {\\UseName{input}{secret.tex}}, year = 2020}",
        "@article{ifexists, title = {\\InputIfFileExists{secret.tex}{}{}}, year = 2020}",
    ],
)
def test_tex_assembled_from_parts_is_never_written_as_tex(library, tmp_path, entry):
    library.import_file(write(tmp_path, "evil.bib", entry + "\n"))
    report = exporters.ExportReport()
    text = export(library, report=report)
    # Neither in the file as written nor in the values as bibtexparser joins them.
    assert not RUNS.search(text)
    joined = [str(f.value) for e in bibtexparser.parse_string(text).entries for f in e.fields]
    assert [v for v in joined if RUNS.search(v)] == []
    assert len(report.not_as_written) == 1


def test_a_key_with_a_character_code_escape_gets_a_generated_key(library, tmp_path):
    result = library.import_file(write(tmp_path, "k.bib", "@article{x^^5cinput^^7bs^^7d, title = {T}, year = 2020}\n"))
    assert "the character '^'" in result.warnings[0]
    [entry] = bibtexparser.parse_string(export(library)).entries
    assert "^" not in entry.key


def test_a_string_that_differs_one_level_down_keeps_each_entrys_meaning(library, tmp_path):
    common = '@string{jn = pub # " Journal"}\n'
    library.import_file(
        write(tmp_path, "one.bib", '@string{pub = "One"}\n' + common + "@article{first, title = {F}, journal = jn}\n")
    )
    library.import_file(
        write(tmp_path, "two.bib", '@string{pub = "Two"}\n' + common + "@article{second, title = {S}, journal = jn}\n")
    )
    values = resolved(export(library))
    assert (values["first"]["journal"], values["second"]["journal"]) == ("One Journal", "Two Journal")


def test_a_month_redefined_in_one_file_does_not_change_another_files_month(library, tmp_path):
    library.import_file(write(tmp_path, "a.bib", '@string{jun = "Junio"}\n@article{d1, title = {A}, month = jun}\n'))
    library.import_file(write(tmp_path, "b.bib", "@article{d2, title = {B}, year = 2021, month = jun}\n"))
    text = export(library)
    assert "@string{jun" not in text.lower()  # d1's month is written from its value, not by redefining jun
    assert resolved(text)["d2"]["month"] == "jun"  # the macro itself, which every style prints as June


def test_a_string_chain_of_any_depth_is_written_whole(library, tmp_path):
    chain = '@string{s0 = "Journal of "}\n' + "".join(f'@string{{s{n} = s{n - 1} # ""}}\n' for n in range(1, 150))
    library.import_file(write(tmp_path, "deep.bib", chain + '@article{deep, title = {D}, journal = s149 # "Things"}\n'))
    assert resolved(export(library))["deep"]["journal"] == "Journal of Things"


def test_renaming_a_crossref_parent_keeps_its_children_pointing_at_it(library, tmp_path):
    library.import_file(
        write(
            tmp_path,
            "x.bib",
            "@inproceedings{child1, author = {A. Child}, title = {Child One}, crossref = {Proc20}}\n"
            "@inproceedings{xr, author = {F. X}, title = {With Xref}, xref = {proc20}, booktitle = {Proc}}\n"
            "@proceedings{proc20, editor = {B. Editor}, title = {Proceedings of Twenty}, year = 2020}\n",
        )
    )
    parent = library.resolve("proc20")
    undo = library.run(ops.SetCitationKey(parent, "proc2020new")).inverse
    child = library.resolve("child1")
    entries = bibtexparser.parse_string(export(library, ids=[child])).entries
    assert [e.key for e in entries] == ["child1", "proc2020new"]
    assert entries[0].fields_dict["crossref"].value == "proc2020new"
    assert resolved(export(library))["xr"]["xref"] == "proc2020new"
    library.run(undo)
    assert "  crossref = {Proc20}" in export(library)  # back as it was written


def test_a_file_made_to_be_slow_to_decode_is_bounded(library, tmp_path):
    from papershelf.core.importers.bibtex import MAX_DECODE_TOTAL

    value = "{\\'e}" * (60000 // 5)
    count = MAX_DECODE_TOTAL // len(value) + 3
    text = "".join(f"@misc{{s{j}, title = {{T{j}}}, note = {{{value}}}}}\n" for j in range(count))
    result = library.import_file(write(tmp_path, "slow.bib", text))
    assert result.added == count
    assert any("of LaTeX to decode; the rest is shown as written" in w for w in result.warnings)
    # Kept, and written back as it came.
    assert f"  note = {{{value}}}" in export(library)
