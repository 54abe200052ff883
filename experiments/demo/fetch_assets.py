"""Fill the demo's local asset cache so the page works without internet access.

Solara loads its JavaScript and CSS from a CDN at page load; with
``SOLARA_ASSETS_PROXY_CACHE_DIR`` pointing at a folder laid out as
``<npm-package>@<version>/...`` it serves them from there instead. This script fills that
folder from the npm registry with ``npm pack`` (the registry is reachable on the project's
machines and CI; a classroom's closed network is not), so set-up needs internet once and
the demo never does.

The packages are the ones solara 1.64.1 requested (read from the server log with an empty
cache); when solara is upgraded, run the demo once with an empty cache and compare.

Usage::

    python -m limitlab.experiments.demo.fetch_assets [--cache DIR] [--check]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from limitlab.experiments.fonts import WEB_FONT_FILES, WEB_FONT_PACKAGE

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CACHE = REPO / ".assets" / "solara-cdn"
COMPLETE = ".limitlab-complete"  # written last: a half-filled package folder is refetched

# (npm package, version) as solara 1.64.1 with ipyvue/ipyvuetify 1.x asks for them
PACKAGES: tuple[tuple[str, str], ...] = (
    ("@widgetti/solara-vuetify-app", "10.1.1"),  # the page's Vue app, CSS and fonts
    ("requirejs", "2.3.6"),
    ("font-awesome", "4.5.0"),
    ("@widgetti/vue-grid-layout", "2.3.13-alpha.2"),  # Mesa's draggable grid of views
    ("echarts", "5.4.0"),  # the page's charts, drawn by the browser (solara.FigureEcharts)
    WEB_FONT_PACKAGE,  # Chinese glyphs for the page (Noto Sans SC), served as a web font
)
# Packages of which only some files are kept (the font package holds 1,900 files, 9 weights)
ONLY: dict[str, tuple[str, ...]] = {WEB_FONT_PACKAGE[0]: WEB_FONT_FILES}


def package_dir(cache: Path, name: str, version: str) -> Path:
    """Where solara looks for ``name@version`` inside the cache."""
    return cache / f"{name}@{version}"


def missing(cache: Path = DEFAULT_CACHE) -> list[str]:
    """The ``name@version`` packages not (completely) in ``cache``."""
    return [
        f"{name}@{version}"
        for name, version in PACKAGES
        if not (package_dir(cache, name, version) / COMPLETE).exists()
    ]


def fetch(cache: Path = DEFAULT_CACHE, *, quiet: bool = False) -> Path:
    """Download every missing package with ``npm pack`` and unpack it into ``cache``.

    Returns:
        The cache folder (to pass as ``SOLARA_ASSETS_PROXY_CACHE_DIR``).

    Raises:
        RuntimeError: npm is not installed, or ``npm pack`` failed (message says how to fix).
    """
    todo = [(n, v) for n, v in PACKAGES if f"{n}@{v}" in missing(cache)]
    if not todo:
        return cache
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is needed once to fetch the demo's page assets (the page itself runs offline); "
            "install Node.js/npm (e.g. 'apt-get install -y npm') and run 'make assets' again"
        )
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="limitlab-assets-") as tmp:
        for name, version in todo:
            spec = f"{name}@{version}"
            if not quiet:
                print(f"fetching {spec}", file=sys.stderr)
            done = subprocess.run(
                [npm, "pack", spec, "--silent", "--pack-destination", tmp],
                capture_output=True, text=True, check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"'npm pack {spec}' failed: {done.stderr.strip()[-500:]}")
            tarball = Path(tmp) / done.stdout.strip().splitlines()[-1]
            target = package_dir(cache, name, version)
            if target.exists():
                shutil.rmtree(target)
            unpack = Path(tmp) / "unpacked"
            with tarfile.open(tarball) as tar:
                members = None
                if name in ONLY:
                    wanted = {f"package/{f}" for f in ONLY[name]}
                    members = [m for m in tar.getmembers() if m.name in wanted]
                tar.extractall(unpack, members=members, filter="data")
            # npm tarballs hold one top folder, "package/" for nearly every package
            (top,) = [p for p in unpack.iterdir() if p.is_dir()]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(top), target)
            shutil.rmtree(unpack)
            (target / COMPLETE).write_text(spec + "\n")
    return cache


def main(argv: list[str] | None = None) -> int:
    """Command line: fill the cache, or with ``--check`` only report what is missing."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="asset cache folder")
    parser.add_argument("--check", action="store_true", help="only list missing packages")
    args = parser.parse_args(argv)
    if args.check:
        gone = missing(args.cache)
        for spec in gone:
            print(f"missing: {spec}")
        return 1 if gone else 0
    try:
        fetch(args.cache)
    except RuntimeError as exc:
        print(f"fetch_assets: error: {exc}", file=sys.stderr)
        return 1
    print(args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
