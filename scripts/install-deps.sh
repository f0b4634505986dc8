#!/usr/bin/env bash
# Installs the Debian packages VSwitch's lab, tests and benchmarks use. Idempotent; run as root (or with sudo).
#   scripts/install-deps.sh            tools for the demo lab and the test suite
#   scripts/install-deps.sh --bench    also the peers for end-to-end benchmarks (Open vSwitch, nftables, trafgen;
#                                      for vhost-user: DPDK's testpmd, its headers and pkg-config for perf/vhost-gen,
#                                      Open vSwitch built with DPDK)
set -euo pipefail

# prometheus: promtool and the server for the metrics tests (they start their own server on loopback).
# python3-openstackclient: the real openstack CLI for the API compatibility tests.
# gcc, libc6-dev, linux-libc-dev: InteropLayoutTests compiles a probe against the C library and kernel headers
# (linux/if_packet.h, linux/io_uring.h, ...).
# dpdk, dpdk-dev: dpdk-testpmd (in dpdk-dev) with its vhost PMD is the reference vhost-user backend the tests' virtio
# frontend is checked against.
# qemu-system-x86, busybox-static, cpio, kmod (modinfo), xz-utils: the QEMU guest on a vhost-user port, whose image
# scripts/guest-image.sh builds from Debian's kernel package (below).
# isc-dhcp-client: dhclient, one of the real DHCP clients the switch's DHCP server is tested with (busybox's udhcpc the other).
packages=(iproute2 iputils-ping curl ncat tcpdump tshark python3 python3-scapy iperf3 nmap hping3 socat ethtool tmux gcc libc6-dev linux-libc-dev procps prometheus python3-openstackclient dpdk dpdk-dev
  qemu-system-x86 busybox-static cpio kmod xz-utils isc-dhcp-client)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(openvswitch-switch nftables netsniff-ng conntrack dpdk dpdk-dev libdpdk-dev pkg-config make openvswitch-switch-dpdk)
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else echo "install-deps: run as root" >&2; exit 1; fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The package enables a system-wide Prometheus on :9090; the tests need only the binaries.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi

# The QEMU tests' guest image (Debian's kernel and a busybox initramfs, downloaded once and cached; the tests build it
# themselves when it is missing, but a first build here keeps its download out of a test's time).
$SUDO "$(dirname "$0")/guest-image.sh" >/dev/null
