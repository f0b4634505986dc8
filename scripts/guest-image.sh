#!/usr/bin/env bash
# Builds the tiny Linux guest that the QEMU end-to-end tests boot on a vhost-user port, and caches it.
#   scripts/guest-image.sh [OUTDIR]     (default: $VSWITCH_GUEST_DIR, else /var/cache/vswitch-guest)
#
# OUTDIR receives:
#   vmlinux     Debian's kernel for this release (the package linux-image-amd64 points at), uncompressed: QEMU boots
#               an ELF vmlinux through its PVH entry, which saves the ~3 s the kernel spends un-xz-ing itself under TCG
#   initrd.gz   busybox-static, the virtio modules (virtio_pci, virtio_net and what they need) and the /init below
#   image.id    written last: the kernel package and this script's sha256; a complete image with the same script is
#               left alone (prints the directory and exits), so calling this before every test run costs nothing
#
# The guest loads the modules, gives eth0 the addresses on the kernel command line
# (vsw.ip=198.18.0.11/24 vsw.ip6=2001:db8::b/64), prints "vsw-guest: ready" on the console (ttyS0), and then serves
# requests on ttyS1 with vsw.ctl=ttyS1 (see CONTROL below), else runs a shell on the console. Run one by hand:
# README.md, "vhost-user ports".
set -euo pipefail

out=${1:-${VSWITCH_GUEST_DIR:-/var/cache/vswitch-guest}}
self=$(readlink -f "$0")
recipe=$(sha256sum "$self" | cut -d' ' -f1)

mkdir -p "$out"
out=$(readlink -f "$out")
# One build at a time per directory (two test runs may start together).
exec 9>"$out/.lock"
flock 9

if [[ -f "$out/image.id" && -f "$out/vmlinux" && -f "$out/initrd.gz" ]] && grep -qx "recipe $recipe" "$out/image.id"; then
  echo "$out"
  exit 0
fi

for tool in apt-get dpkg-deb modinfo cpio gzip xz busybox flock; do
  command -v "$tool" >/dev/null || { echo "guest-image: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
busybox=$(command -v busybox)
if ldd "$busybox" >/dev/null 2>&1; then
  echo "guest-image: $busybox is dynamically linked; install busybox-static" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vswitch-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# 1. The kernel package: the one Debian's linux-image-amd64 depends on (the newest of this release), else the
#    newest linux-image-N.N.N-N-amd64 apt knows. An empty package list (no apt-get update yet) is refreshed once.
newest_kernel() {
  apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -1
}
pkg=$(newest_kernel)
if [[ -z "$pkg" ]]; then
  apt-get update -qq
  pkg=$(newest_kernel)
fi
if [[ -z "$pkg" ]]; then
  pkg=$(apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-amd64$' | cut -d' ' -f1 | sort -V | tail -1)
fi
[[ -n "$pkg" ]] || { echo "guest-image: apt knows no linux-image-*-amd64 package" >&2; exit 1; }
echo "guest-image: $pkg" >&2
# The download runs as root into this private directory (apt's _apt user could not write here).
apt-get -qq -o APT::Sandbox::User=root download "$pkg"
dpkg-deb -x ./"$pkg"_*.deb pkg
kver=${pkg#linux-image-}
vmlinuz=pkg/boot/vmlinuz-$kver
moddir=pkg/lib/modules/$kver
[[ -f "$vmlinuz" && -d "$moddir" ]] || { echo "guest-image: $pkg has no $vmlinuz or $moddir" >&2; exit 1; }

# 2. vmlinux out of the bzImage: as the kernel's scripts/extract-vmlinux does, try every place where a compressed
#    stream's magic appears and keep the first that unpacks to an ELF file. The decompressor's exit status is ignored:
#    the bzImage goes on after the stream (xz reports trailing garbage).
extract() {
  local magic=$1 tool=$2 offset
  for offset in $(LC_ALL=C grep -abo -P "$magic" "$vmlinuz" | cut -d: -f1); do
    tail -c +$((offset + 1)) "$vmlinuz" | $tool -dc > vmlinux 2>/dev/null || true
    if [[ $(head -c 4 vmlinux | od -An -c | tr -d ' ') == '177ELF' ]]; then
      return 0
    fi
  done
  return 1
}
extract '\xfd7zXZ\x00' xz || extract '\x1f\x8b\x08' gzip || { command -v zstd >/dev/null && extract '\x28\xb5\x2f\xfd' zstd; } \
  || { echo "guest-image: found no xz, gzip or zstd stream that unpacks to an ELF vmlinux in $vmlinuz" >&2; exit 1; }

# 3. The modules: virtio_pci and virtio_net with everything they depend on (modinfo's depends, followed to the
#    end), listed in load order. The package ships no modules.dep (depmod runs at install), hence modinfo.
mkdir -p root/lib/modules
: > root/lib/modules/order
declare -A loaded=()
module_file() {
  local found
  found=$(find "$moddir/kernel" -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" | head -1)
  [[ -n "$found" ]] || { echo "guest-image: module $1 is not in $pkg (built in? then drop it)" >&2; return 1; }
  echo "$found"
}
add_module() {
  local name=$1 file dep
  [[ -z "${loaded[$name]:-}" ]] || return 0
  loaded[$name]=1
  file=$(module_file "$name")
  for dep in $(modinfo -F depends "$file" | tr ',' ' '); do
    add_module "$dep"
  done
  case $file in
    *.ko.xz) xz -dc "$file" > "root/lib/modules/$name.ko" ;;
    *.ko.zst) zstd -qdc "$file" > "root/lib/modules/$name.ko" ;;
    *) cp "$file" "root/lib/modules/$name.ko" ;;
  esac
  echo "$name" >> root/lib/modules/order
}
for m in virtio_pci virtio_net; do
  if grep -q "/$m.ko" "$moddir/modules.builtin" 2>/dev/null; then continue; fi
  add_module "$m"
done

# 4. The initramfs: busybox with a link per applet, and /init.
mkdir -p root/bin root/dev root/proc root/sys root/tmp root/run
cp "$busybox" root/bin/busybox
for applet in $("$busybox" --list); do
  [[ "$applet" == busybox ]] || ln -sf busybox "root/bin/$applet"
done
ln -s bin root/sbin
mkdir -p root/usr && ln -s ../bin root/usr/bin && ln -s ../bin root/usr/sbin

# /init mounts the basics, writes the inittab for the kernel command line and hands PID 1 to busybox init, which
# reaps every orphan (a shell as PID 1 is interrupted by their SIGCHLD in the middle of reading a request), runs
# /etc/rc and then keeps the request loop (or a shell) running.
mkdir -p root/etc
cat > root/init <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
{
  echo "::sysinit:/etc/rc"
  if grep -qw vsw.ctl=ttyS1 /proc/cmdline; then
    echo "ttyS1::respawn:/bin/vsw-control"
  else
    echo "console::respawn:-/bin/sh"
  fi
} > /etc/inittab
exec /bin/init
INIT

cat > root/etc/rc <<'RC'
#!/bin/sh
# The guest's set-up (busybox init's sysinit, output on the console): the virtio modules, then eth0 with the
# addresses on the kernel command line.
echo "vsw-guest: $(uname -r)"
arg() {
  for word in $(cat /proc/cmdline); do
    case $word in "$1="*) echo "${word#*=}"; return ;; esac
  done
}
for m in $(cat /lib/modules/order); do
  insmod "/lib/modules/$m.ko" || echo "vsw-guest: insmod $m failed"
