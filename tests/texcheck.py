"""Run the real TeX tools on a .bib file, like /work/shared/tools/check-bib.

``check_bib(path)`` returns every problem as one line; an empty list means
clean. The checks, in order:

* encoding: valid UTF-8, and pure ASCII unless ``utf8`` or ``unicode_ok``;
* ``biber --tool --validate-datamodel`` (parsing and biblatex's data model);
* bibtex + pdflatex with plain, abbrv, alpha and plainnat (skipped with
  ``utf8``: 8-bit bibtex mangles multi-byte letters);
* biblatex + biber (``--validate-datamodel``) + pdflatex, T1 font encoding;
* bibtexparser v2 and pybtex (strict) agree on the number of entries;
* a lint for unescaped LaTeX specials, unbalanced braces, unprotected
  capitals in titles and verbatim fields that are not verbatim.

``unicode_ok`` is for text with characters pdflatex cannot print with T1
(CJK, Cyrillic, emoji, Vietnamese after biber decodes it): the file may hold
UTF-8, and pdflatex's "Unicode character ... not set up" errors are not
counted; every bibtex and biber message and every other LaTeX error still is
(an "Invalid UTF-8" in a .bbl means bibtex cut a character in two).

Tests call :func:`require_tex` first: it skips when the tools are missing,
unless ``PAPERSHELF_REQUIRE_TEX=1`` makes that a failure.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

TOOLS = ("pdflatex", "bibtex", "biber", "kpsewhich")
BIBTEX_STYLES = ("plain", "abbrv", "alpha", "plainnat")
VERBATIM_FIELDS = {"url", "doi", "eprint", "file", "pdf", "urlraw", "verba", "verbb", "verbc"}
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:.+/-]*$")
# Errors and warnings in a LaTeX log that mean the bibliography is broken.
_TEX_ERROR_RE = re.compile(
    r"^! |LaTeX Warning: (Citation|Reference)|There were undefined references|"
    r"Package (biblatex|natbib) Warning|Missing character|not set up for use|Invalid UTF-8"
)
# pdflatex has no glyph for a character (T1 has no CJK): the engine's limit, not the file's.
# (The error's second line is matched on its own too.)
_UNPRINTABLE_RE = re.compile(r"latex: (! LaTeX Error: Unicode character .* )?not set up for use with LaTeX")
_BIBTEX_NOISE_RE = re.compile(r"^(This is BibTeX|The top-level auxiliary|The style file|Database file|Reallocat)")


def tex_missing() -> str | None:
    """Why the real tools cannot run here, or None if they can."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        return f"TeX tools not installed: {', '.join(missing)}"
    for sty in ("biblatex.sty", "plainnat.bst", "url.sty"):
        found = subprocess.run(["kpsewhich", sty], capture_output=True, text=True).stdout.strip()
        if not found:
            return f"TeX package file {sty} not found (texlive-bibtex-extra / biblatex missing)"
    return None


def require_tex() -> None:
    """Skip the calling test without the TeX tools (fail if PAPERSHELF_REQUIRE_TEX=1)."""
    reason = tex_missing()
    if reason is None:
        return
    if os.environ.get("PAPERSHELF_REQUIRE_TEX") == "1":
        pytest.fail(f"{reason} (PAPERSHELF_REQUIRE_TEX=1)")
    pytest.skip(reason)


def check_bib(path: str | os.PathLike[str], utf8: bool = False, *, unicode_ok: bool = False) -> list[str]:
    """Problems the real tools and parsers find in ``path``; empty means clean.

    ``utf8`` is the biblatex profile: raw UTF-8 allowed, bibtex passes skipped.
    ``unicode_ok``: see the module docstring. Each problem starts with the
    check's name, e.g. ``bibtex/plain: Warning--...``.
    """
    src = Path(path)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="texcheck-") as tmp:
        work = Path(tmp)
        shutil.copy(src, work / "refs.bib")
        env = dict(os.environ, HOME=str(work), TEXMFVAR=str(work / "texmf-var"))
        problems += _check_encoding(src.read_bytes(), utf8 or unicode_ok)
        problems += _check_biber_tool(work, env)
        if not utf8:
            for style in BIBTEX_STYLES:
                problems += _check_bibtex(work, env, style)
        problems += _check_biblatex(work, env)
        if unicode_ok:
            problems = [p for p in problems if not _UNPRINTABLE_RE.search(p)]
        problems += _check_python(src.read_text(encoding="utf-8", errors="replace"), work / "biber_tool_out.bib")
    return problems


