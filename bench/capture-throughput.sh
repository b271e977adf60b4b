#!/usr/bin/env bash
# Console capture throughput: a lab guest prints a known stream on its serial console (ttyS0) as
# fast as it can (lab/guest/userspace-init, bootcanary.mode=stream), and the same stream is
# captured by `bootcanary boot --transcript` and by `virsh console` writing to a file through
# `script`, alternately in the same run (the machine is shared; absolute figures drift, the
# ratios of one round are what to quote). Not a test.
#
#   bench/capture-throughput.sh [MIB] [ROUNDS]      (default 40 MiB, 2 rounds; SHAPES="lines oneline")
#
# Per capture: MiB/s over the stream (console bytes after the tty's \n -> \r\n, from the begin
# marker to the end marker: bootcanary's own transcript timestamps, and for both capturers the
# host time at which each marker reached the capture file), the capturer's CPU seconds
# (user+sys) and peak RSS from /usr/bin/time -v (for virsh, virsh itself; script's relay CPU is
# shown beside it), libvirtd's CPU in the same interval (a shared daemon: noisy), and whether the
# SHA-256 of the stream rebuilt from the capture equals the one of the stream generated on the
# host by the same generator (`sh lab/guest/userspace-init --print-stream MIB SHAPE`). Shapes:
# `lines` (64-byte lines) and `oneline` (one MIB-MiB line; bootcanary's LineAssembler cuts it
# every 16 KiB). A 0-MiB stream per capturer first gives the fixed cost of a boot, so the CPU per
# streamed MiB and the RSS growth with the stream can be read off.
#
# Why 40 MiB and not 100: QEMU's emulated 16550 under TCG moves 0.15-0.2 MiB/s on this shared
# 2-core lab machine, whichever capturer reads it (a 10 MiB stream took 55-65 s; 40 MiB took
# 230-270 s; QEMU writes the pty one byte per write(2) and libvirtd relays what it finds, about
# 33 bytes per stream message), so a 100 MiB capture takes 10-15 minutes, 4 of them per round
# (one 100 MiB oneline capture by bootcanary: 887 s at 0.113 MiB/s, peak RSS 48.7 MiB, every
# byte there). 40 MiB keeps a capture near 4-5 minutes (a 2-round run about 40 minutes). Pass
# 100 to run the full size (give it about an hour a round).
#
# Capture files stay in $TMPDIR/bootcanary-bench (capture-R-SHAPE-CAPTURER.*) until the next run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/opt/swift/usr/bin:$PATH
MIB=${1:-40}
ROUNDS=${2:-2}
SHAPES=${SHAPES:-lines oneline}
SCRATCH=${SCRATCH:-.build-bench}
case "$MIB" in '' | *[!0-9]*) echo "usage: $0 [MIB] [ROUNDS]" >&2; exit 64 ;; esac

(cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --product bootcanary >/dev/null)
export BOOTCANARY=$ROOT/$SCRATCH/release/bootcanary
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"  # the lab's paths (lab.env), $WORK, now/elapsed; it cds to the repository
set -e
HELPER=bench/capture-stream.py
URI=$LAB_URI
# A capture's deadline: the stream at a third of the measured rate, plus the boot.
DEADLINE=$((MIB * 15 + 180))

# The lab's initramfs must run this tree's init (lab/setup rebuilds it when the init changes; a
# lab/setup run from an older tree puts the older one back). If it does not, an overlay cpio
# appended to a copy of it replaces /sbin/init (the kernel unpacks concatenated archives in
# order), so the shared assets are left as they are.
INITRD=$LAB_INITRD
if ! zcat "$LAB_INITRD" | cpio -i --quiet --to-stdout sbin/init 2>/dev/null | cmp -s - lab/guest/userspace-init; then
    ov=$(mktemp -d "$WORK/initrd-overlay.XXXX")
    mkdir -p "$ov/sbin" && install -m 755 lab/guest/userspace-init "$ov/sbin/init"
    INITRD=$WORK/initrd-stream.img
    { cat "$LAB_INITRD"; (cd "$ov" && find . | cpio -o -H newc --quiet | gzip -6); } >"$INITRD.new"
    chmod 644 "$INITRD.new" && mv "$INITRD.new" "$INITRD" && rm -rf "$ov"
    echo "note: $LAB_INITRD has another /sbin/init; using $INITRD (this tree's init overlaid); lab/setup from this tree rebuilds the lab's"
