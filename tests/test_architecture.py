"""The package reads as the pipeline: data flows one way through the stages written in the README."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "optimizer"
#: A module is meant to be read in one sitting.
MAX_MODULE_LINES = 750


def _stage_order() -> list[list[str]]:
    """The README's stage line, e.g. ``errors, files → network → … → whatif → cli``, as lists of names."""
    layout = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("## Layout", 1)[1]
    line = next(line for line in layout.splitlines() if line.count("→") >= 5)
    return [[name.strip(" `") for name in stage.split(",")] for stage in line.split("→")]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules imported anywhere in the file (top level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from optimizer import datasets`` imports the module, not the package's own code.
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                     for a in node.names]
        else:
            continue
        found.update(name for name in names if name in modules)
    return found


def _stage_of(module: str, order: list[list[str]]) -> int:
    """Position of the module's stage: ``optimizer.solve.routing.model`` belongs to ``solve``.

    The package's own ``__init__`` only re-exports the error types: it belongs to the base stage.
    """
    if module == "optimizer":
        return 0
    first = module.split(".")[1]
    for rank, names in enumerate(order):
        if first in names:
            return rank
    raise AssertionError(f"{module}: its stage '{first}' is not in the README's stage order")


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, path in modules.items():
        graph.add_edges_from((module, target) for target in _imports(path, modules) if target != module)
    return graph


def test_readme_names_every_stage_once():
    order = _stage_order()
    names = [name for stage in order for name in stage]
    assert len(names) == len(set(names))
    assert {"network", "scenario", "demand", "solve", "plan", "outputs", "whatif"} <= set(names)
    # Every package and top-level module has its place.
    for module in _modules():
        _stage_of(module, order)


def test_no_import_cycle(graph):
    # Package __init__ files re-export their submodules; a cycle through them is still a cycle.
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_no_lower_stage_imports_a_higher_one(graph):
    order = _stage_order()
    upward = [
        f"{source} imports {target}"
        for source, target in graph.edges
        if _stage_of(source, order) < _stage_of(target, order)
    ]
    assert not upward, "\n".join(upward)


def test_modules_stay_readable():
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in _modules().items()}
    long = {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_the_checker_shares_no_code_with_the_solver():
    checker = ROOT / "tests" / "checker.py"
    assert not re.search(r"^\s*(from|import) optimizer\.solve", checker.read_text(), re.MULTILINE)