def _run(cmd: list[str], work: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, errors="replace", timeout=600)


def _check_encoding(data: bytes, utf8: bool) -> list[str]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [f"encoding: not valid UTF-8 ({exc})"]
    if not utf8:
        for number, line in enumerate(text.splitlines(), 1):
            if not line.isascii():
                return [f"ascii: non-ASCII character in line {number}: {line.strip()[:70]!r}"]
    return []


def _biber_messages(output: str, work: Path) -> list[str]:
    return [line.replace(str(work) + "/", "") for line in output.splitlines() if re.match(r"^(WARN|ERROR)", line)]


def _check_biber_tool(work: Path, env: dict) -> list[str]:
    done = _run(
        [
            "biber",
            "--tool",
            "--validate-datamodel",
            "--nolog",
            f"--output-directory={work}",
            "--output-file=biber_tool_out.bib",
            "refs.bib",
        ],
        work,
        env,
    )
    problems = [f"biber-tool: {m}" for m in _biber_messages(done.stdout + done.stderr, work)]
    if done.returncode:
        problems.append(f"biber-tool: exit status {done.returncode}")
    return problems


def _tex_log_errors(log: Path, *, skip_biber_echo: bool = False) -> list[str]:
    """Error lines in a LaTeX log, each with the line after it for context."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return [f"{log.name}: no log written"]
    out = []
    for i, line in enumerate(lines):
        if not _TEX_ERROR_RE.search(line):
            continue
        context = " ".join(lines[i : i + 3])
        # biblatex repeats each biber warning in the log; biber's own line is reported.
        if skip_biber_echo and "Biber reported the following issues" in context:
            continue
        out.append(" ".join(context.split())[:200])
    return out


def _pdflatex(work: Path, env: dict, name: str) -> None:
    _run(["pdflatex", "-draftmode", "-interaction=nonstopmode", f"{name}.tex"], work, env)


def latex_document(preamble: list[str], bibliography: list[str]) -> str:
    """A document that cites every entry of ``refs.bib``; ``bibliography`` prints them."""
    return "\n".join(
        [
            r"\documentclass{article}",
            r"\usepackage[T1]{fontenc}",
            *preamble,
            r"\begin{document}",
            r"\nocite{*}",
            *bibliography,
            r"\end{document}",
            "",
        ]
    )


def natbib_for(style: str) -> str:
    """plainnat needs natbib; the other styles nothing (an empty preamble line)."""
    return r"\usepackage[numbers]{natbib}" if style == "plainnat" else ""


def bibtex_bibliography(style: str) -> list[str]:
    return [rf"\bibliographystyle{{{style}}}", r"\bibliography{refs}"]


def biblatex_preamble(options: str) -> list[str]:
    return [rf"\usepackage[{options}]{{biblatex}}", r"\addbibresource{refs.bib}"]


BIBLATEX_BIBLIOGRAPHY = [r"\printbibliography"]


def _check_bibtex(work: Path, env: dict, style: str) -> list[str]:
    name = f"bt_{style}"
    (work / f"{name}.tex").write_text(
        latex_document([r"\usepackage{url}", natbib_for(style)], bibtex_bibliography(style))
    )
    _pdflatex(work, env, name)
    done = _run(["bibtex", name], work, env)
    _pdflatex(work, env, name)
    _pdflatex(work, env, name)
    messages = [line for line in done.stdout.splitlines() if line.strip() and not _BIBTEX_NOISE_RE.match(line)]
    # "(There were 3 warnings)" only counts the lines already reported.
    messages = [line for line in messages if not re.match(r"^\(There (was|were) \d+ (warning|error)", line)]
    problems = [f"bibtex/{style}: {m}" for m in messages]
    if done.returncode and not messages:
        problems.append(f"bibtex/{style}: exit status {done.returncode}")
    problems += [f"bibtex/{style}: latex: {m}" for m in _tex_log_errors(work / f"{name}.log")]
    return problems


def _check_biblatex(work: Path, env: dict) -> list[str]:
    (work / "blx.tex").write_text(
        latex_document(biblatex_preamble("backend=biber,style=numeric"), BIBLATEX_BIBLIOGRAPHY)
    )
    _pdflatex(work, env, "blx")
    done = _run(["biber", "--validate-datamodel", "blx"], work, env)
    _pdflatex(work, env, "blx")
    _pdflatex(work, env, "blx")
    problems = [f"biblatex/biber: {m}" for m in _biber_messages(done.stdout + done.stderr, work)]
    if done.returncode:
        problems.append(f"biblatex/biber: exit status {done.returncode}")
    problems += [f"biblatex/latex: {m}" for m in _tex_log_errors(work / "blx.log", skip_biber_echo=True)]
    return problems


# ---------------------------------------------------------------- parsers and lint


def _check_python(text: str, biber_out: Path) -> list[str]:
    import bibtexparser
    import pybtex.errors
    from pybtex.database import parse_string as pybtex_parse

    problems: list[str] = []
    non_entries = {"comment", "string", "preamble"}
    counts: dict[str, object] = {
        "raw-scan": sum(
            1
            for m in re.finditer(r"(?m)^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(]", text)
            if m.group(1).lower() not in non_entries
        )
    }
    if biber_out.exists():
        out = biber_out.read_text(encoding="utf-8", errors="replace")
        counts["biber"] = sum(1 for t in re.findall(r"(?m)^@([A-Za-z]+)\{", out) if t.lower() not in non_entries)
    library = bibtexparser.parse_string(text)
    counts["bibtexparser2"] = len(library.entries)
    for block in library.failed_blocks:
        first = block.raw.strip().splitlines()[0][:70] if block.raw else ""
        problems.append(f"bibtexparser: {type(block).__name__} at line {block.start_line + 1}: {first}")
    pybtex.errors.set_strict_mode(True)
    try:
        counts["pybtex"] = len(pybtex_parse(text, "bibtex").entries)
    except Exception as exc:  # any parse failure is the finding
        counts["pybtex"] = "error"
        problems.append(f"pybtex: {type(exc).__name__}: {str(exc)[:150]}")
    if len(set(counts.values())) != 1:
        problems.append(f"python: entry counts differ: {counts}")
    for entry in library.entries:
        if not KEY_RE.match(entry.key):
            problems.append(f"lint: {entry.key!r}: citation key should match {KEY_RE.pattern}")
        for field in entry.fields:
            problems += [
                f"lint: {entry.key}: {field.key.lower()}: {p}" for p in lint_field(field.key.lower(), str(field.value))
            ]
    return problems


def lint_field(name: str, value: str) -> list[str]:
    """check-bib's lint for one field value (as bibtexparser returns it)."""
    if name in VERBATIM_FIELDS:
        out = []
        if re.search(r"\s", value.strip()):
            out.append("verbatim field contains white space")
        if re.search(r"[\\{}]", value):
            out.append(f"verbatim field contains LaTeX markup/escapes: {value[:60]!r}")
        return out
    out = _lint_value(value)
    if re.search(r"\\[`'^\"~=.uvHcdbkr]\s*\{?\\[ij]\b", value):
        out.append("accent on dotless \\i/\\j (biber makes it a combining accent pdflatex rejects)")
    if name == "title":
        if re.search(r"\\[{}]", value):
            out.append("title contains escaped braces \\{ \\}")
        caps = unprotected_capitals(value)
        if caps:
            out.append(f"capitals not brace-protected: {', '.join(caps)}")
    return out


