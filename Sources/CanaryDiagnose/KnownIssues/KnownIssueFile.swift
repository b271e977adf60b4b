import CanaryModel
import Foundation

/// The operator's own known issues: a TOML file (`/etc/bootcanary/known-issues.toml`, or
/// `--known-issues FILE`), one `[NAME]` table per issue, read with `TOMLDocument` so every
/// complaint is `FILE:LINE: key: why` (docs/known-issues.md). Its rows follow the shipped ones.
public enum KnownIssueFile {
    public static let defaultPath = "/etc/bootcanary/known-issues.toml"

    public struct Problem: Error, Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int?
        public var message: String
        public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(message)" }
    }

    /// The keys of a row: TOML's spelling of `KnownIssue.Match` and the row's words.
    static let keys = ["title", "console", "failure", "text", "hypervisor", "version_below", "explanation", "reference"]
    static let patterns: Set<String> = ["title", "console", "failure", "text"]

    /// The rows in `text`, `file` naming it in complaints. Names must be new: a row cannot
    /// quietly replace a shipped one (`shipped` is what they are checked against).
    public static func parse(_ text: String, file: String, shipped: [KnownIssue] = KnownIssueTable.shipped) throws -> [KnownIssue] {
        let doc: TOMLDocument
        do { doc = try TOMLDocument(parsing: text) } catch let e as TOMLDocument.SyntaxError {
            throw Problem(file: file, line: e.line, message: e.message)
        }
        if let stray = doc.table("")?.entries.first {
            throw Problem(file: file, line: stray.line, message: "\(stray.key): every key belongs to an issue's table, [NAME], above it")
        }
        var names = Set(shipped.map(\.name))
        var rows: [KnownIssue] = []
        for table in doc.tables where !table.name.isEmpty {
            guard names.insert(table.name).inserted else {
                throw Problem(file: file, line: table.line, message: "[\(table.name)]: a known issue of that name exists already")
            }
            var values: [String: String] = [:]
            for e in table.entries {
                guard keys.contains(e.key) else {
                    throw Problem(file: file, line: e.line, message: "\(e.key): unknown key (known: \(keys.joined(separator: ", ")))")
                }
                guard case .string(let s) = e.value else {
                    throw Problem(file: file, line: e.line, message: "\(e.key): must be a string, not \(e.value.typeName)")
                }
                if patterns.contains(e.key), (try? NSRegularExpression(pattern: s)) == nil {
                    throw Problem(file: file, line: e.line, message: "\(e.key): not a valid regular expression")
                }
                if e.key == "version_below", KnownIssueMatcher.version(s, isBelow: "0") == nil {
                    throw Problem(file: file, line: e.line, message: "version_below: not a version (like 4.14)")
                }
                values[e.key] = s
            }
            let match = KnownIssue.Match(title: values["title"], console: values["console"], failure: values["failure"], text: values["text"],
                                         hypervisor: values["hypervisor"], versionBelow: values["version_below"])
            guard match.seesABoot else {
                throw Problem(file: file, line: table.line, message: "[\(table.name)]: needs one of title, console, failure or text (what a boot shows)")
            }
            for required in ["explanation", "reference"] where values[required]?.isEmpty ?? true {
                throw Problem(file: file, line: table.line, message: "[\(table.name)]: \(required) is missing")
            }
            rows.append(KnownIssue(name: table.name, match: match, explanation: values["explanation"]!, reference: values["reference"]!))
        }
        return rows
    }

    /// The shipped rows and the file's. `path` nil: the default file when there is one; a
    /// file named by the user must exist.
    public static func load(_ path: String?) throws -> [KnownIssue] {
        let file = path ?? defaultPath
        guard path != nil || FileManager.default.fileExists(atPath: file) else { return KnownIssueTable.shipped }
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw Problem(file: file, line: nil, message: "cannot read the known issues: \(error.localizedDescription)")
        }
        return KnownIssueTable.shipped + (try parse(text, file: file))
    }
}
