#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""bench/copypolicy's two halves (see its header).

  copypolicy.py sample OUT PATH_A_SOCK PATH_B_SOCK
      every 50 ms until SIGTERM, a line to OUT: CLOCK_MONOTONIC ns, then
      path A's a2b rx_packets rx_bytes lost_packets, path B's a2b
      rx_packets rx_bytes (what the client sent into each path).

  copypolicy.py report WORK --phase-s S --rate R --a-ms MS --b-ms MS ...
      the figures from WORK/POLICY.{run,samples,deliveries,stats}; with
      --out FILE its section of bench/results.md, replaced or added.

Phases by send time from the schedule's start: 0 and 2 clean, 1 and 3
lossy. A packet's send time is pptpgen's timestamp when it was delivered;
a lost one's is where the pacing puts it (sent at a fixed rate, numbered
in order: the delivered ones give the clock).
"""
import json
import os
import signal
import socket
import statistics
import sys
import time


def linkemu(path, command):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        s.sendall(command.encode() + b"\n")
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    return json.loads(reply)


def sample(out, sock_a, sock_b):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with open(out, "w") as fh:
        nxt = time.monotonic_ns()
        while not stop:
            a = linkemu(sock_a, "stats")["a2b"]
            b = linkemu(sock_b, "stats")["a2b"]
            fh.write(f"{time.monotonic_ns()} {a['rx_packets']} {a['rx_bytes']} {a['lost_packets']} "
                     f"{b['rx_packets']} {b['rx_bytes']}\n")
            nxt += 50_000_000
            time.sleep(max(0, nxt - time.monotonic_ns()) / 1e9)


def pct(values, p):
    """Nearest rank, as tests/pkt/percentile.h."""
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(-(-p * len(v) // 1)) - 1))]


class Run:
    def __init__(self, work, policy, a):
        self.policy = policy
        meta = json.load(open(f"{work}/{policy}.run"))
        self.start = meta["start_ns"]
        self.first, self.packets = meta["first"], meta["packets"]
        self.budget_bps = meta["budget_bps"]
        self.recv = meta["recv"]
        self.stats = json.load(open(f"{work}/{policy}.stats"))
        self.samples = [list(map(int, l.split())) for l in open(f"{work}/{policy}.samples")]
        self.delivered = {}  # index: (sent_ns or -1, delivered_ns)
        for line in open(f"{work}/{policy}.deliveries"):
            seq, sent, done = map(int, line.split())
            self.delivered[seq - self.first] = (sent, done)
        # The pacing clock: sent = t0 + i / rate, t0 from the timed ones.
        step = 1e9 / a.rate
        self.t0 = statistics.median(s - i * step for i, (s, _) in self.delivered.items() if s >= 0)
        self.step = step
        self.phase_ns = a.phase_s * 1e9

    def sent(self, i):
        d = self.delivered.get(i)
        return d[0] if d and d[0] >= 0 else self.t0 + i * self.step

    def latencies(self, idx):
        return [(self.delivered[i][1] - self.delivered[i][0]) / 1e6 for i in idx
                if i in self.delivered and self.delivered[i][0] >= 0]

    def lost(self, idx):
        return sum(1 for i in idx if i not in self.delivered)

    def phase(self, t):
        return int((t - self.start) // self.phase_ns)

    def packets_in(self, phases, skip_s=0.0):
        """Indices of the packets sent in these phases, from skip_s into each."""
        out = []
        for i in range(self.packets):
            t = self.sent(i)
            p = self.phase(t)
            if p in phases and t - self.start - p * self.phase_ns >= skip_s * 1e9:
                out.append(i)
        return out

    def at(self, t):
        """The linkemu counters at time t, interpolated between samples."""
        s = self.samples
        for k in range(1, len(s)):
            if s[k][0] >= t:
                lo, hi = s[k - 1], s[k]
                f = (t - lo[0]) / (hi[0] - lo[0]) if hi[0] > lo[0] else 1
                return [lo[j] + f * (hi[j] - lo[j]) for j in range(len(lo))]
        return s[-1]

    def bytes_between(self, t1, t2):
        a, b = self.at(t1), self.at(t2)
        return b[2] - a[2], b[5] - a[5]  # path A, path B

    def copy_start(self, phase):
        """Lossy phase: from its first loss on path A to the first 50 ms in
        which path B carried at least 80 % of what path A did."""
        t_begin = self.start + phase * self.phase_ns
        s = [x for x in self.samples if x[0] >= t_begin - 50e6]
        first_loss = next((x[0] for x, y in zip(s, s[1:]) if y[3] > x[3]), None)
        if first_loss is None:
            return None, None
        # The loss is counted at the sample after it: it happened within
        # the 50 ms before (take the earlier end: the figure errs long).
        loss_t = max(t_begin, first_loss - 50e6)
        for x, y in zip(s, s[1:]):
            if x[0] < loss_t:
                continue
            da, db = y[1] - x[1], y[4] - x[4]
            if da > 0 and db >= 0.8 * da:
                return (x[0] - loss_t) / 1e6, loss_t
        return None, loss_t


def report(a):
    runs = {p: Run(a.work, p, a) for p in a.policies}
    res = {}
    for name, r in runs.items():
        lossy = r.packets_in({1, 3})
        clean = r.packets_in({0, 2}, skip_s=a.quiet_s + 1)
        lat = r.latencies
        share = []
        for p in (0, 2):
            t1 = r.start + p * r.phase_ns + (a.quiet_s + 1) * 1e9
            t2 = r.start + (p + 1) * r.phase_ns
            ba, bb = r.bytes_between(t1, t2)
            share.append(bb / ba if ba else None)
        starts = [r.copy_start(p)[0] for p in (1, 3)] if name == "adaptive" else []
        # The budget over the whole stream: from its first packet to its last.
        t_first, t_last = r.sent(0), r.sent(r.packets - 1)
        _, b_all = r.bytes_between(t_first, t_last + a.b_ms * 1e6)
        dev = r.stats.get("clone", [{}])
        phases = []
        for p in range(4):
            idx = r.packets_in({p})
            t1, t2 = r.start + p * r.phase_ns, r.start + (p + 1) * r.phase_ns
            ba, bb = r.bytes_between(t1, t2)
            phases.append({"packets": len(idx), "lost": r.lost(idx), "a_bytes": ba, "b_bytes": bb})
        res[name] = {
            "lossy_loss": r.lost(lossy) / len(lossy) if lossy else None,
            "lossy_packets": len(lossy),
            "clean_b_share": share,
            "clean_p50_ms": pct(lat(clean), 0.5),
            "lossy_p99_ms": pct(lat(lossy), 0.99),
            "lossy_p50_ms": pct(lat(lossy), 0.5),
            "copy_start_ms": starts,
            "b_bytes_per_s": b_all / ((t_last - t_first) / 1e9 + a.b_ms / 1e3),
            "budget_bps": r.budget_bps if name == "budget" else None,
            "total_loss": r.lost(range(r.packets)) / r.packets,
            "phases": phases,
            "counters": dev,
        }
    if a.table:
        table(a, res)
        return 0
    if set(a.policies) != {"always", "budget", "adaptive"}:
        print("copypolicy " + json.dumps(res, separators=(",", ":")))
        return 0
    always_share = [x for x in res["always"]["clean_b_share"] if x]
    adaptive_share = [x for x in res["adaptive"]["clean_b_share"] if x]
    res["adaptive_vs_always_clean_bytes"] = (statistics.mean(adaptive_share) / statistics.mean(always_share)
                                             if always_share and adaptive_share else None)
    b = res["budget"]
    res["budget_rate_error"] = b["b_bytes_per_s"] / b["budget_bps"] - 1
    res["checks"] = checks(res, a)
    if a.out:
        write_section(a, res)
    print("copypolicy " + json.dumps({k: v for k, v in res.items()}, separators=(",", ":"), default=str))
    return 0 if all(ok for _, ok in res["checks"]) else 1


def checks(res, a):
    """The issue's targets, each (text, met)."""
    al, ad = res["always"], res["adaptive"]
    c = []
    share = res["adaptive_vs_always_clean_bytes"]
    c.append((f"clean periods: adaptive's path B bytes {share * 100:.1f} % of always's (target <= 10 %)",
              share is not None and share <= 0.10))
    d = (ad["lossy_loss"] - al["lossy_loss"]) * 100
    c.append((f"lossy periods: adaptive loses {ad['lossy_loss'] * 100:.2f} %, always {al['lossy_loss'] * 100:.2f} % "
              f"({d:+.2f} points; target within 1)", abs(d) <= 1.0))
    limit = 1000 + a.b_ms
    starts = ad["copy_start_ms"]
    c.append((f"adaptive copies again {', '.join('never' if s is None else f'{s:.0f} ms' for s in starts)} after "
              f"each lossy period's first loss (target <= {limit} ms: 1 s + path B's delay)",
              all(s is not None and s <= limit for s in starts)))
    for name in ("always", "adaptive"):
        p50 = res[name]["clean_p50_ms"]
        c.append((f"{name}: clean p50 {p50:.1f} ms, path A's delay {a.a_ms} ms (target within 5 ms)",
                  p50 is not None and abs(p50 - a.a_ms) <= 5))
    c.append((f"lossy p99: adaptive {ad['lossy_p99_ms']:.1f} ms, always {al['lossy_p99_ms']:.1f} ms "
              "(target: no worse)", ad["lossy_p99_ms"] <= al["lossy_p99_ms"] + 1.0))
    e = res["budget_rate_error"] * 100
    c.append((f"budget: path B carried {res['budget']['b_bytes_per_s']:.0f} B/s for a budget of "
              f"{res['budget']['budget_bps']} B/s ({e:+.1f} %; target within 5 %)", abs(e) <= 5))
    return c


