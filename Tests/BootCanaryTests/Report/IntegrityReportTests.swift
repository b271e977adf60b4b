import Foundation
import Testing
@testable import CanaryDiagnose
@testable import CanaryReport

/// The reports' "Image integrity" section: each offline check, passed / failed with its
/// proof / could not check; guest-named text in a proof stays inert.
@Suite struct IntegrityReportTests {
    static let integrity = ImageIntegrity(image: "/var/cache/bootcanary-lab/faults/kernel-flipped.img", format: "raw", checks: [
        .init(check: .filesystem, status: .passed, summary: "e2fsck -n -f: no errors"),
        .init(check: .packageChecksums, status: .failed, summary: "1 file in /boot differs",
              proof: ["/boot/vmlinuz-<script>x</script> (14190528 bytes): md5 aaaa in the image, c3613d8e recorded"]),
        .init(check: .bootloaderConfig, status: .couldNotCheck, summary: "no /boot/grub/grub.cfg in the filesystem"),
    ], outputs: "integrity")

    static func report(_ integrity: ImageIntegrity?) throws -> RunReport {
        var record = try ReportFixtures.record("lab-corrupt-image")
        record.integrity = integrity
        return RunReport.load(record, recordFolder: ReportFixtures.folder("lab-corrupt-image"))
    }

    @Test func markdownListsEachCheckWithItsResult() throws {
        let md = MarkdownReport.render(try Self.report(Self.integrity))
        #expect(md.contains("| `package_checksums` | FAILED | 1 file in /boot differs |"))
    }

    @Test func markdownQuotesTheProofInAFence() throws {
        let md = MarkdownReport.render(try Self.report(Self.integrity))
        #expect(md.contains("/boot/vmlinuz-<script>x</script> (14190528 bytes): md5 aaaa in the image, c3613d8e recorded\n```"))
    }

    @Test func htmlEscapesTheProof() throws {
        let html = HTMLReport.render(try Self.report(Self.integrity))
        #expect(html.contains("/boot/vmlinuz-&lt;script&gt;x&lt;/script&gt; (14190528 bytes)") && !html.contains("<script>x"))
    }

    @Test func htmlSaysWhyAnImageWasNotChecked() throws {
        let skipped = ImageIntegrity(image: "/dev/vg0/web1", format: "raw", skipped: "/dev/vg0/web1 is a block device; only image files are checked offline")
        #expect(HTMLReport.render(try Self.report(skipped)).contains("<p>Not checked offline: /dev/vg0/web1 is a block device; only image files are checked offline"))
    }

    @Test func aRunWithoutChecksHasNoSection() throws {
        #expect(!MarkdownReport.render(try Self.report(nil)).contains("## Image integrity"))
    }
}
