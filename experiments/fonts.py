"""A font with Chinese characters, for matplotlib figures and for the classroom page.

Nothing here is a font file in the repository: the fonts come from registry packages that
``make setup`` / ``make assets`` install.

* **Figures (matplotlib)**: Noto Sans CJK SC from the PyPI package ``mplfonts`` (installed
  with limitlab's ``cjk`` extra, which ``make setup`` includes), or a system font with Chinese
  glyphs (Debian's ``fonts-noto-cjk``, WenQuanYi, Source Han Sans), or the file named by
  ``LIMITLAB_CJK_FONT``. :func:`use_cjk_font` registers it with matplotlib and appends it to
  ``font.family``, so Latin text keeps its look and Chinese characters fall back to it.
  Without one, :func:`require_cjk_font` raises :class:`CJKFontMissing` with one line saying
  how to install it.
* **The page (browser)**: the Simplified Chinese subset of Noto Sans SC (400 weight, one
  1.1 MB woff2 file) from the npm package ``@fontsource/noto-sans-sc``, fetched into the
  demo's offline asset cache with the page's other assets and served as a web font
  (:data:`WEB_FONT_CSS`); a browser that has a CJK system font uses that one first.

A report that draws Chinese text calls ``use_cjk_font()`` before drawing (see ``docs/demo.md``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

FONT_ENV = "LIMITLAB_CJK_FONT"
MPLFONTS_FILE = "NotoSansCJKsc-Regular.otf"  # in the mplfonts wheel: mplfonts/fonts/
# families with Simplified Chinese glyphs that a system may have (first found is used)
SYSTEM_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback", "AR PL UMing CN",
)
INSTALL_HINT = (
    "no font with Chinese characters found — run 'make setup' (it installs limitlab's 'cjk' "
    "extra: pip install -e '.[cjk]'), or install Debian's fonts-noto-cjk, or set "
    f"{FONT_ENV} to a .ttf/.otf file with Chinese glyphs"
)
SAMPLE = "借呗信用额度不足提前还款多头借贷系统调整申诉"  # what a Chinese figure must draw

# The page's web font: the npm package the demo's asset cache holds, and the files kept.
WEB_FONT_PACKAGE = ("@fontsource/noto-sans-sc", "5.3.0")
WEB_FONT_FILES = (
    "files/noto-sans-sc-chinese-simplified-400-normal.woff2",
    "files/noto-sans-sc-chinese-simplified-400-normal.woff",
    "LICENSE",
)
WEB_FONT_NAME = "limitlab Noto Sans SC"
_BASE = f"/_solara/cdn/{WEB_FONT_PACKAGE[0]}@{WEB_FONT_PACKAGE[1]}/"
WEB_FONT_CSS = (
    f"@font-face {{font-family:'{WEB_FONT_NAME}';font-style:normal;font-weight:400;"
    "font-display:swap;"
    f"src:url({_BASE}{WEB_FONT_FILES[0]}) format('woff2'),url({_BASE}{WEB_FONT_FILES[1]}) "
    "format('woff');}\n"
)
# Latin text keeps the page's font; Chinese characters come from a system CJK font or the
# web font (the browser picks a font per character down this list).
WEB_FONT_FAMILY = (
    f"Roboto,'Helvetica Neue',Arial,'Noto Sans CJK SC','Noto Sans SC','{WEB_FONT_NAME}',sans-serif"
)


class CJKFontMissing(RuntimeError):
    """No font with Chinese characters could be found (the message says how to get one)."""


def mplfonts_font() -> Path | None:
    """Noto Sans CJK SC as shipped by the ``mplfonts`` package, if it is installed."""
    spec = importlib.util.find_spec("mplfonts")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "fonts" / MPLFONTS_FILE
        if path.is_file():
            return path
    return None


def system_font() -> Path | None:
    """A system font of one of :data:`SYSTEM_FAMILIES` that matplotlib can see."""
    from matplotlib import font_manager

    by_name = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in SYSTEM_FAMILIES:
        if family in by_name:
            return Path(by_name[family])
    return None


def cjk_font_path() -> Path | None:
    """The font file to draw Chinese with: ``LIMITLAB_CJK_FONT``, mplfonts's, or a system one."""
    named = os.environ.get(FONT_ENV)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise CJKFontMissing(f"{FONT_ENV}: {named} — not a font file")
        return path
    return mplfonts_font() or system_font()


def use_cjk_font() -> str | None:
    """Register the CJK font with matplotlib and add it to the sans-serif list.

    Returns the font's family name, or ``None`` when there is none (figures with Chinese
    text would then draw empty boxes: call :func:`require_cjk_font` to fail instead).
    """
    from matplotlib import font_manager, rcParams

    path = cjk_font_path()
    if path is None:
        return None
    if str(path) not in {f.fname for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    # matplotlib falls back glyph by glyph along font.family: Latin text keeps the first
    # family's look, Chinese characters come from this font
    chain = [f for f in rcParams["font.family"] if f != family]
    rcParams["font.family"] = [*chain, family]
    return family


def require_cjk_font() -> str:
    """:func:`use_cjk_font`, raising :class:`CJKFontMissing` when no font is found."""
    family = use_cjk_font()
    if family is None:
        raise CJKFontMissing(INSTALL_HINT)
    return family
