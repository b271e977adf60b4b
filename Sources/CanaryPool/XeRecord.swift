import CanaryModel
import Foundation

/// One record of `xe <class>-list params=...` (or `xe <class>-param-list uuid=...`): its fields in
/// the order xe printed them.
///
/// The layout is xapi's own (xapi-project/xen-api, ocaml/xapi-cli-server):
/// - `cli_printer.ml` (`multi_line_record`) prints a record as one `NAME: VALUE` line per field,
///   the first name padded on the right and every other name on the left to one width, and ends
///   each record with an empty line:
///
///       uuid ( RO)                 : 760a1e5e-c439-42f9-bf5a-480e2bb2b959
///                  name-label ( RW): localhost.localdomain
///                     enabled ( RO): true
///
/// - `cli_operations.ml` (`print_field`) appends the field's kind to its name: ` ( RO)` or
///   ` ( RW)` for a single value, `(SRO)`/`(SRW)` for a set, `(MRO)`/`(MRW)` for a map, then
///   ` [DEPRECATED]` for a deprecated field (`ha-always-run ( RW) [DEPRECATED]: false`).
/// - `records.ml` joins a set's items with `"; "` and a map's pairs as `key: value` with `"; "`
///   (`concat_with_semi`, `get_from_map`), and escapes neither: a value holding `"; "` cannot be
///   told from two items. The keys this tool reads (`timeout`, `default_ha_timeout`, `vm_uuid`,
///   `nova_uuid`) are xapi's and the orchestrators' own and hold no `"; "`.
///
/// A field whose value xe computes only on request prints `<expensive field>`, a reference to a
/// deleted object `<not in database>`; both are kept as they are.
public struct XeRecord: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var name: String
        /// ` RO`, ` RW`, `SRO`, `SRW`, `MRO` or `MRW`, as printed.
        public var kind: String
        public var value: String
        public var deprecated: Bool
    }

    public var fields: [Field]
    /// The line (1-based) of the record's first field, for messages.
    public var line: Int

    public init(fields: [Field], line: Int) {
        self.fields = fields
        self.line = line
    }

    public subscript(_ name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    /// A map field's pairs (`platform (MRW): acpi: true; apic: true`), or nil when the record has
    /// no such field. A pair without `": "` is kept with an empty value.
    public func map(_ name: String) -> [String: String]? {
        guard let value = self[name] else { return nil }
        var pairs: [String: String] = [:]
        for item in XeRecord.items(value) {
            if let colon = item.range(of: ": ") {
                pairs[String(item[..<colon.lowerBound])] = String(item[colon.upperBound...])
            } else {
                pairs[item.hasSuffix(":") ? String(item.dropLast()) : item] = ""
            }
        }
        return pairs
    }

    /// A set field's items (`allowed-operations (SRO): VM.migrate; evacuate`).
    public func set(_ name: String) -> [String]? {
        self[name].map(XeRecord.items)
    }

    static func items(_ value: String) -> [String] {
        // A trailing "; " (XenServer 6.5's capabilities end in one) is trimmed with the value's
        // trailing space, leaving a last item ending in ";".
        value.components(separatedBy: "; ").map { item in
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            return trimmed.hasSuffix(";") ? String(trimmed.dropLast()) : trimmed
        }.filter { !$0.isEmpty }
    }
}

/// Why a saved or captured `xe` output could not be read, in words that say what to do.
public enum XeOutputError: Error, Equatable, CustomStringConvertible, Sendable {
    case missing(source: String, command: String)
    case unreadable(source: String, why: String)
    case empty(source: String, command: String)
    case notText(source: String, command: String)
    case minimal(source: String, command: String)
    case notXeOutput(source: String, line: Int, text: String, command: String)
    case missingField(source: String, line: Int, field: String, command: String)
    case badValue(source: String, line: Int, field: String, value: String, expected: String)
    case recordCount(source: String, found: Int, command: String)
    case noRecords(source: String, command: String)