done
ip link set lo up
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ -e /sys/class/net/eth0 ]; then
  # No duplicate address detection: the address is usable at once, as the tests' namespaces use nodad.
  echo 0 > /proc/sys/net/ipv6/conf/eth0/accept_dad
  ip link set eth0 up
  [ -n "$(arg vsw.ip)" ] && ip addr add "$(arg vsw.ip)" dev eth0
  [ -n "$(arg vsw.ip6)" ] && ip -6 addr add "$(arg vsw.ip6)" dev eth0
  echo "vsw-guest: eth0 $(cat /sys/class/net/eth0/address) $(arg vsw.ip) $(arg vsw.ip6)"
else
  echo "vsw-guest: no eth0"
fi
echo "vsw-guest: ready"
RC

cat > root/bin/vsw-control <<'CONTROL'
#!/bin/sh
# CONTROL: the request loop on ttyS1 (vsw.ctl=ttyS1 on the kernel command line). The tty is raw (no echo, no line
# editing, no CR/LF translation) and carries one request per line, "ID BASE64-SCRIPT". The script runs with sh,
# stdin from /dev/null, its output on ttyS1; then the line "@@vsw done ID EXIT-CODE" follows. A command's own time
# limit is the caller's business (timeout). The loop waits for each script, so no child of its own can interrupt
# its read; background jobs of a script end up as init's children.
stty raw -echo
echo "@@vsw ready"
while true; do
  if read -r id script; then
    case $id in
      '' | *[!0-9]*) echo "@@vsw bad request: $id"; continue ;;
    esac
    echo "$script" | base64 -d > /tmp/.request 2>/dev/null
    sh /tmp/.request </dev/null
    echo "@@vsw done $id $?"
  else
    sleep 0.1
  fi
done
CONTROL
chmod 755 root/init root/etc/rc root/bin/vsw-control

(cd root && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) | gzip -6 > initrd.gz

# 5. Into place; image.id last, so an interrupted build is rebuilt next time.
rm -f "$out/image.id"
mv vmlinux "$out/vmlinux.new" && mv "$out/vmlinux.new" "$out/vmlinux"
mv initrd.gz "$out/initrd.gz.new" && mv "$out/initrd.gz.new" "$out/initrd.gz"
{
  echo "kernel $pkg $kver"
  echo "modules $(tr '\n' ' ' < root/lib/modules/order)"
  echo "recipe $recipe"
} > "$out/image.id.new"
mv "$out/image.id.new" "$out/image.id"
echo "guest-image: built $out ($(du -sh "$out/vmlinux" | cut -f1) vmlinux, $(du -sh "$out/initrd.gz" | cut -f1) initrd)" >&2
echo "$out"
