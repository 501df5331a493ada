"""The installed wheel carries the methodology (issue 12 item 6).

The Methodology page reads ``docs/methodology.md``; an installed wheel has no checkout
beside it, so the package must carry the text (``src/asylumlens/docs/methodology.md``, a
link to the one document, copied into the wheel as package data). This test builds a
wheel from a copy of the source tree the way a user would (``pip wheel``, build isolation:
the venv holds no ``wheel`` package for setuptools' ``bdist_wheel``), installs it into a
fresh venv whose dependencies come from this environment, and renders the page there,
outside any checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

from asylumlens.web.methodology import methodology_html

ROOT = Path(__file__).resolve().parents[1]
CHECKOUT_DOC = ROOT / "docs" / "methodology.md"


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{cmd[:4]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def source_copy(dest: Path) -> Path:
    """The files a wheel is built from, copied with symlinks kept (as a clone has them)."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "screenshots")
    shutil.copytree(ROOT / "src", dest / "src", symlinks=True, ignore=ignore)
    shutil.copytree(ROOT / "docs", dest / "docs", symlinks=True, ignore=ignore)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = source_copy(tmp_path_factory.mktemp("wheel-src"))
    out = tmp_path_factory.mktemp("wheel-out")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), "."], src)
    (built,) = out.glob("asylumlens-*.whl")
    return built


def test_the_wheel_holds_the_methodology_text(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        packaged = zf.read("asylumlens/docs/methodology.md").decode("utf-8")
    assert packaged == CHECKOUT_DOC.read_text(encoding="utf-8")


def test_the_wheel_holds_every_template_static_file_and_migration(wheel: Path) -> None:
    """Every non-Python file the package reads at run time is in the wheel: the page
    templates (the case workspace's, in their own folder, included), static assets and the
    case database's migrations. A new folder missing from package-data fails here."""
    package = ROOT / "src" / "asylumlens"
    wanted = {
        p.relative_to(package.parent).as_posix()
        for pattern in ("web/templates/**/*.html", "web/static/*", "cases/migrations/**/*.py")
        for p in package.glob(pattern)
        if p.is_file() and "__pycache__" not in p.parts
    }
    with zipfile.ZipFile(wheel) as zf:
        packaged = set(zf.namelist())
    assert "asylumlens/web/templates/cases/detail.html" in wanted
    assert wanted - packaged == set()


def test_an_installed_wheel_renders_the_methodology_page(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    site = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path
        ).strip()
    )
    # the dependencies from this environment, after the venv's own site-packages (a plain
    # path line: that folder's own .pth files, such as an editable install, are not run)
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
    run([*pip, "--no-deps", "--no-index", str(wheel)], tmp_path)
    script = textwrap.dedent(
        """
        import json
        import asylumlens.web.methodology as m
        html, source = m.methodology_html()
        print(json.dumps({"module": m.__file__, "source": source, "html": html}))
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    got = json.loads(run([str(python), "-I", "-c", script], tmp_path, env))
    assert Path(got["module"]).is_relative_to(site)  # the installed copy, not a checkout
    assert got["source"] == "asylumlens/docs/methodology.md"
    here, _ = methodology_html()
    assert here is not None and got["html"] == str(here)
    assert '<h1 id="methodology-how-asylumlens-counts-asylum-decisions">' in got["html"]
