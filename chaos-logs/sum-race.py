"""Counts of the hand runs of chaos-logs/run-race.sh: tests passed and failed per chunk, failed seeds, totals."""
import collections, glob, json, os, re
logs = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'race')
totals = collections.defaultdict(collections.Counter)
counts = collections.defaultdict(collections.Counter)
fails = collections.defaultdict(list)
for path in sorted(glob.glob(os.path.join(logs, '*.log'))):
    text = re.sub(r'\x1b\[[0-9;]*m', '', open(path).read())
    name = os.path.basename(path)[:-4]
    kind = name.rsplit('-', 1)[0]
    for m in re.finditer(r'chaos(?:-reset)? totals (\{.*\})', text):
        data = json.loads(m.group(1))
        if all(isinstance(v, dict) for v in data.values()):
            for p, stats in data.items(): totals[p].update(stats)
        else:
            totals['reset'].update(data)
    m = re.search(r'^\s*Tests\s+(.*)', text, re.M)
    print(name, m.group(1) if m else 'running')
    # The runner's verbose reporter prints one line per test.
    marks = re.findall(r'^\s*([✓×]) .*?(?:converges|every replica converges) for seed (\d+)', text, re.M)
    passed = sorted({int(seed) for mark, seed in marks if mark == '✓'})
    failed = sorted({int(seed) for mark, seed in marks if mark == '×'})
    counts[kind]['passed'] += len(passed); counts[kind]['failed'] += len(failed)
    fails[kind] += failed
for k, c in counts.items(): print(k, dict(c), 'failed seeds', fails[k])
for p, t in totals.items(): print(p, json.dumps(dict(t)))
