#!/usr/bin/env bash
# capture.sh: regenerates the golden captures (*.pcap) that PacketParserGoldenTests cross-checks against tshark.
#
# What: creates two network namespaces joined by a veth pair (plus VLAN and QinQ sub-interfaces), runs real traffic
# between them (ping, ping -6, ncat TCP and UDP, large pings and UDP datagrams that fragment, a UDP datagram to a
# closed port for ICMP errors, an interface coming up for MLD/DAD/RS) and records it with `tcpdump -w` on the
# Ethernet interface of namespace A. Frames the kernel here cannot produce (SCTP: no sctp module; IPv6 extension
# headers; IPv4 options; ESP; VLAN tags, see step 8) are crafted with scapy and *sent* on the veth while tcpdump
# records, so they still pass through a real capture.
# Why: the parser's tests compare its fields with tshark's on traffic real stacks produced, not on frames the same
# author imagined. The script is not run in CI; the pcaps are checked in. Run it as root on a machine with
# iproute2, tcpdump, ncat, iputils-ping and python3-scapy (Debian: apt-get install -y tcpdump ncat iputils-ping
# python3-scapy).
#
# Rules (see ENVIRONMENT.md): addresses only from 198.18.0.0/15 and 2001:db8::/32, namespaces named with a per-run
# prefix and always removed (trap), every command bounded with timeout. Offloads stay at their defaults, so the TCP
# capture contains GSO super-frames larger than the MTU.
set -euo pipefail

OUT="$(cd "$(dirname "$0")" && pwd)"
PREFIX="pp$$"
NSA="${PREFIX}-a"
NSB="${PREFIX}-b"
MAC_A=02:00:00:00:00:0a
MAC_B=02:00:00:00:00:0b
PY=/usr/bin/python3
TCPDUMP_PID=""

cleanup() {
    if [[ -n "$TCPDUMP_PID" ]]; then kill "$TCPDUMP_PID" 2>/dev/null || true; fi
    ip netns del "$NSA" 2>/dev/null || true
    ip netns del "$NSB" 2>/dev/null || true
}
trap cleanup EXIT

ina() { timeout 20 ip netns exec "$NSA" "$@"; }
inb() { timeout 20 ip netns exec "$NSB" "$@"; }

# start_capture NAME: tcpdump on va in namespace A, packet-buffered, whole frames.
start_capture() {
    ip netns exec "$NSA" timeout 60 tcpdump -i va -U -s 262144 -w "$OUT/$1.pcap" 2>/dev/null &
    TCPDUMP_PID=$!
    sleep 1
}

stop_capture() {
    sleep 1
    kill -INT "$TCPDUMP_PID"
    wait "$TCPDUMP_PID" || true
    TCPDUMP_PID=""
}

ip netns add "$NSA"
ip netns add "$NSB"
ip -n "$NSA" link add va type veth peer name vb netns "$NSB"
ip -n "$NSA" link set va address "$MAC_A"
ip -n "$NSB" link set vb address "$MAC_B"
ip -n "$NSA" link set lo up
ip -n "$NSB" link set lo up
ip -n "$NSA" addr add 198.18.0.1/24 dev va
ip -n "$NSB" addr add 198.18.0.2/24 dev vb
ip -n "$NSA" addr add 2001:db8::1/64 dev va nodad
ip -n "$NSB" addr add 2001:db8::2/64 dev vb nodad
ip -n "$NSA" link set va up

# 1. Namespace B's interface comes up: MLDv2 reports (hop-by-hop router alert), DAD, router solicitations.
start_capture ipv6-link-up
ip -n "$NSB" link set vb up
sleep 3
stop_capture

# 2. ARP request/reply and ICMP echo.
start_capture ipv4-arp-icmp
ina ip neigh flush dev va
inb ip neigh flush dev vb
ina ping -c 3 -i 0.2 -W 1 198.18.0.2 >/dev/null
stop_capture

# 3. ICMPv6 echo with neighbor solicitation/advertisement.
start_capture ipv6-icmp-nd
ina ip -6 neigh flush dev va
inb ip -6 neigh flush dev vb
ina ping -6 -c 3 -i 0.2 -W 1 2001:db8::2 >/dev/null
stop_capture

