#!/usr/bin/env python3
"""Helpers for scripts/campaigns/kill9-cycles.sh (standard library only). They talk to vswitchd's REST API on its Unix
socket and keep the campaign's bookkeeping in JSON files.

  writer SOCKET PREFIX NETWORK_ID BASE_GROUP_ID CHURN_NS JOURNAL STOP_FILE SEQ_FILE SECONDS
      API write loop: creates and deletes security groups, rules (one at a time and in bulk), ports (most with a TAP
      device tap:PREFIXc<seq>@CHURN_NS, some without a device) and changes ports' groups, one request at a time (at
      most 12 groups, 150 rules and 8 ports of its own at a time; names PREFIX-g<seq>, PREFIX-p<seq>), until
      STOP_FILE exists, a request fails at the connection (the daemon was killed), or SECONDS pass. Every request is
      journalled to JOURNAL (JSON lines) before it is sent ("begin") and after ("end", with the outcome: ack = HTTP 2xx,
      refused = HTTP 4xx/5xx, unsent = the connection was refused, so nothing reached the daemon, cut = the connection
      broke after the request was sent, so the daemon may or may not have committed it) and what the API returned.
  init SOCKET PREFIX EXPECT
      Records the objects named PREFIX-* (groups, their rules, ports) as they are now: the expected state.
  check SOCKET PREFIX JOURNAL EXPECT
      After a restart: applies the journal's changes to the expected state and compares it with what the API lists.
      Acknowledged changes must be there (created objects exist with the attributes the API returned, deleted ones do
      not, changed ones have the new attributes); refused and unsent ones must not be; a cut one may be either, but
      whole (a cut group create: the group with exactly its two default egress rules, or nothing; a cut bulk rule
      create: every rule or none; a cut port update: the old attributes or the new ones, nothing in between). No
      object of ours that nobody asked for (duplicates), no rule whose group is gone, no port naming a missing group.
      Rewrites EXPECT with the outcome (a cut change is settled as found). Prints one JSON line of figures, and one
      line "FAIL ..." per failure; exits 1 on failure.
  devices SOCKET PREFIX NAMESPACES SECONDS
      Waits (up to SECONDS) until every port of ours with a tap: device is ACTIVE and the TAP devices in the namespaces
      (comma-separated) are exactly those of existing ports (nothing left behind by a deleted port, nothing missing),
      and checks that the host namespace holds no interface named PREFIX*. Prints a JSON line of figures and
      "FAIL ..." lines; exits 1 on failure.
"""
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import time


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def call(sock, method, url, body=None, timeout=10):
    """Returns (outcome, status, parsed body): outcome is ack, refused, unsent or cut."""
    conn = UnixHTTPConnection(sock, timeout)
    try:
        conn.connect()
    except OSError:
        return "unsent", None, None
    try:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        conn.request(method, url, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        status = resp.status
    except (OSError, http.client.HTTPException):
        return "cut", None, None
    finally:
        conn.close()
    parsed = None
    if raw:
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = {"raw": raw[:500].decode(errors="replace")}
    return ("ack" if 200 <= status < 300 else "refused"), status, parsed


def get(sock, url):
    outcome, status, body = call(sock, "GET", url, timeout=30)
    if outcome != "ack":
        raise SystemExit(f"GET {url}: {outcome} {status} {body}")
    return body


# Fingerprints: the attributes a change sets, compared before and after a restart (not revision numbers or times).
RULE_KEYS = ("security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max",
             "remote_ip_prefix", "remote_group_id", "description")


def fp_group(g):
    return {"name": g["name"], "description": g.get("description", ""), "stateful": g.get("stateful", True)}


def fp_rule(r):
    return {k: r.get(k) for k in RULE_KEYS}


def fp_port(p):
    profile = p.get("binding:profile") or {}
    return {
        "name": p["name"], "network_id": p["network_id"], "mac_address": p["mac_address"].lower(),
        "fixed_ips": sorted(ip["ip_address"] for ip in p.get("fixed_ips", [])),
        "security_groups": sorted(p.get("security_groups", [])),
        "device": profile.get("device"), "port_security_enabled": p.get("port_security_enabled"),
        "admin_state_up": p.get("admin_state_up"),
    }


def actual_state(sock, prefix):
    """Our groups, rules and ports as the API lists them, plus every group id and every rule (for orphan checks)."""
    groups = get(sock, "/v2.0/security-groups")["security_groups"]
    rules = get(sock, "/v2.0/security-group-rules")["security_group_rules"]
    ports = get(sock, "/v2.0/ports")["ports"]
    ours = prefix + "-"
    st = {
        "groups": {g["id"]: g for g in groups if g["name"].startswith(ours)},
        "ports": {p["id"]: p for p in ports if p["name"].startswith(ours)},
        "all_group_ids": {g["id"] for g in groups},
        "all_rules": rules,
        "all_ports": ports,
        "embedded": {g["id"]: {r["id"] for r in g.get("security_group_rules", [])} for g in groups},
    }
    st["rules"] = {r["id"]: r for r in rules if r["security_group_id"] in st["groups"]}
    return st


# ---------------------------------------------------------------------------------------------------- writer

def writer(sock, prefix, network_id, base_group, churn_ns, journal_path, stop_file, seq_file, seconds):
    seconds = float(seconds)
    seq = int(open(seq_file).read().strip() or 0) if os.path.exists(seq_file) else 0
    st = actual_state(sock, prefix)
    # The writer's model: our churn groups (not the base group) with their rules, and our churn ports.
    gpre, ppre = prefix + "-g", prefix + "-p"
    groups = {gid: {r["id"] for r in st["rules"].values() if r["security_group_id"] == gid}
              for gid, g in st["groups"].items() if g["name"].startswith(gpre)}
    ports = {pid: set(p["security_groups"]) for pid, p in st["ports"].items() if p["name"].startswith(ppre)}
    rng = random.Random()
    deadline = time.monotonic() + seconds
    open(stop_file + ".started", "w").close()   # the loop runs from here: the script may now pick its moment
    counts = {"ack": 0, "refused": 0, "unsent": 0, "cut": 0}
    journal = open(journal_path, "a", buffering=1)

    def log(rec):
        journal.write(json.dumps(rec) + "\n")
        journal.flush()
        os.fsync(journal.fileno())

    def rule_body(n, gid):
        v6 = rng.random() < 0.4
        return {
            "security_group_id": gid, "direction": rng.choice(["ingress", "egress"]),
            "ethertype": "IPv6" if v6 else "IPv4", "protocol": rng.choice(["tcp", "udp"]),
            "port_range_min": 1024 + n % 60000, "port_range_max": 1024 + n % 60000,
            "remote_ip_prefix": f"2001:db8:{(n % 4000) + 1:x}::/64" if v6 else f"198.19.{n % 250}.0/24",
            "description": f"{prefix} r{n}",
        }

    while time.monotonic() < deadline and not os.path.exists(stop_file):
        seq += 1
        with open(seq_file, "w") as f:
            f.write(str(seq))
        ours = list(groups)
        free_groups = [g for g in ours if not any(g in gs for gs in ports.values())]
        # Bounded: at most 12 groups, 150 rules and 8 ports of the loop's own exist at any time.
        choices = ["create_group"] * 12 if len(groups) < 12 else []
        if ours and sum(len(rs) for rs in groups.values()) < 150:
            choices += ["create_rule"] * 25 + ["create_rules"] * 10
        if free_groups:
            choices += ["delete_group"] * 8
        if any(groups.values()):
            choices += ["delete_rule"] * 15
        if len(ports) < 8:
            choices += ["create_port"] * 12
        if ports:
            choices += ["delete_port"] * 10 + ["update_port"] * 8
        op = rng.choice(choices)
        rec = {"seq": seq, "op": op}
        if op == "create_group":
            rec.update(method="POST", url="/v2.0/security-groups",
                       body={"security_group": {"name": f"{prefix}-g{seq}", "description": f"{prefix} g{seq}"}})
        elif op == "delete_group":
            gid = rng.choice(free_groups)
            rec.update(method="DELETE", url=f"/v2.0/security-groups/{gid}", id=gid)
        elif op == "create_rule":
            rec.update(method="POST", url="/v2.0/security-group-rules",
                       body={"security_group_rule": rule_body(seq * 4, rng.choice(ours))})
        elif op == "create_rules":
            gid = rng.choice(ours)
            rules = [rule_body(seq * 4 + i, gid) for i in range(3)]
            for i, r in enumerate(rules):
                r["description"] = f"{prefix} r{seq}.{i}"
            rec.update(method="POST", url="/v2.0/security-group-rules", body={"security_group_rules": rules})
        elif op == "delete_rule":
            gid = rng.choice([g for g, rs in groups.items() if rs])
            rid = rng.choice(sorted(groups[gid]))
            rec.update(method="DELETE", url=f"/v2.0/security-group-rules/{rid}", id=rid, group=gid)
        elif op == "create_port":
            sgs = sorted(set(rng.sample(ours + [base_group], k=min(len(ours) + 1, rng.choice([1, 2])))))
            port = {"name": f"{prefix}-p{seq}", "network_id": network_id,
                    "mac_address": "fa:16:3e:%02x:%02x:%02x" % (0x90 + (seq >> 16) % 16, (seq >> 8) & 255, seq & 255),
                    "fixed_ips": [{"ip_address": f"198.19.{(seq // 250) % 256}.{seq % 250 + 2}"}],
                    "security_groups": sgs}
            if rng.random() < 0.7:
                port["binding:profile"] = {"device": f"tap:{prefix}c{seq}@{churn_ns}"}
            rec.update(method="POST", url="/v2.0/ports", body={"port": port})
        elif op == "delete_port":
            pid = rng.choice(sorted(ports))
            rec.update(method="DELETE", url=f"/v2.0/ports/{pid}", id=pid)
        elif op == "update_port":
            pid = rng.choice(sorted(ports))
            sgs = sorted(set(rng.sample(ours + [base_group], k=min(len(ours) + 1, rng.choice([1, 2])))))
            rec.update(method="PUT", url=f"/v2.0/ports/{pid}", id=pid, body={"port": {"security_groups": sgs}})
        log({"phase": "begin", **rec})
        outcome, status, resp = call(sock, rec["method"], rec["url"], rec.get("body"))
        counts[outcome] += 1
        log({"phase": "end", "seq": seq, "op": op, "outcome": outcome, "status": status, "response": resp})
        if outcome in ("unsent", "cut"):
            break   # the daemon is gone: stop here, so the cut change (if any) is the journal's last
        if outcome == "ack":
            if op == "create_group":
                g = resp["security_group"]
                groups[g["id"]] = {r["id"] for r in g.get("security_group_rules", [])}
            elif op == "delete_group":
                groups.pop(rec["id"], None)
            elif op in ("create_rule", "create_rules"):
                for r in ([resp["security_group_rule"]] if op == "create_rule" else resp["security_group_rules"]):
                    if r["security_group_id"] in groups:
                        groups[r["security_group_id"]].add(r["id"])
            elif op == "delete_rule":
                groups.get(rec["group"], set()).discard(rec["id"])
            elif op == "create_port":
                ports[resp["port"]["id"]] = set(resp["port"]["security_groups"])
            elif op == "delete_port":
                ports.pop(rec["id"], None)
            elif op == "update_port":
                ports[rec["id"]] = set(resp["port"]["security_groups"])
        time.sleep(rng.uniform(0.01, 0.06))
    journal.close()
    print(json.dumps(counts))


# ---------------------------------------------------------------------------------------------------- init / check

def init(sock, prefix, expect_path):
    st = actual_state(sock, prefix)
    expect = {"groups": {i: fp_group(g) for i, g in st["groups"].items()},
              "rules": {i: fp_rule(r) for i, r in st["rules"].items()},
              "ports": {i: fp_port(p) for i, p in st["ports"].items()}}
    json.dump(expect, open(expect_path, "w"), indent=1, sort_keys=True)
    print(json.dumps({k: len(v) for k, v in expect.items()}))


def read_journal(path):
    """Pairs begin and end records by seq; a begin without an end (the writer itself was stopped) counts as cut."""
    begins, ends = {}, {}
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue   # a torn last line
            (begins if rec["phase"] == "begin" else ends)[rec["seq"]] = rec
    out = []
    for seq in sorted(begins):
        end = ends.get(seq, {"outcome": "cut", "status": None, "response": None})
        out.append({**begins[seq], "outcome": end["outcome"], "status": end["status"], "response": end["response"]})
    return out


def requested_rule_fp(body):
    return {k: body.get(k) for k in RULE_KEYS}


def check(sock, prefix, journal_path, expect_path):
    expect = json.load(open(expect_path))
    E = {k: expect[k] for k in ("groups", "rules", "ports")}
    fails = []
    figures = {"ops": 0, "acked": 0, "refused": 0, "unsent": 0, "cut": 0, "acked_checked": 0, "expectations_checked": 0,
               "cut_resolved": ""}
    # Checks that name objects by what the request set (cut and never-sent creates have no id we know).
    by_name = []     # (kind, name or description, requested fp or None, must_be_absent)
    unknown = []     # (kind, id, [options]) for cut deletes and updates: each option is a fp or None (absent)
    cut_groups = []  # group ids whose cut delete must take the group and its rules together, or neither
    acked_ops = []

    for rec in read_journal(journal_path):
        figures["ops"] += 1
        outcome, op, resp = rec["outcome"], rec["op"], rec["response"]
        figures["acked" if outcome == "ack" else outcome] += 1
        if outcome == "refused":
            fails.append(f"seq {rec['seq']} {op}: refused with HTTP {rec['status']}: {json.dumps(resp)[:300]}")
        if outcome == "ack":
            acked_ops.append(rec)
            if op == "create_group":
                g = resp["security_group"]
                E["groups"][g["id"]] = fp_group(g)
                for r in g.get("security_group_rules", []):
                    E["rules"][r["id"]] = fp_rule(r)
                if fp_group(g)["name"] != rec["body"]["security_group"]["name"]:
                    fails.append(f"seq {rec['seq']} create_group: answer names {g['name']}")
            elif op == "delete_group":
                E["groups"][rec["id"]] = None
                for rid, fp in E["rules"].items():
                    if fp is not None and fp["security_group_id"] == rec["id"]:
                        E["rules"][rid] = None
            elif op in ("create_rule", "create_rules"):
                got = [resp["security_group_rule"]] if op == "create_rule" else resp["security_group_rules"]
                asked = [rec["body"]["security_group_rule"]] if op == "create_rule" else rec["body"]["security_group_rules"]
                if sorted(json.dumps(fp_rule(r), sort_keys=True) for r in got) != \
                        sorted(json.dumps(requested_rule_fp(a), sort_keys=True) for a in asked):
                    fails.append(f"seq {rec['seq']} {op}: the answer differs from the request: {got} vs {asked}")
                for r in got:
                    E["rules"][r["id"]] = fp_rule(r)
            elif op == "delete_rule":
                E["rules"][rec["id"]] = None
            elif op == "create_port":
                p = resp["port"]
                E["ports"][p["id"]] = fp_port(p)
                asked = fp_port({**rec["body"]["port"], "port_security_enabled": True, "admin_state_up": True})
                if fp_port(p) != asked:
                    fails.append(f"seq {rec['seq']} create_port: the answer differs from the request: {fp_port(p)} vs {asked}")
            elif op == "delete_port":
                E["ports"][rec["id"]] = None
            elif op == "update_port":
                p = resp["port"]
                E["ports"][rec["id"]] = fp_port(p)
                if sorted(p["security_groups"]) != sorted(rec["body"]["port"]["security_groups"]):
                    fails.append(f"seq {rec['seq']} update_port: the answer's groups differ from the request")
        elif outcome in ("refused", "unsent"):
            # Nothing may have changed: a create leaves no object of that name; a delete or update leaves the
            # expectation as it was (checked below like every other).
            if op == "create_group":
                by_name.append(("groups", rec["body"]["security_group"]["name"], None, True))
            elif op == "create_rule":
                by_name.append(("rules", rec["body"]["security_group_rule"]["description"], None, True))
            elif op == "create_rules":
                for r in rec["body"]["security_group_rules"]:
                    by_name.append(("rules", r["description"], None, True))
            elif op == "create_port":
                by_name.append(("ports", rec["body"]["port"]["name"], None, True))
        else:  # cut: either way, but whole
            figures["cut_resolved"] = op
            if op == "create_group":
                by_name.append(("groups", rec["body"]["security_group"]["name"], fp_group(rec["body"]["security_group"] | {"stateful": True}), False))
            elif op == "create_rule":
                b = rec["body"]["security_group_rule"]
                by_name.append(("rules", b["description"], requested_rule_fp(b), False))
            elif op == "create_rules":
                by_name.append(("bulk", [r["description"] for r in rec["body"]["security_group_rules"]],
                                [requested_rule_fp(r) for r in rec["body"]["security_group_rules"]], False))
            elif op == "create_port":
                b = rec["body"]["port"]
                by_name.append(("ports", b["name"], fp_port({**b, "port_security_enabled": True, "admin_state_up": True}), False))
            elif op == "delete_group":
                unknown.append(("groups", rec["id"], [E["groups"].get(rec["id"]), None]))
                cut_groups.append(rec["id"])
            elif op == "delete_rule":
                unknown.append(("rules", rec["id"], [E["rules"].get(rec["id"]), None]))
            elif op == "delete_port":
                unknown.append(("ports", rec["id"], [E["ports"].get(rec["id"]), None]))
            elif op == "update_port":
                before = E["ports"].get(rec["id"])
                after = None if before is None else {**before, "security_groups": sorted(rec["body"]["port"]["security_groups"])}
                unknown.append(("ports", rec["id"], [before, after]))

    st = actual_state(sock, prefix)
    A = {"groups": {i: fp_group(g) for i, g in st["groups"].items()},
         "rules": {i: fp_rule(r) for i, r in st["rules"].items()},
         "ports": {i: fp_port(p) for i, p in st["ports"].items()}}

    # Cut deletes and updates: the object is as before or as after, and settles so.
    unknown_ids = set()
    for kind, oid, options in unknown:
        unknown_ids.add((kind, oid))
        now = A[kind].get(oid)
        if now not in options:
            fails.append(f"cut change of {kind[:-1]} {oid}: found {now}, expected one of {options}")
        elif not figures["cut_resolved"].endswith(")"):
            figures["cut_resolved"] += "(applied)" if now == options[-1] and options[0] != options[-1] else "(not applied)"
        E[kind][oid] = now
        if kind == "groups" and oid in cut_groups:
            # A group's delete takes its rules with it: all of them stay or none does.
            rids = [rid for rid, fp in E["rules"].items() if fp is not None and fp["security_group_id"] == oid]
            present = [rid for rid in rids if rid in A["rules"]]
            if now is None and present:
                fails.append(f"cut delete of group {oid}: the group is gone but rules {present} remain")
            if now is not None and len(present) != len(rids):
                fails.append(f"cut delete of group {oid}: the group remains but {len(rids) - len(present)} of its rules are gone")
            for rid in rids:
                E["rules"][rid] = A["rules"].get(rid)
                unknown_ids.add(("rules", rid))

    # Creates whose outcome is by name: refused/unsent ones absent; a cut one absent or present once and whole.
    def find(kind, name):
        if kind == "rules":
            return [i for i, fp in A["rules"].items() if fp["description"] == name]
        return [i for i, fp in A[kind].items() if fp["name"] == name]

    for kind, name, fp, must_be_absent in by_name:
        if kind == "bulk":
            found = [find("rules", d) for d in name]
            n = sum(1 for f in found if f)
            if n not in (0, len(name)) or any(len(f) > 1 for f in found):
                fails.append(f"cut bulk rule create {name}: {n} of {len(name)} rules present (must be all or none, once)")
            for f, want in zip(found, fp):
                for i in f:
                    if A["rules"][i] != want:
                        fails.append(f"cut bulk rule create: rule {i} is {A['rules'][i]}, asked {want}")
                    E["rules"][i] = A["rules"][i]
            figures["cut_resolved"] += f"({'applied' if n else 'not applied'})"
            continue
        found = find(kind, name)
        if must_be_absent:
            if found:
                fails.append(f"{kind[:-1]} {name}: its create was refused or never sent, yet it exists ({found})")
            continue
        if len(found) > 1:
            fails.append(f"cut create of {kind[:-1]} {name}: {len(found)} copies ({found})")
        for i in found:
            if A[kind][i] != fp:
                fails.append(f"cut create of {kind[:-1]} {name}: half-applied: found {A[kind][i]}, asked {fp}")
            E[kind][i] = A[kind][i]
            if kind == "groups":
                rules = [r for r in A["rules"].values() if r["security_group_id"] == i]
                kinds = sorted((r["direction"], r["ethertype"], r["protocol"], r["remote_ip_prefix"]) for r in rules)
                if kinds != [("egress", "IPv4", None, None), ("egress", "IPv6", None, None)]:
                    fails.append(f"cut create of group {name}: half-applied: its rules are {kinds}, not the two default egress rules")
                for rid, r in A["rules"].items():
                    if r["security_group_id"] == i:
                        E["rules"][rid] = r
        figures["cut_resolved"] += f"({'applied' if found else 'not applied'})"

    # Every expectation, old and new: present with the same attributes, or absent.
    for kind in ("groups", "rules", "ports"):
        for oid, fp in E[kind].items():
            if (kind, oid) in unknown_ids:
                continue
            figures["expectations_checked"] += 1
            now = A[kind].get(oid)
            if fp is None and now is not None:
                fails.append(f"{kind[:-1]} {oid} was deleted (acknowledged) but exists: {now}")
            elif fp is not None and now is None:
                fails.append(f"{kind[:-1]} {oid} lost: expected {fp}")
            elif fp is not None and now != fp:
                fails.append(f"{kind[:-1]} {oid} changed: expected {fp}, found {now}")
        for oid in A[kind]:
            if oid not in E[kind]:
                fails.append(f"unexpected {kind[:-1]} {oid} (nobody asked for it): {A[kind][oid]}")

    # Acknowledged changes of this cycle, each checked against the store above: count them.
    figures["acked_checked"] = len(acked_ops)

    # Consistency: no rule without its group, no port naming a missing group, embedded rule lists match the rule list.
    for r in st["all_rules"]:
        if r["security_group_id"] not in st["all_group_ids"]:
            fails.append(f"orphan rule {r['id']} of missing group {r['security_group_id']}")
    for p in st["all_ports"]:
        for g in p.get("security_groups", []):
            if g not in st["all_group_ids"]:
                fails.append(f"port {p['name']} names missing group {g}")
    listed = {}
    for r in st["all_rules"]:
        listed.setdefault(r["security_group_id"], set()).add(r["id"])
    for gid, rids in st["embedded"].items():
        if rids != listed.get(gid, set()):
            fails.append(f"group {gid}: its embedded rules differ from /security-group-rules")

    # Settle: absent objects are dropped from the expectations once checked (they stay absent: ids are never reused).
    out = {k: {i: fp for i, fp in v.items() if fp is not None} for k, v in E.items()}
    out["gone"] = expect.get("gone", 0) + sum(1 for v in E.values() for fp in v.values() if fp is None)
    json.dump(out, open(expect_path, "w"), indent=1, sort_keys=True)
    figures.update({f"n_{k}": len(out[k]) for k in ("groups", "rules", "ports")})
    print(json.dumps(figures))
    for f in fails:
        print("FAIL " + f)
    return 1 if fails else 0


# ---------------------------------------------------------------------------------------------------- devices

def links(ns=None):
    cmd = ["ip", "-o", "link", "show"] if ns is None else ["ip", "-n", ns, "-o", "link", "show"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    names = set()
    for line in out.splitlines():
        name = line.split(":", 2)[1].strip().split("@")[0]
        names.add(name)
    return names


def devices(sock, prefix, namespaces, seconds):
    namespaces = [n for n in namespaces.split(",") if n]
    deadline = time.monotonic() + float(seconds)
    start = time.monotonic()
    while True:
        fails = []
        st = actual_state(sock, prefix)
        want = {ns: set() for ns in namespaces}
        taps = 0
        for p in st["all_ports"]:
            dev = (p.get("binding:profile") or {}).get("device") or ""
            if not dev.startswith("tap:"):
                continue
            taps += 1
            name, _, ns = dev[4:].split("?")[0].partition("@")
            if p["status"] != "ACTIVE":
                fails.append(f"port {p['name']} ({dev}) is {p['status']}: {p.get('binding:vif_details')}")
            if ns in want:
                want[ns].add(name)
            else:
                fails.append(f"port {p['name']} has a device in a namespace that is not ours: {dev}")
        for ns in namespaces:
            have = links(ns) - {"lo"}
            if have - want[ns]:
                fails.append(f"namespace {ns}: leaked devices {sorted(have - want[ns])} (no port has them)")
            if want[ns] - have:
                fails.append(f"namespace {ns}: missing devices {sorted(want[ns] - have)} of existing ports")
        host = sorted(n for n in links() if n.startswith(prefix))
        if host:
            fails.append(f"host namespace: leaked devices {host}")
        if not fails or time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    print(json.dumps({"tap_ports": taps, "settle_s": round(time.monotonic() - start, 2)}))
    for f in fails:
        print("FAIL " + f)
    return 1 if fails else 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "writer":
        writer(*args)
    elif cmd == "init":
        init(*args)
    elif cmd == "check":
        sys.exit(check(*args))
    elif cmd == "devices":
        sys.exit(devices(*args))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
