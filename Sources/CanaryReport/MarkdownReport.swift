import CanaryClassify
import CanaryDiagnose
import CanaryHostFacts
import CanaryModel
import Foundation

/// `report.md`: what an incident ticket needs, in the order a reader needs it. Verdict, action
/// and summary first (above the fold), then the blast radius, one table row per boot, the
/// evidence lines with their times, each failed boot's last console lines, host facts, and
/// what was run.
///
/// Plain GFM only (pipe tables, fenced blocks, bullet lists): it renders in GitHub, GitLab,
/// Jira's Markdown paste and Redmine, and stays readable as raw text. Guest text goes through
/// `MarkdownText.inline` (one line, inert, cannot end a cell) or into a fenced block whose
/// fence no guest line can close.
public enum MarkdownReport {
    /// Longest console text in a table cell; the HTML report and the transcript have the rest.
    static let cellLimit = 120
    /// Console lines per failed boot in the excerpt.
    static let excerptLines = 10

    public static func render(_ report: RunReport) -> String {
        let r = report.record
        let d = r.diagnosis
        var out: [String] = []
        func para(_ s: String) { out.append(s); out.append("") }

        para("# bootcanary: \(ReportWords.verdict(d.verdict)) on \(MarkdownText.inline(r.host.hostname))")
        out.append("- **Verdict:** \(MarkdownText.code(d.verdict.rawValue)), \(ReportWords.verdict(d.verdict).lowercased()) (confidence \(String(format: "%.2f", d.confidence)), \(ReportWords.severity(d)))")
        out.append("- **Action:** \(MarkdownText.code(d.action.rawValue)), \(ReportWords.action(d.action).lowercased())")
        out.append("- **Summary:** \(MarkdownText.inline(d.summary))")
        for (i, n) in d.next.enumerated() {
            out.append("- \(i == 0 ? "**To be surer:** " : "  also: ")\(MarkdownText.inline(n))")
        }
        out.append("- **Host:** \(MarkdownText.inline(r.host.hostname)) (\(MarkdownText.inline(r.host.uri)), \(MarkdownText.inline(r.host.hypervisor)) \(MarkdownText.inline(r.host.hypervisorVersion)))")
        out.append("- **Run:** \(MarkdownText.inline(r.runID)), \(MarkdownText.inline(r.mode)), \(ReportWords.date(r.started)) to \(ReportWords.date(r.ended)), \(r.boots.count) boot\(r.boots.count == 1 ? "" : "s"), bootcanary \(MarkdownText.inline(r.tool.version))")
        out.append("")

        para("## Blast radius")
        if d.blastRadius.isEmpty {
            para("No other guests run on \(MarkdownText.inline(r.host.hostname)): a host reboot interrupts nothing.")
        } else {
            let names = d.blastRadius.map { MarkdownText.inline($0.name) }.joined(separator: ", ")
            para("A reboot of \(MarkdownText.inline(r.host.hostname)) interrupts \(d.blastRadius.count) running guest\(d.blastRadius.count == 1 ? "" : "s"): \(names).")
            out.append("| guest | state | vCPUs | memory | id | UUID |")
            out.append("|---|---|---:|---:|---:|---|")
            for g in d.blastRadius {
                out.append("| \(MarkdownText.inline(g.name)) | \(MarkdownText.inline(g.state)) | \(g.vcpus) | \(g.memoryMiB) MiB | \(g.id.map(String.init) ?? "-") | \(MarkdownText.inline(g.uuid)) |")
            }
            out.append("")
        }

        para("## Boots")
        out.append("| boot | kind | run | outcome | last milestone | seconds | last line |")
        out.append("|---|---|---:|---|---|---:|---|")
        for b in report.boots {
            let x = b.record
            let last = x.lastLine.map { MarkdownText.inline($0, limit: cellLimit) } ?? "-"
            out.append("| \(MarkdownText.inline(b.label.description)) | \(x.kind.map { MarkdownText.code($0.rawValue) } ?? "-") | \(x.run.map(String.init) ?? "-") | \(MarkdownText.inline(ReportWords.outcome(x))) | \(MarkdownText.code(x.lastMilestone.rawValue)) | \(ReportWords.seconds(x.secondsToOutcome)) | \(last) |")
        }
        out.append("")
        let titled = report.boots.filter { $0.record.title != nil }
        if !titled.isEmpty {
            para("Failure titles (the same title means the same failure):")
            for b in titled { out.append("- \(MarkdownText.inline(b.label.description)): \(MarkdownText.inline(b.record.title ?? "", limit: cellLimit))") }
            out.append("")
        }

        para("## Evidence")
        if d.evidence.isEmpty {
            para("The diagnosis names no console lines.")
        } else {
            out.append("| boot | line | time | why |")
            out.append("|---|---:|---|---|")
            var lines: [String] = []
            for e in d.evidence {
                let boot = report.boot(labelled: e.boot)
                let t = e.line.flatMap { boot?.time(ofLine: $0) }
                let time = t.map { ReportWords.offset($0.seconds) + " s" + ($0.wall.map { ", " + ReportWords.wall($0) } ?? "") } ?? "-"
                out.append("| \(MarkdownText.inline(e.boot)) | \(e.line.map(String.init) ?? "-") | \(time) | \(MarkdownText.inline(e.reason, limit: 200)) |")
                if let text = e.text ?? t?.text {
                    let where_ = "\(e.boot)" + (e.line.map { ":\($0)" } ?? "")
                    let stamp = t.map { " [\(ReportWords.offset($0.seconds)) s]" } ?? ""
                    lines.append(UntrustedText.visible(where_ + stamp + "  " + text, limit: 400))
                }
            }
            out.append("")
            if !lines.isEmpty {
                para("Evidence lines as the console printed them (boot:line [seconds since the boot started]):")
                para(MarkdownText.fenced(lines))
            }
        }

        if let known = r.knownIssues, !known.isEmpty {
            para("## Known issues")
            para("Problems explained before that these boots show; they do not change the verdict.")
            for k in known {
                para("- **\(MarkdownText.inline(k.name))**: \(MarkdownText.inline(k.explanation, limit: 600)) Reference: \(MarkdownText.inline(k.reference, limit: 300)).")
                out.append("| boot | matched on | text |")
                out.append("|---|---|---|")
                for m in k.matches {
                    out.append("| \(MarkdownText.inline(m.boot)) | \(MarkdownText.inline(m.field)) | \(MarkdownText.inline(m.text, limit: cellLimit)) |")
                }
                out.append("")
            }
        }
        if let integrity = r.integrity { out.append(contentsOf: imageIntegrity(integrity)) }
        out.append(contentsOf: HostEvidenceSection.markdown(r))

        let failed = report.boots.filter(\.failed)
        if !failed.isEmpty {
            para("## Last console lines of each failed boot")
            for b in failed {
                let x = b.record
                var head = "### \(MarkdownText.inline(b.label.description)): \(MarkdownText.inline(ReportWords.outcome(x)))"
                if let s = x.secondsToOutcome { head += " after \(ReportWords.seconds(s))" }
                para(head)
                para(excerpt(b))
            }
        }

        para("## Host")
        let h = r.host
        out.append("| fact | value |")
        out.append("|---|---|")
        let facts: [(String, String)] = [
            ("hostname", h.hostname), ("URI", h.uri), ("hypervisor", "\(h.hypervisor) \(h.hypervisorVersion)"),
            ("libvirt", "\(h.libvirtVersion) (client \(h.clientLibvirtVersion))"), ("host UUID", h.hostUUID ?? "-"),
            ("CPUs", "\(h.cpus) × \(h.cpuModel), \(h.cpuMHz) MHz"),
            ("memory", "\(h.memoryMiB) MiB" + (h.freeMemoryMiB.map { ", \($0) MiB free" } ?? "")),
            ("domain types", h.domainTypes.joined(separator: ", ") + (h.defaultDomainType.map { " (used: \($0))" } ?? "")),
            ("running domains", h.runningDomains.isEmpty ? "none" : h.runningDomains.map(\.name).joined(separator: ", ")),
        ]
        for (k, v) in facts { out.append("| \(k) | \(MarkdownText.inline(v)) |") }
        if let c = r.controlHost {
            out.append("| control host | \(MarkdownText.inline("\(c.hostname) (\(c.uri), \(c.hypervisor) \(c.hypervisorVersion))")) |")
        }
        out.append("")

        para("## What was run")
        para(MarkdownText.fenced([UntrustedText.visible(ReportWords.shellQuoted(r.command))], info: "sh"))
        out.append("| kind | what | domain type | guest type | memory | vCPUs |")
        out.append("|---|---|---|---|---:|---:|")
        for k in r.plan.kinds {
            out.append("| \(MarkdownText.code(k.kind.rawValue)) | \(MarkdownText.inline(k.summary)) | \(MarkdownText.inline(k.domainType)) | \(MarkdownText.inline(k.guestType)) | \(k.memoryMiB) MiB | \(k.vcpus) |")
        }
        out.append("")
        let p = r.plan
        para("Up to \(p.runs) run\(p.runs == 1 ? "" : "s") of each kind, \(p.parallel) at a time; boot timeout \(ReportWords.seconds(p.timeoutSeconds)), stall after \(ReportWords.seconds(p.stallTimeoutSeconds)) of silence (\(ReportWords.seconds(p.frozenAfterSeconds)) with frozen vCPUs)" + (p.expect.map { "; success marker \(MarkdownText.inline($0))" } ?? "") + ".")
        if let h = ReportWords.history(p) { para(MarkdownText.inline(h)) }
        let applied = d.reasoning.filter { !$0.hasSuffix("does not apply") }
        para("Decided by rule \(MarkdownText.inline(d.rule))\(d.settled ? " (settled: more boots could not change it)" : "").")
        if !applied.isEmpty {
            for line in applied { out.append("- \(MarkdownText.inline(line))") }
            out.append("")
        }
        out.append("_Rendered by bootcanary from run.json (schema \(MarkdownText.inline(r.schema))); `bootcanary report run.json` renders it again._")
        return out.joined(separator: "\n") + "\n"
    }

