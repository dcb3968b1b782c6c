#!/usr/bin/env python3
"""Charts for a sweep's results: `mcucim plot DIR` runs this as `python3 plot_sweep.py DIR`.

Reads DIR/results.csv (written by `mcucim sweep`, columns in docs/SWEEPS.md), DIR/results_long.csv
(energy by component with its kind) and DIR/summary.json (the spec's axes, counts and run times), and
writes, as PNG and SVG into DIR/plots/:
  pareto.*            energy per token (or total energy when the workload marks no tokens) against
                      latency per token (or simulated time); the Pareto front (lower is better on both)
                      among the points that meet the spec's `constraints:`, each front point labelled
                      with its axis values; points excluded by the constraints drawn as crosses and
                      counted in the legend and title
  energy_breakdown.*  energy by component kind (core, sram, flash, cim, ...), the top kinds and the
                      rest as "other", dynamic (solid) and leakage (hatched) split, one bar per point
  vs_<axis>.*         for each numeric axis: energy, latency, TOPS/W and every metric.* column against
                      that axis, one line per combination of the other axes
and DIR/index.html: the spec's summary (axes, points, failures, constraints, wall time), the charts
and the whole table. Units are scaled to the data (nJ/uJ/mJ, us/ms/s, uW/mW); axes whose values are
powers of two are drawn on a log2 scale. Needs matplotlib (Debian: python3-matplotlib).
"""
import csv
import html
import json
import math
import os
import re
import sys
import time

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text in the SVGs (searchable, selectable)
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

FIXED = {"id", "status", "exit_code", "error", "cycles", "instret", "time_s", "energy_j", "energy_dynamic_j",
         "energy_leakage_j", "power_w", "tokens", "latency_per_token_s", "energy_per_token_j", "tokens_per_s",
         "tops_per_w", "macs", "macs_hw", "host_s", "feasible", "violated"}
TOP_KINDS = 5  # kinds shown in the energy breakdown; the rest are summed as "other"
PREFIXES = [(1e-12, "p"), (1e-9, "n"), (1e-6, "u"), (1e-3, "m"), (1.0, "")]


def num(text):
    """A CSV cell as a float, or None (accepts 50e6, 0x10, 512KiB as configs do)."""
    if text is None or text == "":
        return None
    t = str(text).replace("_", "")
    for suffix, mult in (("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if t.endswith(suffix):
            v = num(t[: -len(suffix)])
            return None if v is None else v * mult
    try:
        return float(t)
    except ValueError:
        pass
    try:
        return float(int(t, 0))
    except ValueError:
        return None


def unit_scale(values, base):
    """(factor, label) so that the largest |value| x factor lies in [1, 1000): J -> nJ/uJ/mJ, s -> us/ms."""
    vals = [abs(v) for v in values if v is not None and math.isfinite(v) and v != 0]
    if not vals:
        return 1.0, base
    top = max(vals)
    chosen = PREFIXES[0]
    for p in PREFIXES:
        if top >= p[0] * 0.9995:
            chosen = p
    return 1.0 / chosen[0], chosen[1] + base


def unit_of(column):
    """The SI unit of a results column from its name (docs/SWEEPS.md: units are in the names)."""
    if column.endswith("_j") or column.startswith("energy_j."):
        return "J"
    if column.endswith("_s"):
        return "s"
    if column.endswith("_w") and not column.startswith("tops_per"):
        return "W"
    return None


def read_results(d):
    with open(os.path.join(d, "results.csv"), newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        cols = list(reader.fieldnames or [])
    return cols, rows


def read_long(d):
    p = os.path.join(d, "results_long.csv")
    if not os.path.exists(p):
        return []
    with open(p, newline="") as f:
        return list(csv.DictReader(f))


def read_summary(d):
    p = os.path.join(d, "summary.json")
    if not os.path.exists(p):
        return {}
    with open(p) as f:
        return json.load(f)


def axes_of(cols):
    """Axis columns: between 'id' and 'status'."""
    if "id" in cols and "status" in cols:
        return cols[cols.index("id") + 1: cols.index("status")]
    return [c for c in cols if c not in FIXED and not c.startswith("energy_j.") and not c.startswith("metric.")]


def short(axis):
    """soc.devices.cim*.adc.bits -> bits; param axes are plain words already."""
    return axis.split(".")[-1]


def fmt_value(text):
    """An axis value for a label: 50e6 -> 50M, 0.800000 -> 0.8, names as they are."""
    x = num(text)
    if x is None or not math.isfinite(x):
        return str(text)
    if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-3):
        for f, p in ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1e-3, "m"), (1e-6, "u"), (1e-9, "n")):
            if abs(x) >= f * 0.9995:
                return f"{x / f:.4g}{p}"
    return f"{x:.4g}"


