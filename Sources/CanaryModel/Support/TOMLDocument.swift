/// The part of TOML a canary profile uses — `[table]` headers, `key = value` with strings
/// (basic and literal), integers, floats, booleans and arrays of those, `#` comments — read
/// with the line of every key kept, so a wrong key or type is reported as `FILE:LINE`.
/// Kept by hand on purpose (issue 11): TOMLKit, the TOML library at hand, does not give line
/// numbers for values, and the profile's error messages need them ("canary.toml:12: ...").
public struct TOMLDocument: Sendable {
    public enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case float(Double)
        case boolean(Bool)
        case array([Value])
        /// An integer written in the file that does not fit in 64 bits (`99999999999999999999`),
        /// kept as its text so the profile can say which key and what range instead of the
        /// parser trapping or guessing.
        case outOfRangeInteger(String)

        public var typeName: String {
            switch self {
            case .string: "a string"
            case .integer: "an integer"
            case .float: "a number"
            case .boolean: "a boolean"
            case .array: "an array"
            case .outOfRangeInteger: "an integer"
            }
        }
    }

    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: Value
        public var line: Int
    }

    public struct Table: Sendable, Equatable {
        public var name: String
        public var line: Int
        public var entries: [Entry]
    }

    /// The top-level keys live in a table named "".
    public var tables: [Table]

    public struct SyntaxError: Error, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public init(parsing text: String) throws {
        var tables = [Table(name: "", line: 0, entries: [])]
        var seenTables: Set<String> = [""]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let n = index + 1
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = Self.stripComment(line).trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]"), !trimmed.hasPrefix("[[") else {
                    throw SyntaxError(line: n, message: "a table header is [name] (arrays of tables are not used in profiles)")
                }
                let name = trimmed.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) else {
                    throw SyntaxError(line: n, message: "bad table name [\(name)]")
                }
                guard seenTables.insert(name).inserted else { throw SyntaxError(line: n, message: "table [\(name)] appears twice") }
                tables.append(Table(name: name, line: n, entries: []))
                continue
            }
            guard let eq = trimmed.firstIndex(of: "=") else {
                throw SyntaxError(line: n, message: "expected key = value")
            }
            var key = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            if key.count >= 2, key.hasPrefix("\""), key.hasSuffix("\"") { key = String(key.dropFirst().dropLast()) }
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw SyntaxError(line: n, message: "bad key '\(key)'")
            }
            let valueText = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            var scanner = Scanner(Array(valueText.unicodeScalars), line: n)
            let value = try scanner.value()
            scanner.skipSpaces()
            guard scanner.atEnd else { throw SyntaxError(line: n, message: "unexpected text after the value of \(key)") }
            if tables[tables.count - 1].entries.contains(where: { $0.key == key }) {
                throw SyntaxError(line: n, message: "key \(key) appears twice")
            }
            tables[tables.count - 1].entries.append(Entry(key: key, value: value, line: n))
        }
        self.tables = tables
    }

    public func table(_ name: String) -> Table? { tables.first { $0.name == name } }

    /// A line without its comment (a `#` outside quotes).
    static func stripComment(_ line: Substring) -> Substring {
        var inBasic = false, inLiteral = false, escaped = false
        for i in line.indices {
            let c = line[i]
            if inBasic {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inBasic = false }
            } else if inLiteral {
                if c == "'" { inLiteral = false }
            } else if c == "\"" { inBasic = true } else if c == "'" { inLiteral = true } else if c == "#" { return line[..<i] }
        }
        return line
    }

    struct Scanner {
        var s: [Unicode.Scalar]
        var i = 0
        let line: Int
        init(_ s: [Unicode.Scalar], line: Int) { self.s = s; self.line = line }

        var atEnd: Bool { i >= s.count }
        mutating func skipSpaces() { while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 } }
        func error(_ m: String) -> SyntaxError { SyntaxError(line: line, message: m) }

        mutating func value() throws -> Value {
            skipSpaces()
            guard i < s.count else { throw error("a value is missing") }
            switch s[i] {
            case "\"": return .string(try basicString())
            case "'": return .string(try literalString())
            case "[": return .array(try array())
            default: return try bare()
            }
        }

        mutating func basicString() throws -> String {
            i += 1
            var out = String.UnicodeScalarView()
            while i < s.count {
                let c = s[i]
                i += 1
                if c == "\"" { return String(out) }
                if c == "\\" {
                    guard i < s.count else { break }
                    let e = s[i]
                    i += 1
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "\"": out.append("\"")
                    case "\\": out.append("\\")
                    case "r": out.append("\r")
                    case "u", "U":
                        let len = e == "u" ? 4 : 8
                        guard i + len <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[i..<i + len])), radix: 16),
                              let scalar = Unicode.Scalar(v) else { throw error("bad \\\(e) escape") }
                        out.append(scalar)
                        i += len
                    default: throw error("unknown escape \\\(e)")
                    }
                } else {
                    out.append(c)
                }
            }
            throw error("a string is not closed")
        }

        mutating func literalString() throws -> String {
            i += 1
            var out = String.UnicodeScalarView()
            while i < s.count {
                let c = s[i]
                i += 1
                if c == "'" { return String(out) }
                out.append(c)
            }
            throw error("a string is not closed")
        }

        mutating func array() throws -> [Value] {
            i += 1
            var items: [Value] = []
            while true {
                skipSpaces()
                guard i < s.count else { throw error("an array is not closed (arrays must fit on one line)") }
                if s[i] == "]" { i += 1; return items }
                items.append(try value())
                skipSpaces()
                guard i < s.count else { throw error("an array is not closed") }
                if s[i] == "," { i += 1; continue }
                if s[i] == "]" { i += 1; return items }
                throw error("expected , or ] in an array")
            }
        }

        mutating func bare() throws -> Value {
            let start = i
            while i < s.count, s[i] != ",", s[i] != "]", s[i] != " ", s[i] != "\t" { i += 1 }
            let word = String(String.UnicodeScalarView(s[start..<i])).replacingOccurrences(of: "_", with: "")
            if word == "true" { return .boolean(true) }
            if word == "false" { return .boolean(false) }
            if let v = Int(word) { return .integer(v) }
            let digits = word.hasPrefix("+") || word.hasPrefix("-") ? word.dropFirst() : Substring(word)
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                return .outOfRangeInteger(word)
            }
            // TOML's special floats. They parse so that the profile can refuse them by name
            // ("timeout must be a number from ...") rather than call them "not a value".
            if digits == "inf" { return .float(word.hasPrefix("-") ? -.infinity : .infinity) }
            if digits == "nan" { return .float(.nan) }
            if let v = Double(word), word.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .float(v) }
            throw error("'\(word)' is not a value (strings need quotes)")
        }
    }
}