    /// "Image integrity": each offline check, passed / failed with its proof / could not check.
    static func imageIntegrity(_ i: ImageIntegrity) -> [String] {
        var out = ["## Image integrity", ""]
        let what = "\(MarkdownText.inline(i.image)) (\(MarkdownText.inline(i.format))" + (i.master.map { ", master \(MarkdownText.inline($0))" } ?? "") + ")"
        if let why = i.skipped {
            out += ["Not checked offline: \(MarkdownText.inline(why)) (\(what)).", ""]
            return out
        }
        out += ["Offline checks of \(what), read-only, without booting it: \(i.passed.count) passed, \(i.failed.count) failed, \(i.couldNotCheck.count) could not check" + (i.outputs.map { "; tool outputs in \(MarkdownText.inline($0))/" } ?? "") + ".", ""]
        out.append("| check | result | what was found |")
        out.append("|---|---|---|")
        for c in i.checks {
            out.append("| \(MarkdownText.code(c.check.rawValue)) | \(ReportWords.checkStatus(c.status)) | \(MarkdownText.inline(c.summary, limit: 400)) |")
        }
        out.append("")
        for c in i.checks where !c.proof.isEmpty {
            out += ["Proof (\(MarkdownText.code(c.check.rawValue))):", ""]
            out += [MarkdownText.fenced(c.proof.map { UntrustedText.visible($0, limit: 400) }), ""]
        }
        return out
    }

