import CanaryClassify
import CanaryModel

/// The "Host evidence" section of the reports: what the host's own tools said, per run and
/// per failing boot, and every tool that failed or was missing, in the same words run.json has.
enum HostEvidenceSection {
    /// A boot with host evidence, with its label.
    struct Boot {
        var label: String
        var evidence: DomainEvidence
    }

    static func boots(_ record: RunRecord) -> [Boot] {
        record.boots.enumerated().compactMap { i, b in
            b.live.hostEvidence.map { Boot(label: b.label(position: i).description, evidence: $0) }
        }
    }

    static func failedTools(_ tools: [HostToolRun]) -> [HostToolRun] { tools.filter { !$0.answered } }

    /// "2 of 14 tools failed or were missing: xenctx vCPU0 (not installed on the host …)".
    static func toolLine(_ tools: [HostToolRun]) -> String {
        let failed = failedTools(tools)
        guard !failed.isEmpty else {
            return "all \(tools.count) tools answered" + (tools.count <= 6 ? " (\(tools.map(\.name).joined(separator: ", ")))" : "")
        }
        return "\(failed.count) of \(tools.count) tools failed or were missing: "
            + failed.map { "\($0.name) (\($0.problem ?? ""))" }.joined(separator: "; ")
    }

    static func markdown(_ record: RunRecord) -> [String] {
        let boots = boots(record)
        guard record.hostEvidence != nil || !boots.isEmpty else { return [] }
        var out = ["## Host evidence", ""]
        if let h = record.hostEvidence {
            if let why = h.unavailable {
                out += ["Not asked: \(MarkdownText.inline(why)).", ""]
            } else {
                out += ["Asked read-only through \(MarkdownText.inline(h.access ?? "?")); \(MarkdownText.inline(toolLine(h.tools))). Outputs in `evidence/`.", ""]
                for f in h.findings {
                    out.append("- **\(MarkdownText.inline(f.detail))**" + (f.line.map { ": \(MarkdownText.code($0))" } ?? ""))
                }
                if !h.findings.isEmpty { out.append("") }
                if let name = h.logName {
                    if h.newLogLines.isEmpty {
                        out += ["\(MarkdownText.inline(name)) gained no lines during the run.", ""]
                    } else {
                        out += ["New lines of \(MarkdownText.inline(name)) during the run (\(h.newLogLines.count), the last 40):", ""]
                        out += [MarkdownText.fenced(h.newLogLines.suffix(40).map { UntrustedText.visible($0, limit: 300) }), ""]
                    }
                }
            }
        }
        for b in boots {
            let e = b.evidence
            out += ["### \(MarkdownText.inline(b.label)) (\(MarkdownText.code(e.domain)))", ""]
            if let s = e.scheduling {
                out.append("- vCPU scheduling: **\(s.reading.rawValue)** — \(MarkdownText.inline(s.summary))")
            }
            for l in e.locations {
                out.append("- vCPU\(l.vcpu) at \(MarkdownText.code(l.instructionPointer))" + (l.symbol.map { " in **\(MarkdownText.inline($0))**" } ?? "")
                    + " (\(MarkdownText.inline(l.source))" + (l.note.map { "; \(MarkdownText.inline($0, limit: 300))" } ?? "") + ")")
            }
            if !e.debugKeyLines.isEmpty { out.append("- debug keys q, r: \(e.debugKeyLines.count) lines from the hypervisor (in `evidence/`)") }
            out += ["- \(MarkdownText.inline(toolLine(e.tools)))", ""]
        }
        return out
    }

    static func html(_ record: RunRecord) -> String {
        let boots = boots(record)
        guard record.hostEvidence != nil || !boots.isEmpty else { return "" }
        var o = "<section id=\"host-evidence\"><h2>Host evidence</h2>\n"
        if let h = record.hostEvidence {
            if let why = h.unavailable {
                o += "<p>Not asked: \(HTMLText.guest(why, limit: 500)).</p>\n"
            } else {
                o += "<p>Asked read-only through <code>\(HTMLText.guest(h.access ?? "?", limit: 200))</code>; \(HTMLText.guest(toolLine(h.tools), limit: 2000)). Outputs in <code>evidence/</code>.</p>\n"
                if !h.findings.isEmpty {
                    o += "<ul class=\"findings\">" + h.findings.map { f in
                        "<li class=\"fail\"><strong>\(HTMLText.escape(f.detail))</strong>" + (f.line.map { ": <code class=\"console\">\(HTMLText.guest($0, limit: 300))</code>" } ?? "") + "</li>"
                    }.joined() + "</ul>\n"
                }
                if let name = h.logName {
                    if h.newLogLines.isEmpty {
                        o += "<p>\(HTMLText.escape(name)) gained no lines during the run.</p>\n"
                    } else {
                        o += "<p>New lines of \(HTMLText.escape(name)) during the run (\(h.newLogLines.count), the last 40):</p>\n<pre class=\"console\">"
                            + h.newLogLines.suffix(40).map { HTMLText.guest($0, limit: 300) }.joined(separator: "\n") + "</pre>\n"
                    }
                }
            }
        }
        for b in boots {
            let e = b.evidence
            o += "<h3>\(HTMLText.guest(b.label, limit: 60)) <code>\(HTMLText.guest(e.domain, limit: 80))</code></h3>\n<ul>"
            if let s = e.scheduling {
                let cls = s.reading == .notScheduled ? " class=\"fail\"" : ""
                o += "<li\(cls)>vCPU scheduling: <strong>\(s.reading.rawValue)</strong> — \(HTMLText.escape(s.summary))</li>"
            }
            for l in e.locations {
                o += "<li>vCPU\(l.vcpu) at <code>\(HTMLText.guest(l.instructionPointer, limit: 20))</code>"
                    + (l.symbol.map { " in <strong><code>\(HTMLText.guest($0, limit: 120))</code></strong>" } ?? "")
                    + " <span class=\"hint\">(\(HTMLText.escape(l.source))" + (l.note.map { "; \(HTMLText.guest($0, limit: 300))" } ?? "") + ")</span></li>"
            }
            if !e.debugKeyLines.isEmpty { o += "<li>debug keys q, r: \(e.debugKeyLines.count) lines from the hypervisor (in <code>evidence/</code>)</li>" }
            let failed = failedTools(e.tools)
            o += "<li>\(e.tools.count - failed.count) of \(e.tools.count) tools answered"
            if !failed.isEmpty {
                o += "; failed or missing:<ul>" + failed.map { "<li><code>\(HTMLText.guest($0.name, limit: 100))</code>: \(HTMLText.guest($0.problem ?? "", limit: 300))</li>" }.joined() + "</ul>"
            }
            o += "</li></ul>\n"
        }
        return o + "</section>\n"
    }
}
