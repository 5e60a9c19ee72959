"""Which requirements the conformance checks claim to prove, read from their source.

The linter must not import the runner (layering: ``tools`` never imports
``runner``), and importing check modules would run their module-level code.
So the check modules are parsed with :mod:`ast` and their requirement markers
read off the decorators::

    requirement = pytest.mark.requirement

    @requirement("/req/application/core/create")
    def check_create_accepts_valid_submissions(...): ...

Recognised markers: ``@pytest.mark.requirement("...")``, ``@mark.requirement("...")``
and any module-level name bound to ``<...>.mark.requirement`` (or imported as
``requirement``). The ID must be a string literal, so that it can be read
without running anything.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from felles.errors import StandardError

#: Functions with this prefix are checks and must carry exactly one requirement marker.
CHECK_PREFIX = "check_"


class CheckModuleError(StandardError):
    """A check module that cannot be read or parsed."""

    def __init__(self, message: str, *, path: Path, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


@dataclass(frozen=True)
class MarkedFunction:
    """One function of a check module and the requirement IDs its markers name."""

    name: str
    path: Path
    line: int
    requirement_ids: tuple[str, ...]
    #: Markers whose argument is not a string literal (cannot be read statically).
    unreadable_markers: int = 0
    #: First paragraph of the docstring (what the check does), shown on the docs site's coverage page.
    summary: str = ""

    @property
    def is_check(self) -> bool:
        return self.name.startswith(CHECK_PREFIX)


def _is_mark_requirement(node: ast.expr) -> bool:
    """``pytest.mark.requirement`` / ``mark.requirement`` / ``x.y.mark.requirement``."""
    if not (isinstance(node, ast.Attribute) and node.attr == "requirement"):
        return False
    owner = node.value
    return (isinstance(owner, ast.Name) and owner.id == "mark") or (
        isinstance(owner, ast.Attribute) and owner.attr == "mark"
    )


def _marker_aliases(tree: ast.Module) -> set[str]:
    """Module-level names that stand for the requirement marker."""
    aliases = {"requirement"}
    for node in tree.body:
        if isinstance(node, ast.Assign) and _is_mark_requirement(node.value):
            aliases.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and node.value is not None and _is_mark_requirement(node.value):
            if isinstance(node.target, ast.Name):
                aliases.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            aliases.update(a.asname or a.name for a in node.names if a.name == "requirement")
    return aliases


def _is_marker(node: ast.expr, aliases: set[str]) -> bool:
    return (isinstance(node, ast.Name) and node.id in aliases) or _is_mark_requirement(node)


def read_check_module(path: Path) -> list[MarkedFunction]:
    """Every function of one module with the requirement IDs of its markers."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckModuleError(f"{path}: cannot read: {exc}", path=path) from exc
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise CheckModuleError(
            f"{path}:{exc.lineno}: not valid Python: {exc.msg}", path=path, line=exc.lineno
        ) from exc
    aliases = _marker_aliases(tree)
    found: list[MarkedFunction] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        ids: list[str] = []
        unreadable = 0
        for decorator in node.decorator_list:
            if not (isinstance(decorator, ast.Call) and _is_marker(decorator.func, aliases)):
                continue
            first = decorator.args[0] if decorator.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                ids.append(first.value)
            else:
                unreadable += 1
        docstring = ast.get_docstring(node) or ""
        summary = docstring.strip().split("\n\n", 1)[0]
        found.append(
            MarkedFunction(node.name, path, node.lineno, tuple(ids), unreadable, " ".join(summary.split()))
        )
    return sorted(found, key=lambda f: f.line)


def check_modules(checks_dir: Path) -> list[Path]:
    """The Python modules of a checks directory (sub-packages included)."""
    if not checks_dir.is_dir():
        return []
    return sorted(p for p in checks_dir.rglob("*.py") if "__pycache__" not in p.parts)