# 4. TCP over IPv4 and IPv6: handshake, data (large enough for GSO super-frames), FIN.
start_capture tcp
for addr in 198.18.0.2 2001:db8::2; do
    inb ncat -l 5001 >/dev/null &
    LISTENER=$!
    sleep 0.5
    # One large write, so that TSO on the veth emits GSO super-frames of up to 64 KiB.
    ina "$PY" -c 'import socket, sys; s = socket.create_connection((sys.argv[1], 5001)); s.sendall(b"\0" * 131072); s.close()' "$addr"
    wait "$LISTENER" || true
done
stop_capture

# 5. UDP over IPv4 and IPv6, and a datagram to a closed port (ICMP/ICMPv6 port unreachable quoting it).
start_capture udp
for addr in 198.18.0.2 2001:db8::2; do
    inb ncat -u -l 5002 >/dev/null &
    LISTENER=$!
    sleep 0.5
    echo "hello udp" | ina ncat -u --send-only "$addr" 5002 || true
    sleep 0.3
    kill "$LISTENER" 2>/dev/null || true
    wait "$LISTENER" 2>/dev/null || true
    echo "to a closed port" | ina ncat -u --send-only "$addr" 5999 || true
done
stop_capture

# 6. IPv4 fragments: ICMP echo and a UDP datagram larger than the MTU.
start_capture ipv4-fragments
ina ping -c 2 -i 0.2 -W 1 -s 3000 198.18.0.2 >/dev/null
ina "$PY" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"u"*3000, ("198.18.0.2", 5003))'
stop_capture

# 7. IPv6 fragments: ICMPv6 echo and a UDP datagram larger than the MTU.
start_capture ipv6-fragments
ina ping -6 -c 2 -i 0.2 -W 1 -s 3000 2001:db8::2 >/dev/null
ina "$PY" -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.sendto(b"u"*3000, ("2001:db8::2", 5003))'
stop_capture

# 8./9. 802.1Q and QinQ. This kernel has neither the 8021q module (`ip link add ... type vlan` fails with "Unknown
# device type") nor bridge VLAN filtering nor tc's vlan action, so nothing here can tag a frame. Instead the real
# frames captured above (ARP, ICMP, ICMPv6 with ND, TCP, UDP) are re-sent with tags inserted after the MAC addresses,
# and recorded again: an 802.1Q tag (VLAN 10, one with priority 5), an 802.1ad S-tag 100 over an 802.1Q C-tag 20,
# and an 0x8100 tag 30 over an 0x8100 tag 40. On a kernel with 8021q, VLAN sub-interfaces
# (`ip link add link va name va.10 type vlan id 10`, `... type vlan protocol 802.1ad id 100`) give the same frames.
retag() {
    ina "$PY" - "$OUT" "$1" <<'PYEOF'
import sys
from scapy.all import rdpcap, sendp
out, mode = sys.argv[1], sys.argv[2]
def tag(tpid, tci):
    return tpid.to_bytes(2, "big") + tci.to_bytes(2, "big")
stacks = {
    "vlan": [tag(0x8100, 10), tag(0x8100, (5 << 13) | 10)],
    "qinq": [tag(0x88A8, 100) + tag(0x8100, 20), tag(0x8100, 30) + tag(0x8100, 40)],
}[mode]
frames = []
for name in ("ipv4-arp-icmp", "ipv6-icmp-nd", "udp", "tcp"):
    for i, p in enumerate(rdpcap(f"{out}/{name}.pcap")):
        raw = bytes(p)
        if len(raw) > 1514 or (name == "tcp" and i > 12):
            continue
        stack = stacks[i % len(stacks)]
        frames.append(raw[:12] + stack + raw[12:])
sendp(frames, iface="va", verbose=False)
PYEOF
}
start_capture vlan
retag vlan
stop_capture
start_capture qinq
retag qinq
stop_capture

