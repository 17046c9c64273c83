"""Imports point one way: a module of ``src/astray`` imports only from its own layer or below,
at module level and inside functions alike (ARCHITECTURE.md, "Layers: imports point one way").

The layers, bottom to top, as drawn in ARCHITECTURE.md with ``models`` moved down::

    units, errors, atomic_data, jsonio, paths
      -> systems -> level_of_theory -> reference -> models -> potentials -> probes
      -> data -> train -> scaling -> report -> api, cli

The drawing put ``models`` above ``probes``; the code shows it belongs below the potentials: the
models are pure torch modules that import only the bottom layer (``units``, ``errors``,
``atomic_data``), and the ``checkpoint:PATH`` potential rebuilds one from its file with the
reader in ``models.checkpoint`` and asks the architecture registry what it reads (the charge).
So ``models`` sits directly below ``potentials`` (issue 21).

Modules the drawing does not name are placed where their imports show they belong: each of
``curve`` (the Curve value: imports nothing of astray), ``ground_states`` (data tables: nothing),
``progress`` (logging of long jobs: nothing), ``store`` (SQLite: errors, paths), ``cluster``
(the Dask client: errors, worker_plugin) and ``worker_plugin`` (nothing) imports only from the
bottom layer, and the probes, reference, potentials, data and scaling all use one of them, so
they sit in the bottom layer. The package root ``astray/__init__.py`` imports nothing of astray
when it is imported (its public names are strings, imported on first use), and ``from astray
import __version__`` is a bottom-layer import.

An import is a node ``import astray.x`` / ``from astray.x import y`` (relative ones resolved)
anywhere in the file -- module level, inside a function, under ``TYPE_CHECKING`` -- or a call
``import_module("astray.x")`` with a literal name. No import points up (:data:`KNOWN_UPWARD`,
the allow-list, is empty), and no two files import each other, directly or round a longer
circle (:func:`circles`): where two modules need each other, the shared part moves down into
a module both import.
"""

from __future__ import annotations

import ast
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "astray"

#: Bottom to top; a module imports from its own layer or a lower one.
LAYERS: tuple[frozenset[str], ...] = tuple(frozenset(layer) for layer in (
    # the drawing's bottom layer, and the modules it does not name (module docstring)
    {"", "units", "errors", "atomic_data", "jsonio", "paths",
     "curve", "ground_states", "progress", "store", "cluster", "worker_plugin"},
    {"systems"},
    {"level_of_theory"},
    {"reference"},
    {"models"},  # below the drawing's place: see the module docstring
    {"potentials"},
    {"probes"},
    {"data"},
    {"train"},
    {"scaling"},
    {"report"},
    {"api", "cli"},
))

#: Upward imports allowed for now, (importer, imported module) -> why, and the issue that
#: removes it. Empty since issue 21: the checkpoint reader moved to ``models.checkpoint`` and the
#: probe's figures to ``report.probe_report``. The list only shrinks: a new entry is a debt.
KNOWN_UPWARD: dict[tuple[str, str], str] = {}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["astray", *parts])


