"""Imports point one way: a module of ``src/astray`` imports only from its own layer or below,
at module level and inside functions alike (ARCHITECTURE.md, "Layers: imports point one way").

The layers, bottom to top, as drawn in ARCHITECTURE.md::

    units, errors, atomic_data, jsonio, paths
      -> systems -> level_of_theory -> reference -> potentials -> probes
      -> models -> data -> train -> scaling -> report -> api, cli

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
``import_module("astray.x")`` with a literal name. Today's upward imports are listed in
:data:`KNOWN_UPWARD`, each with why it exists and the issue it belongs to: the test passes
now, fails on any new upward import, and fails on an entry that is no longer needed (delete it:
the list only shrinks).
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
    {"potentials"},
    {"probes"},
    {"models"},
    {"data"},
    {"train"},
    {"scaling"},
    {"report"},
    {"api", "cli"},
))

#: Today's upward imports, (importer, imported module): each one is a debt with its issue.
#: Issue 21 item 1 ("one direction of imports") owns all of them unless said otherwise.
KNOWN_UPWARD: dict[tuple[str, str], str] = {
    # ---- potentials -> train: the checkpoint potential reads a checkpoint with the trainer's
    # ---- reader; train/checkpoint imports only the bottom layer and models (pure torch), so
    # ---- the reader moves down (models/ or potentials/checkpoint) (issue 21)
    ("astray.potentials.checkpoint", "astray.train.checkpoint"):
        "load_model of a checkpoint: the reader belongs below the potentials (issue 21)",
    # ---- probes -> report: ProbeResult.plot / .write draw and write the report (named in
    # ---- issue 21's "Why"): the drawing moves to the report, ProbeResult only holds results
    ("astray.probes.probe_result", "astray.report.figures"):
        "ProbeResult.plot and .write draw with the report (issue 21)",
    ("astray.probes.probe_result", "astray.report.html"):
        "ProbeResult.write writes curves.html (issue 21)",
    ("astray.probes.probe_result", "astray.report.periodic"):
        "ProbeResult.write draws the periodic table (issue 21)",
}


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


@pytest.mark.parametrize("inside_a_function", [False, True])
def test_an_upward_import_added_to_a_copy_is_caught(tmp_path, monkeypatch, inside_a_function):
    """systems (layer 1) importing the report (layer 10) in a copy of the package: the test
    above fails on the copy, naming the import."""
    root = tmp_path / "astray"
    shutil.copytree(SRC, root, ignore=shutil.ignore_patterns("__pycache__"))
    systems = root / "systems.py"
    added = ("\n\ndef _figure():\n    from astray.report.html import escape\n    return escape\n"
             if inside_a_function else "\nfrom astray.report import html  # noqa\n")
    systems.write_text(systems.read_text() + added)
    monkeypatch.setattr(sys.modules[__name__], "SRC", root)
    new = [item for item in upward_imports() if item[:2] not in KNOWN_UPWARD]
    assert [(a, b, inner) for a, b, _, inner in new] == [
        ("astray.systems", "astray.report.html", inside_a_function)]
    with pytest.raises(AssertionError, match=r"astray.systems \(layer 1\) -> astray.report.html"):
        test_no_new_upward_import()
    test_every_module_has_a_layer()  # the copy is otherwise today's tree
    test_the_known_upward_imports_are_still_needed()


def test_the_layers_of_the_drawing():
    assert layer_of("astray.units") == layer_of("astray.store") == 0
    assert layer_of("astray.systems") < layer_of("astray.level_of_theory") < layer_of(
        "astray.reference.scf") < layer_of("astray.potentials.base") < layer_of(
        "astray.probes.verdict") < layer_of("astray.models.schnet") < layer_of(
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
