"""The house rules on size (ARCHITECTURE.md, issue 21): no module of ``src/astray`` over
MAX_MODULE_LINES lines, and no function of the probes, the scaling study, the report or the
trainer over MAX_FUNCTION_LINES lines, so each reads in one screen and is split by concern.

A function's length is that of its ``def`` statement, from the ``def`` line to its last line
(docstring, comments and blank lines included; decorators not), read with ``ast``, nested
functions counted in their own right and inside the function that holds them. No offender is
allowed (the last four were split when this test arrived: scale_command, train_command,
fit_form and trainer.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "astray"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
#: The packages whose functions the function rule covers (issue 21's acceptance).
FUNCTION_RULE_PACKAGES = ("probes", "scaling", "report", "train")



def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*.py") if "__pycache__" not in path.parts)


def long_modules(root: Path | None = None) -> dict[str, int]:
    """Every module over MAX_MODULE_LINES lines: {path under ``root``: lines}."""
    root = root or SRC
    lengths = {path.relative_to(root).as_posix(): len(path.read_text().splitlines())
               for path in _files(root)}
    return {name: n for name, n in lengths.items() if n > MAX_MODULE_LINES}


def long_functions(root: Path | None = None) -> dict[tuple[str, str], int]:
    """Every function of FUNCTION_RULE_PACKAGES over MAX_FUNCTION_LINES lines:
    {(path under ``root``, qualified name): lines}."""
    root = root or SRC
    found = {}
    for package in FUNCTION_RULE_PACKAGES:
        for path in _files(root / package):
            name = path.relative_to(root).as_posix()
            for qualified, node in _functions(ast.parse(path.read_text(), filename=str(path))):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found[(name, qualified)] = length
    return found


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, node) of every function and method, nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def test_no_long_module():
    assert not long_modules(), f"modules over {MAX_MODULE_LINES} lines: split them by concern"


def test_no_long_function():
    assert not long_functions(), (f"functions over {MAX_FUNCTION_LINES} lines: split them by "
                                  "concern")


def test_a_long_function_and_module_in_a_copy_are_caught(tmp_path):
    """The rules measure what they say: an 81-line function in the report and a 501-line
    module anywhere are found, a nested function by its qualified name."""
    root = tmp_path / "astray"
    (root / "report").mkdir(parents=True)
    def body(n: int, indent: str) -> str:
        return "".join(f"{indent}x{i} = {i}\n" for i in range(n))

    (root / "report" / "long.py").write_text(  # draw: 81 lines, the inner function 79
        "class Page:\n    def draw(self):\n        def inner():\n"
        + body(MAX_FUNCTION_LINES - 3, " " * 12) + "            return 0\n"
        + "        return inner\n")
    (root / "systems.py").write_text("x = 0\n" * (MAX_MODULE_LINES + 1))
    assert long_functions(root) == {("report/long.py", "Page.draw"): MAX_FUNCTION_LINES + 1}
    assert long_modules(root) == {"systems.py": MAX_MODULE_LINES + 1}
    (root / "report" / "long.py").write_text(
        "def f():\n" + body(MAX_FUNCTION_LINES - 2, "    ") + "    return 0\n")
    assert long_functions(root) == {}  # 80 lines: allowed
