#!/usr/bin/env bash
# The lab's fault scenarios through `bootcanary diagnose`, as issue 5 asks to show them:
#   1. the scenario table: scenario, verdict, action, confidence, boots, wall time, and each
#      summary sentence as a person reads it;
#   2. time to verdict on the sick host, beside the usual practice (a fixed 300 s no-output
#      timeout and stall timeout, no early stop), measured in this run, as a ratio;
#   3. false stalls over H healthy boots (default 30).
#
#   bench/scenarios.sh [table|verdict|stalls|all] [H]
# The faults are made outside bootcanary: lab/faults/sick-host and lab/faults/corrupt-images.
. "$(dirname "$0")/lib.sh"
WHAT=${1:-all}
HEALTHY_BOOTS=${2:-30}
INDEPENDENT=(--kernel "$LAB_KERNEL" --initrd "$LAB_INITRD" --cmdline "root=LABEL=canaryroot ro" --installer "$LAB_TREE_URL")

# diagnose LABEL IMAGE [extra args...] -> prints "verdict action confidence boots seconds" and
# keeps the run folder in $WORK/LABEL.
diagnose() {
    local label=$1 image=$2; shift 2
    local out=$WORK/$label t0 rc
    rm -rf "$out"
    t0=$(now)
    "$BC" diagnose -c "$LAB_URI" --image "$image" "${INDEPENDENT[@]}" "$@" --out "$out" >"$WORK/$label.log" 2>&1
    rc=$?
    python3 - "$out/run.json" "$(elapsed "$t0" "$(now)")" "$rc" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); d = r["diagnosis"]
print(d["verdict"], d["action"], "%.2f" % d["confidence"], len(r["boots"]), sys.argv[2], sys.argv[3])
PY
}

# with_sick_host EVERY CMD... : runs CMD with lab/faults/sick-host freezing every EVERYth guest.
with_sick_host() {
    local every=$1; shift
    lab/faults/sick-host --every "$every" --log "$WORK/sick-host.log" >"$WORK/sick-host.out" 2>&1 &
    local pid=$!
    for _ in $(seq 50); do grep -q READY "$WORK/sick-host.out" 2>/dev/null && break; sleep 0.2; done
    "$@"
    kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null
}

summary() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["diagnosis"]["summary"])' "$WORK/$1/run.json"; }

if [ "$WHAT" = table ] || [ "$WHAT" = all ]; then
    faults=$(lab/faults/corrupt-images) || exit 3
    printf '%-22s %-20s %-24s %5s %5s %7s %4s\n' scenario verdict action conf boots "wall(s)" exit
    row() { printf '%-22s %-20s %-24s %5s %5s %7s %4s\n' "$1" $2 $3 $4 $5 $6 $7; }
    row healthy $(diagnose healthy "$LAB_IMAGE")
    row sick-host $(with_sick_host 1 diagnose sick-host "$LAB_IMAGE")
    row sick-every-other-boot $(with_sick_host 2 diagnose sick-every-other "$LAB_IMAGE")
    row corrupt-kernel $(diagnose corrupt-kernel "$faults/kernel-flipped.img")
    row damaged-rootfs $(diagnose damaged-rootfs "$faults/rootfs-damaged.img")
    row truncated-initrd $(diagnose truncated-initrd "$faults/initrd-truncated.img")
    echo
    for s in healthy sick-host sick-every-other corrupt-kernel damaged-rootfs truncated-initrd; do
        printf '%s:\n  %s\n' "$s" "$(summary $s)"
    done
    echo
fi

if [ "$WHAT" = verdict ] || [ "$WHAT" = all ]; then
    read -r v1 _ _ b1 t1 _ < <(with_sick_host 1 diagnose ttv-bootcanary "$LAB_IMAGE")
    read -r v2 _ _ b2 t2 _ < <(with_sick_host 1 diagnose ttv-fixed "$LAB_IMAGE" --runs 2 --no-early-stop \
        --stall-timeout 300 --frozen-after 300 --no-output-timeout 300 --timeout 900)
    echo "time to verdict, sick host: bootcanary defaults $t1 s ($b1 boots, $v1) vs fixed 300 s timeouts without early stop $t2 s ($b2 boots, $v2)"
    awk -v a="$t1" -v b="$t2" 'BEGIN { printf "ratio %.1fx\n", b / a }'
    echo
fi

if [ "$WHAT" = stalls ] || [ "$WHAT" = all ]; then
    stalls=0 other=0 logins=()
    t0=$(now)
    for i in $(seq 1 "$HEALTHY_BOOTS"); do
        out=$("$BC" boot -c "$LAB_URI" --quiet --json --kernel "$LAB_KERNEL" --initrd "$LAB_INITRD" \
              --cmdline "root=LABEL=canaryroot ro" --image "$LAB_IMAGE" 2>/dev/null)
        outcome=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["outcome"])' 2>/dev/null || echo error)
        login=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(next((m["seconds"] for m in d["milestones"] if m["milestone"]=="login"), ""))' 2>/dev/null)
        case $outcome in booted) ;; stalled) stalls=$((stalls + 1)) ;; *) other=$((other + 1)) ;; esac
        [ -n "$login" ] && logins+=("$login")
    done
    echo "healthy boots: $HEALTHY_BOOTS in $(elapsed "$t0" "$(now)") s; false stalls: $stalls; other failures: $other"
    printf '%s\n' "${logins[@]}" | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "login after resume: min %.1f s, median %.1f s, max %.1f s\n", v[1], v[int((NR + 1) / 2)], v[NR] }'
fi