def table(a, res):
    """scripts/demo --copy adaptive: per phase, each policy's loss and path
    B's bytes, and what adaptive saved."""
    pols = list(res)
    print()
    print(f"Path A's loss on a schedule ({a.phase_s:g} s a phase), client → primary, {a.rate} PPTP-like "
          "packets/s, received")
    print("as the kernel's PPTP does (no reorder buffer), dupgre's order stage on the primary. The same")
    print("schedule and seed for each policy: always copies every packet into path B; adaptive copies while")
    print(f"the primary reports losses on path A (and {a.quiet_s:g} s more), else one packet in 16.")
    print()
    head = f"{'phase':<18}" + "".join(f"{p + ': loss':>16}{'path B KB':>11}" for p in pols) + f"{'saved':>8}"
    print(head)
    for k in range(4):
        name = f"{k + 1} " + ("clean" if k % 2 == 0 else f"{a.loss * 100:g} % loss on A")
        row = f"{name:<18}"
        for p in pols:
            ph = res[p]["phases"][k]
            row += f"{ph['lost'] / ph['packets'] * 100 if ph['packets'] else 0:>15.2f}%{ph['b_bytes'] / 1000:>11.0f}"
        if "always" in res and "adaptive" in res:
            b0 = res["always"]["phases"][k]["b_bytes"]
            b1 = res["adaptive"]["phases"][k]["b_bytes"]
            row += f"{(1 - b1 / b0) * 100 if b0 else 0:>7.0f}%"
        print(row)
    tot = {p: (sum(ph["lost"] for ph in res[p]["phases"]), sum(ph["packets"] for ph in res[p]["phases"]),
               sum(ph["b_bytes"] for ph in res[p]["phases"])) for p in pols}
    row = f"{'whole run':<18}"
    for p in pols:
        lost, n, b = tot[p]
        row += f"{lost / n * 100 if n else 0:>15.2f}%{b / 1000:>11.0f}"
    if "always" in tot and "adaptive" in tot and tot["always"][2]:
        row += f"{(1 - tot['adaptive'][2] / tot['always'][2]) * 100:>7.0f}%"
    print(row)
    print()
    print("Loss: packets the receiver did not get (path A lost them and no copy came in time).")
    print("Path B KB: what the client sent into path B (its copies) during the phase; saved: adaptive's")
    print("bytes less than always's. Adaptive starts copying within a second of path A's first loss")
    print("(the report crosses the tunnel), so a lossy phase costs it the packets lost meanwhile.")


