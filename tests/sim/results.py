"""Merge the simulator's figures (balance_sim --json) into bench/results.json
under the key "balance", keeping every other key, with how they were
measured (the machine, the build).

    python3 tests/sim/results.py bench/results.json SIM.json BUILD
"""
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import results  # noqa: E402  bench/results.py: load


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: results.py RESULTS.json SIM.json BUILD")
    path, sim, build = sys.argv[1:]
    with open(sim) as f:
        fig = json.load(f)
    fig = {
        "what": "the balancer (vserver/vs_balance.c) on a simulated cluster against a count-based "
                "allocator (CTDB), Pacemaker placement-strategy=balanced and a naive greedy "
                "rebalancer, the same traces in one run: the most loaded node's share over the "
                "ideal (total load / total capacity of the up nodes, the larger of cpu and "
                "network), moves per hour, decision time per round",
        "method": "make bench-balance (tests/sim/README.md): one round a simulated minute, "
                  "deciding on the load smoothed up to the minute before (no policy sees the "
                  "minute it is scored on); "
                  "worst_over_ideal: on that minute's load, over the rounds where a lower bound "
                  "(ideal; one VS alone on its best node; pinned load) allows 1.10 x ideal; "
                  "_all_rounds: every round; _smoothed: on the 2-minute smoothed load the "
                  "balancers see (rounds where its own lower bound allows 1.10); _noise_free: on the "
                  "minute's load without its per-minute noise; noise_floor: a placement "
                  "perfectly balanced on the noise-free load seen on the minute's load (what "
                  "the noise alone costs); moves exclude "
                  "the placements after the node failure (failover_moves); storage_bound_moves: "
                  "moves of a VS while its LUN was saturated; decision_ms: vs_bal_round alone, "
                  "CLOCK_MONOTONIC",
        **fig,
        "machine": "%s, %d cores, %s %s" % (cpu_model(), os.cpu_count() or 0, platform.system(),
                                            platform.release()),
        "build": build,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    doc = results.load(path)
    doc["balance"] = fig
    # As the file is laid out (indent 1, a final newline), so that only this key changes.
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("bench/results.json: balance written (%s)" % fig["machine"])


if __name__ == "__main__":
    main()
