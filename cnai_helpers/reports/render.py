"""HTML for one report (nbconvert, in-process) and the site index (Jinja2, autoescaped)."""

from __future__ import annotations

import html
import json
import re

import jinja2

STYLE = """
<link rel="icon" href="data:,">
<style>
 body { max-width: 1100px; margin: 0 auto; }
 nav.cnai-toc { background:#f6f8fa; border:1px solid #d0d7de; padding:.6em 1.2em; margin:1em 0;
                font-size:.92em; }
 nav.cnai-toc ul { margin:.2em 0; padding-left:1.2em; }
 footer.cnai-provenance { border-top:2px solid #d0d7de; margin-top:3em; padding:1em 0;
                          font-size:.82em; color:#444; }
 footer.cnai-provenance td, footer.cnai-provenance th { padding:1px 8px; text-align:left;
                          vertical-align:top; font-family:monospace; }
 .cnai-banner { background:#fff3cd; border:1px solid #e0c060; padding:.6em 1em; margin:1em 0; }
 .cnai-banner.failed { background:#fde2e1; border-color:#d08080; }
 p.cnai-caption { font-size:.85em; color:#555; margin-top:.2em; }
</style>
"""

# nbconvert's lab template loads require.js and MathJax from a CDN; the reports use neither, and a
# published page must work offline and without third-party requests.
CDN_SCRIPT_RE = re.compile(r'<script[^>]+src="https?://[^"]+"[^>]*>\s*</script>\s*', re.S)
MATHJAX_CONFIG_RE = re.compile(r'<script type="text/x-mathjax-config">.*?</script>\s*', re.S)
HEADING_RE = re.compile(r'<h([23])\s+id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)


def _strip_tags(s: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", s)).replace("¶", "").strip()


def toc_html(body: str) -> str:
    items = []
    for level, anchor, inner in HEADING_RE.findall(body):
        text = _strip_tags(inner)
        if text:
            items.append((int(level), anchor, text))
    if not items:
        return ""
    lines = ['<nav class="cnai-toc" aria-label="Contents"><strong>Contents</strong><ul>']
    for level, anchor, text in items:
        pad = "" if level == 2 else ' style="margin-left:1.2em"'
        lines.append(f'<li{pad}><a href="#{html.escape(anchor)}">{html.escape(text)}</a></li>')
    lines.append("</ul></nav>")
    return "\n".join(lines)


def provenance_html(prov: dict) -> str:
    e = html.escape
    git = prov["git"]
    rows = [
        ("report", prov["report_id"]),
        ("notebook", prov["notebook"]),
        ("git commit", f"{git['commit']}{' (uncommitted changes)' if git['dirty'] else ''}"),
        ("built", f"{prov['built_at']} in {prov['seconds']} s"),
        ("parameters", json.dumps(prov["parameters"], ensure_ascii=False, sort_keys=True)),
    ]
    body = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
    src = "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in prov["sources"].items())
    pk = ", ".join(f"{e(k)} {e(str(v))}" for k, v in prov["packages"].items())
    return (f'<footer class="cnai-provenance" id="provenance"><h2>Provenance</h2>'
            f"<table>{body}</table><details><summary>Data sources used "
            f"({len(prov['sources'])}, sha256)</summary><table>{src}</table></details>"
            f"<p>Packages: {pk}</p></footer>")


def notebook_html(nb, prov: dict, failed: str | None = None, show_code: bool = False) -> str:
    """Executed notebook -> standalone HTML: code hidden (shown for a failed run), table of
    contents, figures embedded as data URIs, provenance footer."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = not (show_code or failed)
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    body = MATHJAX_CONFIG_RE.sub("", CDN_SCRIPT_RE.sub("", body))
    banner = ""
    if failed:
        banner = (f'<div class="cnai-banner failed" id="cnai-failed"><strong>This report failed '
                  f"to build.</strong> {html.escape(failed)} The failing cell and its traceback "
                  "are below; the last good version stays at <a href='index.html'>index.html</a>."
                  "</div>")
    toc = toc_html(body)
    body = body.replace("</head>", STYLE + "</head>", 1)
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner + toc, body, count=1)
    return body.replace("</body>", provenance_html(prov) + "</body>", 1)


INDEX = jinja2.Environment(autoescape=True).from_string("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cnai reports</title>
<link rel="icon" href="data:,">
<style>
 body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
 .card { border:1px solid #d0d7de; border-radius:6px; padding:.8em 1.2em; margin:1em 0; }
 .status { font-size:.8em; padding:2px 8px; border-radius:10px; }
 .ok { background:#dafbe1; } .failed, .stale { background:#fde2e1; } .missing { background:#eee; }
 table.figures td { padding:0 10px 0 0; font-size:.9em; } .q { color:#444; }
</style></head><body>
<h1>cnai — China's AI industry from public data</h1>
<p>Every report is rebuilt from public raw files by tested code. Built {{ built_at }} from commit
<code>{{ commit }}</code>{% if dirty %} (uncommitted changes){% endif %}.</p>
{% if latest %}<div class="card" id="latest-lists"><h2>Latest lists</h2><table class="figures">
<tr><th>registry</th><th>batch</th><th>date</th><th>new filings</th><th></th></tr>
{% for l in latest %}<tr><td>{{ l.registry }}</td><td>{{ l.batch }}</td><td>{{ l.date }}</td><td>{{ "{:,}".format(l.new_filings) if l.new_filings is not none else "n/a" }}</td><td><a href="{{ l.href }}">what's new</a></td></tr>
{% endfor %}</table></div>{% endif %}
{% for r in reports %}
<div class="card" id="report-{{ r.id }}">
 <h2>{% if r.has_page %}<a href="{{ r.id }}/index.html">{{ r.title }}</a>{% else %}{{ r.title }}{% endif %}
  <span class="status {{ r.css }}">{{ r.status_text }}</span></h2>
 <p class="q">{{ r.question }}</p>
 {% if r.error %}<p>Last build failed: {{ r.error }} — <a href="{{ r.id }}/error.html">failing cell and traceback</a>{% if r.has_page %}; the page linked above is the last good build ({{ r.last_good }}), now stale{% endif %}.</p>{% endif %}
 {% if r.figures %}<table class="figures">{% for k, v, d in r.figures %}<tr><td><code>{{ k }}</code></td><td>{{ v }}</td><td>{{ d }}</td></tr>{% endfor %}</table>{% endif %}
</div>
{% endfor %}
</body></html>
""")


def index_html(entries: list[dict], git: dict, built_at: str,
               latest: list[dict] | None = None) -> str:
    """``latest``: the "Latest lists" strip (reports/latest.py ``latest_lists``)."""
    return INDEX.render(reports=entries, commit=git["commit"], dirty=git["dirty"],
                        built_at=built_at, latest=latest or [])
