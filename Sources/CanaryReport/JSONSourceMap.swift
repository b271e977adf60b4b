import Foundation

/// Line and column numbers for a JSON file a person may have edited by hand. Foundation's
/// parser on Linux reports a syntax error as "around character 25" and a decoding error as a
/// coding path with no position; a person fixing `run.json` in an editor wants
/// "line 3, column 15" and "the field on line 57".
///
/// A strict RFC 8259 scanner: it checks the syntax (reporting the first error where it is)
/// and, while walking, notes the line where the value at one coding path starts.
public enum JSONSourceMap {
    public struct SyntaxError: Error, Equatable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public var message: String
        public var description: String { "line \(line), column \(column): \(message)" }
    }

    /// The first syntax error in `data`, or nil when it is valid JSON.
    public static func syntaxError(in data: Data) -> SyntaxError? {
        var scanner = Scanner(Array(data), target: nil)
        do { try scanner.document() } catch let e as SyntaxError { return e } catch { return nil }
        return nil
    }

    /// The line where the value at `path` starts (for a missing key: where its object starts).
    public static func line(of path: [any CodingKey], in data: Data) -> Int? {
        var target: [Component] = path.map { $0.intValue.map(Component.index) ?? .key($0.stringValue) }
        var scanner = Scanner(Array(data), target: target)
        try? scanner.document()
        // A missing key: fall back to the deepest enclosing value that was found.
        while scanner.found == nil, !target.isEmpty {
            target.removeLast()
            scanner = Scanner(Array(data), target: target)
            try? scanner.document()
        }
        return scanner.found
    }

    enum Component: Equatable {
        case key(String)
        case index(Int)
    }

    struct Scanner {
        let bytes: [UInt8]
        let target: [Component]?
        var i = 0
        var line = 1
        var lineStart = 0
        var path: [Component] = []
        var found: Int?
        static let maxDepth = 512

        init(_ bytes: [UInt8], target: [Component]?) {
            self.bytes = bytes
            self.target = target
        }

        mutating func document() throws {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
            skipSpace()
            try value()
            skipSpace()
            if i < bytes.count { throw error("unexpected text after the end of the JSON value") }
        }

        func error(_ message: String) -> SyntaxError {
            // Columns count characters, not bytes: UTF-8 continuation bytes are not counted.
            let column = bytes[lineStart..<min(i, bytes.count)].filter { $0 & 0xC0 != 0x80 }.count + 1
            return SyntaxError(line: line, column: column, message: message)
        }

        mutating func skipSpace() {
            while i < bytes.count {
                switch bytes[i] {
                case 0x20, 0x09, 0x0D: i += 1
                case 0x0A: i += 1; line += 1; lineStart = i
                default: return
                }
            }
        }

        mutating func value() throws {
            if found == nil, let target, path == target { found = line }
            guard i < bytes.count else { throw error("the file ends where a value was expected") }
            if path.count > Self.maxDepth { throw error("nested more than \(Self.maxDepth) levels deep") }
            switch bytes[i] {
            case UInt8(ascii: "{"): try object()
            case UInt8(ascii: "["): try array()
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: throw error("expected a value (object, array, string, number, true, false or null), found \(shown(bytes[i]))")
            }
        }

        mutating func object() throws {
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                    throw error(i < bytes.count ? "expected a quoted key, found \(shown(bytes[i]))" : "the file ends inside an object")
                }
                let key = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':' after the key \"\(key)\"") }
                i += 1
                skipSpace()
                path.append(.key(key))
                try value()
                path.removeLast()
                skipSpace()
                guard i < bytes.count else { throw error("the file ends inside an object (missing '}')") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return }
                throw error("expected ',' or '}' after a value in an object, found \(shown(bytes[i]))")
            }
        }

        mutating func array() throws {
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return }
            var index = 0
            while true {
                skipSpace()
                path.append(.index(index))
                try value()
                path.removeLast()
                index += 1
                skipSpace()
                guard i < bytes.count else { throw error("the file ends inside an array (missing ']')") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return }
                throw error("expected ',' or ']' after a value in an array, found \(shown(bytes[i]))")
            }
        }

        /// A string; returns its value (for keys).
        mutating func string() throws -> String {
            i += 1
            var out: [UInt8] = []
            while i < bytes.count {
                let b = bytes[i]
                switch b {
                case UInt8(ascii: "\""):
                    i += 1
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard i + 1 < bytes.count else { throw error("the file ends inside a string") }
                    let e = bytes[i + 1]
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard i + 6 <= bytes.count, let v = UInt32(String(decoding: bytes[(i + 2)..<(i + 6)], as: UTF8.self), radix: 16) else {
                            throw error("\\u must be followed by four hex digits")
                        }
                        out += Array(String(Unicode.Scalar(v).map(Character.init) ?? "\u{FFFD}").utf8)
                        i += 4
                    default: throw error("unknown escape \\\(shown(e)) in a string")
                    }
                    i += 2
                case 0x0A: throw error("a string runs past the end of the line (missing closing quote?)")
                case 0x00..<0x20: throw error("a control character inside a string must be escaped")
                default:
                    out.append(b)
                    i += 1
                }
            }
            throw error("the file ends inside a string")
        }

        mutating func number() throws {
            func digits() -> Int {
                let s = i
                while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
                return i - s
            }
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") else { throw error("a number needs digits") }
            if bytes[i] == UInt8(ascii: "0") {
                i += 1
                if i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { throw error("a number cannot start with 0") }
            } else { _ = digits() }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                if digits() == 0 { throw error("a number needs digits after '.'") }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                if digits() == 0 { throw error("a number needs digits in its exponent") }
            }
        }

        mutating func literal(_ word: String) throws {
            let w = Array(word.utf8)
            guard bytes.count - i >= w.count, Array(bytes[i..<(i + w.count)]) == w else {
                throw error("expected \(word)")
            }
            i += w.count
        }

        func shown(_ b: UInt8) -> String {
            (0x21...0x7E).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : String(format: "byte 0x%02X", b)
        }
    }
}
