"""Undoable changes: each command records what it needs to put things back.

A command does its work in :meth:`redo` (QUndoStack calls it on push). If the
library refuses the change, the command reports the error and marks itself
obsolete, so the stack drops it and Undo never tries to reverse a change that
did not happen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core.display import visible

if TYPE_CHECKING:
    from ..core.library import Library
    from ..core.operations import Operation, Outcome
    from ..core.records import Note
    from .operations import OperationRunner

#: Tell the views what changed: (paper ids, whether sidebar counts may change, whether notes changed).
Notify = Callable[[list[int], bool, bool], None]
OnError = Callable[[BaseException, str], None]


def _papers(n: int) -> str:
    return f"{n} paper{'s' if n != 1 else ''}"


class LibraryCommand(QUndoCommand):
    sidebar = True
    notes = False

    def __init__(self, text: str, library: Library, ids: list[int], notify: Notify, on_error: OnError):
        super().__init__(text)
        self.library = library
        self.ids = list(dict.fromkeys(ids))
        self._notify = notify
        self._on_error = on_error

    def do(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError

    def _run(self, step: Callable[[], None], first: bool) -> None:
        try:
            step()
        except Exception as exc:
            import traceback

            if first:
                self.setObsolete(True)
            self._on_error(exc, traceback.format_exc())
        self._notify(self.ids, self.sidebar, self.notes)

    _done_once = False

    def redo(self) -> None:
        first = not self._done_once
        self._done_once = True
        self._run(self.do, first)

    def undo(self) -> None:
        self._run(self.revert, False)


class SetStatusCommand(LibraryCommand):
    def __init__(self, library: Library, ids: list[int], status: str, notify: Notify, on_error: OnError):
        super().__init__(f"Mark {_papers(len(set(ids)))} {status}", library, ids, notify, on_error)
        self.status = status
        self.before: dict[int, tuple[str, dt.datetime | None]] = {
            p.id: (p.status, p.read_at) for p in library.iter_papers(self.ids)
        }

    def do(self) -> None:
        self.library.set_status(self.ids, self.status)

    def revert(self) -> None:
        self.library.restore_status(self.before)


class SetPriorityCommand(LibraryCommand):
    sidebar = False

    def __init__(self, library: Library, ids: list[int], priority: int, notify: Notify, on_error: OnError):
        label = f"priority {priority}" if priority else "no priority"
        super().__init__(f"Set {_papers(len(set(ids)))} to {label}", library, ids, notify, on_error)
        self.priority = priority
        self.before = {pid: row.priority for pid, row in library.rows(self.ids).items()}

    def do(self) -> None:
        self.library.set_priority(self.ids, self.priority)

    def revert(self) -> None:
        groups: dict[int, list[int]] = {}
        for pid, priority in self.before.items():
            groups.setdefault(priority, []).append(pid)
        for priority, ids in groups.items():
            self.library.set_priority(ids, priority)


class AddTagsCommand(LibraryCommand):
    def __init__(self, library: Library, ids: list[int], tags: list[str], notify: Notify, on_error: OnError):
        super().__init__(
            f"Tag {_papers(len(set(ids)))} with {visible(', '.join(tags))}", library, ids, notify, on_error
        )
        self.tags = list(tags)
        self.before = {pid: {t.casefold() for t in names} for pid, names in library.tag_sets(self.ids).items()}

    def do(self) -> None:
        self.library.add_tags(self.ids, self.tags)

    def revert(self) -> None:
        for tag in self.tags:
            lacking = [pid for pid in self.ids if tag.casefold() not in self.before.get(pid, set())]
            if lacking:
                self.library.remove_tags(lacking, [tag])


class RemoveTagsCommand(LibraryCommand):
    def __init__(self, library: Library, ids: list[int], tags: list[str], notify: Notify, on_error: OnError):
        super().__init__(
            f"Remove {visible(', '.join(tags))} from {_papers(len(set(ids)))}", library, ids, notify, on_error
        )
        self.tags = list(tags)
        self.before = library.tag_sets(self.ids)

    def do(self) -> None:
        self.library.remove_tags(self.ids, self.tags)

    def revert(self) -> None:
        for tag in self.tags:
            for pid, names in self.before.items():
                # Put back the tag with the spelling the paper had.
                for name in names:
                    if name.casefold() == tag.casefold():
                        self.library.add_tags([pid], [name])


class AddToListCommand(LibraryCommand):
    def __init__(
        self, library: Library, name: str, ids: list[int], notify: Notify, on_error: OnError, *, create: bool = False
    ):
        super().__init__(f"Add {_papers(len(set(ids)))} to {visible(name)}", library, ids, notify, on_error)
        self.name = name
        self.created = create and all(n != " ".join(name.split()) for n, _ in library.lists())
        self.before = set() if self.created else set(library.list_paper_ids(name))

    def do(self) -> None:
        self.library.add_to_list(self.name, self.ids, create=self.created)

    def revert(self) -> None:
        if self.created:
            self.library.delete_list(self.name)
            return
        added = [pid for pid in self.ids if pid not in self.before]
        if added:
            self.library.remove_from_list(self.name, added)


class DeletePapersCommand(LibraryCommand):
    """Delete papers; undo puts them back exactly, notes, tags and list places included."""

    notes = True

    def __init__(self, library: Library, ids: list[int], notify: Notify, on_error: OnError):
        super().__init__(f"Delete {_papers(len(set(ids)))}", library, ids, notify, on_error)
        self.removed: dict | None = None

    def do(self) -> None:
        self.removed = self.library.delete_papers(self.ids)

    def revert(self) -> None:
        if self.removed is not None:
            self.library.restore_papers(self.removed)


class DeleteListCommand(LibraryCommand):
    """Delete a reading list; undo brings it back with its papers in their order.

    Undoable so that earlier commands on the stack that name the list (adding
    papers to it) still find it when they are undone in turn.
    """

    def __init__(self, library: Library, name: str, notify: Notify, on_error: OnError):
        members = library.list_paper_ids(name)
        super().__init__(f"Delete the reading list {visible(name)}", library, members, notify, on_error)
        self.name = name

    def do(self) -> None:
        self.library.delete_list(self.name)

    def revert(self) -> None:
        self.library.create_list(self.name)
        if self.ids:
            self.library.add_to_list(self.name, self.ids)


class RemoveFromListCommand(LibraryCommand):
    def __init__(self, library: Library, name: str, ids: list[int], notify: Notify, on_error: OnError):
        super().__init__(f"Remove {_papers(len(set(ids)))} from {visible(name)}", library, ids, notify, on_error)
        self.name = name
        wanted = set(self.ids)
        # In list order, so undo appends them back in the order they had.
        self.removed = [pid for pid in library.list_paper_ids(name) if pid in wanted]

    def do(self) -> None:
        self.library.remove_from_list(self.name, self.ids)

    def revert(self) -> None:
        if self.removed:
            self.library.add_to_list(self.name, self.removed)


class DeleteNoteCommand(LibraryCommand):
    notes = True

    def __init__(self, library: Library, note_id: int, paper_id: int, notify: Notify, on_error: OnError):
        super().__init__("Delete note", library, [paper_id], notify, on_error)
        self.note_id = note_id
        self.note: Note | None = None

    def do(self) -> None:
        self.note = self.library.delete_note(self.note_id)

    def revert(self) -> None:
        if self.note is not None:
            self.library.restore_note(self.note)


class OperationCommand(QUndoCommand):
    """One core operation on the undo stack.

    Redo and undo each queue one operation on the writer thread: first the
    operation itself, then its inverse, then the inverse's inverse. The sides
    live in a plain object the writer thread updates as each lands, so an undo
    pressed before the change itself was saved runs after it, with its inverse.
    If the change is refused the first time, it is reported and dropped from
    the stack, so Undo never claims to reverse a change that did not happen.
    """

    def __init__(
        self,
        runner: OperationRunner,
        library: Library,
        operation: Operation,
        on_error: OnError,
        on_done: Callable[[Outcome], None] | None = None,
    ):
        super().__init__(visible(operation.label))
        self._runner = runner
        self._library = library
        self._sides = _Sides(operation)
        self._on_error = on_error
        self._on_done = on_done
        self._first = True

    def redo(self) -> None:
        first, self._first = self._first, False
        sides = self._sides
        self._runner.submit(
            self._library,
            sides.forward,
            on_done=self._on_done if first else None,
            on_error=self._refused if first else self._on_error,
        )

    def undo(self) -> None:
        if self.isObsolete():
            return
        self._runner.submit(self._library, self._sides.backward, on_error=self._on_error)

    def _refused(self, exc: BaseException, details: str) -> None:
        on_error, stack = self._on_error, self._stack
        self.setObsolete(True)
        if stack is not None and stack.index() > 0 and stack.command(stack.index() - 1) is self:
            stack.undo()  # the stack drops an obsolete command as it undoes it (self is gone after this)
        on_error(exc, details)

    _stack: QUndoStack | None = None

    def push_to(self, stack: QUndoStack) -> None:
        """Push onto ``stack`` (which applies it)."""
        self._stack = stack
        stack.push(self)


class _Sides:
    """What redo and undo apply next; changed only by the writer thread, one job at a time."""

    def __init__(self, operation: Operation):
        self.next_forward: Operation | None = operation
        self.next_backward: Operation | None = None

    # A side is cleared only once it has landed: the runner tries again after a busy lock.

    def forward(self, library: Library) -> Outcome | None:
        operation = self.next_forward
        if operation is None:
            return None  # its undo failed, so it is still done
        outcome = library.run(operation)
        self.next_forward, self.next_backward = None, outcome.inverse
        return outcome

    def backward(self, library: Library) -> Outcome | None:
        operation = self.next_backward
        if operation is None:
            return None  # the change itself was refused: nothing to put back
        outcome = library.run(operation)
        self.next_backward, self.next_forward = None, outcome.inverse
        return outcome
