"""The package builds quietly and ships every file the app reads."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_building_the_package_gives_no_setuptools_warning_and_ships_every_data_file(tmp_path: Path) -> None:
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "vendor", "*.egg-info")
    for part in ("engine", "webapp"):
        shutil.copytree(PROJECT_ROOT / part, source / part, ignore=ignore)
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, source / name)
    built = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "build_py", "-d",
                            str(tmp_path / "out")], cwd=source, capture_output=True, text=True, check=True)
    output = built.stdout + built.stderr
    assert "would be ignored" not in output and "Warning" not in output, output
    tracked = subprocess.run(["git", "ls-files", "engine", "webapp"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    shipped = {str(path.relative_to(tmp_path / "out")) for path in (tmp_path / "out").rglob("*") if path.is_file()}
    assert sorted(set(tracked) - shipped) == []
