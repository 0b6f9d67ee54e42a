#!/usr/bin/env python3
"""Whole-process start-up times of two httpcap trees, interleaved (see perf/README.md, "Start-up time").

    flock /tmp/httpcap-perf.lock perf/startup-time.py [--rounds 10] NAME=TREE NAME=TREE

Each TREE is a directory with bin/, scripts/lib/, samples/ and app/target/httpcap.jar (a checkout,
or a copy of those four); its bin/httpcap runs with HTTPCAP_NO_BUILD=1 from TREE, so run it once
beforehand to make its AOT cache. Per round, every case runs once in each tree, the trees' order
alternating between rounds. Prints the median and range of wall time and of CPU time (user + system
of the whole process tree) per tree and case, and the median and range of the paired per-round
differences (first tree minus second).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

CASES = {
    "--version": ["--version"],
    "read demo.pcap": ["read", "samples/demo.pcap", "--sink", "file:/tmp/x.ndjson", "--progress", "never"],
    "read nginx-wrk.pcap": ["read", "/var/tmp/httpcap-perf/nginx-wrk.pcap", "--sink", "file:/tmp/y.ndjson",
                            "--progress", "never"],
}


def run(tree, args):
    start = time.perf_counter()
    proc = subprocess.Popen([os.path.join(tree, "bin/httpcap")] + args, cwd=tree, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=dict(os.environ, HTTPCAP_NO_BUILD="1"))
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{tree}/bin/httpcap {' '.join(args)} failed: {err.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("trees", nargs=2, metavar="NAME=TREE")
    options = parser.parse_args()
    trees = dict(t.split("=", 1) for t in options.trees)
    load_before = open("/proc/loadavg").read().split()[:3]
    results = {(name, case): [] for name in trees for case in CASES}
    names = list(trees)
    for r in range(options.rounds):
        for case, args in CASES.items():
            for name in (names if r % 2 == 0 else names[::-1]):
                wall, cpu = run(trees[name], args)
                results[(name, case)].append((wall, cpu))
                print(f"round {r + 1} {case!r} {name}: wall {wall:.3f} s, cpu {cpu:.3f} s", file=sys.stderr, flush=True)
    print(f"{options.rounds} rounds, interleaved; load average before {' '.join(load_before)}, "
          f"after {' '.join(open('/proc/loadavg').read().split()[:3])}")
    print("| case | tree | wall median (range), s | CPU median (range), s |")
    print("|---|---|---|---|")
    for case in CASES:
        for name in names:
            walls = sorted(w for w, _ in results[(name, case)])
            cpus = sorted(c for _, c in results[(name, case)])
            print(f"| {case} | {name} | {statistics.median(walls):.3f} ({walls[0]:.3f}–{walls[-1]:.3f}) | "
                  f"{statistics.median(cpus):.3f} ({cpus[0]:.3f}–{cpus[-1]:.3f}) |")
        first, second = results[(names[0], case)], results[(names[1], case)]
        dwall = sorted(a[0] - b[0] for a, b in zip(first, second))
        dcpu = sorted(a[1] - b[1] for a, b in zip(first, second))
        print(f"| {case} | {names[0]} − {names[1]}, paired | {statistics.median(dwall):+.3f} ({dwall[0]:+.3f}…{dwall[-1]:+.3f}) | "
              f"{statistics.median(dcpu):+.3f} ({dcpu[0]:+.3f}…{dcpu[-1]:+.3f}) |")


if __name__ == "__main__":
    main()
