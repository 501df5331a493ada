"""The typed manifest (``asylumlens.manifest``) is what ingest really writes, key for key.

A synthetic release with faults (so quarantines, repairs, out-of-lookup codes and orphans
occur) is made and ingested the way a user does it; its ``manifest.json`` is then checked
against the TypedDicts: every required key present, no key the types do not declare, and
every value of its declared type, block by block and table by table. A writer that adds,
drops or retypes a key fails here until ``asylumlens/manifest.py`` says so too. Loading
stays a plain ``json.loads`` (TypedDicts are dicts at run time).
"""

from __future__ import annotations

import json
import types
import typing
from datetime import date
from pathlib import Path
from typing import Any, Literal, NotRequired, Union, get_args, get_origin, get_type_hints

import pytest

from asylumlens import manifest as manifest_types
from asylumlens.manifest import Manifest
from asylumlens.pipeline import ingest_release
from asylumlens.store import MANIFEST, Release, Store, load_manifest
from asylumlens.synth import generate


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    root = tmp_path_factory.mktemp("manifest-types")
    made = generate(root / "synth", 1500, 3, release_date=date(2026, 11, 1), faults=True)
    return ingest_release(made.release, Store(root / "store")).release


def raw(release: Release) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((release.path / MANIFEST).read_text(encoding="utf-8"))
    return data


def is_typed_dict(tp: Any) -> bool:
    return isinstance(tp, type) and typing.is_typeddict(tp)


def mismatches(value: Any, tp: Any, where: str) -> list[str]:
    """Where ``value`` is not of type ``tp`` (the annotations the manifest module uses)."""
    origin = get_origin(tp)
    if tp is Any:
        return []
    if is_typed_dict(tp):
        return object_mismatches(value, tp, where)
    if origin in (Union, types.UnionType):
        options = [mismatches(value, option, where) for option in get_args(tp)]
        return [] if any(not o for o in options) else [f"{where}: {value!r} is not {tp}"]
    if origin is Literal:
        return [] if value in get_args(tp) else [f"{where}: {value!r} not in {get_args(tp)}"]
    if origin in (list, dict):
        return container_mismatches(value, tp, where)
    return scalar_mismatches(value, tp, where)


def object_mismatches(value: Any, tp: Any, where: str) -> list[str]:
    """A TypedDict: required keys present, no undeclared key, each value of its type."""
    if not isinstance(value, dict):
        return [f"{where}: {type(value).__name__}, not an object"]
    hints = get_type_hints(tp)
    required = set(tp.__required_keys__)
    problems = [f"{where}.{k}: missing" for k in sorted(required - set(value))]
    problems += [f"{where}.{k}: not declared" for k in sorted(set(value) - set(hints))]
    for key in sorted(set(value) & set(hints)):
        problems += mismatches(value[key], hints[key], f"{where}.{key}")
    return problems


def container_mismatches(value: Any, tp: Any, where: str) -> list[str]:
    """``list[X]`` or ``dict[str, X]``: the container, then each item."""
    *_, item = get_args(tp)
    if get_origin(tp) is list:
        if not isinstance(value, list):
            return [f"{where}: not a list"]
        return [p for i, v in enumerate(value) for p in mismatches(v, item, f"{where}[{i}]")]
    if not isinstance(value, dict):
        return [f"{where}: not an object"]
    return [p for k, v in value.items() for p in mismatches(v, item, f"{where}[{k!r}]")]


def scalar_mismatches(value: Any, tp: Any, where: str) -> list[str]:
    """JSON scalars: a bool is no number, an int is a float."""
    if tp is type(None):
        ok = value is None
    elif tp in (int, float):
        ok = isinstance(value, int if tp is int else int | float) and not isinstance(value, bool)
    elif tp in (str, bool):
        ok = isinstance(value, tp)
    else:
        raise AssertionError(f"{where}: the checker does not know {tp!r}")  # pragma: no cover
    return [] if ok else [f"{where}: {value!r} is not {tp.__name__}"]


def test_the_written_manifest_is_the_typed_manifest(release: Release) -> None:
    data = raw(release)
    assert mismatches(data, Manifest, "manifest") == []
    # the faults made the optional keys occur, so their types were checked too
    tables = data["tables"]
    assert any("out_of_lookup" in t for t in tables.values())
    assert any("orphans" in t for t in tables.values())
    assert "quick_fingerprint" in data["release"] and "decisions" in data
    # every rollup the ingest wrote counts each ASYL decision of the fact table once
    assert len({block["decisions"] for block in data["rollups"].values()}) == 1
    assert sum(t["quarantined"] for t in tables.values()) == data["totals"]["quarantined"] > 0


def test_the_checker_catches_an_undeclared_a_missing_and_a_mistyped_key(
    release: Release,
) -> None:
    data = raw(release)
    data["release"]["surprise"] = 1
    del data["totals"]["loaded"]
    first = next(iter(data["tables"]))
    data["tables"][first]["lines"] = "12"
    assert mismatches(data, Manifest, "manifest") == [
        "manifest.release.surprise: not declared",
        f"manifest.tables['{first}'].lines: '12' is not int",
        "manifest.totals.loaded: missing",
    ]


def test_loading_is_plain_json(release: Release) -> None:
    loaded = load_manifest(release.path / MANIFEST)
    assert type(loaded) is dict and loaded == raw(release)
    assert release.manifest == loaded and release.info == loaded["release"]


def test_every_not_required_key_is_documented_as_optional() -> None:
    """The module's docstring says which keys a manifest may lack; the types agree."""
    optional = {
        (name, key)
        for name, tp in vars(manifest_types).items()
        if is_typed_dict(tp)
        for key, hint in typing.get_type_hints(tp, include_extras=True).items()
        if get_origin(hint) is NotRequired
    }
    assert optional == {
        ("ReleaseBlock", "quick_fingerprint"),
        ("TableEntry", "out_of_lookup"),
        ("TableEntry", "orphans"),
        ("Manifest", "decisions"),
        ("Manifest", "rollups"),
    }


def test_the_manifest_module_imports_nothing_of_the_package() -> None:
    source = Path(manifest_types.__file__).read_text(encoding="utf-8")
    assert "import asylumlens" not in source and "from asylumlens" not in source
