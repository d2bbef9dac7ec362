#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Turns bench/run's raw samples into results.md and one JSON line (stdout).

Every send-path figure is a paired difference: in each round, a
configuration's ns/packet minus the baseline's in the same round; we report
the median over rounds and the interquartile range [p25, p75] of those
differences. "A/A" is a second, identical baseline namespace: its difference
to the first is what noise (and namespace placement) alone produces.
"""
import argparse
import json
import os
import statistics
from collections import defaultdict

PEERS = ["1", "100", "1000", "10000"]


def q(xs, p):
    """p-quantile with linear interpolation."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summ(xs):
    return {"median": q(xs, 0.5), "p25": q(xs, 0.25), "p75": q(xs, 0.75),
            "min": min(xs), "max": max(xs), "n": len(xs)}


def fmt(s, unit="", digits=0):
    f = f"{{:.{digits}f}}"
    return (f"{f.format(s['median'])}{unit} [{f.format(s['p25'])}, {f.format(s['p75'])}]")


def main():
    ap = argparse.ArgumentParser()
    for a in ("work", "out", "machine", "command", "load", "cpu"):
        ap.add_argument("--" + a, required=True)
    for a in ("rounds", "target-ms", "class-reps", "class-repeat", "failed"):
        ap.add_argument("--" + a, type=int, required=True)
    args = ap.parse_args()
    w = args.work

    # --- Classifier (BPF_PROG_TEST_RUN).
    cls = defaultdict(list)
    class_checks = []
    for line in open(os.path.join(w, "class.txt")):
        f = line.split()
        if f[0] == "sample":
            cls[f[1]].append(float(f[3]))
        elif f[0] == "check":
            class_checks.append(line.strip())
    cls_s = {k: summ(v) for k, v in cls.items()}

    # --- Eliminate (BPF_PROG_TEST_RUN): samples per class, and per rate.
    el = defaultdict(list)
    for line in open(os.path.join(w, "elim.txt")):
        f = line.split()
        if f[0] == "sample":
            el[f[1]].append(float(f[3]))
    el_s = {k: summ(v) for k, v in el.items()}
    # Net of the harness, measured the same way (repeat K, or single runs),
    # paired per rep. "passed" warm: the repeated duplicate's cost plus what
    # a passed number costs over a duplicate in single runs (same rep).
    def net(cls, harness):
        return summ([a - b for a, b in zip(el[cls], el[harness])])
    el_net = {"duplicate": net("duplicate", "empty_program"),
              "tagless": net("tagless", "empty_program"),
              "udp": net("udp", "empty_program"),
              "passed_single_run": net("passed_1", "empty_program_1"),
              "duplicate_single_run": net("duplicate_1", "empty_program_1")}
    el_net["passed"] = summ([d - e + p1 - d1 for d, e, p1, d1 in
                             zip(el["duplicate"], el["empty_program"], el["passed_1"], el["duplicate_1"])])
    # The same classes in order mode (elimbench --order 1): what order mode
    # adds while a stream has no gap, net of the harness measured with it.
    elo = defaultdict(list)
    for line in open(os.path.join(w, "elim-order.txt")):
        f = line.split()
        if f[0] == "sample":
            elo[f[1]].append(float(f[3]))
    elo_net = {k: summ([a - b for a, b in zip(elo[k], elo[h])])
               for k, h in (("duplicate", "empty_program"), ("tagless", "empty_program"),
                            ("udp", "empty_program"), ("passed_1", "empty_program_1"),
                            ("duplicate_1", "empty_program_1"))}
    elo_net["passed"] = summ([d - e + p1 - d1 for d, e, p1, d1 in
                              zip(elo["duplicate"], elo["empty_program"], elo["passed_1"], elo["duplicate_1"])])
    rates = [json.loads(line.split(" ", 1)[1]) for line in open(os.path.join(w, "elimrate.txt"))
             if line.startswith("elimrate ")]

    def gap_stats(paths):
        """Arrival gap between a number's copies, from the log2 histogram of
        the discarded copies: bucket b holds [2^(b-1), 2^b) us."""
        h = [sum(p["gaps_log2"][b] for p in paths) for b in range(len(paths[0]["gaps_log2"]))]
        n = sum(h)
        sum_us = sum(p["gap_sum_us"] for p in paths)
        def pct(x):
            acc = 0
            for b, c in enumerate(h):
                acc += c
                if acc >= x * n:
                    return 2 ** b  # the bucket's upper bound
            return None
        return {"p50_us_le": pct(0.5) if n else None, "p99_us_le": pct(0.99) if n else None,
                "mean_us": round(sum_us / n, 1) if n else None}

    for r in rates:
        r["gap"] = gap_stats(r["paths"])
        r["correct"] = r["no_double_pass"] and r["none_lost_that_arrived"]
        r["rogue_share"] = r["rogue"] / r["count"] if r["count"] else 0
        r["in_window"] = r["rogue_share"] <= 0.01
        r["achieved_pps"] = [round(p["sent"] / p["duration_ms"] * 1000) if p.get("duration_ms") else None
                             for p in r["paths"]]
    ok_rates = [r["rate"] for r in rates if r["rate"] > 0 and r["correct"] and r["in_window"]
                and all(a is not None and a >= 0.95 * r["rate"] for a in r["achieved_pps"])]

    # --- Send path: ns/packet per cell and round.
    per = defaultdict(dict)   # cell -> round -> ns/pkt
    pps = defaultdict(list)   # cell -> wall-clock packets/s per sample
    for line in open(os.path.join(w, "send.txt")):
        f = line.split()
        if f[0] != "sample":
            continue
        cell, rnd, pkts, cpu, wall = f[1], int(f[2]), int(f[3]), int(f[4]), int(f[5])
        per[cell][rnd] = cpu / pkts
        pps[cell].append(pkts / wall * 1e9)

    def absolute(cell):
        return summ(list(per[cell].values()))

    def paired(cell, base="base"):
        kind = cell.split("/")[1]
        b = per[f"{base}/{kind}"]
        return [per[cell][r] - b[r] for r in per[cell] if r in b]

    def added(cfg, kind):
        return summ(paired(f"{cfg}/{kind}"))

    aa = {k: added("base2", k) for k in ("gre", "udp")}
    hook = {k: added("hook", k) for k in ("gre", "udp")}
    res = {k: {} for k in ("ipt_gre", "bpf_gre", "ipt_udp", "bpf_udp")}
    ratio = {}
    for n in PEERS:
        for cfg in ("ipt", "bpf"):
            for kind in ("gre", "udp"):
                res[f"{cfg}_{kind}"][n] = added(f"{cfg}-{n}", kind)
        di, db = paired(f"ipt-{n}/gre"), paired(f"bpf-{n}/gre")
        ratio[n] = summ([b / i for b, i in zip(db, di) if i > 0])

    def noise(kind):  # the A/A band: |median| + half its IQR
        s = aa[kind]
        return abs(s["median"]) + (s["p75"] - s["p25"]) / 2

    def within_noise(s, kind):
        return abs(s["median"]) <= noise(kind) or s["p25"] <= 0 <= s["p75"]

    # --- Memory.
    mem = {}
    for line in open(os.path.join(w, "memory.txt")):
        f = line.split()
        n, rss_peer, t_peer, rss_att, t_att, t_ipt = f[:6]
        ml = dict(kv.split("=") for kv in f[6:])
        mem[n] = {"ctl_peer_add_rss_kib": int(rss_peer), "ctl_peer_add_s": float(t_peer),
                  "ctl_attach_rss_kib": int(rss_att), "ctl_attach_s": float(t_att),
                  "iptables_restore_jumps_s": float(t_ipt),
                  "memlock_bytes": {k: int(v) for k, v in ml.items()}}

    checks = open(os.path.join(w, "checks.txt")).read().strip().splitlines()

    # --- Targets.
    nonmatch_ok = within_noise(res["bpf_udp"]["1"], "udp")
    third_ok = all(res["bpf_gre"][n]["median"] <= res["ipt_gre"][n]["median"] / 3 for n in PEERS)
    b1, b10k = res["bpf_gre"]["1"], res["bpf_gre"]["10000"]
    flat_band = max((b1["p75"] - b1["p25"]) / 2, (b10k["p75"] - b10k["p25"]) / 2, noise("gre"))
    flat_ok = abs(b10k["median"] - b1["median"]) <= flat_band

    rate = {c: {"wall_pps": summ(pps[f"{c}/gre"]),
                "cpu_pps": summ([1e9 / x for x in per[f"{c}/gre"].values()])}
            for c in ("base", "ipt-1", "bpf-1", "ipt-10000", "bpf-10000")}

    # --- The WireGuard profile against PPTP's, same run: added ns per packet
    #     (paired to the baseline sending the same kind), the ratio to that
    #     baseline (paired per round), and the rate of one core.
    def ratio_to_base(cell):
        kind = cell.split("/")[1]
        b = per[f"base/{kind}"]
        return summ([per[cell][r] / b[r] for r in per[cell] if r in b])

    wg_rows = [  # (key, cell, label, PPTP counterpart's key)
        ("pptp_dup", "bpf-1/gre", "PPTP GRE data to the peer (duplicated)", None),
        ("wg4_dup", "wg-1/wg", "WireGuard data, IPv4, to the endpoint (duplicated)", "pptp_dup"),
        ("wg6_dup", "wg-1/wg6", "WireGuard data, IPv6, to the endpoint (duplicated)", "pptp_dup"),
        ("pptp_nonmatch", "bpf-1/udp", "PPTP profile: UDP to a non-peer", None),
        ("wg4_nonmatch", "wg-1/udp", "WireGuard profile: UDP to a non-peer, IPv4", "pptp_nonmatch"),
        ("wg6_nonmatch", "wg-1/udp6", "WireGuard profile: UDP to a non-peer, IPv6", "pptp_nonmatch"),
    ]
    wg = {}
    for key, cell, label, ref in wg_rows:
        d = paired(cell)
        wg[key] = {"cell": cell, "label": label, "ref": ref, "added": summ(d), "p99": q(d, 0.99),
                   "ratio_to_base": ratio_to_base(cell),
                   "base": absolute(f"base/{cell.split('/')[1]}")}
    wg_aa = {k: added("base2", k) for k in ("wg", "wg6", "udp6")}
    wg_rate = {c: {"wall_pps": summ(pps[c]), "cpu_pps": summ([1e9 / x for x in per[c].values()])}
               for c in ("base/gre", "bpf-1/gre", "base/wg", "wg-1/wg", "base/wg6", "wg-1/wg6")}
    wg_cls = [  # (WireGuard class, PPTP class measured alike)
        ("wg4_data_clone", "match_clone"), ("wg6_data_clone", "match_clone"),
        ("wg4_data_no_target", "match_clone_no_target"), ("wg6_data_no_target", "match_clone_no_target"),
        ("wg4_no_peer", "gre_no_peer"), ("wg6_no_peer", "gre_no_peer"),
        ("wg4_peer_other_port", "udp_to_peer"), ("wg6_peer_other_port", "udp_to_peer"),
    ]

    out = {
        "quick": args.rounds < 20,
        "checks_ok": not args.failed,
        "added_ns_iptables": round(res["ipt_gre"]["1"]["median"], 1),
        "added_ns_dupgre": round(res["bpf_gre"]["1"]["median"], 1),
        "ratio_dupgre_iptables": round(ratio["1"]["median"], 3),
        "nonmatch_added_ns_dupgre": round(res["bpf_udp"]["1"]["median"], 1),
        "nonmatch_added_ns_iptables": round(res["ipt_udp"]["1"]["median"], 1),
        "aa_noise_ns": {k: round(noise(k), 1) for k in ("gre", "udp")},
        "tc_hook_only_added_ns": {k: round(hook[k]["median"], 1) for k in ("gre", "udp")},
        "baseline_ns": {k: round(absolute(f"base/{k}")["median"], 1) for k in ("gre", "udp")},
        "peers_added_ns_dupgre": {n: round(res["bpf_gre"][n]["median"], 1) for n in PEERS},
        "peers_added_ns_iptables": {n: round(res["ipt_gre"][n]["median"], 1) for n in PEERS},
        "peers_nonmatch_added_ns_dupgre": {n: round(res["bpf_udp"][n]["median"], 1) for n in PEERS},
        "peers_nonmatch_added_ns_iptables": {n: round(res["ipt_udp"][n]["median"], 1) for n in PEERS},
        "max_dup_pps_cpu": {"iptables": round(rate["ipt-1"]["cpu_pps"]["median"]),
                            "dupgre": round(rate["bpf-1"]["cpu_pps"]["median"])},
        "classifier_ns": {k: v["median"] for k, v in sorted(cls_s.items())},
        "peer_map_memlock_bytes": {n: mem[n]["memlock_bytes"].get("peers") for n in PEERS},
        "ctl_peak_rss_kib": {n: mem[n]["ctl_peer_add_rss_kib"] for n in PEERS},
        "eliminate_ns": {k: round(v["median"], 1) for k, v in sorted(el_net.items())},
        "eliminate_order_ns": {k: round(v["median"], 1) for k, v in sorted(elo_net.items())},
        "wireguard": {
            "added_ns": {k: round(v["added"]["median"], 1) for k, v in wg.items()},
            "added_ns_p99": {k: round(v["p99"], 1) for k, v in wg.items()},
            "ratio_to_baseline": {k: round(v["ratio_to_base"]["median"], 3) for k, v in wg.items()},
            "max_dup_pps_cpu": {c: round(v["cpu_pps"]["median"]) for c, v in wg_rate.items()},
            "classifier_net_ns": {k: round(cls_s[k]["median"] - cls_s["empty_program"]["median"], 1)
                                  for k, _ in wg_cls},
        },
        "eliminate_max_pps_ok": max(ok_rates) if ok_rates else None,
        "eliminate_rates_correct": all(r["correct"] for r in rates),
        "targets": {"nonmatch_within_noise": nonmatch_ok, "dupgre_at_most_third": third_ok,
                    "flat_1_to_10000": flat_ok},
    }

    # --- results.md
    L = []
    L.append("# dupgre benchmarks: results\n")
    L.append("Written by `bench/run`; what each figure means and how it is measured: "
             "[README.md](README.md). All figures are medians with the interquartile range "
             "`[p25, p75]` over the repetitions; send-path figures are paired differences "
             "to the baseline measured in the same round.\n")
    L.append(f"* Machine: {args.machine}")
    L.append(f"* Command: `{args.command}`; date: {os.popen('date -u +%Y-%m-%dT%H:%MZ').read().strip()}; "
             f"load average at the end: {args.load}")
    L.append(f"* Send path: {args.rounds} rounds, blocks of ~{args.target_ms} ms CPU per "
             f"configuration, sender pinned to CPU {args.cpu}; classifier: {args.class_reps} x "
             f"{args.class_repeat} runs per class")
    if out["quick"]:
        L.append("* **Quick run**: few repetitions, figures indicative only.")
    L.append("")
    L.append("## Summary\n")
    L.append("| target | result | met |")
    L.append("|---|---|---|")
    L.append(f"| non-matching traffic within noise of baseline | dupgre {fmt(res['bpf_udp']['1'], ' ns', 1)} "
             f"per UDP packet; A/A noise band ±{noise('udp'):.1f} ns | {'yes' if nonmatch_ok else 'NO'} |")
    L.append(f"| dupgre's added cost ≤ ⅓ of iptables' | {res['bpf_gre']['1']['median']:.0f} vs "
             f"{res['ipt_gre']['1']['median']:.0f} ns at 1 peer; ratio {fmt(ratio['1'], '', 3)} | "
             f"{'yes' if third_ok else 'NO'} |")
    L.append(f"| flat from 1 to 10 000 peers | dupgre {b1['median']:.0f} → {b10k['median']:.0f} ns "
             f"(band ±{flat_band:.0f}); iptables {res['ipt_gre']['1']['median']:.0f} → "
             f"{res['ipt_gre']['10000']['median']:.0f} ns | {'yes' if flat_ok else 'NO'} |")
    L.append("")
    L.append("## 1. Classifier cost per packet class (BPF_PROG_TEST_RUN)\n")
    L.append("Mean ns per run as the kernel reports it, including the harness "
             "(`empty_program` is a 2-instruction program on the same packet).\n")
    L.append("| class | ns/run | minus harness |")
    L.append("|---|---|---|")
    e = cls_s["empty_program"]["median"]
    order = ["match_clone", "match_clone_10000_peers", "match_pptp_echo_clone",
             "match_clone_no_target", "gre_no_peer", "gre_no_peer_10000_peers", "udp_to_peer",
             "not_ipv4", "empty_program"]
    for k in order:
        L.append(f"| `{k}` | {fmt(cls_s[k])} | {cls_s[k]['median'] - e:.0f} |")
    L.append("")
    L.append("## 2. CPU cost per packet on the send path\n")
    L.append("Baseline (no duplication), absolute: GRE " + fmt(absolute("base/gre"), " ns") +
             ", UDP " + fmt(absolute("base/udp"), " ns") + " per 512-byte packet. "
             "A/A (second identical baseline namespace minus the first): GRE " +
             fmt(aa["gre"], " ns", 1) + ", UDP " + fmt(aa["udp"], " ns", 1) + ".\n")
    L.append("Added ns per packet over the baseline, 1 peer:\n")
    L.append("| traffic | iptables chain | dupgre | dupgre / iptables |")
    L.append("|---|---|---|---|")
    L.append(f"| PPTP GRE data to the peer (duplicated) | {fmt(res['ipt_gre']['1'], '', 1)} | "
             f"{fmt(res['bpf_gre']['1'], '', 1)} | {fmt(ratio['1'], '', 3)} |")
    L.append(f"| bulk UDP to a non-peer (not duplicated) | {fmt(res['ipt_udp']['1'], '', 1)} | "
             f"{fmt(res['bpf_udp']['1'], '', 1)} | |")
    L.append("")
    L.append("Reference rows: the TC egress hook alone (clsact + cls_bpf running a one-instruction "
             "classic BPF program, no dupgre): GRE " + fmt(hook["gre"], " ns", 1) + ", UDP " +
             fmt(hook["udp"], " ns", 1) + "; A/A: GRE " + fmt(aa["gre"], " ns", 1) + ", UDP " +
             fmt(aa["udp"], " ns", 1) + ".")
    L.append("")
    L.append("## 3. Scaling with the number of peers\n")
    L.append("Added ns per packet over the baseline; for iptables the matching client's "
             "OUTPUT jump is the last of N (worst case), so non-matching traffic walks all N.\n")
    L.append("| peers | iptables, GRE (dup) | dupgre, GRE (dup) | dupgre / iptables | "
             "iptables, UDP non-peer | dupgre, UDP non-peer |")
    L.append("|---|---|---|---|---|---|")
    for n in PEERS:
        L.append(f"| {n} | {fmt(res['ipt_gre'][n], '', 1)} | {fmt(res['bpf_gre'][n], '', 1)} | "
                 f"{fmt(ratio[n], '', 3)} | {fmt(res['ipt_udp'][n], '', 1)} | "
                 f"{fmt(res['bpf_udp'][n], '', 1)} |")
    L.append("")
    L.append("## 4. Maximum duplicated packet rate on one pinned core\n")
    L.append("GRE to the peer, 512-byte packets, sendmmsg. `CPU` = 1e9 / (CPU ns per packet): "
             "the rate of a core doing nothing else; `wall` = packets / elapsed time, which "
             "includes time the sender lost to other processes on a busy machine.\n")
    L.append("| configuration | packets/s (CPU) | packets/s (wall) | wall, best block |")
    L.append("|---|---|---|---|")
    for c, label in (("base", "no duplication"), ("ipt-1", "iptables, 1 peer"),
                     ("bpf-1", "dupgre, 1 peer"), ("ipt-10000", "iptables, 10 000 peers"),
                     ("bpf-10000", "dupgre, 10 000 peers")):
        r = rate[c]
        L.append(f"| {label} | {fmt(r['cpu_pps'])} | {fmt(r['wall_pps'])} | {r['wall_pps']['max']:.0f} |")
    L.append("")
    L.append("## 5. Memory\n")
    L.append("`memlock` of dupgre's pinned maps (`bpftool map show`), peak RSS and wall time of "
             "`dupgre-ctl peer add` with all N addresses in one call and of `dupgre-ctl attach`; "
             "for comparison the time `iptables-restore` took to add the N OUTPUT jumps.\n")
    L.append("| peers | peers map | stats map | info map | peer add RSS | peer add time | "
             "attach RSS | attach time | iptables-restore time |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for n in PEERS:
        m = mem[n]
        ml = m["memlock_bytes"]
        L.append(f"| {n} | {ml.get('peers', 0) / 1024:.0f} KiB | {ml.get('stats', 0) / 1024:.0f} KiB | "
                 f"{ml.get('info', 0) / 1024:.0f} KiB | {m['ctl_peer_add_rss_kib'] / 1024:.1f} MiB | "
                 f"{m['ctl_peer_add_s']:.2f} s | {m['ctl_attach_rss_kib'] / 1024:.1f} MiB | "
                 f"{m['ctl_attach_s']:.2f} s | {m['iptables_restore_jumps_s']:.2f} s |")
    L.append("")
    L.append("## 6. Receiver side (eliminate)\n")
    L.append("### 6a. Cost per packet (BPF_PROG_TEST_RUN)\n")
    L.append("Two instances of the program (paths 0 and 1, drop mode) sharing their maps. "
             "`repeat` reruns one packet, so a number repeats: rows measured with repeat "
             f"({args.class_repeat} runs, kernel's mean) are classes where every run is the same "
             f"decision; `passed` cannot repeat and is measured in batches of single runs "
             "(repeat 1, kernel's duration of each run, sequence number +1 each time: path 0 "
             "passes n, path 1's copy of n is discarded, then the empty program), which start "
             "cold after each syscall. Net = minus the empty program measured the same way, "
             "paired per rep. `passed` (warm) = repeated `duplicate` + (single-run `passed` − "
             "single-run `duplicate`).\n")
    L.append("| class | how | ns/run | net of harness |")
    L.append("|---|---|---|---|")
    for k, how, h, label in (
            ("duplicate", "repeat", "empty_program", "duplicate (second copy, discarded)"),
            ("tagless", "repeat", "empty_program", "PPTP GRE without sequence number (tagless, passed)"),
            ("udp", "repeat", "empty_program", "not GRE (UDP)"),
            ("empty_program", "repeat", "empty_program", "empty program (harness)"),
            ("passed_1", "single runs", "empty_program_1", "new number, passed (window slides by 1)"),
            ("duplicate_1", "single runs", "empty_program_1", "duplicate (second copy, discarded)"),
            ("empty_program_1", "single runs", "empty_program_1", "empty program (harness)")):
        netk = {"passed_1": "passed_single_run", "duplicate_1": "duplicate_single_run"}.get(k, k)
        nv = fmt(el_net[netk], "", 0) if netk in el_net else "0"
        L.append(f"| {label} | {how} | {fmt(el_s[k], '', 0)} | {nv} |")
    L.append(f"| new number, passed (warm estimate) | derived | | {fmt(el_net['passed'], '', 0)} |")
    L.append("")
    L.append("Order mode (`elimbench --order 1`, the same classes, measured after drop mode "
             "in the same run; nothing is held: every batch is in order, so this is what order "
             "mode adds while a stream has no gap), net of its harness:\n")
    L.append("| class | drop mode | order mode | order − drop |")
    L.append("|---|---|---|---|")
    for k, label in (("duplicate", "duplicate (repeat)"), ("tagless", "tagless (repeat)"),
                     ("udp", "not GRE (repeat)"), ("passed", "new number, passed (warm estimate)")):
        L.append(f"| {label} | {el_net[k]['median']:.0f} | {fmt(elo_net[k], '', 0)} | "
                 f"{elo_net[k]['median'] - el_net[k]['median']:+.0f} |")
    L.append("")
    L.append(f"For scale, the clone program (figure 1, same kind of figure, net of its harness): "
             f"`match_clone` {cls_s['match_clone']['median'] - e:.0f} ns, "
             f"`match_clone_no_target` {cls_s['match_clone_no_target']['median'] - e:.0f} ns, "
             f"`udp_to_peer` {cls_s['udp_to_peer']['median'] - e:.0f} ns.\n")
    L.append("### 6b. Both copies on two CPUs\n")
    L.append("Two senders (`pptpgen`, one per CPU, SCHED_FIFO, a shared `--start-at`: each "
             "number leaves both at the same instant) into two veths of one namespace, "
             "eliminate in drop mode on both (window "
             f"{rates[0]['window'] if rates else '?'}), `pptprecv` (SCHED_FIFO below the senders) "
             "behind it; one call ID per rate. `unpaced` = `--rate 0`, normal priority, started "
             "together but not in lockstep. Per sender: achieved rate = sent / its duration. "
             "`rogue` = copies more than a window behind (dropped as stale). Copy gap = arrival "
             "of a number's second copy minus its first (eliminate's histogram, upper bound of "
             "the log2 bucket). Checks: no number passed twice (the receiver saw no duplicate, "
             "passed ≤ numbers); none lost that arrived (if every copy reached eliminate, every "
             "number passed; else at least the larger per-path arrival count).\n")
    L.append("| rate/sender | numbers | achieved pps (CPU 0, 1) | passed | discarded | rogue | "
             "copy gap p50 / p99 | receiver received / dup / lost (socket drops) | no double pass | "
             "none lost that arrived |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in rates:
        rc = r["receiver"]
        g = r["gap"]
        gp = (f"≤{g['p50_us_le']} / ≤{g['p99_us_le']} µs" if g["p50_us_le"] is not None else "–")
        drops = sum(p["veth_drops"] for p in r["paths"]) + r["backlog_drops"]
        note = "" if r["all_arrived"] else f" ({drops} dropped before eliminate)"
        L.append(f"| {r['rate'] or 'unpaced'} | {r['count']} | "
                 f"{', '.join(str(a) for a in r['achieved_pps'])} | {r['passed']} | {r['discarded']} | "
                 f"{r['rogue']} ({100 * r['rogue_share']:.1f} %) | {gp} | "
                 f"{rc.get('received')} / {rc.get('duplicate')} / {rc.get('lost')} ({rc.get('socket_drops')}) | "
                 f"{'yes' if r['no_double_pass'] else 'NO'} | "
                 f"{'yes' if r['none_lost_that_arrived'] else 'NO'}{note} |")
    L.append("")
    best = max(ok_rates) if ok_rates else None
    L.append(f"Highest paced rate per sender with every check held, ≤ 1 % of copies rogue and "
             f"both senders within 5 % of the rate: **{best if best else 'none'}**. "
             "Where copies go rogue, the senders drifted apart by more than a window "
             "(64 numbers = 64 / rate seconds: 3.2 ms at 20 000/s, 0.32 ms at 200 000/s): "
             "compare the achieved rates, and the copy gaps.\n")
    L.append("Receiver `lost` with 0 socket drops: the receiver (below the senders' priority) "
             "could not read while CPU-bound senders held both CPUs, its 8 MiB socket buffer "
             "filled and the tail was dropped there (SO_RXQ_OVFL reports drops only with a later "
             "packet); compare `passed`, which is eliminate's own count for the stream.\n")
    L.append("## 7. The WireGuard profile against PPTP's (same run)\n")
    L.append("`wg-1`: `dupgre-ctl attach --dev d0 --clone-to t0 --tunnel wireguard` and `peer add "
             "--dev d0 198.19.0.1:51820 [2001:db8:1::1]:51820`, in a namespace like the others; "
             "the baselines (`base`, A/A `base2`) send the same kinds. WireGuard data messages "
             "(type 4) from a connected UDP socket to port 51820, 512-byte IP packets (IPv4 or "
             "IPv6 total length); non-matching: UDP to a non-peer. PPTP's rows are `bpf-1` "
             "(figure 2).\n")
    L.append("### 7a. Classifier (BPF_PROG_TEST_RUN, measured with figure 1)\n")
    L.append("| class | ns/run | minus harness | PPTP's class | minus harness | WireGuard / PPTP |")
    L.append("|---|---|---|---|---|---|")
    for k, ref in wg_cls:
        a, b = cls_s[k]["median"] - e, cls_s[ref]["median"] - e
        L.append(f"| `{k}` | {fmt(cls_s[k])} | {a:.0f} | `{ref}` | {b:.0f} | "
                 f"{a / b if b > 0 else float('nan'):.2f} |")
    L.append("")
    L.append("### 7b. CPU cost per packet on the send path\n")
    L.append("Added ns per packet over the baseline sending the same kind in the same round: "
             "median [p25, p75] and p99 over the rounds; `× baseline` = the configuration's "
             "ns per packet over the baseline's, paired per round; `/ PPTP` = the median "
             "over PPTP's median in this run. A/A (base2 − base): WireGuard IPv4 " +
             fmt(wg_aa["wg"], " ns", 1) + ", IPv6 " + fmt(wg_aa["wg6"], " ns", 1) +
             ", UDP IPv6 " + fmt(wg_aa["udp6"], " ns", 1) + ".\n")
    L.append("| traffic | baseline ns/packet | added ns | p99 | × baseline | / PPTP |")
    L.append("|---|---|---|---|---|---|")
    for key, cell, label, ref in wg_rows:
        v = wg[key]
        rel = (f"{v['added']['median'] / wg[ref]['added']['median']:.2f}"
               if ref and wg[ref]["added"]["median"] > 0 else "")
        L.append(f"| {label} | {v['base']['median']:.0f} | {fmt(v['added'], '', 1)} | {v['p99']:.1f} | "
                 f"{fmt(v['ratio_to_base'], '', 3)} | {rel} |")
    L.append("")
    L.append("### 7c. Duplicated WireGuard packets per second on one pinned core\n")
    L.append("As figure 4: `CPU` = 1e9 / (CPU ns per packet), `wall` = packets / elapsed time.\n")
    L.append("| configuration | packets/s (CPU) | packets/s (wall) | wall, best block |")
    L.append("|---|---|---|---|")
    for c, label in (("base/wg", "WireGuard IPv4, no duplication"), ("wg-1/wg", "WireGuard IPv4, dupgre"),
                     ("base/wg6", "WireGuard IPv6, no duplication"), ("wg-1/wg6", "WireGuard IPv6, dupgre"),
                     ("base/gre", "PPTP GRE, no duplication"), ("bpf-1/gre", "PPTP GRE, dupgre")):
        r = wg_rate[c]
        L.append(f"| {label} | {fmt(r['cpu_pps'])} | {fmt(r['wall_pps'])} | {r['wall_pps']['max']:.0f} |")
    L.append("")
    L.append("## Checks\n")
    L.append("Clone counts after the run (the run fails if any is wrong):\n")
    L.append("```")
    L.extend(checks)
    L.append("```")
    # bench/relaycost's, relaywg's, tcxcost's, routercost's and copypolicy's sections (run
    # on their own) are kept at the end.
    kept = ""
    if os.path.exists(args.out):
        prev = open(args.out).read()
        marks = [prev.index(m) for m in ("<!-- relaycost:", "<!-- relaywg:", "<!-- tcxcost:", "<!-- routercost:", "<!-- routercost-mipsel:", "<!-- copypolicy:") if m in prev]
        if marks:
            kept = "\n" + prev[min(marks):]
    with open(args.out, "w") as fh:
        fh.write("\n".join(L) + "\n" + kept)
    print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
