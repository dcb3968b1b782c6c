#!/usr/bin/env python3
"""Charts for a sweep's results: `mcucim plot DIR` runs this as `python3 plot_sweep.py DIR`.

Reads DIR/results.csv (written by `mcucim sweep`, columns in docs/SWEEPS.md) and writes, as PNG and
SVG into DIR/plots/:
  pareto.*            energy per token (or total energy when the workload marks no tokens) against
                      latency per token (or simulated time), the Pareto-optimal points (lower is
                      better on both) joined and highlighted
  energy_breakdown.*  energy by component, stacked bars, one bar per successful point
  vs_<axis>.*         for each numeric axis: energy, latency, TOPS/W and every metric.* column against
                      that axis, one line per combination of the other axes
and DIR/index.html showing the charts and the whole table. Needs matplotlib (Debian:
python3-matplotlib).
"""
import csv
import html
import math
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FIXED = {"id", "status", "exit_code", "error", "cycles", "instret", "time_s", "energy_j", "energy_dynamic_j",
         "energy_leakage_j", "power_w", "tokens", "latency_per_token_s", "energy_per_token_j", "tokens_per_s",
         "tops_per_w", "macs", "macs_hw", "host_s"}


def num(text):
    """A CSV cell as a float, or None (accepts 50e6, 0x10, 512KiB as configs do)."""
    if text is None or text == "":
        return None
    t = text.replace("_", "")
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


