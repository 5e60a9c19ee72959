"""The layering rules of ARCHITECTURE.md, enforced on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "conformance" / "felles"

# layer -> felles subpackages it must never import
FORBIDDEN = {
    "reference": {"runner", "cli", "report", "tools", "docs_site"},
    "report": {"runner", "reference", "cli", "tools", "docs_site"},
    "standard": {"runner", "reference", "report", "cli", "tools", "strategies", "docs_site"},
    "formats": {"runner", "reference", "report", "cli", "tools", "strategies", "standard", "docs_site"},
    "strategies": {"runner", "reference", "report", "cli", "tools", "docs_site"},
    "runner": {"cli", "reference", "docs_site"},
    "tools": {"cli", "runner", "reference", "docs_site"},
    # The docs site reads the standard, the checks' markers (tools) and the tender clause (report).
    "docs_site": {"cli", "runner", "reference", "strategies"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("felles."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("felles."))
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer: str) -> None:
    violations = [
        f"{path.relative_to(PACKAGE)} imports felles.{name}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for name in _imports(path) & FORBIDDEN[layer]
    ]
    assert not violations, "layering violated:\n" + "\n".join(violations)


def test_nothing_imports_cli() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name not in ("cli.py", "__main__.py") and "cli" in _imports(path)
    ]
    assert not offenders


def test_only_the_docs_hook_imports_mkdocs() -> None:
    """mkdocs is an optional dependency (the ``docs`` extra): the page generators never need it."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names.append(node.module)
            if any(n.split(".")[0] == "mkdocs" for n in names) and path != PACKAGE / "docs_site" / "hook.py":
                offenders.append(str(path.relative_to(PACKAGE)))
    assert not offenders
