"""Puts the front-end packages the app serves into webapp/static/vendor.

`scripts/install` runs `npm ci` (pinned by package-lock.json) and then this module, which
copies the files the pages load out of node_modules and bundles the entry points under
webapp/frontend with esbuild. Nothing is fetched when the app runs; the vendor folder is
git-ignored and rebuilt by every install.

    python -m webapp.assets
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"
VENDOR = Path(__file__).resolve().parent / "static" / "vendor"
FRONTEND = Path(__file__).resolve().parent / "frontend"

# Served as published: vendor path -> path inside node_modules (a file or a folder).
COPIED: dict[str, str] = {
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "axe.min.js": "axe-core/axe.min.js",
    "bpmn-js/bpmn-navigated-viewer.production.min.js":
        "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
    "bpmn-js/bpmn-modeler.production.min.js": "bpmn-js/dist/bpmn-modeler.production.min.js",
    "bpmn-js/assets": "bpmn-js/dist/assets",
}

# Bundled by esbuild: vendor path -> entry point under webapp/frontend.
BUNDLED: dict[str, str] = {}


def build() -> list[Path]:
    """Copies and bundles every asset; returns what it wrote."""
    if not MODULES.is_dir():
        raise SystemExit("node_modules is missing: run scripts/install (it runs npm ci)")
    written: list[Path] = []
    for target, source in COPIED.items():
        written.append(_copy(MODULES / source, VENDOR / target))
    for target, entry in BUNDLED.items():
        written.append(_bundle(FRONTEND / entry, VENDOR / target))
    return written


def _copy(source: Path, target: Path) -> Path:
    if not source.exists():
        raise SystemExit(f"{source.relative_to(ROOT)} is missing: run npm ci")
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)
    else:
        shutil.copyfile(source, target)
    return target


def _bundle(entry: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(MODULES / ".bin" / "esbuild"), str(entry), "--bundle", "--minify",
                    "--format=iife", "--target=es2020", "--loader:.css=css",
                    f"--outfile={target}"], check=True, cwd=ROOT)
    return target


def main() -> None:
    for path in build():
        print(f"  {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
