"""Shared by the benchmark scripts: percentiles and bench/results.json.

Each bench script computes its figures and merges them under its own key,
keeping whatever the other benchmarks wrote.
"""
import json
import os


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
