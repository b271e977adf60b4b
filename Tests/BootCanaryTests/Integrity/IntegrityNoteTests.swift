import Foundation
import Testing
@testable import CanaryDiagnose
import CanaryModel

/// What the checks add to a verdict's sentence, and that they change nothing else.
@Suite struct IntegrityNoteTests {
    static func diagnosis(_ verdict: Verdict) -> Diagnosis {
        Diagnosis(verdict: verdict, confidence: 0.9, action: .restoreImage, summary: "The image is corrupt.", evidence: [],
                  blastRadius: [], next: [], rule: "r", reasoning: [], settled: true)
    }

    static let flipped = ImageIntegrity(image: "k.img", format: "raw", checks: [
        .init(check: .filesystem, status: .passed, summary: "clean"),
        .init(check: .packageChecksums, status: .failed, summary: "1 file differs",
              proof: ["/boot/vmlinuz-6.1.0-57-cloud-amd64 (8123456 bytes): md5 aaa in the image, c3613d8e recorded"]),
    ])

    @Test func imageFaultQuotesTheProof() {
        let d = IntegrityNote.annotate(Self.diagnosis(.imageFault), with: Self.flipped)
        #expect(d.summary.contains("package_checksums proves it: /boot/vmlinuz-6.1.0-57-cloud-amd64 (8123456 bytes)"))
    }

    @Test func theVerdictActionAndConfidenceAreUnchanged() {
        let before = Self.diagnosis(.hostFault)
        let after = IntegrityNote.annotate(before, with: Self.flipped)
        #expect((after.verdict, after.action, after.confidence) == (before.verdict, before.action, before.confidence))
    }

    @Test func healthyNotesWhatCouldNotRun() {
        let i = ImageIntegrity(image: "g.img", format: "raw", checks: [
            .init(check: .filesystem, status: .passed, summary: "clean"),
            .init(check: .packageChecksums, status: .couldNotCheck, summary: "no package database"),
        ])
        #expect(IntegrityNote.annotate(Self.diagnosis(.healthy), with: i).summary.hasSuffix("The image checked out offline as far as checked (1 passed; could not check package_checksums)."))
    }
}