def label(row, axes):
    return ", ".join(f"{short(a)}={fmt_value(row[a])}" for a in axes)


def is_pow2_axis(values):
    """True for three or more distinct positive powers of two (lanes, bits, sizes): drawn on a log2 scale."""
    xs = sorted({v for v in values if v is not None})
    if len(xs) < 3 or any(v <= 0 or v != int(v) for v in xs):
        return False
    return all(int(v) & (int(v) - 1) == 0 for v in xs)


def set_pow2_axis(ax, values):
    xs = sorted({v for v in values if v is not None})
    ax.set_xscale("log", base=2)
    ax.set_xticks(xs)
    ax.set_xticklabels([fmt_value(v) for v in xs])
    ax.minorticks_off()


def save(fig, d, name, made, caption):
    out = os.path.join(d, "plots")
    os.makedirs(out, exist_ok=True)
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(out, f"{name}.{ext}"), dpi=110, bbox_inches="tight")
    plt.close(fig)
    made.append((name, caption))


def pareto_front(pts):
    """Indices of points not dominated (lower x and lower y are better), sorted by x."""
    order = sorted(range(len(pts)), key=lambda i: (pts[i][0], pts[i][1]))
    front, best_y = [], math.inf
    for i in order:
        if pts[i][1] < best_y:
            front.append(i)
            best_y = pts[i][1]
    return front


def feasible(row):
    return row.get("feasible", "") != "false"


def plot_pareto(d, rows, axes, constraints, made):
    tokens = [r for r in rows if num(r.get("latency_per_token_s")) is not None and num(r.get("energy_per_token_j")) is not None]
    if tokens:
        xs, ys, use, xl, yl = "latency_per_token_s", "energy_per_token_j", tokens, "latency per token", "energy per token"
    else:
        use = [r for r in rows if num(r.get("time_s")) is not None and num(r.get("energy_j")) is not None]
        xs, ys, xl, yl = "time_s", "energy_j", "simulated time", "energy"
    if not use:
        return
    fx_, xu = unit_scale([num(r[xs]) for r in use], "s")
    fy_, yu = unit_scale([num(r[ys]) for r in use], "J")
    good = [r for r in use if feasible(r)]
    bad = [r for r in use if not feasible(r)]
    pts = [(num(r[xs]) * fx_, num(r[ys]) * fy_) for r in good]
    front = pareto_front(pts)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    if pts:
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], color="#9aa9bd", label=f"design points ({len(pts)})", zorder=2)
    if bad:
        ax.scatter([num(r[xs]) * fx_ for r in bad], [num(r[ys]) * fy_ for r in bad], marker="x", color="#b0b0b0",
                   label=f"{len(bad)} excluded by constraints", zorder=1)
    if front:
        ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], "-o", color="#c0392b",
                label=f"Pareto front ({len(front)})", zorder=3)
        for k, i in enumerate(front):
            ax.annotate(label(good[i], axes), pts[i], textcoords="offset points", xytext=(6, 4 + 7 * (k % 2)), fontsize=7,
                        color="#7b241c")
    ax.set_xlabel(f"{xl} ({xu})")
    ax.set_ylabel(f"{yl} ({yu})")
    title = "energy vs latency (lower-left is better)"
    if constraints:
        title += f"\nfront among points meeting {' and '.join(constraints)}: {len(bad)} excluded"
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    cap = f"Pareto front of {len(front)} of {len(pts)} points"
    if constraints:
        cap += f"; {len(bad)} excluded by constraints ({', '.join(constraints)})"
    save(fig, d, "pareto", made, cap)


def breakdown_data(rows, cols, long_rows):
    """{point id: {kind: [dynamic_j, leakage_j]}} for ok points, from results_long.csv (else by component)."""
    ok = {r["id"]: r for r in rows if r.get("status") == "ok"}
    data = {}
    if long_rows:
        for lr in long_rows:
            if lr.get("point") not in ok:
                continue
            k = data.setdefault(lr["point"], {}).setdefault(lr.get("kind") or lr.get("component"), [0.0, 0.0])
            k[0] += num(lr.get("dynamic_j")) or 0.0
            k[1] += num(lr.get("leakage_j")) or 0.0
        return data
    for pid, r in ok.items():  # older results: per component, total only
        for c in cols:
            if c.startswith("energy_j.") and num(r.get(c)):
                data.setdefault(pid, {})[c.split(".", 1)[1]] = [num(r[c]), 0.0]
    return data


