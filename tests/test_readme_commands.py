"""Every ``astray`` command line in the README's code blocks is one the command line accepts
(issue 19: the README's examples as written): each is parsed by astray's own typer app, so an
option renamed or removed in the code and not in the README fails here. Lines with ``...``
(an elided command) are skipped; nothing is run."""

import re
import shlex
from pathlib import Path

import pytest
import typer.main

from astray.cli import app, attach_to_preceding_potential

README = Path(__file__).resolve().parents[1] / "README.md"
#: typer >= 0.16 carries its own copy of click (typer._click); earlier ones use click itself.
try:
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older typer
    from click.exceptions import UsageError


def readme_commands() -> list[str]:
    """The ``astray ...`` lines of the README's fenced code blocks, continuation lines joined,
    comments dropped."""
    blocks = re.findall(r"```[^\n]*\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    commands = []
    for block in blocks:
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("astray ") and "..." not in line:
                commands.append(line)
    return commands


def parse(words: list[str]) -> None:
    """Parse a command line with astray's command tree (typer's click), without running it."""
    command = typer.main.get_command(app)
    context = command.make_context("astray", list(words))
    while hasattr(command, "resolve_command"):  # a group: descend into the subcommand
        protected = getattr(context, "_protected_args", None)
        if protected is None:  # pragma: no cover - the public name of older click
            protected = context.protected_args
        name, command, rest = command.resolve_command(context, [*protected, *context.args])
        context = command.make_context(name, rest, parent=context)


def test_the_readme_has_commands_to_check():
    assert len(readme_commands()) >= 30


@pytest.mark.parametrize("line", readme_commands())
def test_a_readme_command_is_one_astray_accepts(line):
    parse(attach_to_preceding_potential(shlex.split(line)[1:]))


@pytest.mark.parametrize("words", [["scale", "--n-trian", "100"], ["curves", "--suite"],
                                   ["data", "infoo", "default"]])
def test_a_wrong_command_is_caught(words):
    with pytest.raises(UsageError):
        parse(words)
