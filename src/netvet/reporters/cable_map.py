"""HTML page of a `netvet cables audit`: an offline map (inline SVG, equirectangular projection: x = longitude,
y = -latitude; no tile server, no script, no external resource) of the landing points and cable routes, and
the per-cable table with owners, suppliers, attributions and verdicts."""

from __future__ import annotations

from html import escape

COLOURS = {"FAIL": "#c62828", "REVIEW": "#ef6c00", "UNKNOWN": "#757575", "PASS": "#2e7d32", "WAIVED": "#1565c0"}
_ORDER = {"FAIL": 0, "REVIEW": 1, "UNKNOWN": 2, "WAIVED": 3, "PASS": 4}


def _bbox(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    if not points:
        return -180.0, -90.0, 360.0, 180.0
    xs = [p[0] for p in points]
    ys = [-p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    pad = max(2.0, 0.05 * max(x1 - x0, y1 - y0))
    x0, x1 = max(-180.0, x0 - pad), min(180.0, x1 + pad)
    y0, y1 = max(-90.0, y0 - pad), min(90.0, y1 + pad)
    return x0, y0, max(10.0, x1 - x0), max(5.0, y1 - y0)


def _num(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".")


def svg_map(doc: dict, routes: dict[str, list[list[tuple[float, float]]]]) -> str:
    """The SVG element: graticule, cable routes coloured by the cable's verdict, landing points by theirs."""
    verdict = {c["id"]: c["verdict"] for c in doc["cables"]}
    names = {c["id"]: c["name"] for c in doc["cables"]}
    pts = [(p["lon"], p["lat"]) for p in doc["landing_points"] if p.get("lon") is not None]
    drawn = [pt for lines in routes.values() for line in lines for pt in line]
    x, y, w, h = _bbox(pts + drawn)
    stroke = _num(max(w, h) / 900)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{_num(x)} {_num(y)} {_num(w)} {_num(h)}" '
           'role="img" aria-label="cable map" preserveAspectRatio="xMidYMid meet" '
           'style="width:100%;max-height:70vh;background:#eef4fa;border:1px solid #ccd">']
    out.append(f'<g stroke="#c9d6e3" stroke-width="{stroke}" fill="none">')
    for lon in range(-180, 181, 30):
        out.append(f'<line x1="{lon}" y1="-90" x2="{lon}" y2="90"/>')
    for lat in range(-90, 91, 30):
        out.append(f'<line x1="-180" y1="{-lat}" x2="180" y2="{-lat}"/>')
    out.append("</g>")
    ordered = sorted(routes, key=lambda cid: -_ORDER.get(verdict.get(cid, "UNKNOWN"), 2))  # worst drawn last
    out.append(f'<g fill="none" stroke-width="{_num(max(w, h) / 400)}" stroke-linecap="round" opacity="0.85">')
    for cid in ordered:
        v = verdict.get(cid, "UNKNOWN")
        for line in routes[cid]:
            coords = " ".join(f"{_num(lon)},{_num(-lat)}" for lon, lat in line)
            out.append(f'<polyline class="cable v-{v}" stroke="{COLOURS.get(v, "#757575")}" points="{coords}">'
                       f'<title>{escape(names.get(cid, cid))}: {v}</title></polyline>')
    out.append("</g>")
    r = _num(max(w, h) / 250)
    out.append(f'<g stroke="#fff" stroke-width="{stroke}">')
    for p in sorted(doc["landing_points"], key=lambda p: -_ORDER.get(p["verdict"], 2)):
        if p.get("lon") is None:
            continue
        title = f"{p['name']}: {p['verdict']} ({len(p['cables'])} cable(s))"
        out.append(f'<circle class="landing v-{p["verdict"]}" cx="{_num(p["lon"])}" cy="{_num(-p["lat"])}" r="{r}" '
                   f'fill="{COLOURS.get(p["verdict"], "#757575")}"><title>{escape(title)}</title></circle>')
    out.append("</g></svg>")
    return "\n".join(out)


def _party_cell(parties: list[dict], role: str) -> str:
    rows = []
    for p in parties:
        if p["role"] != role:
            continue
        ent = p.get("entity")
        who = (f'{escape(p["name"])} &rarr; <b>{escape(ent["name"])}</b> ({escape(ent.get("country") or "?")})'
               if ent else f'{escape(p["name"])} &rarr; <i>unattributed</i>')
        why = "; ".join(p.get("reasons") or [])
        rows.append(f'<li><span class="v v-{p["verdict"]}">{p["verdict"]}</span> {who}'
                    + (f'<br><small>{escape(why)}</small>' if why else "") + "</li>")
    return "<ul>" + "".join(rows) + "</ul>" if rows else "<i>none named</i>"


def render_cable_html(doc: dict, routes: dict[str, list[list[tuple[float, float]]]]) -> str:
    s = doc["summary"]
    pol = doc["policy"]
    cv = ", ".join(f"{k} {v}" for k, v in s["cable_verdicts"].items())
    lv = ", ".join(f"{k} {v}" for k, v in s["landing_point_verdicts"].items())
    rows = []
    for c in sorted(doc["cables"], key=lambda c: (_ORDER.get(c["verdict"], 2), c["name"].lower())):
        rfs = (str(c.get("rfs_year") or "")) + (" (planned)" if c.get("is_planned") else "")
        rows.append(f'<tr><td><span class="v v-{c["verdict"]}">{c["verdict"]}</span></td><td>{escape(c["name"])}</td>'
                    f'<td>{escape(rfs)}</td><td>{_party_cell(c["parties"], "owner")}</td>'
                    f'<td>{_party_cell(c["parties"], "supplier")}</td>'
                    f'<td>{len(c["landing_points_in_country"])}</td></tr>')
    unmatched = "".join(f'<li>{escape(role)}: {escape(u["name"])} ({len(u["cables"])} cable(s)) &mdash; '
                        f'{escape(u["reason"])}</li>'
                        for role in ("supplier", "owner") for u in doc["unmatched"][role])
    css = "".join(f".v-{k}{{background:{c};}}" for k, c in COLOURS.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>netvet cables audit: {escape(doc['country'])} under {escape(pol['id'])}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5em;color:#222}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #ccc;padding:4px;vertical-align:top;font-size:90%}}ul{{margin:0;padding-left:1em}}
.v{{color:#fff;padding:0 4px;border-radius:3px;font-size:85%}}{css}</style></head>
<body>
<h1>Submarine cables landing in {escape(doc['country'])}: {escape(pol['title'])}</h1>
<p>Policy {escape(pol['id'])} {escape(pol['version'])}, evaluated on {escape(doc['evaluated_on'])}, registry
{escape(doc['registry_version'])}. {s['cables']} cables ({escape(cv)}); {s['landing_points']} landing points
({escape(lv)}); {s['parties_attributed']} of {s['parties']} owners and suppliers attributed.</p>
{svg_map(doc, routes)}
<p><small>Map data: {escape(doc['data']['licence'])} &mdash; read from {escape(str(doc['data']['source']))}.
Equirectangular projection, drawn offline.</small></p>
<h2>Cables</h2>
<table><thead><tr><th>verdict</th><th>cable</th><th>RFS</th><th>owners</th><th>suppliers</th>
<th>landings here</th></tr></thead><tbody>
{''.join(rows)}
</tbody></table>
<h2>Names no registry entity claims</h2>
<ul>{unmatched or '<li>none</li>'}</ul>
</body></html>
"""
