"""Every change to a library as an operation: one transaction, what it changed, and how to undo it.

An operation is a small immutable value that applies itself inside one write
transaction (:meth:`Library.run`). Applying it returns an :class:`Outcome`:
the :class:`Changes` the views refresh from, a result for the caller, and the
*inverse*, another operation that puts everything back exactly. Undo applies
the inverse; redo applies the inverse's inverse. Each is again one
transaction, so a crash in the middle of an undo leaves the library as it was
before or after, never half way.

Anki's ``CollectionOp``/``OpChanges`` is the model. The CLI and the GUI both
change the library only through these operations; the GUI runs them on a
worker thread (``gui/operations.py``).

One module per kind of thing changed: ``base`` (what an operation is, and
the shared checks), ``papers``, ``tags``, ``notes``, ``lists`` (and saved
searches), ``imports`` (undoing an import), ``autoexport`` (live files) and
``attachments`` (PDFs).
"""

from .attachments import (
    AttachPdf,
    AttachToNewPaper,
    DetachPdf,
    UpdateAttachments,
    take_touched_files,
    touch_files,
)
from .autoexport import Bind, Unbind
from .base import (
    Batch,
    Changes,
    Guarded,
    Operation,
    Outcome,
    clean_list_name,
    clean_tag,
    drop_unused_tags,
    ensure_tags,
    fingerprints,
    guarded,
    list_id,
    now,
    papers,
    require,
)
from .complete import CompletePapers, Completion, PutFieldSources, fill_in, record_sources
from .edit import EditFields, InvalidField
from .imports import ImportJournal, PutRows, SetAbstracts, SetSightings
from .lists import (
    AddToList,
    CreateList,
    DeleteList,
    DeleteSavedSearch,
    RemoveFromList,
    RenameList,
    RestoreEntries,
    RestoreList,
    SaveSearch,
)
from .merge import MarkNotDuplicate, MergePapers, UndoMerge, UnmarkNotDuplicate
from .notes import AddNote, DeleteNote, RestoreNote, UpdateNote
from .papers import (
    DeletePapers,
    PinKeys,
    RestorePapers,
    RestorePriority,
    RestoreStatus,
    SetCitationKey,
    SetCiteAs,
    SetPriority,
    SetStatus,
    SetTitle,
    snapshot,
)
from .tags import AddTags, RemoveTags, TagPairs, UntagPairs

__all__ = [
    "AddNote",
    "AddTags",
    "AddToList",
    "AttachPdf",
    "AttachToNewPaper",
    "Batch",
    "Bind",
    "Changes",
    "CompletePapers",
    "Completion",
    "CreateList",
    "DeleteList",
    "DeleteNote",
    "DeletePapers",
    "DeleteSavedSearch",
    "DetachPdf",
    "EditFields",
    "Guarded",
    "ImportJournal",
    "MarkNotDuplicate",
    "MergePapers",
    "InvalidField",
    "Operation",
    "Outcome",
    "PinKeys",
    "PutFieldSources",
    "PutRows",
    "RemoveFromList",
    "RemoveTags",
    "RenameList",
    "RestoreEntries",
    "RestoreList",
    "RestoreNote",
    "RestorePapers",
    "RestorePriority",
    "RestoreStatus",
    "SaveSearch",
    "SetAbstracts",
    "SetCitationKey",
    "SetCiteAs",
    "SetPriority",
    "SetSightings",
    "SetStatus",
    "SetTitle",
    "TagPairs",
    "UndoMerge",
    "UnmarkNotDuplicate",
    "Unbind",
    "UntagPairs",
    "UpdateAttachments",
    "UpdateNote",
    "clean_list_name",
    "clean_tag",
    "drop_unused_tags",
    "ensure_tags",
    "fill_in",
    "fingerprints",
    "guarded",
    "list_id",
    "now",
    "papers",
    "record_sources",
    "require",
    "snapshot",
    "take_touched_files",
    "touch_files",
]
