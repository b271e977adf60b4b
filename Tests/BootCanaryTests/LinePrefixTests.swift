import Testing
@testable import CanaryConsole

@Suite struct LinePrefixTests {
    func message(_ s: String) -> String {
        let p = LinePrefix.parse(s)
        return String(decoding: Array(s.utf8)[p.messageStart...], as: UTF8.self)
    }

    @Test func printkTime() {
        let p = LinePrefix.parse("[   12.345678] Run /init as init process")
        #expect(p.kernelSeconds == 12.345678)
        #expect(p.isKernelLine)
        #expect(message("[   12.345678] Run /init as init process") == "Run /init as init process")
    }

    @Test func syslogLevelThenTime() {
        let p = LinePrefix.parse("<6>[    0.000000] Linux version 6.1.0")
        #expect(p.syslogLevel == 6)
        #expect(p.kernelSeconds == 0)
        #expect(message("<6>[    0.000000] Linux version 6.1.0") == "Linux version 6.1.0")
    }

    @Test func callerTags() {
        let task = LinePrefix.parse("[    1.000000][    T1] Run /init as init process")
        #expect(task.caller == "T1")
        let cpu = LinePrefix.parse("[  129.338433][    C1] watchdog: BUG: soft lockup")
        #expect(cpu.caller == "C1")
        #expect(message("[  129.338433][    C1] watchdog: BUG: soft lockup") == "watchdog: BUG: soft lockup")
    }

    @Test func droppedMessages() {
        let line = "** 12 printk messages dropped ** [   3.5] Kernel panic - not syncing: x"
        let p = LinePrefix.parse(line)
        #expect(p.droppedMessages == 12)
        #expect(p.kernelSeconds == 3.5)
        #expect(message(line) == "Kernel panic - not syncing: x")
    }

    @Test func xenconsoledStamp() {
        let line = "[2022-06-13 00:08:21] [    0.526810] Oops: 0000 [#1] PREEMPT SMP NOPTI"
        let p = LinePrefix.parse(line)
        #expect(p.hostStamp == HostStamp(year: 2022, month: 6, day: 13, hour: 0, minute: 8, second: 21))
        #expect(p.kernelSeconds == 0.526810)
        #expect(message(line) == "Oops: 0000 [#1] PREEMPT SMP NOPTI")
        #expect(HostStamp(year: 1970, month: 1, day: 2, hour: 0, minute: 0, second: 1).secondsSinceEpoch == 86401)
    }

    @Test func noTimestamps() {
        let p = LinePrefix.parse("Run /init as init process")
        #expect(p.kernelSeconds == nil)
        #expect(!p.isKernelLine)
        #expect(p.messageStart == 0)
        // Brackets that are not a printk time are part of the message.
        #expect(message("[  OK  ] Reached target") == "[  OK  ] Reached target")
        #expect(message("[12] x") == "[12] x")
    }
}