    public var description: String {
        switch self {
        case .missing(let source, let command):
            "\(source) does not exist: save the output of `\(command)` there (docs/pool-check.md)"
        case .unreadable(let source, let why):
            "\(source) could not be read: \(why)"
        case .empty(let source, let command):
            "\(source) is empty: expected the output of `\(command)`"
        case .notText(let source, let command):
            "\(source) is not text (NUL bytes or invalid UTF-8): expected the output of `\(command)`"
        case .minimal(let source, let command):
            "\(source) holds `--minimal` output (bare comma-separated values, no field names): save `\(command)` without --minimal"
        case .notXeOutput(let source, let line, let text, let command):
            "\(source) line \(line) is not an xe field line (`name ( RO): value`): \(quoted(text)); expected the output of `\(command)`, unchanged"
        case .missingField(let source, let line, let field, let command):
            "\(source): the record at line \(line) has no `\(field)` field; save the output of `\(command)` (all its params)"
        case .badValue(let source, let line, let field, let value, let expected):
            "\(source): the record at line \(line) has `\(field)` = \(quoted(value)), expected \(expected)"
        case .recordCount(let source, let found, let command):
            "\(source) holds \(found) pool records: pool-check reads one pool at a time (the output of `\(command)` on that pool's master)"
        case .noRecords(let source, let command):
            "\(source) holds no records: expected the output of `\(command)`"
        }
    }

    private func quoted(_ text: String) -> String {
        "'" + UntrustedText.visible(text, limit: 80) + "'"
    }
}

/// Parses xe's record listing (see `XeRecord`).
public enum XeRecordParser {
    /// The records of `text`, which came from `source` (a file path or `xe CMD on HOST`) and was
    /// made by `command` (named in messages). Refuses what is not xe's record layout; accepts
    /// CRLF line ends, tabs instead of padding (pasted from a web page) and a value continued
    /// on following lines (xe escapes no newline inside a value, such as a name-description).
    public static func parse(_ text: String, source: String, command: String) throws(XeOutputError) -> [XeRecord] {
        if text.contains("\u{0}") || text.contains("\u{FFFD}") { throw .notText(source: source, command: command) }
        // "\r\n" is one Character in Swift: split on it as well as on "\n".
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        let content = lines.filter { !$0.allSatisfy(\.isWhitespace) }
        if content.isEmpty { throw .empty(source: source, command: command) }
        if content.count == 1, looksMinimal(content[0]) { throw .minimal(source: source, command: command) }

        var records: [XeRecord] = []
        var current: XeRecord?
        for (index, raw) in lines.enumerated() {
            if raw.allSatisfy(\.isWhitespace) {
                if let done = current { records.append(done) }
                current = nil
                continue
            }
            if let field = field(raw) {
                if current == nil { current = XeRecord(fields: [], line: index + 1) }
                current?.fields.append(field)
            } else if var open = current, !open.fields.isEmpty {
                // A value that went on past a newline.
                open.fields[open.fields.count - 1].value += "\n" + raw.trimmingCharacters(in: .whitespaces)
                current = open
            } else {
                throw .notXeOutput(source: source, line: index + 1, text: String(raw), command: command)
            }
        }
        if let done = current { records.append(done) }
        return records
    }

    private static let kinds: Set<String> = [" RO", " RW", "SRO", "SRW", "MRO", "MRW"]

    /// `   name ( RO) [DEPRECATED]   : value` -> the field, or nil.
    static func field(_ raw: Substring) -> XeRecord.Field? {
        let line = raw.drop { $0 == " " || $0 == "\t" }
        guard let open = line.range(of: " (") else { return nil }
        let name = line[..<open.lowerBound]
        guard !name.isEmpty, !name.contains(where: { $0.isWhitespace || $0 == "(" || $0 == ")" }) else { return nil }
        let afterOpen = line[open.upperBound...]
        guard afterOpen.count >= 4 else { return nil }
        let kind = String(afterOpen.prefix(3))
        guard kinds.contains(kind), afterOpen.dropFirst(3).first == ")" else { return nil }
        var rest = afterOpen.dropFirst(4)
        var deprecated = false
        if rest.hasPrefix(" [DEPRECATED]") {
            deprecated = true
            rest = rest.dropFirst(" [DEPRECATED]".count)
        }
        rest = rest.drop { $0 == " " || $0 == "\t" }
        guard rest.first == ":" else { return nil }
        rest = rest.dropFirst()
        if rest.first == " " || rest.first == "\t" { rest = rest.dropFirst() }
        let value = String(rest).trimmingCharacters(in: .whitespaces)
        return XeRecord.Field(name: String(name), kind: kind, value: value, deprecated: deprecated)
    }

    /// `xe host-list --minimal`: one line of UUIDs (or other bare values) joined by commas,
    /// commas inside a value escaped as `\,` (cli_printer.ml, escape_commas).
    static func looksMinimal(_ line: Substring) -> Bool {
        !line.contains(" (") && field(line) == nil
            && (line.contains(",") || line.range(of: #"^[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}\s*$"#, options: .regularExpression) != nil)
    }
}
