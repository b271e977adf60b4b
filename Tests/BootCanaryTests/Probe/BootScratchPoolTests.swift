import Foundation
import Libvirt
import Testing
@testable import CanaryProbe

/// The boot-scratch pool bootcanary defines for uploads is removed when its last user is done;
/// one the host already had is left alone (libvirt's test driver).
@Suite struct BootScratchPoolTests {
    @Test func aPoolWeDefinedIsRemovedAndAnExistingOneKept() throws {
        let conn = try Connection(uri: "test:///default")
        let pools = BootScratchPools()
        _ = try pools.acquire(path: "/tmp/bootcanary-test-pool", on: conn)
        _ = try pools.acquire(path: "/tmp/bootcanary-test-pool", on: conn)
        #expect((try? StoragePool.lookup(named: BootFileUpload.poolName, on: conn)) != nil)
        pools.release(on: conn)
        #expect((try? StoragePool.lookup(named: BootFileUpload.poolName, on: conn)) != nil, "removed while a boot still used it")
        pools.release(on: conn)
        #expect((try? StoragePool.lookup(named: BootFileUpload.poolName, on: conn)) == nil, "the pool bootcanary defined outlived the run")

        // Defined by someone else first: kept.
        _ = try StoragePool.directory(named: BootFileUpload.poolName, path: "/tmp/bootcanary-test-pool", on: conn)
        _ = try pools.acquire(path: "/tmp/bootcanary-test-pool", on: conn)
        pools.release(on: conn)
        #expect((try? StoragePool.lookup(named: BootFileUpload.poolName, on: conn)) != nil)
    }
}
