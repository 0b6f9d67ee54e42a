#!/usr/bin/env python3
"""Run one command and print its wall time, its CPU time (user + system, from wait4) and the CPU time of
its JVM's threads by role (httpcap-worker-*, httpcap-capture, C2 and C1 compiler threads), read from
/proc/PID/task/*/stat every 10 ms while it runs (a thread's last reading before it ends; 10 ms ticks).

usage: perf/thread-cpu.py LABEL COMMAND [ARG...]   (bin/httpcap execs java, so the PID is the JVM's)
prints: LABEL wall=S cpu=S worker=S capture=S C2=S C1=S load=1-MIN-LOADAVG rc=EXIT
"""
import glob
import os
import subprocess
import sys
import time

label, cmd = sys.argv[1], sys.argv[2:]
ticks = os.sysconf('SC_CLK_TCK')
start = time.time()
proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
seen = {}


def poll():
    for task in glob.glob(f'/proc/{proc.pid}/task/*'):
        try:
            with open(task + '/comm') as f:
                comm = f.read().strip()
            with open(task + '/stat') as f:
                stat = f.read()
            fields = stat[stat.rfind(')') + 2:].split()
            seen[task] = (comm, (int(fields[11]) + int(fields[12])) / ticks)
        except OSError:
            pass


while True:
    poll()
    pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
    if pid != 0:
        break
    time.sleep(0.01)
wall = time.time() - start
roles = {}
for comm, cpu in seen.values():
    role = ('worker' if comm.startswith('httpcap-worker') else 'capture' if comm.startswith('httpcap-capture')
            else 'C2' if comm.startswith('C2') else 'C1' if comm.startswith('C1') else 'other')
    roles[role] = roles.get(role, 0) + cpu
with open('/proc/loadavg') as f:
    load = f.read().split()[0]
print(f"{label:8s} wall={wall:.3f} cpu={usage.ru_utime + usage.ru_stime:.2f} worker={roles.get('worker', 0):.2f} "
      f"capture={roles.get('capture', 0):.2f} C2={roles.get('C2', 0):.2f} C1={roles.get('C1', 0):.2f} "
      f"load={load} rc={os.waitstatus_to_exitcode(status)}", flush=True)
