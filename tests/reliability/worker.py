"""A child process for the kill tests: does one kind of write, reporting progress.

    python worker.py LIBRARY import LISTING
    python worker.py LIBRARY bulk-edit ROUND
    python worker.py LIBRARY note NOTE_ID

It prints a line after each committed step, so the parent knows what must
have survived a SIGKILL.
"""

import sys

from papershelf.core.library import Library


def main() -> None:
    path, mode, arg = sys.argv[1:4]
    library = Library(path)
    print("ready", flush=True)
    if mode == "import":
        result = library.import_file(arg)
        print(f"imported {result.added}", flush=True)
    elif mode == "bulk-edit":
        ids = library.search_ids("")
        for step in range(1000):
            library.add_tags(ids, [f"round{arg}-{step}"])
            library.set_status(ids, "read" if step % 2 else "reading")
            print(f"step {step}", flush=True)
    elif mode == "note":
        text = ""
        for step in range(100000):
            text += f"word{step} "
            library.update_note(int(arg), text)
            print(f"saved {len(text)}", flush=True)


if __name__ == "__main__":
    main()
