"""``papershelf attach``, ``open`` and ``files``: a paper's PDFs from the command line, and ``show``'s PDF lines.

Storing, linking, finding the paper of a PDF and checking the files are the
core's (``core/attachments.py``), the same the app's Attach PDF… and drops use;
the text is read through the sandbox (``core/pdf/indexing.py``).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `papershelf --help` loads no core module
    from .core.attachments import Attachment
    from .core.library import Library

OpenLibrary = Callable[[argparse.Namespace], "Library"]

#: A command that opens a file instead of the system's viewer (its path is added as the last argument).
OPENER_VARIABLE = "PAPERSHELF_OPENER"
#: Longest reason shown for a file that could not be read (the reason comes from reading an untrusted file).
MAX_REASON = 200
#: How long `open` waits for the opener to say it failed (a viewer started directly keeps running).
OPENER_WAIT = 10.0

ATTACH_HELP = """\
Attach PDFs to a paper. By default a copy is stored in the library's files
folder (named by its content hash; the file you gave stays where it is); with
--link the file stays where it is and the library points to it. Its text is
read at once for the search. With --auto, each PDF goes to the paper whose
arXiv id or DOI it carries (on its first page or in its metadata), or, if none
matches, to a new paper made from its title and authors. A file inside the
library's files folder is never linked: it is taken as the stored file it is.

A file whose content the paper has already changes nothing (and is not
copied). If the paper's PDF with that content has gone missing, it is found
again: the library points to the new place (a stored copy is put back; with
--link the file is linked; --auto keeps the way the missing one was kept).

