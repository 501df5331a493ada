"""README's layout section names every module and subpackage of ``src/asylumlens``, and
nothing that is not there: the map a newcomer reads matches the tree."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "src" / "asylumlens"


def layout_entries() -> set[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```\nsrc/asylumlens/\n(.*?)```", text, re.S)
    assert block is not None, "README.md has no src/asylumlens/ layout block"
    return set(re.findall(r"^  (\S+?/?)\s", block.group(1), re.M))


def tree_entries() -> set[str]:
    found = set()
    for path in PACKAGE.iterdir():
        if path.name.startswith(("_", ".")) and path.name != "__init__.py":
            continue
        if path.is_dir() and any(path.glob("*.py")) | any(path.glob("*.md")):
            found.add(f"{path.name}/")
        elif path.suffix == ".py" and path.name != "__main__.py":
            found.add(path.name)
    return found


def test_readme_layout_matches_the_tree() -> None:
    assert layout_entries() == tree_entries()
