import Testing
@testable import CanaryClassify
@testable import CanaryConsole

@Suite struct TitleNormalizerTests {
    @Test(arguments: [
        ("BUG: soft lockup - CPU#3 stuck for 27s! [swapper/3:0]", "BUG: soft lockup - CPU stuck for NUMs! [swapper/NUM:NUM]"),
        ("kernel panic: Attempted to kill init! exitcode=0x00000100", "kernel panic: Attempted to kill init! exitcode=ADDR"),
        ("VFS: Unable to mount root fs on unknown-block(202,1)", "VFS: Unable to mount root fs on unknown-block(NUM,NUM)"),
        ("kernel BUG at fs/ext4/inode.c:1234!", "kernel BUG at fs/ext4/inode.c:LINE!"),
        ("general protection fault in ext4_fill_super+0x1a/0x40", "general protection fault in ext4_fill_super"),
        ("unable to handle page fault for address: ffffc9004054e881", "unable to handle page fault for address: ADDR"),
        ("x86_64 vda1 ext4 6.1.0-27", "x86_64 vda1 ext4 NUM.NUM-NUM"),
        ("  many\t\tspaces\u{1B}  ", "many spaces"),
    ])
    func normalizes(raw: String, normalized: String) {
        #expect(TitleNormalizer.normalize(raw) == normalized)
    }

    @Test func longTitlesAreBounded() {
        #expect(TitleNormalizer.normalize(String(repeating: "x", count: 500)).count == TitleNormalizer.maxLength)
    }

    /// Two boots of one failure, with different addresses, PIDs, CPUs and times: equal titles.
    @Test func sameFailureInTwoBootsComparesEqual() throws {
        func title(_ log: String) throws -> String? {
            var console = try BootConsole()
            _ = console.append(Array(log.utf8), at: ConsoleTime(seconds: 1))
            _ = console.finish()
            return console.judge(.endOfLog, at: nil).title
        }
        let a = try title("""
            [   12.100000] BUG: kernel NULL pointer dereference, address: 0000000000000008\r
            [   12.100100] CPU: 3 PID: 4711 Comm: modprobe Not tainted 6.1.0 #1\r
            [   12.100200] RIP: 0010:blkfront_connect+0x1a2/0x410 [xen_blkfront]\r

            """)
        let b = try title("""
            [    3.000001] BUG: kernel NULL pointer dereference, address: 0000000000000010\r
            [    3.000002] CPU: 0 PID: 211 Comm: systemd-udevd Not tainted 6.1.0 #1\r
            [    3.000003] RIP: e030:blkfront_connect+0x1a2/0x410 [xen_blkfront]\r

            """)
        #expect(a == "BUG: kernel NULL pointer dereference in blkfront_connect")
        #expect(a == b)
    }
}
