# bench/lib.sh — sourced by the lab benchmarks: the lab's assets, the bootcanary binary, and
# the counts of what a run could leave behind. Benchmarks print figures; they are not tests.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
LAB_CACHE=${BOOTCANARY_LAB_CACHE:-/var/cache/bootcanary-lab}
[ -f "$LAB_CACHE/lab.env" ] || { echo "bench: the lab is not set up; run lab/setup first" >&2; exit 3; }
# shellcheck disable=SC1091
. "$LAB_CACHE/lab.env"
BC=${BOOTCANARY:-.build/debug/bootcanary}
if [ ! -x "$BC" ]; then swift build --product bootcanary >/dev/null || exit 3; fi
WORK=${TMPDIR:-/tmp}/bootcanary-bench
mkdir -p "$WORK"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m }'; }

# What a run may leave behind, on URI: probe domains, scratch folders, open ledgers, uploads.
leftover_domains() { virsh -c "$1" list --all --name 2>/dev/null | grep -c '^bootcanary-' || true; }
leftover_scratch() { find /var/lib/bootcanary/scratch -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
leftover_ledgers() { find /var/lib/bootcanary/ledger -name 'run-*.jsonl' 2>/dev/null | wc -l; }
leftover_volumes() {
    local pool n=0
    for pool in $(virsh -c "$1" pool-list --all --name 2>/dev/null); do
        n=$((n + $(virsh -c "$1" vol-list "$pool" 2>/dev/null | grep -c 'bootcanary' || true)))
    done
    echo "$n"
}

# The Xen lab, when lab/xen/start has brought it up.
XEN_UP=0
if [ -f "$LAB_CACHE/xen/xen-lab.env" ]; then
    # shellcheck disable=SC1091
    . "$LAB_CACHE/xen/xen-lab.env"
    virsh -c "$XEN_LAB_URI" version >/dev/null 2>&1 && XEN_UP=1
fi
