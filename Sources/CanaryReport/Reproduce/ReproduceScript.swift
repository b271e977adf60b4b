import CanaryClassify
import CanaryModel
import Foundation

/// `reproduce.sh`: boots a run's test boots again by hand with virsh, the way TuxRun hands out
/// a reproducer: each domain from the exact XML bootcanary created it from, created paused,
/// its console captured to a file by `virsh console` under `script` (the pairing
/// bench/capture-throughput.sh measured byte-exact against bootcanary's own capture), resumed,
/// stopped at the success marker, when the console closes or at a timeout, and destroyed on
/// every exit (an EXIT trap), so it never leaves a domain.
///
/// Every value that came from the run (paths, URIs, names, messages) is written through
/// `ShellQuote`; nothing from the run is ever spliced into code unquoted.
public enum ReproduceScript {
    public static let fileName = "reproduce.sh"

    public static func render(_ record: RunRecord, boots: [ReproducibleBoot]) -> String {
        let byLabel = Dictionary(boots.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
        let entries: [(label: BootLabel, boot: ReproducibleBoot?, why: String)] = record.boots.enumerated().map { i, b in
            let label = b.label(position: i)
            return (label, byLabel[label], "no domain was created for this boot (\(b.result.outcome.rawValue): \(printable(words(b.result.ending))))")
        }
        var s = header(record)
        s += "\n# --list: every boot of run.json, its domain XML and what it needs.\nlist() {\n"
        for e in entries {
            let line: [String]
            if let boot = e.boot {
                let needs = boot.scratchInputs.map { input -> String in
                    switch input.remake {
                    case .overlay: "remakes \(input.path) (\(input.what))"
                    case .localFile: "needs \(input.path) (\(input.what), gone after the run)"
                    case .uploadedVolume: "cannot: \(input.path) (\(input.what)) was deleted after the boot"
                    }
                }
                line = [e.label.description, ReproducibleBoot.xmlFile(e.label),
                        "\(boot.domain) on \(boot.uri)" + (needs.isEmpty ? "" : "; " + needs.joined(separator: "; "))]
            } else {
                line = [e.label.description, "-", e.why]
            }
            // Tab-separated fields (docs/contract.md), each made one printable line first.
            s += "    printf '%s\\n' \(ShellQuote.quote(line.map(printable).joined(separator: "\t")))\n"
        }
        s += "}\n"
        s += "\n# One function per boot: make again what can be made, refuse what cannot, then boot.\n"
        for (i, e) in entries.enumerated() {
            s += "boot_\(i + 1)() {\n"
            if let boot = e.boot {
                let label = ShellQuote.quote(e.label.description)
                // What cannot be made again is checked first: a refused boot makes nothing.
                for input in boot.scratchInputs.sorted(by: { !$0.isRemade && $1.isRemade }) {
                    let path = ShellQuote.quote(input.path), what = ShellQuote.quote(printable(input.what))
                    switch input.remake {
                    case .overlay(let backing, let format):
                        s += "    remake_overlay \(label) \(path) \(ShellQuote.quote(backing)) \(ShellQuote.quote(format)) || return 2\n"
                    case .localFile:
                        s += "    still_there \(label) \(path) \(what) || return 2\n"
                    case .uploadedVolume:
                        s += "    uploaded \(label) \(path) \(what) || return 2\n"
                    }
                }
                s += "    boot \(label) \(ShellQuote.quote(boot.uri)) \(ShellQuote.quote(boot.domain)) "
                    + "\"$here\"/\(ShellQuote.quote(ReproducibleBoot.xmlFile(e.label))) \(ShellQuote.quote(ReproducibleBoot.baseName(e.label) + (e.label.host == .control ? "-control" : "") + ".console"))\n"
            } else {
                s += "    say \(ShellQuote.quote(printable("\(e.label): \(e.why)")))\n    return 2\n"
            }
            s += "}\n"
        }
        s += "\nlabels=(" + entries.map { ShellQuote.quote($0.label.description) }.joined(separator: " ") + ")\n"
        s += "run_label() {\n    case $1 in\n"
        for (i, e) in entries.enumerated() {
            s += "        \(ShellQuote.quote(e.label.description))) boot_\(i + 1) ;;\n"
        }
        s += "        *) say \"no boot '$1' in this run (see --list)\"; return 64 ;;\n    esac\n}\n"
        s += main(record)
        return s
    }

    static func header(_ record: RunRecord) -> String {
        let expect = ShellQuote.quote(record.plan.expect ?? "login:")
        return """
        #!/bin/bash
        # SC2016: the run's paths are quoted literally on purpose ('$(...)' in a file name stays
        # text). SC2317: every helper is written, a run uses only some (no upload: uploaded()).
        # shellcheck disable=SC2016,SC2317
        # Written by bootcanary \(printable(record.tool.version)) for run \(printable(record.runID)) (docs/contract.md, "reproduce.sh").
        #
        # Boots this run's test boots again by hand with virsh, each from the exact domain XML
        # bootcanary gave to virDomainCreateXML (domains/): created paused, its console captured
        # to a file (virsh console under script), resumed, stopped at the success marker, when
        # the console closes, or after --timeout seconds, and destroyed on every exit.
        # Run it as root on the machine the run was made from: the URIs are that machine's.
        #
        #   ./reproduce.sh --list                 the boots, their XML and what each needs
        #   ./reproduce.sh LABEL...               boot those, e.g. 'kernel#1'
        #   ./reproduce.sh all                    boot every one in turn
        #   options first: --timeout S (default: the run's, \(Int(record.plan.timeoutSeconds))), --out DIR (default: reproduced/ here)
        #
        # Files bootcanary made for a boot in its scratch folder (overlays, the kernel pygrub
        # extracted, installer copies) or uploaded to the host were deleted when the run ended.
        # An overlay is made again with qemu-img over the image it was made over, which is only
        # read, and removed afterwards; a boot that needs anything else is refused, naming the
        # file. The suspect image is never attached writable: the XML is the run's, unchanged.
        #
        # Exit: 0 every boot reached the marker, 1 one did not, 2 one could not be booted, 64 usage.
        set -u

        here=$(cd "$(dirname "$0")" && pwd)
        timeout=\(Int(record.plan.timeoutSeconds.rounded(.up)))
        out="$here/reproduced"
        # --expect as the run had it (grep -E reads it; a construct only ICU knows may not match),
        # else bootcanary's default marker, a login prompt.
        expect=\(expect)

        say() { printf 'reproduce.sh: %s\\n' "$*" >&2; }

        # What this script made, undone at exit and after each boot: domains (URI and name),
        # console relays (PIDs), files and folders (removed newest first).
        made_uris=()
        made_domains=()
        made_pids=()
        made_files=()
        cleanup() {
            local i p
            for p in "${made_pids[@]}"; do kill "$p" 2>/dev/null; done
            for i in "${!made_domains[@]}"; do
                if virsh -c "${made_uris[$i]}" domstate "${made_domains[$i]}" >/dev/null 2>&1; then
                    virsh -c "${made_uris[$i]}" destroy "${made_domains[$i]}" >/dev/null 2>&1 \\
                        || say "could not destroy ${made_domains[$i]} on ${made_uris[$i]}: destroy it by hand"
                fi
            done
            for ((i = ${#made_files[@]} - 1; i >= 0; i--)); do
                rm -f -- "${made_files[$i]}" 2>/dev/null || rmdir -- "${made_files[$i]}" 2>/dev/null
            done
            made_uris=(); made_domains=(); made_pids=(); made_files=()
        }
        trap cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM

        # remake_overlay LABEL OVERLAY BACKING FORMAT: the overlay bootcanary made, made again
        # with the same command (ProbeRunner.attach, DiskImage.overlay); BACKING is only read.
        remake_overlay() {
            local label=$1 overlay=$2 backing=$3 format=$4 dir
            dir=$(dirname -- "$overlay")
            if [ -e "$overlay" ]; then
                say "$label: $overlay exists already (left by an interrupted run? bootcanary cleanup removes it); not booting over it"
                return 1
            fi
            if [ ! -r "$backing" ]; then
                say "$label: cannot boot: $backing, the image the overlay $overlay was made over, cannot be read"
                return 1
            fi
            say "$label: $overlay was in bootcanary's scratch folder and is gone; making it again over $backing ($format), which is only read"
            if [ ! -d "$dir" ]; then
                mkdir -m 0711 -- "$dir" || { say "$label: cannot make $dir"; return 1; }
                made_files+=("$dir")
            fi
            qemu-img create -q -f qcow2 -b "$backing" -F "$format" "$overlay" || { say "$label: qemu-img could not make $overlay"; return 1; }
            made_files+=("$overlay")
        }

        # still_there LABEL FILE WHAT: a file bootcanary made that this script cannot make again.
        still_there() {
            [ -e "$2" ] && return 0
            say "$1: cannot boot: $2 ($3) was made by bootcanary in its scratch folder and deleted when the run ended; bootcanary diagnose makes it again"
            return 1
        }

        # uploaded LABEL VOLUME WHAT: a volume uploaded to a remote host, deleted after its boot.
        uploaded() {
            say "$1: cannot boot: $2 ($3) was uploaded to the host for this boot and deleted after it; bootcanary diagnose uploads it again"
            return 1
        }

        # boot LABEL URI NAME XML CONSOLE: one boot, its console in $out/CONSOLE.
        boot() {
            local label=$1 uri=$2 name=$3 xml=$4 log="$out/$5" fifo keep spid i end ending status=1
            if virsh -c "$uri" domstate "$name" >/dev/null 2>&1; then
                say "$label: a domain $name is on $uri already; leaving it alone"
                return 2
            fi
            mkdir -p -- "$out" || return 2
            : >"$log" || return 2
            fifo=$(mktemp -u "$out/.console-fifo.XXXXXX") && mkfifo -m 0600 "$fifo" || return 2
            made_files+=("$fifo")
            made_uris+=("$uri")
            made_domains+=("$name")
            virsh -c "$uri" create --paused "$xml" >/dev/null || { say "$label: virsh create refused $xml"; cleanup; return 2; }
            # A writer that never writes keeps virsh's standard input open and silent.
            exec {keep}<>"$fifo"
            SHELL=/bin/bash script -q -f -c "$(printf 'virsh -c %q console --force %q' "$uri" "$name")" "$log" <"$fifo" >/dev/null 2>&1 &
            spid=$!
            made_pids+=("$spid")
            for i in $(seq 1 100); do grep -qa 'Escape character' "$log" 2>/dev/null && break; sleep 0.1; done
            virsh -c "$uri" resume "$name" >/dev/null || { say "$label: virsh resume failed"; exec {keep}>&-; cleanup; return 2; }
            end=$((SECONDS + timeout))
            while :; do
                if [ -n "$expect" ] && grep -qaE -- "$expect" "$log"; then ending="reached the success marker"; status=0; break; fi
                if ! kill -0 "$spid" 2>/dev/null; then ending="the console closed (the domain ended)"; break; fi
                if [ "$SECONDS" -ge "$end" ]; then ending="no success marker within $timeout s"; break; fi
                sleep 0.5
            done
            exec {keep}>&-
            cleanup
            wait "$spid" 2>/dev/null
            say "$label: $ending; console in $log; $name destroyed"
            return "$status"
        }

        """
    }

    static func main(_ record: RunRecord) -> String {
        """

        while [ $# -gt 0 ]; do
            case $1 in
                --timeout) [ $# -ge 2 ] || { say "--timeout needs seconds"; exit 64; }; timeout=$2; shift 2 ;;
                --out) [ $# -ge 2 ] || { say "--out needs a folder"; exit 64; }; out=$2; shift 2 ;;
                --list) list; exit 0 ;;
                -h|--help) sed -n '5,25p' "$0"; exit 0 ;;
                *) break ;;
            esac
        done
        case $timeout in ''|*[!0-9]*) say "--timeout takes whole seconds, not '$timeout'"; exit 64 ;; esac
        [ $# -gt 0 ] || { say "usage: reproduce.sh [--timeout S] [--out DIR] (--list | LABEL... | all)"; exit 64; }
        if [ "$1" = all ]; then set -- "${labels[@]}"; fi
        worst=0
        for label in "$@"; do
            run_label "$label"
            rc=$?
            [ "$rc" -eq 64 ] && exit 64
            [ "$rc" -gt "$worst" ] && worst=$rc
        done
        exit "$worst"

        """
    }

    /// The ending's own words where it has them (a refusal's message), else its reason.
    static func words(_ ending: BootEnding) -> String {
        switch ending {
        case .startFailure(let m), .infrastructureError(let m): m
        default: ending.reason
        }
    }

    /// Text for the script's messages: control characters (a console's escape sequences, a
    /// newline inside libvirt's words) become spaces, so a message stays one line on a terminal.
    static func printable(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : Character($0) })
    }
}

/// Writes a run's reproducer into its folder: `domains/KIND-N.xml` for each boot that was
/// created and `reproduce.sh` (0755), each atomically.
public enum ReproduceFolder {
    public static func write(_ record: RunRecord, boots: [ReproducibleBoot], to folder: URL) throws {
        for boot in boots {
            let url = folder.appendingPathComponent(ReproducibleBoot.xmlFile(boot.label))
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AtomicFile.write(Data(boot.xml.utf8), to: url)
        }
        let script = folder.appendingPathComponent(ReproduceScript.fileName)
        try AtomicFile.write(Data(ReproduceScript.render(record, boots: boots).utf8), to: script)
        chmod(script.path, 0o755)
    }
}