fi

# What this run started, for the exit trap: domains by name, processes by PID.
OURS_DOMAINS=()
OURS_PIDS=()
cleanup() {
    local d p
    for p in "${OURS_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for d in "${OURS_DOMAINS[@]}"; do
        virsh -c "$URI" domstate "$d" >/dev/null 2>&1 && virsh -c "$URI" destroy "$d" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cmdline() { echo "console=ttyS0 bootcanary.mode=stream bootcanary.stream_mb=$1 bootcanary.stream_shape=$2"; }
# time_field FILE FIELD: a number from /usr/bin/time -v's report.
time_field() { awk -F': ' -v k="$2" '$1 ~ "^[ \t]*" k "$" { print $2; exit }' "$1"; }
cpu_of() { awk -v u="$(time_field "$1" 'User time \(seconds\)')" -v s="$(time_field "$1" 'System time \(seconds\)')" 'BEGIN { printf "%.2f", u + s }'; }
rss_of() { awk -v k="$(time_field "$1" 'Maximum resident set size \(kbytes\)')" 'BEGIN { printf "%.1f", k / 1024 }'; }
# libvirtd's CPU ticks (user+sys) so far, 0 when it cannot be read.
libvirtd_ticks() { local p; p=$(pgrep -o -x libvirtd || true); [ -n "$p" ] && awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0; }
ticks_to_s() { awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }'; }
# json FILE KEY: a top-level value of a JSON file, empty when the file or the key is missing.
json() { python3 -c 'import json,sys
try: v = json.load(open(sys.argv[1])).get(sys.argv[2])
except Exception: v = None
print("" if v is None else v)' "$1" "$2"; }
# rate BYTES T0 T1: MiB/s, "-" without both times.
rate() { awk -v b="$1" -v a="$2" -v c="$3" 'BEGIN { if (b == 0 || a == "" || c == "" || c <= a) print "-"; else printf "%.3f", b / 1048576 / (c - a) }'; }

# The expected stream of each shape (and of the empty one), generated here.
declare -A EXPECT_SHA EXPECT_BYTES
for s in $SHAPES; do
    for m in 0 "$MIB"; do
        sh lab/guest/userspace-init --print-stream "$m" "$s" | python3 "$HELPER" expect >"$WORK/expect-$m-$s.json"
        EXPECT_SHA[$m-$s]=$(json "$WORK/expect-$m-$s.json" sha256)
        EXPECT_BYTES[$m-$s]=$(json "$WORK/expect-$m-$s.json" bytes)
    done
done

RESULTS=$WORK/capture-results.tsv
: >"$RESULTS"
# record ROUND SHAPE MIB CAPTURER MIBPS_TS MIBPS_FILE CPU RSS EXTRA_CPU LIBVIRTD HASH OUTCOME WALL
record() { local IFS=$'\t'; echo "$*" >>"$RESULTS"; }

# capture_bootcanary ROUND SHAPE MIB
capture_bootcanary() {
    local r=$1 s=$2 m=$3 o="$WORK/capture-$1-$2-bootcanary"
    rm -f "$o".*
    python3 "$HELPER" watch "$o.transcript" "$o.watch" "$DEADLINE" >/dev/null &
    local wpid=$! l0 l1 t0 t1
    OURS_PIDS+=("$wpid")
    l0=$(libvirtd_ticks); t0=$(now)
    /usr/bin/time -v -o "$o.time" "$BC" boot -c "$URI" --quiet --json --kernel "$LAB_KERNEL" --initrd "$INITRD" \
        --cmdline "$(cmdline "$m" "$s")" --timeout "$DEADLINE" --transcript "$o.transcript" >"$o.json" 2>"$o.err" || true
    t1=$(now); l1=$(libvirtd_ticks)
    sleep 0.2; kill "$wpid" 2>/dev/null || true; wait "$wpid" 2>/dev/null || true
    python3 "$HELPER" transcript "$o.transcript" >"$o.check" 2>>"$o.err" || echo '{}' >"$o.check"
    local bytes sha hash
    bytes=$(json "$o.check" bytes); sha=$(json "$o.check" sha256)
    hash=no; [ "$sha" = "${EXPECT_SHA[$m-$s]}" ] && [ "$bytes" = "${EXPECT_BYTES[$m-$s]}" ] && hash=yes
    record "$r" "$s" "$m" bootcanary \
        "$(rate "${EXPECT_BYTES[$m-$s]}" "$(json "$o.check" begin_seconds)" "$(json "$o.check" end_seconds)")" \
        "$(rate "${EXPECT_BYTES[$m-$s]}" "$(json "$o.watch" begin)" "$(json "$o.watch" end)")" \
        "$(cpu_of "$o.time")" "$(rss_of "$o.time")" - "$(ticks_to_s "$l0" "$l1")" "$hash" \
        "$(json "$o.json" outcome)" "$(elapsed "$t0" "$t1")"
}

# capture_virsh ROUND SHAPE MIB: the domain bootcanary would define (bench/capture-domain.xml),
# created paused, its console held by virsh inside script, then resumed (bootcanary's order, so
# neither capture misses the first bytes). on_reboot=destroy ends it after the login prompt.
capture_virsh() {
    local r=$1 s=$2 m=$3 o="$WORK/capture-$1-$2-virsh"
    local name="bench-capture-$$-$r-$s-$m"
    rm -f "$o".*
    sed -e "s|@NAME@|$name|" -e "s|@KERNEL@|$LAB_KERNEL|" -e "s|@INITRD@|$INITRD|" -e "s|@CMDLINE@|$(cmdline "$m" "$s")|" \
        bench/capture-domain.xml >"$o.xml"
    OURS_DOMAINS+=("$name")
    virsh -c "$URI" create --paused "$o.xml" >/dev/null
    mkfifo "$o.fifo"
    exec {keep}<>"$o.fifo"  # a writer that never writes: virsh's stdin stays open and silent
    /usr/bin/time -v -o "$o.time-script" script -q -f \
        -c "/usr/bin/time -v -o $o.time virsh -c $URI console --force $name" "$o.raw" <"$o.fifo" >/dev/null 2>&1 &
    local spid=$! i
    OURS_PIDS+=("$spid")
    for i in $(seq 1 100); do grep -qa 'Escape character' "$o.raw" 2>/dev/null && break; sleep 0.1; done
    python3 "$HELPER" watch "$o.raw" "$o.watch" "$DEADLINE" >/dev/null &
    local wpid=$! l0 l1 t0 t1
    OURS_PIDS+=("$wpid")
    l0=$(libvirtd_ticks); t0=$(now)
    virsh -c "$URI" resume "$name" >/dev/null
    local until=$(($(date +%s) + DEADLINE))
    while kill -0 "$spid" 2>/dev/null && [ "$(date +%s)" -lt "$until" ]; do sleep 0.5; done
    # virsh ends with the console; a domain still there (deadline) is destroyed, then virsh goes.
    virsh -c "$URI" domstate "$name" >/dev/null 2>&1 && virsh -c "$URI" destroy "$name" >/dev/null 2>&1 || true
    for i in $(seq 1 20); do kill -0 "$spid" 2>/dev/null || break; sleep 0.5; done
    kill "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    t1=$(now); l1=$(libvirtd_ticks)
    exec {keep}>&-
    rm -f "$o.fifo"
    sleep 0.2; kill "$wpid" 2>/dev/null || true; wait "$wpid" 2>/dev/null || true
    python3 "$HELPER" raw "$o.raw" >"$o.check" || echo '{}' >"$o.check"
    local bytes sha hash outcome=ended script_cpu
    bytes=$(json "$o.check" bytes); sha=$(json "$o.check" sha256)
    hash=no; [ "$sha" = "${EXPECT_SHA[$m-$s]}" ] && [ "$bytes" = "${EXPECT_BYTES[$m-$s]}" ] && hash=yes
    grep -qa 'canary login:' "$o.raw" && outcome=login
    script_cpu=$(awk -v a="$(cpu_of "$o.time-script")" -v b="$(cpu_of "$o.time")" 'BEGIN { printf "%.2f", a - b }')
    record "$r" "$s" "$m" virsh - \
        "$(rate "${EXPECT_BYTES[$m-$s]}" "$(json "$o.watch" begin)" "$(json "$o.watch" end)")" \
        "$(cpu_of "$o.time")" "$(rss_of "$o.time")" "$script_cpu" "$(ticks_to_s "$l0" "$l1")" "$hash" "$outcome" \
        "$(elapsed "$t0" "$t1")"
}

show() { # show the last result line
    tail -n 1 "$RESULTS" | awk -F'\t' '{
        ts = ($5 == "-") ? "" : sprintf(" (transcript clock %s)", $5)
        extra = ($9 == "-") ? "" : sprintf(" (+ script %s s)", $9)
        printf "  %-10s %7s MiB/s%s   CPU %6s s%s   peak RSS %6s MiB   libvirtd %5s s   bytes equal: %s   %s, %s s\n",
            $4, $6, ts, $7, extra, $8, $10, $11, $12, $13 }'
}

echo "stream: $MIB MiB per shape ($SHAPES), $ROUNDS alternating rounds, on $URI (TCG), initrd $INITRD"
echo "bootcanary: $BC; capture files in $WORK"
echo "fixed cost (0-MiB stream, lines):"
capture_bootcanary 0 lines 0; show
capture_virsh 0 lines 0; show
for r in $(seq 1 "$ROUNDS"); do
    for s in $SHAPES; do
        echo "round $r, $s ($MIB MiB, ${EXPECT_BYTES[$MIB-$s]} console bytes):"
        if [ $((r % 2)) = 1 ]; then
            capture_bootcanary "$r" "$s" "$MIB"; show
            capture_virsh "$r" "$s" "$MIB"; show
        else
            capture_virsh "$r" "$s" "$MIB"; show
            capture_bootcanary "$r" "$s" "$MIB"; show
        fi
        awk -F'\t' -v r="$r" -v s="$s" '$1 == r && $2 == s { f[$4] = $6; c[$4] = $7; m[$4] = $8 }
            END { printf "  ratio bootcanary/virsh: MiB/s %s, CPU %s, peak RSS %s\n",
                  (f["virsh"] > 0 && f["bootcanary"] > 0) ? sprintf("%.2fx", f["bootcanary"] / f["virsh"]) : "-",
                  (c["virsh"] > 0) ? sprintf("%.1fx", c["bootcanary"] / c["virsh"]) : "-",
                  (m["virsh"] > 0) ? sprintf("%.1fx", m["bootcanary"] / m["virsh"]) : "-" }' "$RESULTS"
    done
done

echo "summary ($MIB MiB; means over $ROUNDS rounds, peak RSS the largest; CPU per MiB after the 0-MiB boot's):"
awk -F'\t' -v mib="$MIB" '
    $3 == 0 { base_cpu[$4] = $7; base_rss[$4] = $8; next }
    { k = $2 "\t" $4; n[k]++; f[k] += $6; c[k] += $7; if ($8 > m[k]) m[k] = $8; if ($11 != "yes") bad[k]++; if (!($2 in seen)) { seen[$2] = 1; order[++ns] = $2 } }
    END {
        for (j = 1; j <= ns; j++) {
            s = order[j]
            for (i = 1; i <= 2; i++) {
                cap = (i == 1) ? "bootcanary" : "virsh"; k = s "\t" cap
                if (!n[k]) continue
                printf "  %-8s %-10s %7.3f MiB/s   CPU %6.2f s (%.3f s/MiB)   peak RSS %6.1f MiB (%+.1f over the empty stream)   bytes equal: %s\n",
                    s, cap, f[k] / n[k], c[k] / n[k], (c[k] / n[k] - base_cpu[cap]) / mib, m[k], m[k] - base_rss[cap],
                    bad[k] ? "NO (" bad[k] " of " n[k] ")" : "yes (" n[k] " of " n[k] ")"
            }
            kb = s "\tbootcanary"; kv = s "\tvirsh"
            if (n[kb] && n[kv] && f[kv] > 0)
                printf "  %-8s ratio      MiB/s %.2fx, CPU %.1fx, CPU per MiB %.1fx\n", s, f[kb] / f[kv], c[kb] / c[kv],
                    (c[kv] / n[kv] - base_cpu["virsh"] > 0) ? (c[kb] / n[kb] - base_cpu["bootcanary"]) / (c[kv] / n[kv] - base_cpu["virsh"]) : 0
        }
    }' "$RESULTS"
echo "per capture: $RESULTS"
