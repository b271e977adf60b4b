# lab/lib/apt-mirror.sh — sourced (bash): apt_mirror SUITE prints the Debian mirror URI this
# machine's apt already uses for SUITE, or nothing. Shared by lab/xen/build-dom0 and
# packaging/check-chroot, which both debootstrap from it.
# Reads deb822 .sources files first, then one-line sources.list entries; an entry with
# Enabled: no is skipped. Moved unchanged from lab/xen/build-dom0.
apt_mirror() {
    local f found
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        found=$(awk -v suite="$1" '
            BEGIN { RS = ""; FS = "\n" }
            {
                uris = ""; suites = ""; enabled = 1
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris) }
                    if ($i ~ /^Suites:/) { suites = " " $i " " }
                    if ($i ~ /^Enabled:[ \t]*no/) enabled = 0
                }
                if (enabled && uris != "" && suites ~ (" " suite " ")) { split(uris, u, " "); print u[1]; exit }
            }' "$f")
        [ -n "$found" ] && { echo "$found"; return 0; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        found=$(awk -v suite="$1" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }' "$f")
        [ -n "$found" ] && { echo "$found"; return 0; }
    done
    return 0
}
