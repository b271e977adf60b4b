import Foundation
import Testing
@testable import Libvirt

@Suite struct DomainLifecycleTests {
    /// The test driver rejects VIR_DOMAIN_START_PAUSED with "unsupported flags"; the binding
    /// falls back like virsh and says it did.
    @Test func startPausedFallsBackWhereUnsupported() throws {
        let conn = try Connection(uri: "test:///default")
        let (dom, mode) = try conn.createTransient(xml: TestDomainXML.named("fallback"), startPaused: true, autoDestroy: true)
        #expect(mode == .init(paused: false, autoDestroy: false))
        #expect(try dom.state().kind == .running)
        #expect(!dom.isPersistent)
        #expect(try dom.destroy())
    }

    @Test func destroyIsIdempotentForTransientDomains() throws {
        let conn = try Connection(uri: "test:///default")
        let (dom, _) = try conn.createTransient(xml: TestDomainXML.named("twice"), startPaused: false)
        #expect(try dom.destroy() == true)
        #expect(try dom.destroy() == false)
        #expect(throws: LibvirtError.self) { try conn.domain(named: "twice") }
    }

    @Test func stateCarriesLibvirtsReason() throws {
        let conn = try Connection(uri: "test:///default")
        let (dom, _) = try conn.createTransient(xml: TestDomainXML.named("reasons"), startPaused: false)
        defer { _ = try? dom.destroy() }
        try dom.suspend()
        let paused = try dom.state()
        #expect(paused.kind == .paused)
        #expect(paused.reasonName == "user")
        try dom.resume()
        #expect(try dom.state().kind == .running)
        #expect(try dom.state().reasonName == "unpaused")
    }

    /// The typed-parameter call reads the driver's "cpu_time"; once the domain is gone the
    /// call fails with libvirt's error (the sampler then hears the domain stopped).
    @Test func preciseCPUTimeIsReadFromTypedParameters() throws {
        let conn = try Connection(uri: "test:///default")
        let (dom, _) = try conn.createTransient(xml: TestDomainXML.named("cpustats"), startPaused: false)
        let total = try #require(try dom.totalCPUTimeNanoseconds())
        #expect(total > 0)
        #expect(try dom.destroy())
        #expect(throws: LibvirtError.self) { try dom.totalCPUTimeNanoseconds() }
    }

    @Test func invalidXMLIsAnXMLError() throws {
        let conn = try Connection(uri: "test:///default")
        do {
            _ = try conn.createTransient(xml: "<domain type='test'><name>x</name>", startPaused: true)
            Issue.record("broken XML accepted")
        } catch {
            #expect(error.code == .xmlDetail)
            #expect(error.function == "virDomainCreateXML")
        }
    }

    @Test func duplicateNameIsRejected() throws {
        let conn = try Connection(uri: "test:///default")
        do {
            _ = try conn.createTransient(xml: TestDomainXML.named("test"), startPaused: false)
            Issue.record("a second domain named test was created")
        } catch {
            #expect(error.code == .operationFailed || error.code == .domainExists)
            #expect(error.message.contains("test"))
        }
    }

    /// The test driver has no consoles: the error must say so, not crash or hang.
    @Test func consoleWithoutDriverSupportIsNoSupport() throws {
        let conn = try Connection(uri: "test:///default")
        let dom = try conn.domain(named: "test")
        do {
            _ = try ConsoleStream(domain: dom) { _ in }
            Issue.record("console opened on the test driver")
        } catch {
            #expect(error.code == .noSupport)
            #expect(error.function == "virDomainOpenConsole")
        }
    }

    @Test func lifecycleEventsArriveInOrder() async throws {
        let conn = try Connection(uri: "test:///default")
        let events = try conn.lifecycleEvents()
        let (dom, _) = try conn.createTransient(xml: TestDomainXML.named("events"), startPaused: false)
        try dom.suspend()
        try dom.resume()
        try dom.destroy()
        var seen: [String] = []
        for await event in events where event.domainName == "events" {
            seen.append("\(event.kindName) \(event.detailName)")
            if event.kind == .stopped { break }
        }
        #expect(seen == ["started booted", "suspended paused", "resumed unpaused", "stopped destroyed"])
    }

    @Test func lifecycleRegistrationEndsWithItsStream() async throws {
        let conn = try Connection(uri: "test:///default")
        do {
            let events = try conn.lifecycleEvents()
            _ = events // dropped here: onTermination deregisters
        }
        // A fresh registration still works and sees a new domain.
        let events = try conn.lifecycleEvents()
        let (dom, _) = try conn.createTransient(xml: TestDomainXML.named("again"), startPaused: false)
        try dom.destroy()
        var kinds: [LifecycleEvent.Kind] = []
        for await e in events where e.domainName == "again" {
            kinds.append(e.kind)
            if e.kind == .stopped { break }
        }
        #expect(kinds == [.started, .stopped])
    }

    /// libvirt refuses a second registration of the same callback on one connection ("event
    /// callback already tracked"); concurrent probes on one connection each need their stream.
    @Test func severalSubscribersOnOneConnectionAllSeeEvents() async throws {
        let conn = try Connection(uri: "test:///default")
        let a = try conn.lifecycleEvents()
        let b = try conn.lifecycleEvents()
        let (dom, _) = try conn.createTransient(xml: TestDomainXML.named("shared"), startPaused: false)
        try dom.destroy()
        for stream in [a, b] {
            var kinds: [LifecycleEvent.Kind] = []
            for await e in stream where e.domainName == "shared" {
                kinds.append(e.kind)
                if e.kind == .stopped { break }
            }
            #expect(kinds == [.started, .stopped])
        }
    }

    @Test func domainHandlesKeepTheirConnectionAlive() throws {
        var dom: Domain?
        do {
            let conn = try Connection(uri: "test:///default")
            dom = try conn.domain(named: "test")
        }
        // The Connection variable is gone; the domain still works through its own reference.
        #expect(try dom?.info().state == .running)
        #expect(dom?.uuid.count == 36)
    }
}
