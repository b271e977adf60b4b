#!/usr/bin/env bash
# Throughput of `bootcanary analyze` on a large console log, beside GNU `grep -E -c` with the
# same signature alternatives, measured alternately in the same run (the machines are
# shared; absolute times drift, the ratio is what to quote). Not a test.
#
#   bench/analyze-throughput.sh [MIN_MB] [ROUNDS]
#
# The log is the repository's plain fixtures concatenated until it is at least MIN_MB
# (default 150). grep's output goes to a file: with stdout on /dev/null GNU grep stops at the
# first match (LAB-NOTES.md, Benchmarking).
set -euo pipefail
cd "$(dirname "$0")/.."
MIN_MB=${1:-150}
ROUNDS=${2:-5}
WORK=${TMPDIR:-/tmp}/bootcanary-bench
mkdir -p "$WORK"
SCRATCH=${SCRATCH:-.build-classify}

swift build -c release --scratch-path "$SCRATCH" --product bootcanary >/dev/null
BIN="$SCRATCH/release/bootcanary"

# The big log: every fixture that is a raw console (not a bootcanary transcript), repeated.
LOG=$WORK/big-console.log
if [ ! -f "$LOG" ] || [ "$(stat -c %s "$LOG")" -lt $((MIN_MB << 20)) ]; then
    parts=()
    for f in fixtures/transcripts/*.log; do
        head -c 26 "$f" | grep -q '^# bootcanary transcript' || parts+=("$f")
    done
    : >"$LOG"
    while [ "$(stat -c %s "$LOG")" -lt $((MIN_MB << 20)) ]; do cat "${parts[@]}" >>"$LOG"; done
fi
SIZE=$(stat -c %s "$LOG")
MB=$(awk "BEGIN{printf \"%.1f\", $SIZE/1048576}")

# The same signature alternatives as Sources/CanaryClassify/SignatureTable.swift: every
# row's literal, as a fixed-string alternation for grep -E.
PATTERNS=$WORK/signatures.ere
grep -oE '^\s*\.init\(\.[a-zA-Z]+, "([^"\\]|\\.)*"' Sources/CanaryClassify/SignatureTable.swift \
    | sed -E 's/^[^"]*"//; s/"$//; s/\\"/"/g' \
    | sed -E 's/[][\.|$^*+?(){}\\]/\\&/g' >"$PATTERNS"
NPAT=$(wc -l <"$PATTERNS")

now() { date +%s.%N; }
best_a=999999; best_g=999999; sum_a=0; sum_g=0
echo "log: $LOG ($MB MiB), $NPAT signature alternatives, $ROUNDS alternating rounds"
for r in $(seq 1 "$ROUNDS"); do
    t0=$(now); "$BIN" analyze "$LOG" >"$WORK/analyze.out" || true; t1=$(now)
    grep -E -c -f "$PATTERNS" "$LOG" >"$WORK/grep.out" || true; t2=$(now)
    a=$(awk "BEGIN{print $t1-$t0}"); g=$(awk "BEGIN{print $t2-$t1}")
    printf 'round %d: analyze %.3f s (%.0f MB/s)   grep -E -c %.3f s (%.0f MB/s)   matches=%s\n' \
        "$r" "$a" "$(awk "BEGIN{print $MB/$a}")" "$g" "$(awk "BEGIN{print $MB/$g}")" "$(cat "$WORK/grep.out")"
    best_a=$(awk "BEGIN{print ($a<$best_a)?$a:$best_a}"); best_g=$(awk "BEGIN{print ($g<$best_g)?$g:$best_g}")
    sum_a=$(awk "BEGIN{print $sum_a+$a}"); sum_g=$(awk "BEGIN{print $sum_g+$g}")
done
printf 'best:   analyze %.0f MB/s, grep %.0f MB/s, ratio %.2fx\n' \
    "$(awk "BEGIN{print $MB/$best_a}")" "$(awk "BEGIN{print $MB/$best_g}")" "$(awk "BEGIN{print $best_a/$best_g}")"
printf 'mean:   analyze %.0f MB/s, grep %.0f MB/s, ratio %.2fx\n' \
    "$(awk "BEGIN{print $MB*$ROUNDS/$sum_a}")" "$(awk "BEGIN{print $MB*$ROUNDS/$sum_g}")" "$(awk "BEGIN{print $sum_a/$sum_g}")"
/usr/bin/time -v "$BIN" analyze "$LOG" 2>"$WORK/time.txt" >/dev/null || true
echo "peak RSS of analyze: $(awk -F': ' '/Maximum resident set size/{print $2}' "$WORK/time.txt") KiB"
/usr/bin/time -v grep -E -c -f "$PATTERNS" "$LOG" 2>"$WORK/time-grep.txt" >"$WORK/grep.out" || true
echo "peak RSS of grep:    $(awk -F': ' '/Maximum resident set size/{print $2}' "$WORK/time-grep.txt") KiB"
echo "analyze's verdict on the concatenation:"; sed -n '1,4p' "$WORK/analyze.out"
