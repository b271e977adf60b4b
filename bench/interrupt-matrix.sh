#!/usr/bin/env bash
# Interrupts N `bootcanary diagnose` runs at random moments (SIGINT or SIGTERM, 1–15 s in:
# while pygrub runs, an overlay is made, an installer kernel is fetched or uploaded, guests
# boot) and counts what each left behind: probe domains, scratch folders (overlays, fetched
# kernels), open ledgers, uploaded volumes, and whether the suspect image changed.
#
#   bench/interrupt-matrix.sh [N]      (default 20; every 4th run goes to the Xen lab if it is up)
#
# Prints one row per run and a total. Every count must be zero and every image unchanged.
. "$(dirname "$0")/lib.sh"
N=${1:-20}

qemu_sum=$(sha256sum "$LAB_IMAGE" | cut -d' ' -f1)
xen_sum() { lab/xen/dom0-exec sha256sum "$XEN_LAB_IMAGE" 2>/dev/null | cut -d' ' -f1; }
[ $XEN_UP = 1 ] && xen_before=$(xen_sum)

printf '%-3s %-5s %-4s %6s %5s %8s %7s %7s %7s %7s %s\n' run host sig "at(s)" exit "exit(s)" domains scratch ledgers volumes image
bad=0
for i in $(seq 1 "$N"); do
    host=qemu uri=$LAB_URI
    args=(--image "$LAB_IMAGE" --kernel "$LAB_KERNEL" --initrd "$LAB_INITRD" --cmdline "root=LABEL=canaryroot ro"
          --installer "$LAB_TREE_URL" --master "$LAB_IMAGE")
    if [ $XEN_UP = 1 ] && [ $((i % 4)) = 0 ]; then
        host=xen uri=$XEN_LAB_URI
        args=(--image "$XEN_LAB_IMAGE" --kernel "$XEN_LAB_KERNEL" --initrd "$XEN_LAB_INITRD" --cmdline "root=LABEL=canaryroot ro"
              --installer "$LAB_TREE_URL")
    fi
    sig=INT; [ $((i % 2)) = 0 ] && sig=TERM
    at=$((1 + RANDOM % 15))
    out=$WORK/interrupt-$i
    rm -rf "$out"
    "$BC" diagnose -c "$uri" "${args[@]}" --runs 2 --no-early-stop --out "$out" >"$WORK/interrupt-$i.log" 2>&1 &
    pid=$!
    sleep "$at"
    t0=$(now)
    kill -s "$sig" "$pid" 2>/dev/null
    wait "$pid"; rc=$?
    took=$(elapsed "$t0" "$(now)")
    d=$(leftover_domains "$uri"); s=$(leftover_scratch); l=$(leftover_ledgers); v=$(leftover_volumes "$uri")
    if [ $host = xen ]; then [ "$(xen_sum)" = "$xen_before" ] && img=same || img=CHANGED
    else [ "$(sha256sum "$LAB_IMAGE" | cut -d' ' -f1)" = "$qemu_sum" ] && img=same || img=CHANGED; fi
    printf '%-3s %-5s %-4s %6s %5s %8s %7s %7s %7s %7s %s\n' "$i" $host $sig "$at" $rc "$took" "$d" "$s" "$l" "$v" $img
    if [ "$d$s$l$v" != 0000 ] || [ $img != same ]; then
        bad=$((bad + 1))
        # Clean up so the next row measures its own run only.
        "$BC" cleanup -c "$uri" >>"$WORK/interrupt-$i.log" 2>&1
    fi
done
echo "runs with anything left behind or an image changed: $bad of $N"
[ $bad = 0 ]
