import Foundation
import Testing
@testable import CanaryClassify
@testable import CanaryProbe
@testable import CanarySession

@Suite struct CanaryProfileTests {
    static let good = """
    # post-maintenance canary
    connect = "xen:///system"

    [limits]
    timeout = 300          # per boot
    stall_timeout = 150.5
    frozen_after = 15
    expect = 'login:\\s*$'
    runs = 2

    [guest]
    memory = 512
    domain_type = "xen"
    guest_type = "pvh"

    [kernel]
    kernel = "/var/lib/xen/boot/vmlinuz"
    initrd = "/var/lib/xen/boot/initrd.img"
    cmdline = "root=/dev/xvda1 ro # not a comment inside quotes"

    [installer]
    url = "http://mirror.example/debian/dists/bookworm/main/installer-amd64/"
    """

    @Test func readsEveryKnownKey() throws {
        let p = try CanaryProfile.parse(Self.good, file: "canary.toml")
        #expect(p.connect == "xen:///system")
        #expect(p.timeout == 300)
        #expect(p.stallTimeout == 150.5)
        #expect(p.frozenAfter == 15)
        #expect(p.expect == "login:\\s*$")
        #expect(p.runs == 2)
        #expect(p.inputs.memoryMiB == 512)
        #expect(p.inputs.domainType == "xen")
        #expect(p.inputs.guestType == .pvh)
        #expect(p.inputs.kernel == "/var/lib/xen/boot/vmlinuz")
        #expect(p.inputs.cmdline == "root=/dev/xvda1 ro # not a comment inside quotes")
        #expect(p.inputs.installer?.hasPrefix("http://mirror.example") == true)
        #expect(p.settings.classifier.success == .regex("login:\\s*$"))
    }

    /// Every mistake names the file, the line and what is wrong.
    @Test(arguments: [
        ("[limits]\ntimeot = 300\n[installer]\nurl = \"http://x/\"", 2, "unknown key timeot in [limits]"),
        ("[limits]\ntimeout = \"300\"\n[installer]\nurl = \"http://x/\"", 2, "timeout must be a number, not a string"),
        ("[guest]\nmemory = 1.5\n[installer]\nurl = \"http://x/\"", 2, "memory must be an integer, not a number"),
        ("[installer]\nurl = http://x/", 2, "is not a value (strings need quotes)"),
        ("[installer]\nurl = \"http://x/", 2, "a string is not closed"),
        ("[instaler]\nurl = \"http://x/\"", 1, "unknown table [instaler]"),
        ("[installer]\nurl = \"a\"\nurl = \"b\"", 3, "key url appears twice"),
        ("[guest]\ndomain_type = \"lxc\"\n[installer]\nurl = \"http://x/\"", 2, "domain_type must be xen, kvm or qemu"),
        ("[limits]\nruns = -1\n[installer]\nurl = \"http://x/\"", 2, "runs = -1: runs must be an integer from 1 to 20 (the range of --runs)"),
        ("[limits]\nexpect = \"(\"\n[installer]\nurl = \"http://x/\"", 2, "expect is not a valid regular expression"),
        ("[kernel]\ncmdline = \"x\"", 1, "[kernel] needs kernel"),
    ])
    func mistakesAreReportedByLine(text: String, line: Int, message: String) {
        do {
            _ = try CanaryProfile.parse(text, file: "p.toml")
            Issue.record("accepted: \(text)")
        } catch let p as CanaryProfile.Problem {
            #expect(p.line == line, "\(p)")
            #expect(p.description.hasPrefix("p.toml:\(line): "), "\(p)")
            #expect(p.message.contains(message), "\(p)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func aProfileWithoutProbesIsRefused() {
        #expect(throws: CanaryProfile.Problem.self) { try CanaryProfile.parse("[limits]\ntimeout = 5\n", file: "p.toml") }
    }
}

@Suite struct FleetHostsTests {
    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hosts-\(UUID())").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func readsURIsSkippingCommentsAndBlanks() throws {
        let hosts = try Fleet.readHosts(try file("# fleet\nxen+ssh://root@xen07/system\n\nqemu:///system  # the lab\n"))
        #expect(hosts == [.init(uri: "xen+ssh://root@xen07/system", line: 2), .init(uri: "qemu:///system", line: 4)])
    }

    @Test(arguments: [
        ("xen07\n", 1, "is not a libvirt URI"),
        ("qemu:///system\nxen+ssh://root@xen07 /system\n", 2, "is not a libvirt URI"),
        ("qemu:///system\nqemu:///system\n", 2, "listed twice"),
    ])
    func malformedLinesAreNamed(text: String, line: Int, message: String) throws {
        let path = try file(text)
        do {
            _ = try Fleet.readHosts(path)
            Issue.record("accepted")
        } catch let p as Fleet.Problem {
            #expect(p.description.hasPrefix("\(path):\(line): "))
            #expect(p.message.contains(message))
        }
    }

    @Test func emptyHostsFileIsRefused() throws {
        #expect(throws: Fleet.Problem.self) { try Fleet.readHosts(try file("# nothing\n")) }
    }
}