    /// A failed boot's last console lines, numbered and timed, in a fence no line can close.
    static func excerpt(_ b: RunReport.Boot) -> String {
        var lines: [String] = []
        if let ex = b.excerpt, !(ex.head.isEmpty && ex.tail.isEmpty) {
            let all = ex.tail.isEmpty ? ex.head : ex.tail
            let shown = all.suffix(excerptLines)
            let width = String(shown.last?.number ?? 0).count
            for l in shown {
                let n = String(l.number)
                lines.append(String(repeating: " ", count: width - n.count) + n + " " + ReportWords.offset(l.seconds) + "  " + UntrustedText.visible(l.text, limit: 240))
            }
            let intro = "Line, seconds since the boot started, text (\(ex.totalLines) lines" + (b.record.transcript.map { " in " + MarkdownText.inline($0) } ?? "") + ")"
            return intro + ":\n\n" + MarkdownText.fenced(lines)
        }
        let recorded = b.record.lastLines.isEmpty ? (b.record.lastLine.map { [$0] } ?? []) : b.record.lastLines
        if recorded.isEmpty { return "No console output." + (b.transcriptProblem.map { " (\(MarkdownText.inline($0)))" } ?? "") }
        for l in recorded.suffix(excerptLines) { lines.append(UntrustedText.visible(l, limit: 240)) }
        return "Last lines as recorded in run.json" + (b.transcriptProblem.map { " (\(MarkdownText.inline($0)))" } ?? "") + ":\n\n" + MarkdownText.fenced(lines)
    }
}