def _lint_value(value: str) -> list[str]:
    problems, depth, math, i = set(), 0, False, 0
    while i < len(value):
        c = value[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                problems.add("unbalanced '}'")
                depth = 0
        elif c == "$":
            math = not math
        elif c in "&%#":
            problems.add(f"unescaped '{c}'")
        elif c in "_^" and not math:
            problems.add(f"unescaped '{c}' outside math")
        i += 1
    if depth:
        problems.add("unbalanced '{'")
    if math:
        problems.add("unbalanced '$'")
    return sorted(problems)


def unprotected_capitals(title: str) -> list[str]:
    """Words at brace depth 0 with a capital after their first letter."""
    depth, buf = 0, []
    for c in title + " ":
        if c == "{":
            depth += 1
            buf.append(" ")
        elif c == "}":
            depth -= 1
            buf.append(" ")
        else:
            buf.append(c if depth == 0 else " ")
    return [
        w
        for w in re.split(r"[\s\-/:;,.()]+", "".join(buf))
        if re.search(r"^[A-Za-z0-9]+$", w) and re.search(r".[A-Z]", w)
    ]


# ---------------------------------------------------------------- messages, for comparing two files

#: Lines of a bibtex run that are not messages: its banner, a count of what was
#: said already, the " : " lines quoting the source around an error, and the
#: "--line 12 of file refs.bib" a warning is followed by.
_BIBTEX_NOT_MESSAGE_RE = re.compile(r"^\(There (was|were) \d+ (warning|error)|^ : |^--line \d+ of file ")


def normalise_message(line: str) -> str:
    """A bibtex or biber message without what differs between two runs on the same entries.

    Line numbers, file names and paths go (biber names its temporary UTF-8
    copy of the file, a path with a process id), and runs of white space collapse.
    """
    line = re.sub(r"---line \d+ of file \S+", "", line)
    line = re.sub(r"\bline \d+", "line N", line)
    line = re.sub(r"(?<![\w.:/])/[^\s,'\"()]+", "<path>", line)
    line = re.sub(r"[\w.-]+\.(bib|aux|bcf|utf8)\b", "<file>", line)
    return " ".join(line.split())


def _work_env(work: Path) -> dict:
    return dict(os.environ, HOME=str(work), TEXMFVAR=str(work / "texmf-var"))


def bibtex_messages(bib_path: str | os.PathLike[str], style: str = "plainnat") -> list[str]:
    """Every warning and error bibtex gives for ``\\nocite{*}`` of ``bib_path`` in ``style``, normalised.

    No LaTeX run: bibtex reads only an .aux with ``\\citation{*}``,
    ``\\bibdata`` and ``\\bibstyle``. A fatal stop (exit status 3) is a
    message too. See :func:`normalise_message`.
    """
    with tempfile.TemporaryDirectory(prefix="texcheck-") as tmp:
        work = Path(tmp)
        shutil.copy(bib_path, work / "refs.bib")
        (work / "refs.aux").write_text(f"\\citation{{*}}\n\\bibdata{{refs}}\n\\bibstyle{{{style}}}\n")
        done = _run(["bibtex", "refs"], work, _work_env(work))
    messages = [
        normalise_message(line)
        for line in done.stdout.splitlines()
        if line.strip() and not _BIBTEX_NOISE_RE.match(line) and not _BIBTEX_NOT_MESSAGE_RE.match(line)
    ]
    if done.returncode >= 3:
        messages.append(f"bibtex exit status {done.returncode}")
    return messages


#: The biblatex options of the document :func:`biber_messages` reads the file for.
BIBER_OPTIONS = "backend=biber,style=numeric"


@functools.cache
def biblatex_bcf(options: str = BIBER_OPTIONS) -> str:
    """The .bcf a biblatex document citing every entry of ``refs.bib`` gives biber (one pdflatex run, once)."""
    with tempfile.TemporaryDirectory(prefix="texcheck-") as tmp:
        work = Path(tmp)
        (work / "blx.tex").write_text(latex_document(biblatex_preamble(options), BIBLATEX_BIBLIOGRAPHY))
        _pdflatex(work, _work_env(work), "blx")
        bcf = work / "blx.bcf"
        if not bcf.exists():
            log = work / "blx.log"
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else "(no log)"
            raise RuntimeError(f"pdflatex wrote no blx.bcf:\n{tail}")
        return bcf.read_text(encoding="utf-8")


def biber_messages(bib_path: str | os.PathLike[str], options: str = BIBER_OPTIONS) -> list[str]:
    """Every WARN and ERROR line of ``biber --validate-datamodel`` on ``bib_path``, normalised.

    biber reads the file for a biblatex document (``options``) with
    ``\\nocite{*}``, whose .bcf is made once per process (:func:`biblatex_bcf`).
    An exit status other than 0 or 2 (errors reported) is a message too.
    """
    bcf = biblatex_bcf(options)
    with tempfile.TemporaryDirectory(prefix="texcheck-") as tmp:
        work = Path(tmp)
        shutil.copy(bib_path, work / "refs.bib")
        (work / "blx.bcf").write_text(bcf, encoding="utf-8")
        done = _run(["biber", "--validate-datamodel", "blx"], work, _work_env(work))
    output = (done.stdout + done.stderr).replace(str(work) + "/", "")
    messages = [normalise_message(line) for line in output.splitlines() if re.match(r"^(WARN|ERROR)", line)]
    if done.returncode not in (0, 2):
        messages.append(f"biber exit status {done.returncode}")
    return messages
