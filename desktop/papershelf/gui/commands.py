"""The undo stack's entries: each one a core operation whose redo and undo run on the writer thread.

An entry applies its operation when pushed; undo applies the inverse the
operation returned, redo the inverse's inverse. Each side is one transaction
(``core/operations.py``), so a crash mid-undo leaves nothing half done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core.display import visible

if TYPE_CHECKING:
    from ..core.library import Library
    from ..core.operations import Operation, Outcome
    from .operations import OperationRunner

OnError = Callable[[BaseException, str], None]


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

    @classmethod
    def already_done(
        cls, runner: OperationRunner, library: Library, label: str, inverse: Operation, on_error: OnError
    ) -> OperationCommand:
        """An entry for a change made elsewhere (an import, with its progress dialog): pushing it applies nothing."""
        command = cls(runner, library, inverse, on_error)
        command.setText(visible(label))
        command._sides.next_forward, command._sides.next_backward = None, inverse
        command._skip_redo = True
        return command

    _skip_redo = False

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = self._first = False
            return
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
        try:
            self.setObsolete(True)
        except RuntimeError:  # the stack was cleared meanwhile and Qt deleted this entry
            stack = None
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
