"""Shared by the benchmark scripts: percentiles and bench/results.json.

Each bench script computes its figures and merges them under its own key,
keeping whatever the other benchmarks wrote.
"""
import json
import os
import re
import sys


def percentile(sorted_values, p, digits=2):
    """Nearest-rank percentile of an already sorted list; None when empty."""
    if not sorted_values:
        return None
    n = len(sorted_values)
    i = min(n - 1, max(0, int(round(p / 100.0 * n + 0.5)) - 1))
    return round(sorted_values[i], digits)


def load(path):
    """The results document, {} when missing or unreadable."""
    if not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            doc = json.load(f)
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}


def save(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)


def announcements(path):
    """[(time, address)] of the gratuitous ARPs (request form) and unsolicited
    neighbour advertisements in a `tcpdump -n -tt` capture, in capture order."""
    events = []
    for line in open(path):
        m = re.match(r'(\d+\.\d+) ', line)
        if not m:
            continue
        t = float(m.group(1))
        g = re.search(r'Request who-has (\S+) tell (\S+),', line)
        if g and g.group(1) == g.group(2):
            events.append((t, g.group(1)))
            continue
        g = re.search(r'neighbor advertisement, tgt is (\S+),', line)
        if g:
            events.append((t, g.group(1)))
    return events


def first_after(events, t0, t1):
    """{address: first announcement time in [t0, t1)}."""
    first = {}
    for t, a in events:
        if t0 <= t < t1 and (a not in first or t < first[a]):
            first[a] = t
    return first


# The short table of `make bench-scale`: (key, label, [(field path, unit)]).
SCALE_TABLE = [
    ("netfail_many", "port failover, 100+ VIPs", [("first_ms.max", "ms first (worst pull)"),
                                                  ("last_ms.max", "ms last (worst pull)")]),
    ("netfail_many_hung_lun", "  the same, a LUN hung", [("first_ms.max", "ms first (worst pull)"),
                                                        ("last_ms.max", "ms last (worst pull)"),
                                                        ("hung_vs_storage_failed", "storage-failed")]),
    ("massfail", "mass failover", [("vservers", "VSs"), ("first_s", "s first"), ("last_s", "s last"),
                                   ("spread", "spread")]),
    ("scale", "configuration scale", [("vservers_defined", "VSs"), ("change_ms.p50", "ms p50"),
                                      ("change_ms.max", "ms max"), ("change_bytes", "bytes/change"),
                                      ("rss_kib.max", "KiB RSS max")]),
]


def field(doc, path):
    for k in path.split("."):
        if not isinstance(doc, dict) or k not in doc:
            return None
        doc = doc[k]
    return doc


def table(path):
    doc = load(path)
    for key, label, fields in SCALE_TABLE:
        res = doc.get(key)
        if not isinstance(res, dict):
            print("%-28s (not measured)" % label)
            continue
        cells = ["%s %s" % (json.dumps(field(res, f)), unit) for f, unit in fields]
        print("%-28s %s" % (label, ", ".join(cells)))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "table":
        table(sys.argv[2])
    else:
        sys.exit("usage: results.py table RESULTS.json")
