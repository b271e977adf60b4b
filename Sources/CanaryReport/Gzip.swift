import CZlib

/// gzip (RFC 1952), streaming, through zlib's deflate: the run bundle is a `.tar.gz`, and
/// Foundation on Linux offers no compression. zlib replaced a hand-written fixed-Huffman
/// DEFLATE here, which made the lab's corrupt-image bundle (401 KiB of tar) 114 KiB where
/// `gzip -6` makes 94 KiB; zlib at level 9 makes 92 KiB (93,912 bytes; `gzip -6` 96,662).
///
/// Output is a function of the input only: zlib writes MTIME 0 and no file name when it is
/// given no gzip header (as `gzip -n`), and deflate's output does not depend on how the input
/// was split into `write` calls, so a bundle of the same run is the same bytes.
struct GzipWriter {
    struct Failure: Error, CustomStringConvertible {
        var code: Int32
        var message: String
        var description: String { "zlib deflate failed (\(code)): \(message)" }
    }

    /// zlib's best compression: bundles are small and written once, read by people.
    static let level: Int32 = 9

    private let stream: DeflateStream
    /// Where compressed bytes go, in pieces.
    let sink: ([UInt8]) throws -> Void

    init(sink: @escaping ([UInt8]) throws -> Void) {
        self.sink = sink
        stream = DeflateStream(level: Self.level)
    }

    mutating func write(_ bytes: [UInt8]) throws {
        try stream.deflate(bytes, finish: false, sink: sink)
    }

    mutating func finish() throws {
        try stream.deflate([], finish: true, sink: sink)
    }

    /// A whole buffer, compressed (for tests and small payloads).
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var w = GzipWriter { out += $0 }
        try? w.write(bytes)
        try? w.finish()
        return out
    }
}

/// One zlib deflate stream in gzip format. A class, because zlib keeps a pointer back to its
/// `z_stream` (deflateStateCheck refuses a stream that moved): the struct lives on the heap,
/// and is ended exactly once, in `deinit`.
private final class DeflateStream {
    private let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    /// Set by `deflateInit2`; a stream that failed to start reports it on the first write.
    private var initError: Int32 = Z_OK
    private var finished = false
    private static let chunk = 64 * 1024

    init(level: Int32) {
        z.initialize(to: z_stream())  // zalloc, zfree, opaque nil: zlib's own malloc and free.
        initError = CZlib_deflate_init_gzip(z, level)
    }

    deinit {
        if initError == Z_OK { deflateEnd(z) }
        z.deinitialize(count: 1)
        z.deallocate()
    }

    /// Feeds `bytes` and hands every full output buffer to `sink`; with `finish`, also the
    /// rest of the stream and the gzip trailer (CRC-32 and length).
    func deflate(_ bytes: [UInt8], finish: Bool, sink: ([UInt8]) throws -> Void) throws {
        guard initError == Z_OK else { throw GzipWriter.Failure(code: initError, message: "deflateInit2") }
        guard !finished else {
            if bytes.isEmpty && finish { return }
            throw GzipWriter.Failure(code: Z_STREAM_ERROR, message: "write after finish")
        }
        var output = [UInt8](repeating: 0, count: Self.chunk)
        try bytes.withUnsafeBufferPointer { input in
            // avail_in is 32 bits: feed larger buffers in slices.
            var offset = 0
            repeat {
                let count = min(input.count - offset, Int(UInt32.max))
                let last = offset + count == input.count
                z.pointee.next_in = count == 0 ? nil : UnsafeMutablePointer(mutating: input.baseAddress! + offset)
                z.pointee.avail_in = UInt32(count)
                let flush = finish && last ? Z_FINISH : Z_NO_FLUSH
                var rc: Int32
                repeat {
                    rc = output.withUnsafeMutableBufferPointer { out in
                        z.pointee.next_out = out.baseAddress
                        z.pointee.avail_out = UInt32(out.count)
                        return CZlib.deflate(z, flush)
                    }
                    guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                        throw GzipWriter.Failure(code: rc, message: z.pointee.msg.map { String(cString: $0) } ?? "")
                    }
                    let produced = Self.chunk - Int(z.pointee.avail_out)
                    if produced > 0 { try sink(Array(output[..<produced])) }
                    // Z_NO_FLUSH: done when zlib took all input and had room to spare;
                    // Z_FINISH: done at Z_STREAM_END.
                } while flush == Z_FINISH ? rc != Z_STREAM_END : z.pointee.avail_out == 0
                offset += count
            } while offset < input.count
        }
        if finish { finished = true }
    }
}
