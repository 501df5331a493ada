"""docs/cli.md is the CLI's ``--help``, generated (``python -m asylumlens.cli_docs``), and
every command's help shows an example."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from asylumlens.cli import app
from asylumlens.cli_docs import COMMAND, render

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
COMMANDS = dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_docs_cli_md_is_current() -> None:
    assert DOC.read_text("utf-8") == render(), f"docs/cli.md is stale: run `{COMMAND}` to update"


def test_the_reference_names_every_command_and_option() -> None:
    text = render()
    for name, command in COMMANDS.items():
        assert f"## asylumlens {name}\n" in text
        for param in command.params:
            for opt in param.opts if param.param_type_name == "option" else ():
                assert f"`{opt}`" in text, (name, opt)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_help_has_an_example(name: str) -> None:
    lines = (COMMANDS[name].help or "").splitlines()
    examples = [x.strip() for x in lines if x.strip().startswith("Example")]
    assert examples and f"asylumlens {name}" in examples[0], name
