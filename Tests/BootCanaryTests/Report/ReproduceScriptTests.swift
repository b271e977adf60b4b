import CanaryModel
import Foundation
import Testing
@testable import CanaryProbe
@testable import CanaryReport

/// reproduce.sh and domains/ for a recorded run (fixtures/runs/lab-sick-host: pygrub#1,
/// kernel#1, installer#1), with the image moved to a path with spaces and quotes. The script
/// is run for real, against stand-ins for virsh, script's console and qemu-img that record what
/// they were asked.
@Suite struct ReproduceScriptTests {

    /// The lab run's boots as the probe would have reported them: kernel#1 through an overlay
    /// over the image, pygrub#1 with pygrub's kernel in scratch; installer#1 made no domain.
    static func boots(scratch: URL, image: String) -> [ReproducibleBoot] {
        func spec(_ kind: ProbeKind, kernel: String) -> (DomainSpec, String) {
            let name = "bootcanary-2d51d1-\(kind.rawValue)-1"
            let overlay = scratch.appendingPathComponent(name).appendingPathComponent("overlay.qcow2").path
            var spec = DomainSpec(name: name, domainType: "qemu", guestType: .hvm,
                                  boot: .direct(kernel: kernel, initrd: nil, cmdline: "console=ttyS0"),
                                  disks: [.init(path: overlay, format: "qcow2", readOnly: false,
                                                backing: [.init(path: image, format: "raw", relabel: false)])])
            spec.probe = .init(runID: "2d51d1", kind: kind, repetition: 1, pid: 1)
            return (spec, overlay)
        }
        let (k, kOverlay) = spec(.kernel, kernel: "/var/cache/bootcanary-lab/kernel/vmlinuz")
        let pygrubKernel = scratch.appendingPathComponent("bootcanary-2d51d1-pygrub-1/boot/vmlinuz").path
        let (p, pOverlay) = spec(.pygrub, kernel: pygrubKernel)
        return [
            ReproducibleBoot(label: BootLabel(kind: .kernel, run: 1), uri: "qemu:///system", domain: k.name, xml: DomainXML.render(k),
                             scratchInputs: [.init(path: kOverlay, what: "the overlay", remake: .overlay(backing: image, format: "raw"))]),
            ReproducibleBoot(label: BootLabel(kind: .pygrub, run: 1), uri: "qemu:///system", domain: p.name, xml: DomainXML.render(p),
                             scratchInputs: [.init(path: pOverlay, what: "the overlay", remake: .overlay(backing: image, format: "raw")),
                                             .init(path: pygrubKernel, what: "the kernel pygrub extracted", remake: .localFile)]),
        ]
    }

    /// A run folder with the reproducer written, a fake scratch and a fake image in `dir`.
    struct Folder {
        var dir: URL
        var run: URL
        var scratch: URL
        var image: String
        var record: RunRecord
        var boots: [ReproducibleBoot]

        init() throws {
            dir = try Fixtures.scratch()
            run = dir.appendingPathComponent("run")
            scratch = dir.appendingPathComponent("scratch")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
            image = dir.appendingPathComponent("it's a \"guest\" $(touch pwned).img").path
            _ = FileManager.default.createFile(atPath: image, contents: Data("suspect".utf8))
            record = try ReportFixtures.record("lab-sick-host")
            boots = ReproduceScriptTests.boots(scratch: scratch, image: image)
            try ReproduceFolder.write(record, boots: boots, to: run)
        }