A missing file, a folder or a file that is not a PDF is refused and nothing
is attached."""

DETACH_HELP = """Remove PDFs from a paper. NAME is a PDF's name or path as `papershelf show`
lists it; without NAME the paper's only PDF goes (a paper with several needs
their names). A stored copy moves to the .trash/ folder inside the library's
files folder (unless another paper uses it); a linked file is never touched.
The text and highlights read from the PDF leave the search; the paper's notes
stay. The command line has no undo: attach the file again to put it back."""

FILES_HELP = """\
List every attached PDF: paper, stored or linked, size, name and where it is.
--verify checks each file: one changed outside the app gets its new size and
hash (its text is read again); a missing one is looked for (a stored one by
its hash, a linked one by its name and content in the folders around its old
place) and the library points to it again; one that cannot be found is marked
missing, never dropped."""


class IntermixedParser(argparse.ArgumentParser):
    """A subcommand's parser whose options may stand between its positional arguments.

    argparse fills ``ID FILE…`` from the first run of words only, so ``attach 1
    --link a.pdf`` left ``a.pdf`` over ("unrecognized arguments"); parsed the
    intermixed way, options go anywhere.
    """

    _inner = False

    def parse_known_args(  # type: ignore[override]
        self, args: list[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if self._inner:  # parse_known_intermixed_args's own two passes
            return super().parse_known_args(args, namespace)
        words = list(sys.argv[1:] if args is None else args)
        cut = words.index("--") if "--" in words else len(words)
        self._inner = True
        try:
            parsed, extras = self.parse_known_intermixed_args(words[:cut], namespace)
            if cut == len(words):
                return parsed, extras
            # Every word after "--" is a positional one (a file named "-x.pdf"), after those before it.
            before: list[str] = []
            for action in self._get_positional_actions():
                value = getattr(parsed, action.dest, None)
                before += value if isinstance(value, list) else [] if value is None else [value]
            parsed, more = super().parse_known_args(["--", *before, *words[cut + 1 :]], parsed)
            return parsed, extras + more
        finally:
            self._inner = False


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands to ``sub``."""
    plain, sub._parser_class = sub._parser_class, IntermixedParser
    try:
        p = sub.add_parser(
            "attach",
            help="attach PDFs to a paper (stored by hash, or linked in place)",
            description=ATTACH_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    finally:
        sub._parser_class = plain
    p.add_argument("id", nargs="?", metavar="ID", help="numeric id, citation key or arXiv id")
    p.add_argument("files", nargs="*", metavar="FILE", help="the PDFs to attach")
    p.add_argument("--link", action="store_true", help="keep the files where they are instead of storing copies")
    # Not "auto": that name is download's rule, checked as text; these are file names (any bytes).
    p.add_argument(
        "--auto",
        nargs="+",
        dest="auto_files",
        metavar="FILE",
        help="attach each PDF to the paper it names, or to a new paper",
    )
    p = sub.add_parser(
        "detach",
        help="remove PDFs from a paper (a stored copy goes to the trash; a linked file stays)",
        description=DETACH_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("id", metavar="ID", help="numeric id, citation key or arXiv id")
    p.add_argument("names", nargs="*", metavar="NAME", help="the PDFs to remove (name or path)")
    p = sub.add_parser(
        "open",
        help="open a paper's PDF with the system's viewer",
        description=f"Open the paper's PDF with the system's viewer (${OPENER_VARIABLE}, if set, is the command "
        "used instead): the first attached one that is where the library says and whose text could be read, "
        "else one that is there but could not be read (a viewer may still open it).",
    )
    p.add_argument("id", help="numeric id, citation key or arXiv id")
    p = sub.add_parser(
        "files",
        help="list attached PDFs; --verify finds changed and moved files",
        description=FILES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--verify", action="store_true", help="check every file and repair what can be repaired")


def commands(open_library: OpenLibrary, usage: type[Exception]) -> dict[str, Callable[[argparse.Namespace], int]]:
    """This module's subcommands by name, for cli.py's dispatch table."""
    return {
        "attach": lambda args: cmd_attach(args, open_library, usage),
        "detach": lambda args: cmd_detach(args, open_library),
        "open": lambda args: cmd_open(args, open_library),
        "files": lambda args: cmd_files(args, open_library),
    }


# --- attach ----------------------------------------------------------------------------------------


def cmd_attach(args: argparse.Namespace, open_library: OpenLibrary, usage: type[Exception]) -> int:
    from .core import attachments

    if args.auto_files is not None:
        if args.id is not None or args.link:
            raise usage("attach --auto FILE…: give only files (each goes to the paper it names), without --link")
        files = [Path(f) for f in args.auto_files]
    elif args.id is None or not args.files:
        raise usage("attach: give a paper and one or more PDFs (attach ID FILE…), or attach --auto FILE…")
    else:
        files = [Path(f) for f in args.files]
    with open_library(args) as library:
        for file in files:  # every file is checked before any is attached
            attachments.check_file(file, library.path)
        if args.auto_files is not None:
            attached = [_attach_auto(library, file) for file in files]
        else:
            pid = library.resolve(str(args.id))
            attached = [_attach_one(library, pid, file, args.link) for file in files]
        return _read_text(library, [aid for aid in attached if aid is not None])


def _attach_one(library: Library, pid: int, file: Path, link: bool) -> int | None:
    from .core import attachments
    from .core.display import visible

    attachment, done = attachments.attach_file(library, pid, file, link=link)
    paper = _paper(library, pid)
    if done == attachments.UNCHANGED:
        print(visible(f"{paper} already has this file, as {attachment.name}; nothing changed"))
        return None
    if done == attachments.FOUND_AGAIN:
        print(visible(f"{paper}: found again: {attachment.name} now at {attachment.path}"))
        return attachment.id
    how = f"stored as {attachment.path}" if attachment.kind == "stored" else f"linked at {attachment.path}"
    if link and attachment.kind == "stored":
        how += " (it is in the library's files folder, so it is not linked)"
    print(visible(f"attached {attachment.name} to {paper}: {how}"))
    return attachment.id


def _attach_auto(library: Library, file: Path) -> int | None:
    from .core import attachments
    from .core.display import visible

    dropped = attachments.drop(library, file)
    paper = _paper(library, dropped.paper_id)
    if dropped.created:
        print(visible(f"{file}: added {paper}, made from the PDF"))
    elif dropped.found_again:
        attachment = next(
            a
            for a in attachments.attachments_of(library, [dropped.paper_id])[dropped.paper_id]
            if a.id == dropped.attachment_id
        )
        print(
            visible(
                f"{file}: {paper} (found by its {dropped.matched_by}): found again: "
                f"{attachment.name} now at {attachment.path}"
            )
        )
    elif not dropped.attached:
        print(visible(f"{file}: {paper} (found by its {dropped.matched_by}) already has this file; nothing changed"))
        return None
    else:
        print(visible(f"{file}: attached to {paper}, found by its {dropped.matched_by}"))
    return dropped.attachment_id


def _paper(library: Library, pid: int) -> str:
    paper = library.get(pid)
    title = paper.title if len(paper.title) <= 60 else paper.title[:59] + "…"
    return f'paper {pid} ({paper.citation_key}, "{title}")'


def _read_text(library: Library, attachment_ids: list[int]) -> int:
    """Read the new files' text for the search; a file that cannot be read stays attached (a warning)."""
    from .core.display import visible
    from .core.pdf.indexing import index_pending

    if not attachment_ids:
        return 0
    for result in index_pending(library, attachment_ids):
        if result.state == "failed":
            print(visible(f"papershelf: warning: {result.name}: {result.error}; it stays attached"), file=sys.stderr)
        else:
            notes = f", {highlights(result.annotations)}" if result.annotations else ""
            print(visible(f"  {result.name}: {result.text_read}{notes}"))
    return 0


def highlights(count: int) -> str:
    """``1 highlight or comment``, ``3 highlights and comments``."""
    return "1 highlight or comment" if count == 1 else f"{count} highlights and comments"


# --- detach ----------------------------------------------------------------------------------------


def cmd_detach(args: argparse.Namespace, open_library: OpenLibrary) -> int:
    from .core import attachments
    from .core.display import visible
    from .core.errors import PapershelfError

    with open_library(args) as library:
        pid = library.resolve(args.id)
        paper = _paper(library, pid)
        found = attachments.attachments_of(library, [pid]).get(pid, [])
        if not found:
            raise PapershelfError(f"{paper} has no PDF; nothing was removed")
        listed = "; ".join(visible(a.name) for a in found)
        if not args.names and len(found) > 1:
            raise PapershelfError(
                f"{paper} has {len(found)} PDFs ({listed}); name the ones to remove: papershelf detach {pid} NAME…; "
                "nothing was removed"
            )
        chosen = found if not args.names else [_pick(found, name, paper, listed) for name in args.names]
        chosen = list({a.id: a for a in chosen}.values())
        attachments.detach(library, *(a.id for a in chosen))
        for a in chosen:
            if a.kind == "linked":
                where = f"the linked file stays at {a.path}"
            elif a.path.exists():
                where = f"its stored copy stays at {a.path} (another paper uses it)"
            else:
                trashed = (
                    attachments.files_dir(library)
                    / attachments.TRASH
                    / a.path.relative_to(attachments.files_dir(library))
                )
                where = f"its stored copy moved to {trashed}"
            print(visible(f"removed {a.name} from {paper}; {where}"))
    return 0


def _pick(found: list[Attachment], name: str, paper: str, listed: str) -> Attachment:
    """The PDF named ``name`` (its name, or its path as shown); one line when none or several are."""
    from .core.display import visible
    from .core.errors import PapershelfError

    by_path = [a for a in found if str(a.path) == name or os.path.abspath(name) == str(a.path)]
    matching = by_path or [a for a in found if a.name == name]
    if len(matching) == 1:
        return matching[0]
    if not matching:
        raise PapershelfError(visible(f"{paper} has no PDF named {name!r} (it has: {listed}); nothing was removed"))
    paths = "; ".join(visible(str(a.path)) for a in matching)
    raise PapershelfError(
        visible(f"{paper} has {len(matching)} PDFs named {name!r}; give the path of one ({paths}); nothing was removed")
    )


# --- open ------------------------------------------------------------------------------------------


def cmd_open(args: argparse.Namespace, open_library: OpenLibrary) -> int:
    from .core import attachments
    from .core.errors import PapershelfError

    with open_library(args) as library:
        pid = library.resolve(args.id)
        path = attachments.pdf_for(library, pid)
        found = attachments.attachments_of(library, [pid]).get(pid, [])
    if path is None:
        if not found:
            raise PapershelfError(f"paper {pid} has no PDF; attach one with: papershelf attach {pid} FILE")
        raise PapershelfError(f"paper {pid}: " + _why_none_opens(found))
    hand_to_os(path)
    return 0


def _why_none_opens(found: list[Attachment]) -> str:
    """Each PDF of a paper that none of can be opened: missing (``files --verify`` looks for it) or unreadable."""
    said = [
        f"{a.name} is missing (the library expects it at {a.path})"
        if a.missing
        else f"{a.name} cannot be opened (permission denied: {a.path})"
        for a in found[:5]
    ]
    if len(found) > 5:
        said.append(f"and {len(found) - 5} more")
    missing = sum(a.missing for a in found)
    if missing:
        said.append(f"`papershelf files --verify` looks for {'it' if missing == 1 else 'them'}")
    return "; ".join(said)


def opener_command(path: Path) -> list[str] | None:
    """The command that opens ``path``: $PAPERSHELF_OPENER, else the system's; None on Windows (os.startfile)."""
    custom = os.environ.get(OPENER_VARIABLE, "").strip()
    if custom:
        return [*shlex.split(custom), str(path)]
    if sys.platform == "win32":
        return None
    return ["open" if sys.platform == "darwin" else "xdg-open", str(path)]


def hand_to_os(path: Path) -> None:
    """Open ``path`` with the system's viewer; a failure is one line naming the file and the program."""
    from .core.errors import PapershelfError

    command = opener_command(path)
    try:
        if command is None:
            _startfile(path)
            return
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        program = command[0] if command else "the system"
        raise PapershelfError(f"{path}: could not be opened: {program}: {exc.strerror or exc}") from None
    try:
        code = proc.wait(OPENER_WAIT)
    except subprocess.TimeoutExpired:
        return  # still running: a viewer started directly
    if code != 0:
        raise PapershelfError(f"{path}: could not be opened: {command[0]} exited with status {code}")


def _startfile(path: Path) -> None:
    if sys.platform == "win32":  # the only system with os.startfile
        os.startfile(path)


# --- files ------------------------------------------------------------------------------------------


def cmd_files(args: argparse.Namespace, open_library: OpenLibrary) -> int:
    from .core import attachments
    from .core.display import visible

    with open_library(args) as library:
        if args.verify:
            lines = attachments.verify(library)
            for line in lines:
                print(visible(line))
            _read_text(library, [a.id for a in attachments.all_attachments(library) if a.text_state == "pending"])
        found = attachments.all_attachments(library)
        keys = {p.id: p.citation_key for p in library.get_many(sorted({a.paper_id for a in found}))}
    if args.verify and not lines:
        print("every attached file is where the library says, unchanged")
    if not found:
        print("no PDFs attached; attach one with: papershelf attach ID FILE")
        return 0
    if args.verify:
        print()
    width = max(len(str(a.paper_id)) for a in found)
    for a in found:
        print(visible(f"{a.paper_id:>{width}}  {keys.get(a.paper_id, '')}  {_facts(a)}  {a.path}{_problem(a)}"))
    missing = sum(a.missing for a in found)
    total = human_size(sum(a.size for a in found))
    summary = f"{len(found)} PDF{'' if len(found) == 1 else 's'}, {total}"
    print(summary + (f"; {missing} missing (papershelf files --verify looks for them)" if missing else ""))
    return 1 if args.verify and missing else 0


def _facts(a: Attachment) -> str:
    """``name (size, stored|linked[, N pages])``."""
    pages = f", {a.pages} page{'' if a.pages == 1 else 's'}" if a.pages else ""
    return f"{a.name} ({human_size(a.size)}, {a.kind}{pages})"


def _problem(a: Attachment) -> str:
    """What is wrong with the file, in parentheses after its path, or ""."""
    if a.missing:
        return "  (MISSING)"
    if a.text_state == "failed":
        reason = " ".join((a.text_error or "could not read").split())
        return f"  ({reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + '…'})"
    if a.text_state == "pending":
        return "  (text not read yet)"
    if a.text_error:  # read, but cut at a limit: "text of the first 5000 of 6000 pages read"
        return f"  ({' '.join(a.text_error.split())})"
    return ""


def pdf_lines(library: Library, paper_id: int) -> list[str]:
    """The paper's PDFs as ``papershelf show`` lists them (already made visible)."""
    from .core import attachments
    from .core.display import visible

    found = attachments.attachments_of(library, [paper_id]).get(paper_id, [])
    return [visible(f"  {_facts(a)}: {a.path}{_problem(a)}") for a in found]


def pdf_json(library: Library, paper_id: int) -> list[dict[str, object]]:
    """The paper's PDFs as ``papershelf show --json`` gives them."""
    from .core import attachments

    return [_json(a) for a in attachments.attachments_of(library, [paper_id]).get(paper_id, [])]


def pdf_json_by_paper(library: Library) -> dict[int, list[dict[str, object]]]:
    """Every paper's PDFs as ``show --json`` gives them, for ``list --json`` (one query, whatever the list's size)."""
    from .core import attachments

    by_paper: dict[int, list[dict[str, object]]] = {}
    for a in attachments.all_attachments(library):
        by_paper.setdefault(a.paper_id, []).append(_json(a))
    return by_paper


def _json(a: Attachment) -> dict[str, object]:
    return {
        "name": a.name,
        "path": str(a.path),
        "kind": a.kind,
        "size": a.size,
        "pages": a.pages,
        "missing": a.missing,
        "text_state": a.text_state,
        "text_error": a.text_error,
    }


def human_size(size: int) -> str:
    """``743 bytes``, ``12.5 KB``, ``3.1 MB``."""
    if size < 1024:
        return f"{size} byte{'' if size == 1 else 's'}"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}"
