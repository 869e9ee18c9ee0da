"""A three-way merge of text, line by line: both people's changes in one text where they changed different lines.

Used when two members of a shared library edited the same note (or a long
field such as an abstract) at once: the conflict dialog offers the merge, it
never applies it by itself.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class _Hunk:
    """Lines ``start:end`` of the base replaced by ``lines`` (an insertion when start == end) by one side."""

    start: int
    end: int
    lines: tuple[str, ...]
    side: int

    def touches(self, other: _Hunk) -> bool:
        """Whether the two changed the same lines (or inserted at the same place, where the order is anyone's guess)."""
        return self.start == other.start or (self.start < other.end and other.start < self.end)

    def same_change(self, other: _Hunk) -> bool:
        return (self.start, self.end, self.lines) == (other.start, other.end, other.lines)


def _hunks(base: list[str], changed: list[str], side: int) -> list[_Hunk]:
    """The changes from ``base`` to ``changed``; lines rewritten one for one are a change each (finer, fewer clashes)."""
    hunks = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, base, changed, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            hunks += [_Hunk(i1 + k, i1 + k + 1, (changed[j1 + k],), side) for k in range(i2 - i1)]
        else:
            hunks.append(_Hunk(i1, i2, tuple(changed[j1:j2]), side))
    return hunks


def merge3(base: str, mine: str, theirs: str) -> str | None:
    """``base`` with the changes of both ``mine`` and ``theirs``, or None when they changed the same lines.

    A change both made alike is taken once. Lines keep their endings as
    written, so a text without a final newline stays without one.
    """
    if mine == theirs or base == theirs:
        return mine
    if base == mine:
        return theirs
    lines = base.splitlines(keepends=True)
    taken: list[_Hunk] = []
    for hunk in sorted(
        _hunks(lines, mine.splitlines(keepends=True), 0) + _hunks(lines, theirs.splitlines(keepends=True), 1),
        key=lambda h: (h.start, h.end, h.side),
    ):
        clashing = [other for other in taken if other.side != hunk.side and other.touches(hunk)]
        if clashing and all(other.same_change(hunk) for other in clashing):
            continue
        if clashing:
            return None
        taken.append(hunk)
    out: list[str] = []
    at = 0
    for hunk in taken:
        out += lines[at : hunk.start]
        out += hunk.lines
        at = hunk.end
    out += lines[at:]
    return "".join(out)
