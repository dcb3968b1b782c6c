#!/usr/bin/env python3
# The table of docs/SYSTEM.md ("Measured") from a system sweep's points: mode, link, MCUs, decode tokens/s,
# energy per token (sum over MCUs), the links' share of the run's energy, link bytes per position.
# Usage: scripts/system_table.py sweeps/system-pipeline
import json, glob, sys, os
d = sys.argv[1]
rows = []
for f in glob.glob(os.path.join(d, 'points', '*.json')):
    j = json.load(open(f))
    if 'system' not in j:
        continue
    cfg = j['system']['config']['system']
    n = cfg['mcus']['node'].get('count', 1)
    link = cfg['topology']['model']
    mode = 'tp' if '-M tp' in cfg['mcus']['node']['args'] else 'pp'
    tps = j['system']['decode']['tokens_per_s']
    ept = j['system']['decode']['energy_per_token_j']
    pos = None
    for m in j['mcus']:
        if m['main']:
            pos = m['report']['tokens']['count'] if 'tokens' in m['report'] else None
    share = j['energy_j']['by_component']['links'] / j['energy_j']['total']
    rows.append((mode, link, n, j['status'], tps, ept * 1e6, share * 100, j['system']['link_bytes_per_position']))
order = {'uart': 0, 'spi': 1, 'lora-sx1262': 2}
rows.sort(key=lambda r: (r[0], order.get(r[1], 9), r[2]))
print('| mode | link | MCUs | tokens/s | uJ/token (all MCUs) | links: share of energy | link bytes/position |')
print('|---|---|---:|---:|---:|---:|---:|')
for r in rows:
    print(f'| {r[0]} | {r[1]} | {r[2]} | {r[4]:.2f} | {r[5]:.2f} | {r[6]:.1f}% | {r[7]:.0f} |' + ('' if r[3] == 'exit' else f' ({r[3]})'))
