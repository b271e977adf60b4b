#!/usr/bin/env bash
# Wall time of a 3-kind x 2-run matrix (pygrub, kernel, installer; --runs 2 --no-early-stop) on
# the lab, at the default parallelism and with --parallel 1, alternating in the same run so
# drift hits both alike. Prints each run, both medians and their ratio.
#
#   bench/matrix-parallel.sh [ROUNDS]     (default 3)
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-3}
args=(--image "$LAB_IMAGE" --kernel "$LAB_KERNEL" --initrd "$LAB_INITRD" --cmdline "root=LABEL=canaryroot ro"
      --installer "$LAB_TREE_URL" --runs 2 --no-early-stop)
: >"$WORK/matrix-default" ; : >"$WORK/matrix-serial"
for r in $(seq 1 "$ROUNDS"); do
    for mode in default serial; do
        extra=(); [ $mode = serial ] && extra=(--parallel 1)
        t0=$(now)
        "$BC" diagnose -c "$LAB_URI" "${args[@]}" "${extra[@]}" --out "$WORK/matrix-$mode-$r" >"$WORK/matrix-$mode-$r.log" 2>&1
        t=$(elapsed "$t0" "$(now)")
        boots=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["boots"]))' "$WORK/matrix-$mode-$r/run.json")
        echo "$t" >>"$WORK/matrix-$mode"
        echo "round $r $mode: $t s, $boots boots"
    done
done
d=$(median <"$WORK/matrix-default"); s=$(median <"$WORK/matrix-serial")
width=$(grep -o '[0-9]* at a time' "$WORK/matrix-default-1.log" | head -1)
echo "median: default ($width) $d s, --parallel 1 $s s; speed-up $(awk -v a="$d" -v b="$s" 'BEGIN { printf "%.2fx", b / a }')"
