"""Chinese text draws with real glyphs: in matplotlib figures (the font the ``cjk`` extra
installs) and on the classroom page (the web font in the demo's asset cache)."""

from __future__ import annotations

import io
import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402
from limitlab.experiments import fonts  # noqa: E402
from limitlab.experiments.demo import fetch_assets  # noqa: E402
from limitlab.experiments.i18n import catalogue_path, read_catalogue  # noqa: E402

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’·]")


def chinese_characters() -> set[str]:
    """Every CJK character and full-width mark the Chinese catalogue uses."""
    catalog = read_catalogue(catalogue_path("zh"), "zh")
    return {c for m in catalog if m.id for c in CJK.findall(m.string)}


def test_a_figure_with_chinese_text_draws_every_glyph():
    family = fonts.require_cjk_font()
    assert family
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_title(fonts.SAMPLE + " 2026")
    ax.set_xlabel("月份 month")
    ax.plot([0, 1], [0, 1], label="多头借贷型")
    ax.legend()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "Glyph ... missing from font(s)" fails the test
            fig.savefig(io.BytesIO(), format="png")
            fig.savefig(io.BytesIO(), format="svg")
    finally:
        plt.close(fig)


def test_the_figure_font_covers_every_chinese_character_of_the_catalogue():
    font = TTFont(fonts.cjk_font_path(), fontNumber=0, lazy=True)
    cmap = font.getBestCmap()
    missing = sorted(c for c in chinese_characters() if ord(c) not in cmap)
    assert not missing, f"no glyph for: {''.join(missing)}"


def test_a_named_font_file_that_does_not_exist_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv(fonts.FONT_ENV, str(tmp_path / "none.otf"))
    with pytest.raises(fonts.CJKFontMissing, match="LIMITLAB_CJK_FONT: .*none.otf — not a font file"):
        fonts.require_cjk_font()


def test_the_pages_web_font_covers_every_chinese_character_of_the_catalogue():
    name, version = fonts.WEB_FONT_PACKAGE
    folder = fetch_assets.package_dir(fetch_assets.DEFAULT_CACHE, name, version)
    if f"{name}@{version}" in fetch_assets.missing():
        pytest.skip("the demo's asset cache has no web font: run `make assets`")
    woff = folder / fonts.WEB_FONT_FILES[1]  # the woff (zlib) holds the same glyphs as the woff2
    cmap = TTFont(woff, lazy=True).getBestCmap()
    missing = sorted(c for c in chinese_characters() if ord(c) not in cmap)
    assert not missing, f"the browser would draw boxes for: {''.join(missing)}"
    assert fonts.WEB_FONT_FILES[0] in fonts.WEB_FONT_CSS and fonts.WEB_FONT_NAME in fonts.WEB_FONT_FAMILY
