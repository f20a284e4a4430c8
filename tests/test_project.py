"""The project's own promises: dependencies in sync, CI runs the README's test command."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r): r for r in project["dependencies"]}
    wanted |= {_name(r): r for group in project["optional-dependencies"].values() for r in group}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = {_name(d): d.replace(" ", "") for d in env["dependencies"] if isinstance(d, str)}
    listed.pop("python"), listed.pop("pip")
    assert set(listed) == set(wanted), "environment.yml and pyproject.toml list different packages"
    for name, requirement in wanted.items():
        assert listed[name] == requirement.replace(" ", ""), f"{name}: versions differ"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"^(\S.*pytest.*)$", readme.split("## Set-up", 1)[1], re.M).group(1)
    ci = (ROOT / ".ci/run").read_text().splitlines()
    assert command.strip() in [line.strip() for line in ci]


def test_notebooks_are_committed_without_outputs():
    import json

    for path in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(path.read_text())["cells"]
        dirty = [
            c
            for c in cells
            if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))
        ]
        assert not dirty, f"{path.name} has outputs: strip them (nbstripout or Clear All Outputs)"


def test_every_public_function_has_type_hints():
    """Issue 10: type hints on every public function (arguments and return)."""
    import ast

    missing = []
    for path in sorted((ROOT / "kpilib").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def visit(node, private=False, path=path):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.ClassDef):
                    visit(child, private or child.name.startswith("_"), path)
                elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    if private or child.name.startswith("_"):
                        continue
                    a = child.args
                    names = [
                        x.arg
                        for x in a.posonlyargs + a.args + a.kwonlyargs
                        if x.annotation is None and x.arg not in ("self", "cls")
                    ]
                    names += [f"*{s.arg}" for s in (a.vararg, a.kwarg) if s and not s.annotation]
                    if child.returns is None:
                        names.append("return")
                    if names:
                        where = path.relative_to(ROOT)
                        missing.append(f"{where}:{child.lineno} {child.name}: {names}")

        visit(tree)
    assert missing == []
