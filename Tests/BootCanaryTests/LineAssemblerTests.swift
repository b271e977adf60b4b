import Testing
@testable import CanaryConsole

@Suite struct LineAssemblerTests {
    func t(_ s: Double) -> ConsoleTime { ConsoleTime(seconds: s) }
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func splitsOnLFCRLFAndBareCR() {
        var a = LineAssembler()
        let lines = a.append(bytes("one\ntwo\r\nthree\rfour\r\n"), at: t(1))
        #expect(lines.map(\.terminator) == [.lf, .crlf, .cr, .crlf])
        #expect(lines.map { String(decoding: $0.bytes, as: UTF8.self) } == ["one", "two", "three", "four"])
        #expect(lines.map(\.number) == [1, 2, 3, 4])
    }

    @Test func crlfSplitAcrossChunksIsOneLineEnd() {
        var a = LineAssembler()
        #expect(a.append(bytes("Linux version 6.1\r"), at: t(1)).isEmpty)
        let lines = a.append(bytes("\nnext"), at: t(2))
        #expect(lines.count == 1)
        #expect(lines[0].terminator == .crlf)
        #expect(lines[0].time == t(1))
        #expect(a.flush().map(\.terminator) == [.none])
    }

    @Test func crAtChunkEndFollowedByTextIsBareCR() {
        var a = LineAssembler()
        #expect(a.append(bytes("spinner 1/3\r"), at: t(1)).isEmpty)
        let lines = a.append(bytes("spinner 2/3\r"), at: t(2))
        #expect(lines.map(\.terminator) == [.cr])
        #expect(a.flush().map(\.terminator) == [.cr])
    }

    @Test func lineTimeIsTheArrivalOfItsFirstByte() {
        var a = LineAssembler()
        _ = a.append(bytes("[    0.1] Li"), at: t(1))
        _ = a.append(bytes("nux ver"), at: t(2))
        let lines = a.append(bytes("sion\r\nx\n"), at: t(3))
        #expect(lines.map(\.time) == [t(1), t(3)])
    }

    @Test func escapeSequenceSplitAcrossChunksIsStrippedForMatchingButKept() {
        var a = LineAssembler()
        _ = a.append(bytes("[  \u{1B}[0;3"), at: t(1))
        let lines = a.append(bytes("2mOK\u{1B}[0m  ] Reached target\r\n"), at: t(2))
        #expect(lines[0].bytes == bytes("[  \u{1B}[0;32mOK\u{1B}[0m  ] Reached target"))
        #expect(lines[0].text == "[  OK  ] Reached target")
    }

    @Test func oscAndOtherEscapesAreStripped() {
        #expect(ConsoleText.displayString(bytes("\u{1B}]0;title\u{07}login:")) == "login:")
        #expect(ConsoleText.displayString(bytes("\u{1B}]2;t\u{1B}\\x\u{1B}(By\u{1B}7z")) == "xyz")
        #expect(ConsoleText.displayString(bytes("a\u{1B}[?25lb\u{1B}[2J\u{1B}[Hc")) == "abc")
    }

    @Test func nulAndInvalidUTF8Survive() {
        var a = LineAssembler()
        let raw: [UInt8] = [0x41, 0x00, 0xFF, 0xC3, 0x28, 0x42, 0x0D, 0x0A]
        let lines = a.append(raw, at: nil)
        #expect(lines.count == 1)
        #expect(lines[0].rawBytes == raw)
        #expect(lines[0].text == "A\u{FFFD}\u{FFFD}(B")
    }

    @Test func endlessLineIsCutIntoBoundedPieces() {
        var a = LineAssembler(maxLineBytes: 1000)
        var pieces: [ConsoleLine] = []
        for _ in 0..<25 { pieces += a.append([UInt8](repeating: 0x41, count: 333), at: nil) }
        pieces += a.flush()
        #expect(pieces.allSatisfy { $0.bytes.count <= 1000 })
        #expect(pieces.dropLast().allSatisfy { $0.terminator == .cut && $0.bytes.count == 1000 })
        #expect(pieces.reduce(0) { $0 + $1.bytes.count } == 25 * 333)
    }

    @Test func pendingLineIsThePromptWaitingForInput() {
        var a = LineAssembler()
        _ = a.append(bytes("Debian GNU/Linux 12 canary ttyS0\r\n\r\ncanary login: "), at: t(3))
        let pending = a.pendingLine
        #expect(pending?.text == "canary login: ")
        #expect(pending?.number == 3)
        #expect(pending?.terminator == LineTerminator.none)
    }

    /// Any bytes, in any chunking, come back exactly from the lines.
    @Test(arguments: 0..<40)
    func randomStreamsAreReproducedExactly(seed: Int) {
        var rng = SeededGenerator(seed: UInt64(seed))
        let alphabet: [UInt8] = [0x0A, 0x0D, 0x0D, 0x1B, 0x00, 0xFF, 0x41, 0x42, 0x5B, 0x20]
        let stream = (0..<Int.random(in: 0...3000, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
        var a = LineAssembler(maxLineBytes: Int.random(in: 1...64, using: &rng))
        var rebuilt: [UInt8] = []
        var numbers: [Int] = []
        for chunk in stream.randomChunks(maxChunk: 50, using: &rng) {
            for line in a.append(chunk, at: nil) { rebuilt += line.rawBytes; numbers.append(line.number) }
        }
        for line in a.flush() { rebuilt += line.rawBytes; numbers.append(line.number) }
        #expect(rebuilt == stream)
        #expect(numbers == Array(1...max(1, numbers.count)).prefix(numbers.count).map { $0 })
        #expect(a.byteCount == stream.count)
    }
}