        /// Runs reproduce.sh with stand-ins first on PATH; `calls` is what they were asked, one
        /// line per call, arguments separated by tabs.
        func reproduce(_ arguments: [String]) throws -> (status: Int32, err: String, calls: [[String]]) {
            let bin = dir.appendingPathComponent("bin")
            try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
            let log = dir.appendingPathComponent("calls")
            // virsh: a domain exists from create to destroy (a state file); console prints what
            // `virsh console` prints and a login prompt, then waits like a quiet console.
            let virsh = """
            #!/bin/bash
            { printf '%s' virsh; printf '\\t%s' "$@"; echo; } >>\(ShellQuote.quote(log.path))
            state=\(ShellQuote.quote(dir.appendingPathComponent("domain").path))
            case $3 in
                domstate) [ -e "$state" ] ;;
                create) : >"$state" ;;
                destroy) rm -f "$state" ;;
                console) echo 'Escape character is ^]'; echo 'guest login: '; exec sleep 30 ;;
            esac
            """
            let qemuImg = """
            #!/bin/bash
            { printf '%s' qemu-img; printf '\\t%s' "$@"; echo; } >>\(ShellQuote.quote(log.path))
            : >"${!#}"
            """
            for (name, text) in [("virsh", virsh), ("qemu-img", qemuImg)] {
                let url = bin.appendingPathComponent(name)
                try Data(text.utf8).write(to: url)
                chmod(url.path, 0o755)
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [run.appendingPathComponent("reproduce.sh").path] + arguments
            var env = ProcessInfo.processInfo.environment
            env["PATH"] = bin.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
            process.environment = env
            process.currentDirectoryURL = dir
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let calls = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n")
                .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
            return (process.terminationStatus, text, calls)
        }
    }

    @Test(arguments: ["plain", "it's", "a \"b\" c", "$(touch pwned)", "`id`", "back\\slash", "new\nline", "*", "'", "''", "", "-n"])
    func quotingRoundTripsThroughASh(_ s: String) throws {
        let r = try Tool.run("/bin/sh", ["-c", "printf '%s' " + ShellQuote.quote(s)])
        #expect(r.status == 0)
        #expect(r.outText == s)
    }

    @Test func everyBootHasALineAndEachCreatedBootItsExactXML() throws {
        let f = try Folder()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        for boot in f.boots {
            let saved = try Data(contentsOf: f.run.appendingPathComponent(ReproducibleBoot.xmlFile(boot.label)))
            #expect(saved == Data(boot.xml.utf8), "\(boot.label)'s XML is not what went to the create")
        }
        let list = try Tool.run("/bin/bash", [f.run.appendingPathComponent("reproduce.sh").path, "--list"])
        #expect(list.status == 0)
        let lines = list.outText.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(lines.map { $0.first ?? "" } == f.record.boots.enumerated().map { $0.element.label(position: $0.offset).description })
        #expect(lines.first { $0.first == "kernel#1" }?[1] == "domains/kernel-1.xml")
        let installer = try #require(lines.first { $0.first == "installer#1" })
        #expect(installer[1] == "-")
        #expect(installer[2].hasPrefix("no domain was created for this boot (stalled"))
        let mode = try FileManager.default.attributesOfItem(atPath: f.run.appendingPathComponent("reproduce.sh").path)[.posixPermissions] as? Int
        #expect(mode == 0o755)
    }

    @Test func isShellcheckClean() throws {
        let f = try Folder()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let syntax = try Tool.run("/bin/bash", ["-n", f.run.appendingPathComponent("reproduce.sh").path])
        #expect(syntax.status == 0, "\(syntax.err)")
        guard let shellcheck = ["/usr/bin/shellcheck", "/usr/local/bin/shellcheck"].first(where: FileManager.default.isExecutableFile) else { return }
        let r = try Tool.run(shellcheck, [f.run.appendingPathComponent("reproduce.sh").path])
        #expect(r.status == 0, "\(r.outText)")
    }