# 10. Crafted with scapy and sent on the wire: SCTP, IPv4 options, IPv6 extension headers, ESP, no-next-header.
start_capture crafted
ina "$PY" - "$MAC_A" "$MAC_B" <<'PYEOF'
import sys
from scapy.all import (Ether, IP, IPv6, IPOption_RR, IPOption_Router_Alert, UDP, TCP, ICMP, SCTP,
                       SCTPChunkInit, ICMPv6EchoRequest, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting, IPv6ExtHdrFragment, AH, ESP, PadN,
                       RouterAlert, Raw, sendp, fragment6)
src, dst = sys.argv[1], sys.argv[2]
a4, b4, a6, b6 = "198.18.0.1", "198.18.0.2", "2001:db8::1", "2001:db8::2"
e = Ether(src=src, dst=dst)
frames = [
    e / IP(src=a4, dst=b4) / SCTP(sport=5060, dport=5061, tag=0) / SCTPChunkInit(init_tag=0x1234, a_rwnd=65535, n_out_streams=10, n_in_streams=10, init_tsn=1),
    e / IPv6(src=a6, dst=b6) / SCTP(sport=5062, dport=5063, tag=0) / SCTPChunkInit(init_tag=0x4321, a_rwnd=65535, n_out_streams=10, n_in_streams=10, init_tsn=1),
    e / IP(src=a4, dst=b4, options=[IPOption_Router_Alert()]) / UDP(sport=4000, dport=4001) / Raw(b"ipv4 router alert"),
    e / IP(src=a4, dst=b4, options=[IPOption_RR(routers=["198.18.0.9", "198.18.0.10"])]) / TCP(sport=4002, dport=4003, flags="S", seq=1000, window=1024, options=[("MSS", 1460)]),
    e / IP(src=a4, dst=b4, ttl=3) / ICMP(type=13, code=0) / Raw(b"\x00" * 12),
    e / IP(src=a4, dst=b4, proto=253) / Raw(b"experimental protocol 253"),
    e / IP(src=a4, dst=b4) / ESP(spi=0x100, seq=1) / Raw(b"\x11" * 24),
    e / IPv6(src=a6, dst=b6) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / UDP(sport=4010, dport=4011) / Raw(b"hop-by-hop"),
    e / IPv6(src=a6, dst=b6) / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00" * 4)]) / TCP(sport=4012, dport=4013, flags="PA", seq=77, ack=88, window=512) / Raw(b"dstopts"),
    e / IPv6(src=a6, dst=b6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting(addresses=["2001:db8::3"], segleft=0) / IPv6ExtHdrDestOpt() / UDP(sport=4014, dport=4015) / Raw(b"four headers"),
    e / IPv6(src=a6, dst=b6) / IPv6ExtHdrSegmentRouting(addresses=["2001:db8::2", "2001:db8::4"], segleft=0) / UDP(sport=4016, dport=4017) / Raw(b"srh"),
    e / IPv6(src=a6, dst=b6) / AH(nh=58, payloadlen=4, spi=0x200, seq=1, icv=b"\x00" * 12) / ICMPv6EchoRequest(id=0x4242, seq=1),
    e / IPv6(src=a6, dst=b6) / ESP(spi=0x300, seq=1) / Raw(b"\x22" * 24),
    e / IPv6(src=a6, dst=b6, nh=59) / Raw(b"nothing follows"),
    e / IPv6(src=a6, dst=b6) / IPv6ExtHdrFragment(id=7, offset=0, m=0) / UDP(sport=4018, dport=4019) / Raw(b"atomic fragment"),
    Ether(src=src, dst=dst, type=0x88cc) / Raw(bytes.fromhex("0207040200000000000a0403056661") + b"\x00" * 30),
]
big = IPv6(src=a6, dst=b6) / IPv6ExtHdrDestOpt() / IPv6ExtHdrFragment(id=9) / UDP(sport=4022, dport=4023) / Raw(b"f" * 2000)
frames += [e / f for f in fragment6(big, 1280)]
sendp(frames, iface="va", verbose=False)
PYEOF
stop_capture

ls -l "$OUT"/*.pcap
