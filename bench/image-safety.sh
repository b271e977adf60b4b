#!/usr/bin/env bash
# bench/image-safety.sh [RUNS] — owner, mode and sha256 of every input before and after RUNS
# (default 20) diagnose runs at full parallelism (--parallel 4, every kind twice, no early
# stop), rotating through the disk shapes of lab/disk-shapes. Prints one line per input with
# its state before and after, then the leftovers. A figure, not a test.
. "$(dirname "$0")/lib.sh"
RUNS=${1:-20}
lab/disk-shapes >/dev/null || exit 3
# shellcheck disable=SC1091
. "$LAB_CACHE/shapes/shapes.env"
state() { stat -c '%U:%G %a' "$1" | tr '\n' ' '; sha256sum "$1" | cut -c1-16; }
inputs=("$LAB_IMAGE" "$SHAPE_RAW_0600" "$SHAPE_QCOW2" "$SHAPE_QCOW2_BACKED" "$LAB_KERNEL" "$LAB_INITRD")
declare -A before
for f in "${inputs[@]}"; do before[$f]=$(state "$f"); done
shapes=("$LAB_IMAGE raw" "$SHAPE_RAW_0600 raw" "$SHAPE_QCOW2 qcow2" "$SHAPE_QCOW2_BACKED qcow2")
verdicts=""
t0=$(now)
for i in $(seq 1 "$RUNS"); do
    set -- ${shapes[$(( (i - 1) % ${#shapes[@]} ))]}
    out="$WORK/safety-$i"; rm -rf "$out"
    "$BC" diagnose -c qemu:///system --image "$1" --image-format "$2" --kernel "$LAB_KERNEL" --initrd "$LAB_INITRD" \
        --cmdline "root=LABEL=canaryroot ro" --installer "$LAB_TREE_URL" --runs 2 --parallel 4 --no-early-stop \
        --out "$out" >/dev/null 2>&1
    v=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['diagnosis']['verdict'])" "$out/run.json" 2>/dev/null || echo none)
    verdicts="$verdicts $(basename "$1"):$v"
    printf 'run %2d  %-22s %s\n' "$i" "$(basename "$1")" "$v"
done
echo "wall $(elapsed "$t0" "$(now)") s for $RUNS runs"
echo "input                          before                          after                           same"
for f in "${inputs[@]}"; do
    a=$(state "$f"); same=yes; [ "$a" = "${before[$f]}" ] || same=NO
    printf '%-30s %-31s %-31s %s\n' "$(basename "$f")" "${before[$f]}" "$a" "$same"
done
echo "leftovers: domains $(leftover_domains qemu:///system), scratch $(leftover_scratch), ledgers $(leftover_ledgers)"
