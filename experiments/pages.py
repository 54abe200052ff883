"""The page every limitlab report is made of: sections, tables, number formats and the HTML.

One system for every report kind (run, batch, sweep, study, validation, comparison): a page
is a title, a line of provenance, summary sentences and :class:`Section`s, each with HTML
paragraphs and tables and named PNG figures embedded inline (no scripts, no network).
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field

import numpy as np
from limitlab.experiments import outcomes
from limitlab.experiments.i18n import _, current_language


@dataclass
class Section:
    """One heading of the report: paragraphs/tables (HTML) and named figures."""

    title: str
    html: list[str] = field(default_factory=list)
    figures: list[tuple[str, str, object]] = field(default_factory=list)  # (name, caption, Figure)


def fmt_value(v: float, kind: str) -> str:
    """A number in the common style of :mod:`limitlab.experiments.outcomes` (kinds
    ``share``/``pct``, ``yuan``/``money``, ``ratio``, ``count``, ``number``/``num``)."""
    return outcomes.fmt(v, kind)


def fmt_ci(m: float, lo: float, hi: float, kind: str) -> str:
    """``value (low–high)`` on one line with one unit, or the value alone when the interval
    is undefined (:func:`limitlab.experiments.outcomes.fmt_ci`)."""
    return outcomes.fmt_ci(m, lo, hi, kind)


def html_table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return (f'<div class="scroll"><table class="{cls}"><thead><tr>{th}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1360px;padding:1.5rem;color:#222;line-height:1.45}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
.meta{color:#666;font-size:.9rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.88rem}
th,td{border:1px solid #ddd;padding:.25rem .55rem;text-align:right}
td{white-space:nowrap}td:first-child{white-space:normal}
div.scroll{overflow-x:auto;max-width:100%}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
table.segments td:nth-child(2),table.segments th:nth-child(2){text-align:left}
table.segments{font-size:.8rem}
table.params td,table.params th{text-align:left}table.params td:last-child{white-space:normal}
table.segments td:nth-child(-n+2){white-space:nowrap}
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.88rem}
ul.summary li{margin:.2rem 0}
p.warning{background:#fff4e5;border-left:4px solid #e67e00;padding:.4rem .7rem}
"""


def fmt_any(v) -> str:
    if isinstance(v, float | np.floating):
        return f"{v:.4g}"
    return "" if v is None else str(v)


# the ``lang`` attribute of a report page in each language (a browser picks CJK glyph forms by it)
HTML_LANG = {"en": "en", "zh": "zh-CN"}
CJK_FONT_FAMILY = "limitlab CJK"


def cjk_font_css(text: str) -> str:
    """An ``@font-face`` rule embedding the CJK font (:mod:`limitlab.experiments.fonts`)
    cut down to the Chinese characters of ``text``, so a Chinese report shows its words on a
    machine without a Chinese font and stays one self-contained file (tens of kB, not the
    font's 16 MB). Empty when ``text`` has no CJK character or no CJK font is installed."""
    chars = sorted({c for c in text if ord(c) >= 0x2E80})
    if not chars:
        return ""
    from limitlab.experiments.fonts import cjk_font_path

    path = cjk_font_path()
    if path is None:
        return ""
    import io

    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"  # zlib-compressed; woff2 would need brotli
    options.desubroutinize = True
    font = subset.load_font(str(path), options)
    sub = subset.Subsetter(options)
    sub.populate(text="".join(chars))
    sub.subset(font)
    buf = io.BytesIO()
    subset.save_font(font, buf, options)
    font.close()
    b64 = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f"@font-face{{font-family:'{CJK_FONT_FAMILY}';font-style:normal;font-weight:400;"
            f"src:url(data:font/woff;base64,{b64}) format('woff')}}\n"
            # first in the list: it holds only the page's Chinese characters, so Latin text
            # keeps the system font; listed after system-ui, Chromium drew some Chinese
            # words as empty boxes
            f"body{{font-family:'{CJK_FONT_FAMILY}',system-ui,-apple-system,\"Segoe UI\",Roboto,"
            "sans-serif}\n")


def render_html(title: str, meta: str, summary: list[str], sections: list[Section],
                images: dict[str, bytes], warnings: list[str] | None = None) -> str:
    """The report page: warnings (if any), summary, then each section's HTML and figures
    (inline PNG), in the current language (:func:`limitlab.experiments.i18n.language`)."""
    lang = current_language()
    head = [
        "<!DOCTYPE html>", f'<html lang="{HTML_LANG.get(lang, lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{CSS}</style>",
    ]
    parts = [
        # an inline icon, so the browser does not ask the (absent) server for favicon.ico
        '<link rel="icon" href="data:,">', "</head><body>",
        f"<h1>{html.escape(title)}</h1>", f'<p class="meta">{html.escape(meta)}</p>',
        *(f'<p class="warning">{html.escape(_("Warning: {warning}.").format(warning=w))}</p>'
          for w in warnings or []),
        f"<h2>{html.escape(_('Summary'))}</h2>", '<ul class="summary">',
        *(f"<li>{html.escape(s)}</li>" for s in summary), "</ul>",
    ]
    for sec in sections:
        if not sec.html and not sec.figures:
            continue
        parts.append(f"<h2>{html.escape(sec.title)}</h2>")
        parts.extend(sec.html)
        for name, caption, _fig in sec.figures:
            b64 = base64.b64encode(images[name]).decode("ascii")
            parts.append(f'<figure><img src="data:image/png;base64,{b64}" '
                         f'alt="{html.escape(caption)}"><figcaption>{html.escape(caption)}'
                         "</figcaption></figure>")
    parts.append("</body></html>")
    if lang != "en":  # the English page stays as it was; others carry their glyphs
        font = cjk_font_css("".join(parts))
        if font:
            head.append(f"<style>{font}</style>")
    return "\n".join(head + parts)
