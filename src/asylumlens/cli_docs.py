"""docs/cli.md, written from the CLI's own ``--help``: ``python -m asylumlens.cli_docs``.

The reference is generated from the Typer app (each command's docstring, arguments and
options with their help and defaults), never written by hand, so it cannot drift from the
code; ``tests/test_cli_docs.py`` fails when docs/cli.md differs from a fresh generation.
The output is plain Markdown, independent of the terminal's width.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import typer

from asylumlens.cli import app

DEFAULT_PATH: Final = Path("docs/cli.md")
COMMAND: Final = "python -m asylumlens.cli_docs"

_HEADER: Final = f"""\
# Command-line reference

Generated from `asylumlens --help` by `{COMMAND}`; do not edit by hand.
Every command takes `--help`. Bad options and bad values are one line on stderr and exit
status 2. The store is `--store`, else `$ASYLUMLENS_STORE`, else `./asylumlens-data`.
"""


def render() -> str:
    """The whole reference, commands in the order ``asylumlens --help`` lists them."""
    group: Any = typer.main.get_command(app)
    parts = [_HEADER, f"`asylumlens [--version] COMMAND ...`: {group.help}\n"]
    parts.append("| command | what it does |\n|---|---|")
    for name, command in group.commands.items():
        parts.append(f"| [`{name}`](#asylumlens-{name}) | {_first_line(command.help)} |")
    parts.append("")
    root = group.make_context("asylumlens", [], resilient_parsing=True)
    for name, command in group.commands.items():
        ctx = command.make_context(name, [], parent=root, resilient_parsing=True)
        parts.append(_command(name, command, ctx))
    return "\n".join(parts).rstrip("\n") + "\n"


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n\n")[0].replace("\n", " ").replace("|", "\\|")


def _command(name: str, command: Any, ctx: Any) -> str:
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    options = [p for p in command.params if p.param_type_name == "option" and not p.hidden]
    usage = " ".join(["asylumlens", name, "[OPTIONS]", *(p.name.upper() for p in arguments)])
    text = (command.help or "").strip()
    lines = [f"## asylumlens {name}", "", f"`{usage}`", "", "```text", text, "```", ""]
    if arguments:
        lines += ["Arguments:", ""]
        lines += [f"- `{p.name.upper()}`: {p.help or ''}".rstrip() for p in arguments]
        lines.append("")
    lines += ["Options:", ""]
    lines += [_option(p, ctx) for p in options]
    lines.append("- `--help`: Show the help and exit.")
    lines.append("")
    return "\n".join(lines)


def _option(param: Any, ctx: Any) -> str:
    names = ", ".join(f"`{n}`" for n in [*param.opts, *param.secondary_opts])
    metavar = "" if param.is_flag else f" `{param.display_type(ctx)}`"
    text = f"- {names}{metavar}: {param.help or ''}".rstrip()
    if param.min is not None or param.max is not None:
        text += f" (range: {_bound(param.min)} to {_bound(param.max)})"
    if param.required:
        return f"{text} (required)"
    default = param.default
    if default is None or param.is_flag or param.show_default is False:
        return text
    shown = default.value if hasattr(default, "value") else default
    return f"{text} (default: {shown})"


def _bound(value: float | None) -> str:
    if value is None:
        return "any"
    return str(value) if isinstance(value, int) else f"{value:g}"


def main(argv: Sequence[str] | None = None) -> None:
    """Write the reference to ``argv[0]`` (default docs/cli.md, from the checkout's root)."""
    args = list(sys.argv[1:] if argv is None else argv)
    target = Path(args[0]) if args else DEFAULT_PATH
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":  # pragma: no cover
    main()