def read_results(d):
    with open(os.path.join(d, "results.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
        cols = list(rows[0].keys()) if rows else []
    return cols, rows


def axes_of(cols):
    """Axis columns: between 'id' and 'status'."""
    if "id" in cols and "status" in cols:
        return cols[cols.index("id") + 1: cols.index("status")]
    return [c for c in cols if c not in FIXED and not c.startswith("energy_j.") and not c.startswith("metric.")]


def label(row, axes):
    return ", ".join(f"{a.split('.')[-1]}={row[a]}" for a in axes)


def save(fig, d, name, made):
    out = os.path.join(d, "plots")
    os.makedirs(out, exist_ok=True)
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(out, f"{name}.{ext}"), dpi=110, bbox_inches="tight")
    plt.close(fig)
    made.append(name)


def pareto_front(pts):
    """Indices of points not dominated (lower x and lower y are better), sorted by x."""
    order = sorted(range(len(pts)), key=lambda i: (pts[i][0], pts[i][1]))
    front, best_y = [], math.inf
    for i in order:
        if pts[i][1] < best_y:
            front.append(i)
            best_y = pts[i][1]
    return front


def plot_pareto(d, rows, axes, made):
    tokens = [r for r in rows if num(r.get("latency_per_token_s")) is not None and num(r.get("energy_per_token_j")) is not None]
    if tokens:
        xs, ys, use = "latency_per_token_s", "energy_per_token_j", tokens
        xl, yl = "latency per token (ms)", "energy per token (mJ)"
    else:
        use = [r for r in rows if num(r.get("time_s")) is not None and num(r.get("energy_j")) is not None]
        xs, ys = "time_s", "energy_j"
        xl, yl = "simulated time (ms)", "energy (mJ)"
    if not use:
        return
    pts = [(num(r[xs]) * 1e3, num(r[ys]) * 1e3) for r in use]
    front = pareto_front(pts)
    fig, ax = plt.subplots(figsize=(7.5, 5))
    ax.scatter([p[0] for p in pts], [p[1] for p in pts], color="#9aa9bd", label="design points", zorder=2)
    fx = [pts[i][0] for i in front]
    fy = [pts[i][1] for i in front]
    ax.plot(fx, fy, "-o", color="#c0392b", label="Pareto front", zorder=3)
    for i in front:
        ax.annotate(label(use[i], axes), pts[i], textcoords="offset points", xytext=(5, 4), fontsize=7)
    ax.set_xlabel(xl)
    ax.set_ylabel(yl)
    ax.set_title("energy vs latency (lower-left is better)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    save(fig, d, "pareto", made)


def plot_breakdown(d, rows, cols, axes, made):
    comps = [c for c in cols if c.startswith("energy_j.")]
    use = [r for r in rows if r.get("status") == "ok" and any(num(r.get(c)) for c in comps)]
    if not comps or not use:
        return
    per_token = all(num(r.get("tokens")) for r in use)
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(use) + 2), 5))
    bottom = [0.0] * len(use)
    scale = [1e3 / (num(r["tokens"]) if per_token else 1) for r in use]
    for c in comps:
        vals = [(num(r.get(c)) or 0.0) * s for r, s in zip(use, scale)]
        if not any(vals):
            continue
        ax.bar(range(len(use)), vals, bottom=bottom, label=c.split(".", 1)[1])
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_xticks(range(len(use)))
    ax.set_xticklabels([label(r, axes) for r in use], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("energy per token (mJ)" if per_token else "energy (mJ)")
    ax.set_title("energy by component")
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    save(fig, d, "energy_breakdown", made)


def plot_vs_axes(d, rows, cols, axes, made):
    ok = [r for r in rows if r.get("status") == "ok"]
    metrics = []
    if any(num(r.get("energy_per_token_j")) is not None for r in ok):
        metrics.append(("energy_per_token_j", "energy per token (J)"))
        metrics.append(("latency_per_token_s", "latency per token (s)"))
    else:
        metrics.append(("energy_j", "energy (J)"))
        metrics.append(("time_s", "simulated time (s)"))
    if any(num(r.get("tops_per_w")) for r in ok):
        metrics.append(("tops_per_w", "TOPS/W"))
    for c in cols:
        if c.startswith("metric.") and any(num(r.get(c)) is not None for r in ok):
            metrics.append((c, c[len("metric."):]))
    for a in axes:
        if not ok or any(num(r[a]) is None for r in ok):
            continue  # non-numeric axis: the table shows it
        others = [o for o in axes if o != a]
        groups = {}
        for r in ok:
            groups.setdefault(tuple(r[o] for o in others), []).append(r)
        fig, subs = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.8), squeeze=False)
        for (m, title), ax in zip(metrics, subs[0]):
            for key, grp in sorted(groups.items(), key=lambda kv: [(num(v) is None, num(v) or 0, v) for v in kv[0]]):
                grp = sorted(grp, key=lambda r: num(r[a]))
                xs = [num(r[a]) for r in grp]
                ys = [num(r.get(m)) for r in grp]
                if all(y is None for y in ys):
                    continue
                name = ", ".join(f"{o.split('.')[-1]}={v}" for o, v in zip(others, key)) or None
                ax.plot(xs, [math.nan if y is None else y for y in ys], "-o", label=name)
            ax.set_xlabel(a)
            ax.set_title(title)
            ax.grid(True, alpha=0.3)
        handles, labels = subs[0][0].get_legend_handles_labels()
        if labels and len(labels) <= 12:
            fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=7,
                       bbox_to_anchor=(0.5, -0.08 - 0.04 * (len(labels) // 4)))
        fig.tight_layout()
        save(fig, d, "vs_" + re.sub(r"[^A-Za-z0-9_]+", "_", a).strip("_"), made)  # soc.devices.cim*.adc.bits -> soc_devices_cim_adc_bits


def write_html(d, cols, rows, made):
    title = os.path.basename(os.path.abspath(d))
    h = [f"<!doctype html><html><head><meta charset='utf-8'><title>sweep {html.escape(title)}</title>",
         "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:12px}"
         "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#eee;position:sticky;top:0}"
         "tr.failed td{background:#fde2e2}img{max-width:100%;margin:0.5em 0}</style></head><body>",
         f"<h1>sweep {html.escape(title)}</h1>",
         f"<p>{len(rows)} points, {sum(r.get('status') == 'ok' for r in rows)} ok. "
         "Data: <a href='results.csv'>results.csv</a>, <a href='results.jsonl'>results.jsonl</a>.</p>"]
    for name in made:
        h.append(f"<h2>{html.escape(name)}</h2><a href='plots/{name}.svg'><img src='plots/{name}.png' alt='{name}'></a>")
    h.append("<h2>results</h2><table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cols) + "</tr>")
    for r in rows:
        cls = "" if r.get("status") == "ok" else " class='failed'"
        cells = []
        for c in cols:
            v = r.get(c) or ""
            x = num(v)
            if c in FIXED - {"id", "exit_code", "status", "error"} or c.startswith(("energy_j.", "metric.")):
                if x is not None and math.isfinite(x) and x != int(x):
                    v = f"{x:.4g}"
            cells.append(f"<td>{html.escape(v)}</td>")
        h.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    h.append("</table></body></html>")
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write("\n".join(h) + "\n")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_sweep.py DIR (a sweep's output directory with results.csv)")
    d = sys.argv[1]
    cols, rows = read_results(d)
    axes = axes_of(cols)
    made = []
    plot_pareto(d, rows, axes, made)
    plot_breakdown(d, rows, cols, axes, made)
    plot_vs_axes(d, rows, cols, axes, made)
    write_html(d, cols, rows, made)
    print(f"mcucim plot: {len(made)} charts in {os.path.join(d, 'plots')} (PNG and SVG); open {os.path.join(d, 'index.html')}")


if __name__ == "__main__":
    main()
