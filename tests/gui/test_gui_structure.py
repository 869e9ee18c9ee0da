"""The main window is an assembly of parts: the parts never import it (but in type hints), and it stays small."""

from __future__ import annotations

import ast
from pathlib import Path

import papershelf.gui

GUI = Path(papershelf.gui.__file__).resolve().parent
PARTS = [
    "actions",
    "edits",
    "export_flow",
    "import_flow",
    "library_session",
    "paper_view",
    "sidebar_controller",
    "window_state",
]


def _runtime_imports(tree: ast.Module) -> set[str]:
    """Modules imported outside ``if TYPE_CHECKING:`` blocks (relative ones as written, e.g. ``.main_window``)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_no_part_imports_the_main_window_at_run_time():
    for name in PARTS:
        tree = ast.parse((GUI / f"{name}.py").read_text(encoding="utf-8"))
        imported = _runtime_imports(tree)
        assert not {m for m in imported if m.endswith("main_window") or m.endswith(".app")}, name


def test_every_part_says_in_its_docstring_what_it_is():
    for name in [*PARTS, "main_window"]:
        doc = ast.get_docstring(ast.parse((GUI / f"{name}.py").read_text(encoding="utf-8")))
        assert doc and len(doc.split("\n")[0]) > 20, name


def test_the_main_window_is_an_assembly_of_a_few_hundred_lines():
    assert len((GUI / "main_window.py").read_text(encoding="utf-8").splitlines()) < 450