def plot_breakdown(d, rows, cols, axes, long_rows, made):
    data = breakdown_data(rows, cols, long_rows)
    use = [r for r in rows if r["id"] in data]
    if not use:
        return
    per_token = all(num(r.get("tokens")) for r in use)
    div = {r["id"]: (num(r["tokens"]) if per_token else 1.0) for r in use}
    totals = {}
    for pid, kinds in data.items():
        for k, (dy, lk) in kinds.items():
            totals[k] = totals.get(k, 0.0) + (dy + lk) / div[pid]
    ranked = sorted(totals, key=lambda k: -totals[k])
    shown = ranked[:TOP_KINDS] if len(ranked) > TOP_KINDS + 1 else ranked
    groups = shown + (["other"] if len(shown) < len(ranked) else [])

    def part(pid, g, i):
        if g == "other":
            return sum(v[i] for k, v in data[pid].items() if k not in shown) / div[pid]
        return data[pid].get(g, [0.0, 0.0])[i] / div[pid]

    f, unit = unit_scale([sum(part(r["id"], g, 0) + part(r["id"], g, 1) for g in groups) for r in use], "J")
    fig, ax = plt.subplots(figsize=(max(6.5, 0.5 * len(use) + 3), 5))
    colors = plt.get_cmap("tab10").colors
    bottom = [0.0] * len(use)
    for gi, g in enumerate(groups):
        color = "#9e9e9e" if g == "other" else colors[gi % len(colors)]
        for i, hatch in ((0, None), (1, "///")):
            vals = [part(r["id"], g, i) * f for r in use]
            if not any(vals):
                continue
            ax.bar(range(len(use)), vals, bottom=bottom, color=color, hatch=hatch, edgecolor="white" if hatch else color,
                   alpha=0.55 if hatch else 1.0, linewidth=0)
            bottom = [b + v for b, v in zip(bottom, vals)]
    handles = [Patch(color="#9e9e9e" if g == "other" else colors[gi % len(colors)], label=g) for gi, g in enumerate(groups)]
    handles += [Patch(facecolor="#cccccc", label="dynamic"), Patch(facecolor="#cccccc", hatch="///", edgecolor="white",
                                                                   alpha=0.55, label="leakage")]
    ax.set_xticks(range(len(use)))
    ax.set_xticklabels([label(r, axes) for r in use], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel(f"energy per token ({unit})" if per_token else f"energy ({unit})")
    ax.set_title("energy by component kind" + (f" (top {len(shown)} kinds, rest as other)" if "other" in groups else ""),
                 fontsize=10)
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(True, axis="y", alpha=0.3)
    save(fig, d, "energy_breakdown", made, f"energy by component kind, dynamic and leakage, {len(use)} points")


def plot_vs_axes(d, rows, cols, axes, report_columns, made):
    ok = [r for r in rows if r.get("status") == "ok"]
    metrics = []
    if any(num(r.get("energy_per_token_j")) is not None for r in ok):
        metrics += [("energy_per_token_j", "energy per token"), ("latency_per_token_s", "latency per token")]
    else:
        metrics += [("energy_j", "energy"), ("time_s", "simulated time")]
    if any(num(r.get("tops_per_w")) for r in ok):
        metrics.append(("tops_per_w", "TOPS/W"))
    for c in cols:
        if c.startswith("metric.") and any(num(r.get(c)) is not None for r in ok):
            metrics.append((c, c[len("metric."):]))
    for c in report_columns:  # the spec's report: metrics, e.g. regions[name=ffn].cycles
        if c in cols and any(num(r.get(c)) is not None for r in ok):
            metrics.append((c, c))
    for a in axes:
        if not ok or any(num(r[a]) is None for r in ok):
            continue  # non-numeric axis: the table shows it
        others = [o for o in axes if o != a]
        groups = {}
        for r in ok:
            groups.setdefault(tuple(r[o] for o in others), []).append(r)
        ncol = min(4, len(metrics))
        nrow = (len(metrics) + ncol - 1) // ncol
        fig, subs = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.8 * nrow), squeeze=False)
        for ax in subs.flat[len(metrics):]:
            ax.set_visible(False)
        xvals = [num(r[a]) for r in ok]
        for (m, title), ax in zip(metrics, subs.flat):
            base = unit_of(m)
            f, unit = unit_scale([num(r.get(m)) for r in ok], base) if base else (1.0, None)
            for key, grp in sorted(groups.items(), key=lambda kv: [(num(v) is None, num(v) or 0, v) for v in kv[0]]):
                grp = sorted(grp, key=lambda r: num(r[a]))
                ys = [num(r.get(m)) for r in grp]
                if all(y is None for y in ys):
                    continue
                name = ", ".join(f"{short(o)}={fmt_value(v)}" for o, v in zip(others, key)) or None
                ax.plot([num(r[a]) for r in grp], [math.nan if y is None else y * f for y in ys], "-o", label=name)
            if is_pow2_axis(xvals):
                set_pow2_axis(ax, xvals)
            ax.set_xlabel(short(a) if a.count(".") == 0 else a)
            ax.set_title(f"{title} ({unit})" if unit else title, fontsize=10 if len(title) < 40 else 8)
            ax.grid(True, alpha=0.3)
        handles, labels = subs[0][0].get_legend_handles_labels()
        if labels and len(labels) <= 12:
            fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=7,
                       bbox_to_anchor=(0.5, -0.08 - 0.04 * (len(labels) // 4)))
        fig.tight_layout()
        name = "vs_" + re.sub(r"[^A-Za-z0-9_]+", "_", a).strip("_")  # soc.devices.cim*.adc.bits -> soc_devices_cim_adc_bits
        save(fig, d, name, made, f"results against {a}" + (" (log2 axis)" if is_pow2_axis(xvals) else ""))


def fmt_seconds(s):
    if s is None:
        return "-"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60)} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60)} min"


