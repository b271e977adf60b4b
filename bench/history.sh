#!/usr/bin/env bash
# bench/history.sh learn|healthy|sick [N] — what a host's boot history does (SilenceHistory),
# in a history folder of its own ($WORK/history-state, so the machine's own history is not
# touched). Figures, not a test.
#
#   learn N    N healthy diagnoses (every kind twice, no early stop): each adds 6 boots, so 10
#              give every kind the 20 boots a history needs
#   healthy N  N more healthy diagnoses with the history active: false stalls are boots that
#              did not boot, and boots whose notes say the history stalled them (target 0)
#   sick N     N rounds of the sick-host scenario (lab/faults/sick-host freezes every test
#              guest 3-12 s after it starts, $SICK_DELAY), alternating --no-history and
#              history: time to verdict from run.json's
#              started/ended, the verdict, and how each boot's stall was decided.
#              Freezes *every* bootcanary-* domain of qemu:///system: run it alone.
. "$(dirname "$0")/lib.sh"
phase=${1:?learn, healthy or sick}
N=${2:-10}
export BOOTCANARY_STATE_DIR=$WORK/history-state
mkdir -p "$BOOTCANARY_STATE_DIR"
diagnose() { # OUT [flags...]
    local out=$1; shift
    rm -rf "$out"
    "$BC" diagnose -c qemu:///system --image "$LAB_IMAGE" --kernel "$LAB_KERNEL" --initrd "$LAB_INITRD" \
        --cmdline "root=LABEL=canaryroot ro" --installer "$LAB_TREE_URL" --out "$out" "$@" >/dev/null 2>&1
}
summary() { # RUN.JSON LABEL
    python3 - "$1" "$2" <<'PY'
import json, sys, datetime
r = json.load(open(sys.argv[1]))
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
boots = r["boots"]
hist = [b for b in boots if any("healthy boots of kernel" in n for n in b["notes"])]
notbooted = [b for b in boots if b["outcome"] != "booted"]
known = r["plan"].get("historyBoots")
stalls = ",".join(f'{b["kind"]}#{b["run"]}:{b["outcome"]}/{b.get("vcpu")}@{b.get("secondsToOutcome") or 0:.1f}s{"(history)" if b in hist else ""}' for b in notbooted)
print(f'{sys.argv[2]:10} {r["diagnosis"]["verdict"]:12} {(t(r["ended"]) - t(r["started"])).total_seconds():6.1f} s  boots {len(boots)}  '
      f'not booted {len(notbooted)}  history-decided {len(hist)}  history {known}  {stalls}')
PY
}
case "$phase" in
learn | healthy)
    for i in $(seq 1 "$N"); do
        out="$WORK/history-$phase-$i"
        diagnose "$out" --runs 2 --no-early-stop
        summary "$out/run.json" "$phase-$i"
    done ;;
sick)
    # sick-host's default 0.2-1.8 s freezes most guests before their first byte (no_output: nothing a
    # history of console gaps can speak to); 3-12 s lands them mid-boot under TCG.
    lab/faults/sick-host --delay "${SICK_DELAY:-3:12}" --log "$WORK/history-sick-host.log" >/dev/null &
    injector=$!
    trap 'kill -INT $injector 2>/dev/null; wait $injector 2>/dev/null' EXIT
    sleep 2
    for i in $(seq 1 "$N"); do
        diagnose "$WORK/history-sick-fixed-$i" --no-history
        summary "$WORK/history-sick-fixed-$i/run.json" "fixed-$i"
        diagnose "$WORK/history-sick-learnt-$i"
        summary "$WORK/history-sick-learnt-$i/run.json" "history-$i"
    done ;;
*) sed -n '2,16p' "$0"; exit 64 ;;
esac
echo "left: domains $(leftover_domains qemu:///system), scratch $(leftover_scratch)"
