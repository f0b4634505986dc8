#!/usr/bin/env python3
"""Helpers for scripts/bench-peers.sh (standard library only).

  server PORT_CONN PORT_RR PORT_DENIED  listeners: accept and close (new connections), 1-byte echo (round trips), and
                                      accept and close on a port the firewalls must block
  probe HOST PORT                     exit 0 if a TCP connection succeeds within 1 s
  conn HOST PORT SECONDS              new TCP connections per second: connect, close, repeat (one client, sequential)
  rr HOST PORT SECONDS                TCP request/response with 1 byte each way: prints the median round trip in us
  ping-median                         reads `ping` output on stdin, prints the median RTT in us
  iperf-tcp / iperf-udp SECONDS       reads iperf3 -J output on stdin: Gbit/s received / packets per second received
  report RESULTS_FILE                 medians of the raw runs and the tables with ratios (Markdown)
"""
import json
import socket
import statistics
import sys
import threading
import time


def server(port_conn, port_rr, port_denied):
    def listener(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(4096)
        return s

    def accept_close(s):
        while True:
            c, _ = s.accept()
            c.close()

    def echo_one(c):
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with c:
            while True:
                b = c.recv(64)
                if not b:
                    return
                c.sendall(b)

    def accept_echo(s):
        while True:
            c, _ = s.accept()
            threading.Thread(target=echo_one, args=(c,), daemon=True).start()

    threading.Thread(target=accept_close, args=(listener(port_conn),), daemon=True).start()
    threading.Thread(target=accept_echo, args=(listener(port_rr),), daemon=True).start()
    # A listener on a port the firewalls do not allow: the script checks that it cannot be reached.
    threading.Thread(target=accept_close, args=(listener(port_denied),), daemon=True).start()
    while True:
        time.sleep(3600)


def conn(host, port, seconds):
    ok = failed = 0
    deadline = time.monotonic() + seconds
    start = time.monotonic()
    while time.monotonic() < deadline:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(1.0)
        try:
            s.connect((host, port))
            ok += 1
        except OSError:
            failed += 1
        finally:
            s.close()
    elapsed = time.monotonic() - start
    if failed:
        print(f"conn: {failed} failed connects", file=sys.stderr)
    print("%.0f" % (ok / elapsed))


def rr(host, port, seconds):
    s = socket.create_connection((host, port), timeout=2.0)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline or len(samples) < 10:
        t0 = time.perf_counter_ns()
        s.sendall(b"x")
        if not s.recv(1):
            raise SystemExit("rr: connection closed")
        samples.append(time.perf_counter_ns() - t0)
    s.close()
    print("%.1f" % (statistics.median(samples) / 1000))


def ping_median():
    times = []
    for line in sys.stdin:
        i = line.find("time=")
        if i >= 0 and "ttl=" in line:
            times.append(float(line[i + 5:].split()[0]))
    if len(times) < 3:
        raise SystemExit("ping: fewer than 3 replies")
    print("%.1f" % (statistics.median(times) * 1000))


def iperf(kind, seconds):
    d = json.load(sys.stdin)
    if "error" in d:
        raise SystemExit("iperf3: " + d["error"])
    end = d["end"]
    if kind == "tcp":
        print("%.3f" % (end["sum_received"]["bits_per_second"] / 1e9))
    else:
        # UDP: the client's summary carries the server's loss count; received = sent - lost.
        s = end["sum"]
        print("%.0f" % ((s["packets"] - s["lost_packets"]) / s["seconds"]))


METRICS = [
    # key, label, unit, higher is better
    ("tcp", "TCP throughput, 1 stream (iperf3)", "Gbit/s", True),
    ("pps_trafgen", "64-byte UDP, trafgen, received", "kpps", True),
    ("pps_iperf", "UDP -l 64, iperf3, received", "kpps", True),
    ("cps", "new TCP connections (1 client)", "conn/s", True),
    ("ping", "ping RTT, median", "us", False),
    ("rr", "TCP 1-byte request/response RTT, median", "us", False),
]


def report(path):
    raw = {}
    order = []
    for line in open(path):
        parts = line.split()
        if len(parts) != 3:
            continue
        system, metric, value = parts
        if system not in order:
            order.append(system)
        raw.setdefault((system, metric), []).append(value)

    def median(system, metric):
        vals = [float(v) for v in raw.get((system, metric), []) if v not in ("fail", "-")]
        if not vals:
            return None
        return statistics.median(vals)

    def fmt(metric, v):
        if v is None:
            return "fail"
        if metric.startswith("pps"):
            return "%.0f" % (v / 1000)
        if metric == "tcp":
            return "%.2f" % v
        if metric == "cps":
            return "%.0f" % v
        return "%.0f" % v

    print("Medians (each of %s runs)" % ", ".join(sorted({str(len(v)) for v in raw.values()})))
    print()
    print("| metric | unit | " + " | ".join(order) + " |")
    print("|---|---|" + "---:|" * len(order))
    for key, label, unit, _ in METRICS:
        print(f"| {label} | {unit} | " + " | ".join(fmt(key, median(s, key)) for s in order) + " |")
    print()

    vsw = [s for s in order if s.startswith("vswitch")]
    peers = [s for s in order if not s.startswith("vswitch")]
    if not vsw or not peers:
        return
    print("Ratios VSwitch / peer (> 1 means VSwitch is better: more throughput, or lower latency for RTT rows).")
    print("VSwitch with N workers is compared with Open vSwitch with N PMD cores.")
    print()
    for w in ("w1", "w2"):
        variants = [s for s in vsw if s.endswith(w)]
        if not variants:
            continue
        cols = []
        for v in variants:
            for p in peers:
                if p.startswith("ovs") and not p.endswith("pmd" + w[1:]):
                    continue
                cols.append((v, p))
        print(f"{w[1:]} worker(s):")
        print()
        print("| metric | " + " | ".join(f"{v.replace('vswitch-', '')} / {p}" for v, p in cols) + " |")
        print("|---|" + "---:|" * len(cols))
        for key, label, _, higher in METRICS:
            cells = []
            for v, p in cols:
                a, b = median(v, key), median(p, key)
                if a is None or b is None or a == 0 or b == 0:
                    cells.append("n/a")
                else:
                    cells.append("%.2f" % (a / b if higher else b / a))
            print(f"| {label} | " + " | ".join(cells) + " |")
        print()
    print("Raw runs:")
    print()
    for (system, metric), vals in raw.items():
        print(f"    {system:24} {metric:12} {' '.join(vals)}")


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    a = sys.argv[2:]
    if cmd == "server":
        server(int(a[0]), int(a[1]), int(a[2]))
    elif cmd == "probe":
        try:
            socket.create_connection((a[0], int(a[1])), timeout=1.0).close()
        except OSError:
            sys.exit(1)
    elif cmd == "conn":
        conn(a[0], int(a[1]), float(a[2]))
    elif cmd == "rr":
        rr(a[0], int(a[1]), float(a[2]))
    elif cmd == "ping-median":
        ping_median()
    elif cmd in ("iperf-tcp", "iperf-udp"):
        iperf(cmd[6:], float(a[0]) if a else 0)
    elif cmd == "report":
        report(a[0])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