def summary_html(d, summary, rows, constraints, made):
    title = summary.get("name") or os.path.basename(os.path.abspath(d))
    n_ok = sum(r.get("status") == "ok" for r in rows)
    n_missing = sum(r.get("status") == "missing" for r in rows)
    n_failed = len(rows) - n_ok - n_missing
    n_excl = sum(r.get("status") == "ok" and not feasible(r) for r in rows)
    h = [f"<section id='summary'><h1>sweep {html.escape(title)}</h1><table class='summary'>"]

    def row(k, v):
        h.append(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>")

    if summary.get("spec"):
        row("spec", f"<code>{html.escape(summary['spec'])}</code>")
    if summary.get("base_config"):
        row("base config", f"<code>{html.escape(summary['base_config'])}</code>")
    if summary.get("firmware"):
        args = " ".join(summary.get("args") or [])
        row("workload", f"<code>{html.escape(summary['firmware'])}</code>" + (f" <code>{html.escape(args)}</code>" if args else "")
            + (f", timeout {summary['timeout_s']:g} s per point" if summary.get("timeout_s") else ""))
    axes = summary.get("axes") or []
    if axes:
        row("axes", "<br>".join(f"<code>{html.escape(a['path'])}</code>: {html.escape(', '.join(map(str, a['values'])))}"
                                f" ({len(a['values'])})" for a in axes) +
            f"<br>combined as {html.escape(str(summary.get('combine', 'product')))}")
    pts = f"{len(rows)} points: {n_ok} ok, <span class='{'bad' if n_failed else ''}'>{n_failed} failed</span>"
    if n_missing:
        pts += f", {n_missing} not run"
    if summary.get("excluded"):
        pts += f" ({summary['excluded']} more dropped by <code>exclude:</code>)"
    row("points", pts)
    if constraints:
        row("constraints", "<br>".join(f"<code>{html.escape(c)}</code>" for c in constraints) +
            f"<br>{n_excl} of {n_ok} ok points excluded from the Pareto front")
    runs = summary.get("runs") or []
    if runs:
        wall = sum(r.get("wall_s") or 0 for r in runs)
        last = runs[-1]
        desc = f"{fmt_seconds(wall)} in {len(runs)} run{'s' if len(runs) != 1 else ''}"
        desc += f"; last: {html.escape(str(last.get('backend', 'local')))}, {last.get('ran', 0)} points in {fmt_seconds(last.get('wall_s'))}"
        if last.get("job"):
            desc += f", Slurm job {html.escape(str(last['job']))}"
        row("wall time", desc)
    row("charts", f"<span id='chart-status'>{len(made)} charts</span>")
    h.append("</table>")
    failed = [r for r in rows if r.get("status") not in ("ok", "missing")]
    if failed:
        h.append("<details open><summary>failed points</summary><ul>")
        for r in failed[:20]:
            h.append(f"<li><code>{html.escape(r['id'])}</code> {html.escape(label(r, axes_of(list(r.keys()))))}: "
                     f"<b>{html.escape(r.get('status', ''))}</b> {html.escape(r.get('error') or '')}</li>")
        if len(failed) > 20:
            h.append(f"<li>... {len(failed) - 20} more (table below)</li>")
        h.append("</ul></details>")
    h.append("</section>")
    return h


# Checks in the browser that every chart loaded and shows the result in the summary (a chart missing
# from plots/ is a visible warning, not a broken-image icon to be overlooked).
CHECK_JS = """<script>
(function () {
  var errors = 0;
  window.addEventListener('error', function () { errors++; document.body.dataset.jsErrors = errors; });
  window.addEventListener('load', function () {
    var imgs = document.querySelectorAll('img.chart'), ok = 0, bad = [];
    imgs.forEach(function (im) { if (im.complete && im.naturalWidth > 0) ok++; else bad.push(im.alt); });
    document.body.dataset.chartsTotal = imgs.length;
    document.body.dataset.chartsLoaded = ok;
    document.body.dataset.jsErrors = errors;
    var s = document.getElementById('chart-status');
    if (s) s.textContent = bad.length ? ok + ' of ' + imgs.length + ' charts loaded; missing: ' + bad.join(', ')
                                      : 'all ' + ok + ' charts loaded';
    if (bad.length && s) s.className = 'bad';
  });
})();
</script>"""


def write_html(d, cols, rows, summary, constraints, made):
    title = summary.get("name") or os.path.basename(os.path.abspath(d))
    h = [f"<!doctype html><html><head><meta charset='utf-8'><title>sweep {html.escape(title)}</title>",
         "<style>body{font-family:sans-serif;margin:1.5em;max-width:1400px}table{border-collapse:collapse;font-size:12px}"
         "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#eee}"
         "table.results th{position:sticky;top:0}table.summary th,table.summary td{text-align:left;font-size:14px}"
         "tr.failed td{background:#fde2e2}tr.excluded td{color:#888}.bad{color:#b00;font-weight:bold}"
         "figure{margin:1em 0}img.chart{max-width:100%}figcaption{color:#444;font-size:13px}</style></head><body>"]
    h += summary_html(d, summary, rows, constraints, made)
    for name, caption in made:
        h.append(f"<figure><h2>{html.escape(name)}</h2><a href='plots/{name}.svg'><img class='chart' src='plots/{name}.png' "
                 f"alt='{html.escape(name)}'></a><figcaption>{html.escape(caption)}</figcaption></figure>")
    h.append("<h2>results</h2><p>Data: <a href='results.csv'>results.csv</a>, <a href='results.jsonl'>results.jsonl</a>, "
             "<a href='results_long.csv'>results_long.csv</a> (energy by component).</p>")
    h.append("<table class='results'><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cols) + "</tr>")
    for r in rows:
        cls = " class='failed'" if r.get("status") != "ok" else (" class='excluded'" if not feasible(r) else "")
        cells = []
        for c in cols:
            v = r.get(c) or ""
            x = num(v)
            if c in FIXED - {"id", "exit_code", "status", "error"} or c.startswith(("energy_j.", "metric.")):
                if x is not None and math.isfinite(x) and x != int(x):
                    v = f"{x:.4g}"
            cells.append(f"<td>{html.escape(v)}</td>")
        h.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    h.append(f"</table><p>Generated {time.strftime('%Y-%m-%d %H:%M:%S')} by scripts/plot_sweep.py.</p>")
    h.append(CHECK_JS + "</body></html>")
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write("\n".join(h) + "\n")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_sweep.py DIR (a sweep's output directory with results.csv)")
    d = sys.argv[1]
    cols, rows = read_results(d)
    summary = read_summary(d)
    constraints = summary.get("constraints") or []
    axes = axes_of(cols)
    made = []
    plot_pareto(d, rows, axes, constraints, made)
    plot_breakdown(d, rows, cols, axes, read_long(d), made)
    plot_vs_axes(d, rows, cols, axes, summary.get("report_columns") or [], made)
    write_html(d, cols, rows, summary, constraints, made)
    print(f"mcucim plot: {len(made)} charts in {os.path.join(d, 'plots')} (PNG and SVG); open {os.path.join(d, 'index.html')}")


if __name__ == "__main__":
    main()
