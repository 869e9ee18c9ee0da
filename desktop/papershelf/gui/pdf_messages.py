"""The one status-bar line that sums up a PDF attach, drop or download: what happened to each file, bounded.

Names are bare file names (the full path goes to the log) and untrusted text is shortened
(:func:`widgets.attachments_view.short`); a line never grows past :data:`MAX_LINE` characters.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .dialogs.errors import one_line
from .widgets.attachments_view import short
from .wording import plural

log = logging.getLogger("papershelf.gui")

#: The longest line said (the status bar's tooltip shows it whole when the bar cuts it).
MAX_LINE = 1500


def problem(path: Path, exc: BaseException) -> str:
    """Why ``path`` was not attached, naming the file by its bare name (the full path is logged)."""
    text = str(exc)
    log.info("%s: %s", path, text)
    for form in {str(path), str(path.absolute())}:
        text = text.replace(form, path.name)
    return one_line(text, 200)


def problems_tail(problems: Sequence[str]) -> str:
    """The problems as the end of a line: the first whole, then how many more."""
    if not problems:
        return ""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return problems[0] + more


def attached_line(
    names: Sequence[str], results: Sequence[tuple[int, bool]], title: str, problems: Sequence[str]
) -> str:
    """After Attach PDF… or a drop on a paper: "Attached 2 PDFs to “Title”." (with those it had, and problems)."""
    new = [name for name, (_aid, attached) in zip(names, results, strict=True) if attached]
    had = len(results) - len(new)
    paper = f"“{short(title, 60)}”" if title else "the paper"
    parts = []
    if new:
        what = short(new[0], 80) if len(new) == 1 else plural(len(new), "PDF")
        parts.append(f"Attached {what} to {paper}")
    if had:
        parts.append(
            f"{'the paper ' if title else ''}{paper} has this PDF already"
            if had == 1 and not new
            else f"it had {had} already"
        )
    line = "; ".join(parts)
    if problems:
        line += f"; {len(problems)} not attached: {problems_tail(problems)}"
    return _bounded(line[0].upper() + line[1:] + ".")


def dropped_line(outcomes: Sequence[tuple[str, Any, Any]], problems: Sequence[str]) -> str:
    """After a drop below the rows: ``outcomes`` are (file name, Dropped, the operation's result) for each file.

    One file is said as before ("x.pdf: added as a new paper."); several are counted
    ("40 PDFs added as new papers", "3 attached, 1 added as a new paper").
    """
    created = [o for o in outcomes if o[1].created]
    attached = [o for o in outcomes if not o[1].created and o[2][1]]
    had = [o for o in outcomes if not o[1].created and not o[2][1]]
    if len(outcomes) == 1 and not problems:
        name, dropped, _result = outcomes[0]
        how = f" (its {dropped.matched_by})" if dropped.matched_by else ""
        if created:
            return f"{short(name, 80)}: added as a new paper."
        if attached:
            return f"{short(name, 80)}: attached to its paper{how}."
        return f"{short(name, 80)}: its paper{how} has this PDF already."
    only = sum(1 for group in (created, attached, had) if group) == 1
    parts = []
    if attached:
        parts.append(
            f"{plural(len(attached), 'PDF')} attached to their papers" if only else f"{len(attached)} attached"
        )
    if created:
        if only:
            parts.append(
                f"{plural(len(created), 'PDF')} added as new papers"
                if len(created) > 1
                else "1 PDF added as a new paper"
            )
        else:
            parts.append(f"{len(created)} added as {'a new paper' if len(created) == 1 else 'new papers'}")
    if had:
        parts.append(
            f"their papers had these {plural(len(had), 'PDF')} already" if only else f"{len(had)} already attached"
        )
    line = ", ".join(parts)
    if problems:
        line = (line + "; " if line else "") + f"{len(problems)} not added: {problems_tail(problems)}"
    return _bounded(line[0].upper() + line[1:] + ".")


def download_failures(failed: Sequence[Any]) -> str:
    """Failed downloads, after "Could not download N PDFs" or "N failed": each paper's arXiv id first (seen in a
    narrow window), then each with why ("2509.90001: HTTP 404; 2509.90002: …"), bounded."""
    details = [failure(failed[0])]
    size = len(details[0])
    for result in failed[1:]:
        text = failure(result, 80)
        if size + len(text) > MAX_LINE - 300:
            details.append(f"and {len(failed) - len(details)} more")
            break
        details.append(text)
        size += len(text) + 2
    if len(failed) == 1:
        return ": " + details[0]
    ids = [_paper(r) for r in failed[:6]]
    shown = ", ".join(ids[:5]) + (", …" if len(failed) > 5 else "")
    return f" ({shown}): " + "; ".join(details)


def _paper(result: Any) -> str:
    return result.arxiv_id or f"paper {result.paper_id}"


def failure(result: Any, limit: int = 200) -> str:
    """One failed download: the arXiv id (what the user knows the paper by), then why."""
    return f"{_paper(result)}: {one_line(result.message, limit)}"


def _bounded(line: str) -> str:
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"
