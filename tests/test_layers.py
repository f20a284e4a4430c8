"""The package's layers: each module imports only from its own layer or the ones below.

README's "The house" section draws the same picture.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kpilib"

# lowest first; a module may import its own layer and any layer before it
LAYERS = [
    (
        "base",
        [
            "kpilib.i18n",
            "kpilib.errors",
            "kpilib.text",
            "kpilib.parse",
            "kpilib.compare",
            "kpilib.rounding",
            "kpilib.periods",
            "kpilib.files",
            "kpilib.project",
        ],
    ),
    ("engine", ["kpilib.engine"]),
    ("outcomes", ["kpilib.outcomes"]),
    ("store", ["kpilib.store", "kpilib.ledger", "kpilib.period_store"]),
    (
        "month",
        [
            "kpilib.sheets",
            "kpilib.months",
            "kpilib.period_results",
            "kpilib.explain",
            "kpilib.drafts",
        ],
    ),
    ("outputs", ["kpilib.report", "kpilib.interactive"]),
    ("cli", ["kpilib.cli"]),
]


def layer(module: str) -> int:
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and to the README picture")


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _runtime_nodes(tree: ast.AST):
    """Every node but those under ``if TYPE_CHECKING:`` (annotations only, never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        yield node
        yield from _runtime_nodes(node)


def imports(path: Path) -> set[str]:
    """Every kpilib module ``path`` imports, at the top or inside a function."""
    known = modules()
    out = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("kpilib")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kpilib"):
            for alias in node.names:  # `from kpilib.report import charts` imports a module
                sub = f"{node.module}.{alias.name}"
                out.add(sub if sub in known else node.module)
    return out


def test_every_import_goes_down_the_layers():
    wrong = []
    for name, path in modules().items():
        if name == "kpilib":  # the lazy front door names every layer on purpose
            continue
        for target in imports(path) - {"kpilib"}:
            if layer(target) > layer(name):
                wrong.append(f"{name} ({LAYERS[layer(name)][0]}) imports {target}")
    assert wrong == []


def test_no_import_circle():
    graph = {n: imports(p) - {"kpilib", n} for n, p in modules().items() if n != "kpilib"}
    state: dict[str, str] = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in graph.get(node, ()):
            if state.get(nxt) == "open":
                raise AssertionError(" -> ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [])


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        (
            "kpilib.engine.scoring",
            (
                "kpilib.store",
                "kpilib.report",
                "kpilib.interactive",
                "kpilib.sheets",
                "duckdb",
                "ipywidgets",
                "matplotlib",
            ),
        ),
        ("kpilib.cli", ("pandas", "numpy", "duckdb", "kpilib.engine")),
    ],
)
def test_importing_a_layer_loads_nothing_above_it(module, forbidden):
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    assert [m for m in loaded if m.startswith(forbidden)] == []
