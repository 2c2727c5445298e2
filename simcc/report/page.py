"""The shell shared by simcc's HTML pages (run, comparison, staffing): inline CSS, every
user-given text escaped, figures as inline PNG, no network."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from importlib.metadata import version

from matplotlib.figure import Figure

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:70rem;color:#1d2330;line-height:1.45;padding:0 1rem}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:2px solid #e3e7ef;padding-bottom:.3rem}
.meta{color:#5b6475}table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.92rem}
th,td{padding:.3rem .7rem;border-bottom:1px solid #e3e7ef;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f4f6fa}
td.ci{color:#5b6475;font-size:.85rem}figure{margin:1rem 0}img{max-width:100%}
figcaption{color:#5b6475;font-size:.9rem}ul{padding-left:1.2rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{background:#f4f6fa;border-radius:8px;
padding:.7rem 1rem;min-width:9rem}.card b{display:block;font-size:1.4rem}
"""


def escape(text: object) -> str:
    """``text`` as HTML text or attribute value: every user-given string (names of
    channels, skills, intents, segments, groups, variants, the scenario) goes through
    here, so that markup in a name is shown, never interpreted."""
    return html.escape(str(text), quote=True)


def png_base64(fig: Figure) -> str:
    """``fig`` as a base64 PNG (100 dpi)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def figure_html(fig: Figure, caption: str) -> str:
    """A ``<figure>`` with ``fig`` inline and ``caption`` (escaped) as alt text and caption."""
    return (f'<figure><img alt="{escape(caption)}" src="data:image/png;base64,'
            f'{png_base64(fig)}"><figcaption>{escape(caption)}</figcaption></figure>')


def html_page(kind: str, title: str, subtitle: str, body: str, closing: str,
              items: Iterable[str], css: str = "") -> str:
    """A whole page: ``<title>`` "KIND: TITLE", the heading and the subtitle (with the
    simcc version), ``body`` (HTML), then a ``closing`` section listing ``items`` (text)."""
    listed = "".join(f"<li>{escape(item)}</li>" for item in items)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(kind)}: {escape(title)}</title><style>{CSS}{css}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="meta">{escape(subtitle)} — simcc {version("simcc")}</p>
{body}
<h2>{escape(closing)}</h2><ul>{listed}</ul>
</body></html>
"""