def _modules(root: Path) -> dict[str, Path]:
    """Every module of the package under ``root`` (``.../astray``) by its dotted name."""
    return {_module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def layer_of(module: str) -> int:
    """The layer index of a dotted astray module name: that of its first component after
    astray, except that every ``cli`` module is the command-line face (the top layer)."""
    if module.endswith(".cli"):
        return len(LAYERS) - 1
    key = module.split(".")[1] if "." in module else ""
    for index, layer in enumerate(LAYERS):
        if key in layer:
            return index
    raise AssertionError(f"{module}: no layer in LAYERS; place it (and say why) in this test")


class _Imports(ast.NodeVisitor):
    """The astray modules one file imports, with the line and whether inside a function."""

    def __init__(self, module: str, is_package: bool, known: set[str]):
        self.package = module if is_package else module.rpartition(".")[0]
        self.known = known
        self.depth = 0
        self.found: list[tuple[str, int, bool]] = []

    def _add(self, target: str, node: ast.AST) -> None:
        item = (target, node.lineno, self.depth > 0)
        if (target == "astray" or target.startswith("astray.")) and item not in self.found:
            self.found.append(item)

    def _function(self, node) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[:len(base) - node.level + 1]
            module = ".".join(base + ([node.module] if node.module else []))
        else:
            module = node.module or ""
        for alias in node.names:  # ``from astray.probes import thresholds``: the submodule
            candidate = f"{module}.{alias.name}"
            self._add(candidate if candidate in self.known else module, node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if (name == "import_module" and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            self._add(node.args[0].value, node)
        self.generic_visit(node)


def imports(root: Path | None = None) -> list[tuple[str, str, int, bool]]:
    """(importer, imported, line, inside a function) for every astray import under ``root``
    (default: :data:`SRC`)."""
    modules = _modules(root or SRC)
    found = []
    for module, path in modules.items():
        visitor = _Imports(module, path.name == "__init__.py", set(modules))
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        found += [(module, target, line, inner) for target, line, inner in visitor.found]
    return found


def upward_imports(root: Path | None = None) -> list[tuple[str, str, int, bool]]:
    """Every import from a higher layer than the importer's."""
    return [item for item in imports(root) if layer_of(item[1]) > layer_of(item[0])]


def _describe(items) -> str:
    return "\n".join(f"  {a} (layer {layer_of(a)}) -> {b} (layer {layer_of(b)}), line {line}"
                     f"{' inside a function' if inner else ''}" for a, b, line, inner in items)


def test_every_module_has_a_layer():
    for module in _modules(SRC):
        layer_of(module)


def test_no_new_upward_import():
    new = [item for item in upward_imports() if item[:2] not in KNOWN_UPWARD]
    assert not new, ("imports point one way (ARCHITECTURE.md): move the shared part down a "
                     "layer instead of importing upward:\n" + _describe(new))


def test_the_known_upward_imports_are_still_needed():
    """An allow-list entry whose import is gone is deleted: the list only shrinks."""
    present = {item[:2] for item in upward_imports()}
    stale = sorted(set(KNOWN_UPWARD) - present)
    assert not stale, f"fixed, delete from KNOWN_UPWARD: {stale}"


def test_the_allow_list_names_why_and_the_issue():
    assert all("issue" in why for why in KNOWN_UPWARD.values())


def _copy_adding(tmp_path: Path, monkeypatch, name: str, added: str) -> None:
    """A copy of the package with ``added`` at the end of its file ``name``, made the tree
    these tests read (:data:`SRC`)."""
    root = tmp_path / "astray"
    shutil.copytree(SRC, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / name).write_text((root / name).read_text() + added)
    monkeypatch.setattr(sys.modules[__name__], "SRC", root)


@pytest.mark.parametrize("inside_a_function", [False, True])
def test_an_upward_import_added_to_a_copy_is_caught(tmp_path, monkeypatch, inside_a_function):
    """systems (layer 1) importing the report (layer 10) in a copy of the package: the test
    above fails on the copy, naming the import."""
    _copy_adding(tmp_path, monkeypatch, "systems.py", (
        "\n\ndef _figure():\n    from astray.report.html import escape\n    return escape\n"
        if inside_a_function else "\nfrom astray.report import html  # noqa\n"))
    new = [item for item in upward_imports() if item[:2] not in KNOWN_UPWARD]
    assert [(a, b, inner) for a, b, _, inner in new] == [
        ("astray.systems", "astray.report.html", inside_a_function)]
    with pytest.raises(AssertionError, match=r"astray.systems \(layer 1\) -> astray.report.html"):
        test_no_new_upward_import()
    test_every_module_has_a_layer()  # the copy is otherwise today's tree
    test_the_known_upward_imports_are_still_needed()


def circles(root: Path | None = None) -> list[list[str]]:
    """The file-level circles under ``root``: each set of modules that reach one another
    through imports (a strongly connected component of the import graph with more than one
    module, Tarjan's algorithm), sorted; imports inside functions count."""
    graph: dict[str, set[str]] = {}
    for importer, imported, _, _ in imports(root):
        if importer != imported:
            graph.setdefault(importer, set()).add(imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_file_level_circles():
    found = circles()
    assert not found, ("these modules import each other (at any depth, inside functions too): "
                       "move the part they share down into a module both import:\n"
                       + "\n".join("  " + " <-> ".join(circle) for circle in found))


@pytest.mark.parametrize("inside_a_function", [False, True])
def test_a_circle_added_to_a_copy_is_caught(tmp_path, monkeypatch, inside_a_function):
    """paths importing the store (which imports paths) in a copy of the package: one layer, so
    no upward import, but a circle, and the test above fails on the copy, naming both."""
    _copy_adding(tmp_path, monkeypatch, "paths.py", (
        "\n\ndef _store():\n    from astray.store import Store\n    return Store\n"
        if inside_a_function else "\nfrom astray import store  # noqa\n"))
    assert circles() == [["astray.paths", "astray.store"]]
    with pytest.raises(AssertionError, match=r"astray.paths <-> astray.store"):
        test_no_file_level_circles()
    test_no_new_upward_import()


def test_the_layers_of_the_drawing():
    assert layer_of("astray.units") == layer_of("astray.store") == 0
    assert layer_of("astray.systems") < layer_of("astray.level_of_theory") < layer_of(
        "astray.reference.scf") < layer_of("astray.models.schnet") < layer_of(
        "astray.potentials.base") < layer_of("astray.probes.verdict") < layer_of(
        "astray.data.dataset") < layer_of("astray.train.trainer") < layer_of(
        "astray.scaling.runner") < layer_of("astray.report.html") < layer_of("astray.cli")
    assert layer_of("astray.api") == layer_of("astray.cli")


if __name__ == "__main__":  # the list, with counts: python tests/test_import_layers.py
    items = upward_imports()
    pairs = Counter(item[:2] for item in items)
    print(f"{len(items)} upward import statements, {len(pairs)} (importer, imported) pairs")
    for (a, b), n in sorted(pairs.items(), key=lambda kv: (layer_of(kv[0][0]), kv[0])):
        print(f"{n:3d}  {a} ({layer_of(a)}) -> {b} ({layer_of(b)})"
              f"{'' if (a, b) in KNOWN_UPWARD else '   NEW'}")