    @Test func remakesTheOverlayOverTheImageBootsAndDestroysIt() throws {
        let f = try Folder()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let r = try f.reproduce(["--timeout", "20", "kernel#1"])
        #expect(r.status == 0, "\(r.err)")
        let overlay = f.scratch.appendingPathComponent("bootcanary-2d51d1-kernel-1/overlay.qcow2").path
        let xml = f.run.appendingPathComponent("domains/kernel-1.xml").path
        let name = "bootcanary-2d51d1-kernel-1"
        // The image path arrives as one argument, quotes and $(...) untouched, and only as -b.
        #expect(r.calls.first == ["qemu-img", "create", "-q", "-f", "qcow2", "-b", f.image, "-F", "raw", overlay])
        let verbs = r.calls.filter { $0.first == "virsh" }.map { $0.count > 3 ? $0[3] : "" }
        #expect(verbs.filter { $0 != "domstate" } == ["create", "console", "resume", "destroy"])
        #expect(r.calls.contains(["virsh", "-c", "qemu:///system", "create", "--paused", xml]))
        #expect(r.calls.contains(["virsh", "-c", "qemu:///system", "destroy", name]))
        #expect(!FileManager.default.fileExists(atPath: overlay), "the remade overlay is left behind")
        #expect(!FileManager.default.fileExists(atPath: (overlay as NSString).deletingLastPathComponent))
        #expect(!FileManager.default.fileExists(atPath: f.dir.appendingPathComponent("pwned").path))
        #expect(r.err.contains("reached the success marker"))
        let console = try String(contentsOf: f.run.appendingPathComponent("reproduced/kernel-1.console"), encoding: .utf8)
        #expect(console.contains("login:"))
    }

    @Test func refusesABootWhoseScratchKernelIsGoneNamingIt() throws {
        let f = try Folder()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let r = try f.reproduce(["pygrub#1"])
        #expect(r.status == 2)
        #expect(r.err.contains(f.scratch.appendingPathComponent("bootcanary-2d51d1-pygrub-1/boot/vmlinuz").path + " (the kernel pygrub extracted)"))
        // Refused before anything is made or created.
        #expect(r.calls.filter { $0.first == "qemu-img" || $0.contains("create") }.isEmpty)
    }

    @Test func anUnknownLabelIsAUsageError() throws {
        let f = try Folder()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let r = try f.reproduce(["kernel#9"])
        #expect(r.status == 64)
        #expect(r.err.contains("no boot 'kernel#9' in this run"))
        #expect(r.calls.isEmpty)
    }
}

/// The bundle of a run folder carries its reproducer: the script executable, each XML as written.
@Suite struct ReproduceBundleTests {
    @Test func bundleHoldsReproduceShAndTheDomainXML() throws {
        let f = try ReproduceScriptTests.Folder()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        // A link out of the folder in place of an XML is left out, like a transcript's.
        try FileManager.default.createDirectory(at: f.run.appendingPathComponent("domains"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: f.run.appendingPathComponent("domains/installer-1.xml").path, withDestinationPath: "/etc/passwd")
        let out = f.dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let written = try ReportWriter.write(f.record, recordFolder: f.run, formats: [.bundle], to: out)
        let bundle = try #require(written.first?.url)
        let list = try Tool.run("/bin/tar", ["-tzvf", bundle.path])
        #expect(list.status == 0, "\(list.err)")
        let rows = list.outText.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let entries = Dictionary(rows.map { ($0.last ?? "", $0.first ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(entries["bootcanary-2d51d1/reproduce.sh"] == "-rwxr-xr-x")
        #expect(entries["bootcanary-2d51d1/domains/kernel-1.xml"] == "-rw-r--r--")
        #expect(entries["bootcanary-2d51d1/domains/pygrub-1.xml"] != nil)
        #expect(entries["bootcanary-2d51d1/domains/installer-1.xml"] == nil)
        let unpacked = f.dir.appendingPathComponent("unpacked")
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        #expect(try Tool.run("/bin/tar", ["-xzf", bundle.path, "-C", unpacked.path]).status == 0)
        let xml = try Data(contentsOf: unpacked.appendingPathComponent("bootcanary-2d51d1/domains/kernel-1.xml"))
        #expect(xml == Data(try #require(f.boots.first { $0.label.kind == .kernel }).xml.utf8))
    }
}