def write_section(a, res):
    mark = "copypolicy"
    f = lambda x, d=1: "-" if x is None else f"{x:.{d}f}"
    L = [f"<!-- {mark}: written by bench/copypolicy, replaced on each run -->",
         "## 11. Copy policies on a loss schedule (bench/copypolicy)", "",
         f"Command: `{a.command}`; source {a.source}; {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}, "
         f"{os.cpu_count()} CPUs, kernel {os.uname().release}, load average at the end "
         f"{' '.join(open('/proc/loadavg').read().split()[:3])}.",
         f"The guide's three sites in namespaces (linkemu links, seed {a.seed}), client → primary: path A "
         f"{a.a_ms} ms, its loss on a schedule started with each stream (clean {a.phase_s:g} s, "
         f"{a.loss * 100:g} % {a.phase_s:g} s, twice); path B {a.b_ms} ms through the secondary's relay; the "
         f"reports in a clean tunnel beside path A. {a.rate} PPTP-like packets/s (236 IP bytes) received by "
         "a model of the kernel's PPTP receiver (no reorder buffer) behind dupgre's order stage; one stream "
         "per policy, one after the other, the same schedule and seed. Budget: a quarter of the stream's "
         f"bytes; adaptive: the defaults (one in 16 sampled, stale 3 s), quiet {a.quiet_s:g} s. Clean periods are "
         f"counted from {a.quiet_s + 1:g} s into each to their end: adaptive's quiet time after the last "
         "loss report, which comes within 1 s of the last loss (a report is due at once after a loss, "
         "polled every 100 ms, and crosses the tunnel); the first clean period is counted the same way; "
         "loss and latency by each packet's send time.", "",
         "| policy | lossy: loss | lossy: p50 / p99 ms | clean: p50 ms | clean: path B bytes / path A's "
         "(1st, 2nd) | path B B/s, whole run | loss, whole run |",
         "|---|---|---|---|---|---|---|"]
    for name in ("always", "budget", "adaptive"):
        r = res[name]
        sh = ", ".join("-" if x is None else f"{x * 100:.1f} %" for x in r["clean_b_share"])
        L.append(f"| {name} | {r['lossy_loss'] * 100:.2f} % | {f(r['lossy_p50_ms'])} / {f(r['lossy_p99_ms'])} | "
                 f"{f(r['clean_p50_ms'])} | {sh} | {r['b_bytes_per_s']:.0f} | {r['total_loss'] * 100:.2f} % |")
    L += ["", "Targets (issue 26):", ""]
    L += [f"- {'met' if ok else '**not met**'}: {text}" for text, ok in res["checks"]]
    L += ["", f"<!-- /{mark} -->"]
    section = "\n".join(L) + "\n"
    prev = open(a.out).read() if os.path.exists(a.out) else ""
    begin, end = f"<!-- {mark}:", f"<!-- /{mark} -->\n"
    if begin in prev:
        i = prev.index(begin)
        j = prev.index(end, i) + len(end)
        prev = prev[:i] + section + prev[j:]
    else:
        prev = prev + ("\n" if prev else "") + section
    open(a.out, "w").write(prev)


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "sample":
        sample(*sys.argv[2:5])
        return 0
    import argparse
    p = argparse.ArgumentParser(prog="copypolicy.py report")
    p.add_argument("cmd", choices=["report"])
    p.add_argument("work")
    for opt, t in (("--phase-s", float), ("--rate", int), ("--a-ms", int), ("--b-ms", int), ("--loss", float),
                   ("--seed", int), ("--quiet-s", float)):
        p.add_argument(opt, type=t, required=opt != "--seed")
    p.add_argument("--command", default="bench/copypolicy")
    p.add_argument("--source", default="unknown")
    p.add_argument("--out")
    p.add_argument("--policies", default="always,budget,adaptive")
    p.add_argument("--table", action="store_true")
    a = p.parse_args()
    a.policies = a.policies.split(",")
    return report(a)


if __name__ == "__main__":
    sys.exit(main())
