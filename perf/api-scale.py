#!/usr/bin/env python3
"""Issue 17's scale layout driven through a real vswitchd's Neutron API over its Unix socket, as a user's tooling would.

100 groups of RULES_PER_GROUP rules (bulk, one request per group), a remote group 'members' whose rule names itself,
then PORTS port creates one request each (every port in two of the 100 groups and in 'members', so 'members' ends with
PORTS members); then a VM joining and leaving 'members' 100 times each, and a rule added to and removed from a group
used by 10 ports 200 times each. Every change is answered after the daemon committed it and its workers switched.
Prints the times and the daemon's RSS; with GCDUMP set to a dotnet-gcdump executable, also its RSS after a full GC
(dotnet-gcdump collect forces one), i.e. without the garbage the requests left. Usage:
api-scale.py SOCKET PID [PORTS] [RULES_PER_GROUP]
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("vswitch", timeout=300)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


class Api:
    def __init__(self, path):
        self.conn = UnixConnection(path)

    def call(self, method, url, body=None, expect=(200, 201, 204)):
        data = None if body is None else json.dumps(body).encode()
        self.conn.request(method, url, body=data, headers={"Content-Type": "application/json"})
        response = self.conn.getresponse()
        text = response.read()
        if response.status not in expect:
            raise SystemExit(f"{method} {url}: {response.status} {text[:300]!r}")
        return json.loads(text) if text else None

    def timed(self, method, url, body=None):
        start = time.perf_counter()
        result = self.call(method, url, body)
        return result, (time.perf_counter() - start) * 1000


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-p * len(ordered) // 100) - 1))]


def summary(name, values):
    return f"{name}: n={len(values)} p50 {percentile(values, 50):.2f} ms, p99 {percentile(values, 99):.2f} ms, max {max(values):.2f} ms"


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1


def after_full_gc(pid):
    tool = os.environ.get("GCDUMP")
    if not tool:
        return ""
    with tempfile.TemporaryDirectory() as dump:
        subprocess.run([tool, "collect", "-p", str(pid), "-o", os.path.join(dump, "heap.gcdump")], check=True, capture_output=True, timeout=300)
    return f", {rss_mib(pid):.0f} MiB after a full GC"


def main():
    path, pid = sys.argv[1], int(sys.argv[2])
    ports = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    rules_per_group = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    api = Api(path)
    network = api.call("POST", "/v2.0/networks", {"network": {"name": "scale"}})["network"]["id"]
    members = api.call("POST", "/v2.0/security-groups", {"security_group": {"name": "members"}})["security_group"]["id"]
    api.call("POST", "/v2.0/security-group-rules", {"security_group_rule": {
        "security_group_id": members, "direction": "ingress", "ethertype": "IPv4", "remote_group_id": members}})
    groups = [api.call("POST", "/v2.0/security-groups", {"security_group": {"name": f"g{g}"}})["security_group"]["id"] for g in range(100)]

    total_rules = 1
    start = time.perf_counter()
    for g, group in enumerate(groups):
        rules = []
        for r in range(rules_per_group):
            port = 1 + (1000 + g * rules_per_group + r) % 64000
            rule = {"security_group_id": group, "direction": "ingress", "ethertype": "IPv6" if r % 3 == 0 else "IPv4",
                    "protocol": "tcp" if r % 2 == 0 else "udp", "port_range_min": port, "port_range_max": port + r % 3}
            if r % 10 == 0:
                rule["remote_group_id"] = groups[(g * 31 + r) % 100]
            else:
                rule["remote_ip_prefix"] = f"2001:db8:{g:x}:{r:x}::/64" if r % 3 == 0 else f"198.18.{g}.{r % 256}/32"
            rules.append(rule)
        total_rules += len(api.call("POST", "/v2.0/security-group-rules", {"security_group_rules": rules})["security_group_rules"])
    rules_s = time.perf_counter() - start

    creates = []
    start = time.perf_counter()
    for p in range(ports):
        body = {"port": {"name": f"p{p}", "network_id": network, "binding:profile": {"device": f"memory:p{p}"},
                         "fixed_ips": [{"ip_address": f"198.19.{p // 250}.{p % 250 + 1}"}, {"ip_address": f"2001:db8:ffff::{p + 1:x}"}],
                         "security_groups": list(dict.fromkeys([groups[p % 100], groups[(p * 7) % 100], members]))}}
        _, ms = api.timed("POST", "/v2.0/ports", body)
        creates.append(ms)
    ports_s = time.perf_counter() - start
    print(f"API setup: {total_rules - 1} rules in bulk (with 'members' and each group's two default egress rules: "
          f"{total_rules + 2 * (len(groups) + 1)} rules) in {rules_s:.1f} s, then {ports} port creates one request each in {ports_s:.1f} s "
          f"(total {rules_s + ports_s:.1f} s); {summary('port create', creates)}")
    print(f"daemon RSS after setup: {rss_mib(pid):.0f} MiB{after_full_gc(pid)}")

    joiner = api.call("POST", "/v2.0/ports", {"port": {"name": "joiner", "network_id": network, "binding:profile": {"device": "memory:joiner"},
                                                        "fixed_ips": [{"ip_address": "198.19.9.1"}], "security_groups": [groups[1], groups[7]]}})["port"]["id"]
    joins, leaves = [], []
    for i in range(200):
        wanted = [groups[1], groups[7], members] if i % 2 == 0 else [groups[1], groups[7]]
        _, ms = api.timed("PUT", f"/v2.0/ports/{joiner}", {"port": {"security_groups": wanted}})
        (joins if i % 2 == 0 else leaves).append(ms)
    print(f"a VM joining the {ports}-member remote group over the API: {summary('join', joins)}; {summary('leave', leaves)}")

    ten = api.call("POST", "/v2.0/security-groups", {"security_group": {"name": "ten"}})["security_group"]["id"]
    for p in range(10):
        api.call("POST", "/v2.0/ports", {"port": {"name": f"ten{p}", "network_id": network, "binding:profile": {"device": f"memory:ten{p}"},
                                                  "fixed_ips": [{"ip_address": f"198.19.11.{p + 1}"}], "security_groups": [ten, members]}})
    adds, deletes = [], []
    for i in range(200):
        rule, ms = api.timed("POST", "/v2.0/security-group-rules", {"security_group_rule": {
            "security_group_id": ten, "direction": "ingress", "protocol": "tcp", "port_range_min": 7000 + i, "port_range_max": 7000 + i}})
        adds.append(ms)
        _, ms = api.timed("DELETE", f"/v2.0/security-group-rules/{rule['security_group_rule']['id']}")
        deletes.append(ms)
    print(f"a rule added to a group used by 10 ports over the API: {summary('add', adds)}; {summary('delete', deletes)}")
    print(f"daemon RSS at the end: {rss_mib(pid):.0f} MiB{after_full_gc(pid)}")


main()
