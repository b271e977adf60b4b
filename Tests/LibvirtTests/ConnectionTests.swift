import Foundation
import Testing
@testable import Libvirt

/// The binding against libvirt's in-process `test:///default` driver: one fake host per
/// process (shared by tests running in parallel) with a running domain named "test", 16 CPUs
/// and 3 GiB.
@Suite struct ConnectionTests {
    @Test func hostFactsComeFromTheDriver() throws {
        let conn = try Connection(uri: "test:///default")
        #expect(try conn.hypervisorType() == "TEST")
        #expect(try conn.hypervisorVersion().description == "0.0.2")
        #expect(try conn.libvirtVersion() >= Version(packed: 9_000_000))
        #expect(try !conn.hostname().isEmpty)
        let node = try conn.nodeInfo()
        #expect(node.cpus == 16)
        #expect(node.memoryKiB == 3_145_728)
        #expect(node.model == "i686")
        let caps = try conn.capabilitiesXML()
        #expect(caps.contains("<host>"))
        #expect(caps.contains("<arch>i686</arch>"))
        #expect(conn.uri == "test:///default")
        #expect(conn.isAlive)
    }

    @Test func listsTheDriversRunningDomain() throws {
        let conn = try Connection(uri: "test:///default")
        // test:///default is one fake host per process: other tests' domains may be listed too.
        let running = try conn.listDomains(.active)
        let test = try #require(running.first { $0.name == "test" })
        let info = try test.info()
        #expect(info.state == .running)
        #expect(info.vcpus == 2)
        #expect(info.memoryKiB > 0)
    }

    @Test func unknownURIIsAnErrorNamingTheDriver() {
        #expect {
            _ = try Connection(uri: "bogus:///nowhere")
        } throws: { error in
            let e = error as! LibvirtError
            return e.function == "virConnectOpenAuth" && e.code == .noConnect && e.message.contains("bogus")
        }
    }

    @Test func unreachableDaemonIsAnError() {
        #expect {
            _ = try Connection(uri: "qemu+tcp://127.0.0.1:1/system")
        } throws: { error in
            let e = error as! LibvirtError
            return e.function == "virConnectOpenAuth" && e.message.contains("Connection refused")
        }
    }

    @Test func missingDomainCarriesCodeDomainAndFunction() throws {
        let conn = try Connection(uri: "test:///default")
        do {
            _ = try conn.domain(named: "no-such-guest")
            Issue.record("lookup of a missing domain succeeded")
        } catch {
            #expect(error.code == .noDomain)
            #expect(error.domain == LibvirtError.Source.test)
            #expect(error.function == "virDomainLookupByName")
            #expect(error.message.hasPrefix("Domain not found"))
        }
    }

    @Test func keepAliveIsReportedUnsupportedInProcess() throws {
        let conn = try Connection(uri: "test:///default")
        #expect(try conn.setKeepAlive() == false)
    }

    @Test func readOnlyConnectionsCannotCreateDomains() throws {
        let conn = try Connection(uri: "test:///default", readOnly: true)
        do {
            _ = try conn.createTransient(xml: TestDomainXML.named("ro-guest"), startPaused: true)
            Issue.record("a read-only connection created a domain")
        } catch {
            #expect(error.code == .operationDenied)
        }
    }

    /// libvirt's default error handler prints every failure to stderr; the event loop's start
    /// replaces it. Check by pointing fd 2 at a file around a failing call.
    @Test func errorsAreNotPrintedToStderr() throws {
        let conn = try Connection(uri: "test:///default")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID()).txt").path
        let saved = dup(2)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        dup2(fd, 2)
        _ = try? conn.domain(named: "nobody-home")
        dup2(saved, 2)
        close(fd)
        close(saved)
        let printed = try String(contentsOfFile: path, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: path)
        // Other tests running in parallel may write their progress here too; libvirt's own
        // printer writes "libvirt: <domain> error : <message>".
        #expect(!printed.contains("libvirt:"))
        #expect(!printed.contains("Domain not found"))
    }

    /// Errors live in thread-local storage: an error raised on one thread must be captured
    /// there, and a thread that did nothing wrong must see none.
    @Test func errorsAreCapturedOnTheFailingThread() async throws {
        let conn = try Connection(uri: "test:///default")
        try await withThrowingTaskGroup(of: LibvirtError.Code?.self) { group in
            for i in 0..<16 {
                group.addTask {
                    if i.isMultiple(of: 2) {
                        do { _ = try conn.domain(named: "missing-\(i)"); return nil } catch let e as LibvirtError { return e.code }
                    }
                    _ = try conn.hypervisorType()
                    return nil
                }
            }
            var codes: [LibvirtError.Code?] = []
            for try await code in group { codes.append(code) }
            #expect(codes.compactMap { $0 }.count == 8)
            #expect(codes.compactMap { $0 }.allSatisfy { $0 == .noDomain })
        }
    }
}

enum TestDomainXML {
    static func named(_ name: String) -> String {
        """
        <domain type='test'>
          <name>\(name)</name>
          <memory unit='MiB'>64</memory>
          <vcpu>1</vcpu>
          <os><type>hvm</type></os>
        </domain>
        """
    }
}
