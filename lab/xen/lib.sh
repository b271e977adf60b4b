# shellcheck shell=bash disable=SC2034  # (sourced: the variables are used by the scripts)
# lab/xen/lib.sh — settings and helpers shared by the Xen lab scripts (sourced, not run).
#
# Everything the Xen lab builds or writes lives in $XEN_CACHE, outside the repository:
#   $XEN_CACHE/debs/          .debs debootstrap downloaded (its --cache-dir), reused by rebuilds
#   $XEN_CACHE/dom0/          dom0.img, xen, vmlinuz, initrd.img, known_hosts (built by build-dom0)
#   $XEN_CACHE/assets.img     the guest-assets disk dom0 mounts at /var/lib/bootcanary-lab
#   $XEN_CACHE/ssh/           the lab's ssh key for dom0-exec
#   $XEN_CACHE/run/           one running lab: qemu.pid, console.log, sockets, dom0 overlay
#   $XEN_CACHE/xen-lab.env    what tests read: URI, PID, log path, in-dom0 asset paths

CACHE=${BOOTCANARY_LAB_CACHE:-/var/cache/bootcanary-lab}
XEN_CACHE=$CACHE/xen
RUN=$XEN_CACHE/run
ENV_FILE=$XEN_CACHE/xen-lab.env
DOM0=$XEN_CACHE/dom0
SSH_KEY=$XEN_CACHE/ssh/id_ed25519

# Loopback ports on the outer machine that QEMU's user network forwards into dom0.
# Not libvirt's default 16509, so an outer libvirtd started with --listen cannot collide.
LIBVIRT_PORT=${BOOTCANARY_XEN_LIBVIRT_PORT:-16510}
SSH_PORT=${BOOTCANARY_XEN_SSH_PORT:-16522}
XEN_URI="xen+tcp://127.0.0.1:$LIBVIRT_PORT/system"

# Where dom0 mounts the guest assets (the read-only second disk, see build-assets).
DOM0_ASSETS=/var/lib/bootcanary-lab
# The name dom0's ssh host key is recorded under in $DOM0/known_hosts (port-independent).
DOM0_HOSTKEY_ALIAS=bootcanary-xen-dom0
# Printed on dom0's console by dom0/rc; start waits for libvirtd itself, these speed up failures.
READY_MARKER=BOOTCANARY-XEN-DOM0-READY
FAILED_MARKER=BOOTCANARY-XEN-DOM0-FAILED

T0=${T0:-$(date +%s%N)}
elapsed() { awk -v a="$T0" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}'; }
log() { printf '[xen-lab %6ss] %s\n' "$(elapsed)" "$*" >&2; }
die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "run me as root (debootstrap, mkfs and QEMU's files need it)"; }

# stamp_ok FILE INPUTS: the stamp FILE records exactly INPUTS (what the output was built from).
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
hash_files() { cat "$@" | sha256sum | cut -c1-16; }

# The QEMU this lab started, if it is still that process (pid reuse is checked by its command line).
lab_pid() {
    local pid
    [ -f "$RUN/qemu.pid" ] || return 1
    pid=$(cat "$RUN/qemu.pid")
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$RUN/console.sock" || return 1
    echo "$pid"
}

libvirt_answers() { timeout "${1:-20}" virsh -c "$XEN_URI" version >/dev/null 2>&1; }
