import CanaryClassify
import CanaryDiagnose
import CanaryHostFacts
import CanaryModel
import Foundation

/// `report.html`: one self-contained page (no network, no external asset, no script) with a
/// verdict banner, the boot timeline (`TimelineSVG`), the evidence, a table of boots, every
/// transcript (collapsible, line-numbered, timed), the host and what was run.
///
/// Console text is untrusted (README.md, Safety): every string that came from a guest or from
/// the record goes through `HTMLText` before it reaches the page. As a second line of defence
/// the page carries a Content-Security-Policy that allows no script, no network, no frame and
/// only its own stylesheet (by hash), so even a missed escape could not run anything.
public enum HTMLReport {
    public static func render(_ report: RunReport) -> String {
        let r = report.record
        let d = r.diagnosis
        var o = ""
        o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        o += "<meta http-equiv=\"Content-Security-Policy\" content=\"\(contentSecurityPolicy)\">\n"
        o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        o += "<meta name=\"generator\" content=\"bootcanary \(HTMLText.guest(r.tool.version, limit: 40))\">\n"
        o += "<title>bootcanary: \(HTMLText.escape(ReportWords.verdict(d.verdict))) on \(HTMLText.guest(r.host.hostname, limit: 80))</title>\n"
        o += "<style>\(stylesheet)</style>\n</head>\n<body>\n"
        o += banner(report)
        o += "<main>\n"
        o += blastRadius(report)
        o += timeline(report)
        o += evidence(report)
        o += knownIssues(report)
        if let integrity = r.integrity { o += imageIntegrity(integrity) }
        o += HostEvidenceSection.html(r)
        o += bootTable(report)
        o += transcripts(report)
        o += host(report)
        o += whatWasRun(report)
        o += "</main>\n"
        o += "<footer>Rendered by bootcanary from run.json (schema \(HTMLText.guest(r.schema, limit: 60)), run \(HTMLText.guest(r.runID, limit: 60))). "
        o += "<code>bootcanary report run.json --format html</code> renders it again.</footer>\n"
        o += "</body>\n</html>\n"
        return o
    }

    /// No script, no network, no frames, no plugins, no forms, no base URL; styles only the
    /// page's own stylesheet, by its hash.
    public static var contentSecurityPolicy: String {
        "default-src 'none'; script-src 'none'; object-src 'none'; img-src 'none'; media-src 'none'; font-src 'none'; connect-src 'none'; frame-src 'none'; child-src 'none'; worker-src 'none'; manifest-src 'none'; base-uri 'none'; form-action 'none'; style-src '\(styleHash)'"
    }

    /// `sha256-BASE64` of the stylesheet, as CSP wants it.
    static let styleHash: String = {
        "sha256-" + Data(SHA256.digest(Data(stylesheet.utf8))).base64EncodedString()
    }()

    static func banner(_ report: RunReport) -> String {
        let r = report.record
        let d = r.diagnosis
        var o = "<header class=\"banner \(ReportWords.severity(d))\" id=\"verdict\">\n"
        o += "<div class=\"verdict\"><span class=\"severity\">\(ReportWords.severity(d).uppercased())</span> \(HTMLText.escape(ReportWords.verdict(d.verdict))) "
        o += "<code>\(d.verdict.rawValue)</code> <span class=\"confidence\">confidence \(String(format: "%.2f", d.confidence))</span></div>\n"
        o += "<div class=\"action\">\(HTMLText.escape(ReportWords.action(d.action))) <code>\(d.action.rawValue)</code></div>\n"
        o += "<p class=\"summary\">\(HTMLText.guest(d.summary, limit: 2000))</p>\n"
        if !d.next.isEmpty {
            o += "<ul class=\"next\">" + d.next.map { "<li>To be surer: \(HTMLText.guest($0, limit: 500))</li>" }.joined() + "</ul>\n"
        }
        o += "<p class=\"meta\">\(HTMLText.guest(r.host.hostname, limit: 100)) · \(HTMLText.guest(r.host.uri, limit: 200)) · "
        o += "\(HTMLText.guest(r.host.hypervisor, limit: 40)) \(HTMLText.guest(r.host.hypervisorVersion, limit: 40)) · run \(HTMLText.guest(r.runID, limit: 40)) · "
        o += "\(ReportWords.date(r.started)) to \(ReportWords.date(r.ended)) · \(r.boots.count) boot\(r.boots.count == 1 ? "" : "s")</p>\n"
        o += "</header>\n"
        return o
    }

    static func blastRadius(_ report: RunReport) -> String {
        let r = report.record
        let g = r.diagnosis.blastRadius
        var o = "<section id=\"blast-radius\"><h2>Blast radius</h2>\n"
        if g.isEmpty {
            o += "<p>No other guests run on \(HTMLText.guest(r.host.hostname, limit: 100)): a host reboot interrupts nothing.</p>\n"
        } else {
            o += "<p>A reboot of \(HTMLText.guest(r.host.hostname, limit: 100)) interrupts <strong>\(g.count) running guest\(g.count == 1 ? "" : "s")</strong>: "
            o += g.map { "<strong>\(HTMLText.guest($0.name, limit: 100))</strong>" }.joined(separator: ", ") + ".</p>\n"
            o += "<table><thead><tr><th>guest</th><th>state</th><th class=\"num\">vCPUs</th><th class=\"num\">memory</th><th class=\"num\">id</th><th>UUID</th></tr></thead><tbody>\n"
            for x in g {
                o += "<tr><td>\(HTMLText.guest(x.name, limit: 100))</td><td>\(HTMLText.guest(x.state, limit: 60))</td><td class=\"num\">\(x.vcpus)</td>"
                o += "<td class=\"num\">\(x.memoryMiB) MiB</td><td class=\"num\">\(x.id.map(String.init) ?? "-")</td><td><code>\(HTMLText.guest(x.uuid, limit: 60))</code></td></tr>\n"
            }
            o += "</tbody></table>\n"
        }
        o += "</section>\n"
        return o
    }

    static func timeline(_ report: RunReport) -> String {
        var o = "<section id=\"timeline\"><h2>Timeline</h2>\n"
        o += "<p class=\"hint\">One row per boot on a shared axis (seconds since each boot started). Where each row ends, and the last console line under it, show whether the boots stopped at the same place or each somewhere else.</p>\n"
        o += "<div class=\"svgbox\">" + TimelineSVG(boots: report.boots).render() + "</div>\n"
        o += "</section>\n"
        return o
    }

    /// Known issues the boots show (docs/known-issues.md); no section when none matched.
    static func knownIssues(_ report: RunReport) -> String {
        guard let known = report.record.knownIssues, !known.isEmpty else { return "" }
        var o = "<section id=\"known-issues\"><h2>Known issues</h2>\n<p>Problems explained before that these boots show; they do not change the verdict.</p>\n"
        for k in known {
            o += "<h3>\(HTMLText.guest(k.name, limit: 120))</h3>\n<p>\(HTMLText.guest(k.explanation, limit: 600))</p>\n"
            o += "<p>Reference: <code>\(HTMLText.guest(k.reference, limit: 300))</code></p>\n"
            o += "<table class=\"evidence\"><thead><tr><th>boot</th><th>matched on</th><th>text</th></tr></thead><tbody>\n"
            for m in k.matches {
                let boot = report.boot(labelled: m.boot)
                let cell = boot.map { "<a href=\"#\($0.anchor)\">\(HTMLText.guest(m.boot, limit: 60))</a>" } ?? HTMLText.guest(m.boot, limit: 60)
                o += "<tr><td>\(cell)</td><td>\(HTMLText.escape(m.field))</td><td><code class=\"console\">\(HTMLText.guest(m.text, limit: 400))</code></td></tr>\n"
            }
            o += "</tbody></table>\n"
        }
        return o + "</section>\n"
    }

    static func evidence(_ report: RunReport) -> String {
        let d = report.record.diagnosis
        var o = "<section id=\"evidence\"><h2>Evidence</h2>\n"
        guard !d.evidence.isEmpty else { return o + "<p>The diagnosis names no console lines.</p></section>\n" }
        o += "<table class=\"evidence\"><thead><tr><th>boot</th><th class=\"num\">line</th><th>time</th><th>why</th><th>console line</th></tr></thead><tbody>\n"
        for e in d.evidence {
            let boot = report.boot(labelled: e.boot)
            let t = e.line.flatMap { boot?.time(ofLine: $0) }
            let bootCell = boot.map { "<a href=\"#\($0.anchor)\">\(HTMLText.guest(e.boot, limit: 60))</a>" } ?? HTMLText.guest(e.boot, limit: 60)
            let lineCell: String
            if let n = e.line, let boot { lineCell = "<a href=\"#\(boot.lineAnchor(n))\">\(n)</a>" } else { lineCell = e.line.map(String.init) ?? "-" }
            var time = "-"
            if let t {
                time = "\(ReportWords.offset(t.seconds)) s"
                if let w = t.wall { time += "<br><span class=\"wall\">\(ReportWords.wall(w))</span>" }
            }
            o += "<tr><td>\(bootCell)</td><td class=\"num\">\(lineCell)</td><td class=\"time\">\(time)</td><td>\(HTMLText.guest(e.reason, limit: 400))</td>"
            o += "<td><code class=\"console\">\(HTMLText.guest(e.text ?? t?.text ?? "", limit: 400))</code></td></tr>\n"
        }
        o += "</tbody></table>\n</section>\n"
        return o
    }

    /// "Image integrity": each offline check, passed / failed with its proof / could not check.
    static func imageIntegrity(_ i: ImageIntegrity) -> String {
        var o = "<section id=\"integrity\"><h2>Image integrity</h2>\n"
        let what = "<code>\(HTMLText.guest(i.image, limit: 300))</code> (\(HTMLText.guest(i.format, limit: 20))"
            + (i.master.map { ", master <code>\(HTMLText.guest($0, limit: 300))</code>" } ?? "") + ")"
        if let why = i.skipped {
            return o + "<p>Not checked offline: \(HTMLText.guest(why, limit: 500)) (\(what)).</p>\n</section>\n"
        }
        o += "<p>Offline checks of \(what), read-only, without booting it: <strong>\(i.passed.count) passed, \(i.failed.count) failed, \(i.couldNotCheck.count) could not check</strong>"
        o += (i.outputs.map { "; tool outputs in <code>\(HTMLText.guest($0, limit: 100))/</code>" } ?? "") + ".</p>\n"
        o += "<table class=\"integrity\"><thead><tr><th>check</th><th>result</th><th>what was found</th></tr></thead><tbody>\n"
        for c in i.checks {
            let cls = c.status == .passed ? "ok" : c.status == .failed ? "fail" : "infra"
            o += "<tr><td><code>\(c.check.rawValue)</code></td><td class=\"\(cls)\">\(HTMLText.escape(ReportWords.checkStatus(c.status)))</td><td>\(HTMLText.guest(c.summary, limit: 1000))"
            if !c.proof.isEmpty {
                o += "<ul class=\"proof\">" + c.proof.map { "<li><code class=\"console\">\(HTMLText.guest($0, limit: 600))</code></li>" }.joined() + "</ul>"
            }
            if !c.outputs.isEmpty { o += "<br><span class=\"hint\">" + c.outputs.map { HTMLText.guest($0, limit: 200) }.joined(separator: ", ") + "</span>" }
            o += "</td></tr>\n"
        }
        o += "</tbody></table>\n</section>\n"
        return o
    }

    static func bootTable(_ report: RunReport) -> String {
        var o = "<section id=\"boots\"><h2>Boots</h2>\n"
        o += "<table><thead><tr><th>boot</th><th>kind</th><th class=\"num\">run</th><th>outcome</th><th>last milestone</th><th class=\"num\">seconds</th><th>last line</th></tr></thead><tbody>\n"
        for b in report.boots {
            let x = b.record
            let cls = TimelineSVG.outcomeClass(x.outcome)
            o += "<tr><td><a href=\"#\(b.anchor)\">\(HTMLText.guest(b.label.description, limit: 60))</a></td><td>\(x.kind?.rawValue ?? "-")</td><td class=\"num\">\(x.run.map(String.init) ?? "-")</td>"
            o += "<td class=\"\(cls)\">\(HTMLText.escape(ReportWords.outcome(x)))"
            if let title = x.title { o += "<br><span class=\"title\">\(HTMLText.guest(title, limit: 200))</span>" }
            o += "</td><td>\(x.lastMilestone.rawValue)</td><td class=\"num\">\(ReportWords.seconds(x.secondsToOutcome))</td>"
            o += "<td><code class=\"console\">\(HTMLText.guest(x.lastLine ?? "", limit: 200))</code></td></tr>\n"
        }
        o += "</tbody></table>\n</section>\n"
        return o
    }

    static func transcripts(_ report: RunReport) -> String {
        let limits = report.limits
        var o = "<section id=\"transcripts\"><h2>Transcripts</h2>\n"
        o += "<p class=\"hint\">Each console as it was captured: line number, seconds since the boot started, text (control sequences removed). "
        o += "A page keeps the first \(limits.headLines) and the last \(limits.tailLines) lines of each boot and lines up to \(limits.lineCharacters) characters; the transcript files have everything.</p>\n"
        for b in report.boots {
            let x = b.record
            o += "<details id=\"\(b.anchor)\"\(b.failed && report.boots.count <= 4 ? " open" : "")><summary><strong>\(HTMLText.guest(b.label.description, limit: 60))</strong> "
            o += "<span class=\"\(TimelineSVG.outcomeClass(x.outcome))\">\(HTMLText.escape(ReportWords.outcome(x)))</span> · \(x.lines) lines · \(x.bytes) bytes"
            if let t = x.transcript { o += " · <code>\(HTMLText.guest(t, limit: 200))</code>" }
            if let start = x.startedAt { o += " · started \(ReportWords.date(start))" }
            o += "</summary>\n"
            for note in x.notes { o += "<p class=\"note\">note: \(HTMLText.guest(note, limit: 500))</p>\n" }
            guard let ex = b.excerpt else {
                o += "<p class=\"note\">\(HTMLText.guest(b.transcriptProblem ?? "no transcript", limit: 500)).</p>\n"
                if case let last = x.lastLines, !last.isEmpty {
                    o += "<p>Last lines as recorded in run.json:</p><pre class=\"console\">"
                    o += last.map { HTMLText.guest($0, limit: limits.lineCharacters) }.joined(separator: "\n") + "</pre>\n"
                }
                o += "</details>\n"
                continue
            }
            for note in ex.notes { o += "<p class=\"note\">transcript: \(HTMLText.guest(note, limit: 500))</p>\n" }
            if ex.totalLines == 0 {
                o += "<p class=\"note\">The console printed nothing.</p></details>\n"
                continue
            }
            o += "<pre class=\"console\">"
            let marked = markedLines(b)
            let lastNumber = b.lastLineNumber
            var previous = 0
            for line in linesShown(ex) {
                if line.number > previous + 1 && previous > 0 || (previous == 0 && line.number > 1) {
                    o += "<span class=\"gap\">… lines \(previous + 1)–\(line.number - 1) not shown (\(line.number - previous - 1) lines) …</span>\n"
                }
                previous = line.number
                let isMarked = marked.contains(line.number) || line.number == lastNumber
                o += isMarked ? "<span class=\"ev\" id=\"\(b.lineAnchor(line.number))\">" : ""
                o += "<span class=\"ln\">\(pad(line.number, 6))</span><span class=\"ts\">\(pad(ReportWords.offset(line.seconds), 12))</span> "
                o += HTMLText.guest(line.text, limit: limits.lineCharacters + 60)
                o += isMarked ? "</span>\n" : "\n"
            }
            if previous < ex.totalLines {
                o += "<span class=\"gap\">… lines \(previous + 1)–\(ex.totalLines) not shown …</span>\n"
            }
            o += "</pre>\n</details>\n"
        }
        o += "</section>\n"
        return o
    }

    /// Head, the marked lines of the omitted middle, tail: in line order, each once.
    static func linesShown(_ ex: TranscriptExcerpt) -> [TranscriptExcerpt.Line] {
        let lastHead = ex.head.last?.number ?? 0
        let firstTail = ex.tail.first?.number ?? Int.max
        let middle = ex.marked.values.filter { $0.number > lastHead && $0.number < firstTail }.sorted { $0.number < $1.number }
        return ex.head + middle + ex.tail.filter { $0.number > lastHead }
    }

    /// Lines the report points at: the diagnosis's evidence, the boot's evidence, milestones.
    static func markedLines(_ b: RunReport.Boot) -> Set<Int> {
        Set(b.record.evidence.map(\.line) + b.record.milestones.map(\.line) + (b.excerpt?.marked.keys.map { $0 } ?? []))
    }

    static func host(_ report: RunReport) -> String {
        let r = report.record
        var o = "<section id=\"host\"><h2>Host</h2>\n"
        o += factTable(r.host)
        if let c = r.controlHost {
            o += "<h3>Control host</h3>\n" + factTable(c)
        }
        if !r.host.runningDomains.isEmpty {
            o += "<p>Running domains when the run started: "
            o += r.host.runningDomains.map { "\(HTMLText.guest($0.name, limit: 100)) (\(HTMLText.guest($0.state, limit: 60)))" }.joined(separator: ", ") + ".</p>\n"
        }
        o += "</section>\n"
        return o
    }

    static func factTable(_ h: HostFacts) -> String {
        let facts: [(String, String)] = [
            ("hostname", h.hostname), ("URI", h.uri), ("hypervisor", "\(h.hypervisor) \(h.hypervisorVersion)"),
            ("libvirt", "\(h.libvirtVersion) (client \(h.clientLibvirtVersion))"), ("host UUID", h.hostUUID ?? "-"),
            ("CPUs", "\(h.cpus) × \(h.cpuModel), \(h.cpuMHz) MHz"),
            ("memory", "\(h.memoryMiB) MiB" + (h.freeMemoryMiB.map { ", \($0) MiB free" } ?? "")),
            ("domain types", h.domainTypes.joined(separator: ", ") + (h.defaultDomainType.map { " (used: \($0))" } ?? "")),
        ]
        return "<table class=\"facts\"><tbody>\n" + facts.map { "<tr><th>\($0.0)</th><td>\(HTMLText.guest($0.1, limit: 300))</td></tr>\n" }.joined() + "</tbody></table>\n"
    }

    static func whatWasRun(_ report: RunReport) -> String {
        let r = report.record
        let p = r.plan
        let d = r.diagnosis
        var o = "<section id=\"run\"><h2>What was run</h2>\n"
        o += "<pre class=\"command\">\(HTMLText.guest(ReportWords.shellQuoted(r.command), limit: 4000))</pre>\n"
        o += "<table><thead><tr><th>kind</th><th>what</th><th>domain type</th><th>guest type</th><th class=\"num\">memory</th><th class=\"num\">vCPUs</th></tr></thead><tbody>\n"
        for k in p.kinds {
            o += "<tr><td>\(k.kind.rawValue)</td><td>\(HTMLText.guest(k.summary, limit: 400))</td><td>\(HTMLText.guest(k.domainType, limit: 20))</td>"
            o += "<td>\(HTMLText.guest(k.guestType, limit: 20))</td><td class=\"num\">\(k.memoryMiB) MiB</td><td class=\"num\">\(k.vcpus)</td></tr>\n"
        }
        o += "</tbody></table>\n"
        o += "<p>Up to \(p.runs) run\(p.runs == 1 ? "" : "s") of each kind, \(p.parallel) at a time; boot timeout \(ReportWords.seconds(p.timeoutSeconds)), "
        o += "stall after \(ReportWords.seconds(p.stallTimeoutSeconds)) of silence (\(ReportWords.seconds(p.frozenAfterSeconds)) with frozen vCPUs)"
        if let e = p.expect { o += "; success marker <code>\(HTMLText.guest(e, limit: 200))</code>" }
        o += ". bootcanary \(HTMLText.guest(r.tool.version, limit: 40)), \(HTMLText.guest(r.mode, limit: 20)) mode.</p>\n"
        if let h = ReportWords.history(p) { o += "<p>\(HTMLText.guest(h, limit: 2000))</p>\n" }
        o += "<details><summary>Why: rule <code>\(HTMLText.guest(d.rule, limit: 100))</code>\(d.settled ? " (settled: more boots could not change the verdict)" : "")</summary>\n<ul class=\"reasoning\">"
        for line in d.reasoning {
            o += "<li\(line.hasSuffix("does not apply") ? " class=\"na\"" : "")>\(HTMLText.guest(line, limit: 1000))</li>"
        }
        o += "</ul></details>\n</section>\n"
        return o
    }

    static func pad(_ n: Int, _ width: Int) -> String { pad(String(n), width) }
    static func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }

    /// The page's only style: system fonts (no web fonts: nothing is fetched), readable on a
    /// laptop and printable.
    static let stylesheet = """

        :root{--ok:#2e7d32;--fail:#c62828;--warn:#b26a00;--infra:#616161;--ink:#1d1d1f;--mute:#5f6368;--line:#dadce0;--bg:#fff;--stripe:#f6f8fa}
        *{box-sizing:border-box}
        body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
        code,pre,.console{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:13px}
        main{max-width:1200px;margin:0 auto;padding:0 20px 40px}
        .banner{padding:18px 24px;color:#fff;background:var(--infra)}
        .banner.critical{background:var(--fail)}.banner.warning{background:var(--warn)}.banner.ok{background:var(--ok)}
        .banner .verdict{font-size:26px;font-weight:700}
        .banner .severity{font-size:13px;letter-spacing:.08em;border:1px solid rgba(255,255,255,.7);border-radius:3px;padding:1px 6px;vertical-align:middle;margin-right:6px}
        .banner code{background:rgba(0,0,0,.18);padding:1px 6px;border-radius:3px;font-size:14px}
        .banner .confidence{font-size:15px;font-weight:400;opacity:.9}
        .banner .action{font-size:20px;font-weight:600;margin-top:4px}
        .banner .summary{font-size:16px;max-width:1100px;margin:10px 0 6px}
        .banner .next{margin:4px 0;padding-left:20px}
        .banner .meta{opacity:.9;font-size:13px;margin:6px 0 0}
        h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
        h3{font-size:16px}
        table{border-collapse:collapse;width:100%;margin:6px 0 10px}
        th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line)}
        th{font-weight:600;color:var(--mute);font-size:13px}
        .num{text-align:right;font-variant-numeric:tabular-nums}
        .facts th{width:160px}
        td .title{color:var(--mute);font-size:13px}
        code.console{white-space:pre-wrap;overflow-wrap:anywhere}
        .ok{color:var(--ok)}.fail{color:var(--fail)}.infra{color:var(--infra)}
        .hint,.note,footer{color:var(--mute);font-size:13px}
        .time{white-space:nowrap}.time .wall{color:var(--mute);font-size:12px}
        .svgbox{border:1px solid var(--line);border-radius:4px;padding:4px;overflow-x:auto}
        svg.timeline{display:block;min-width:800px;font-family:system-ui,"DejaVu Sans",sans-serif;font-size:12px}
        svg .tl-legend text,svg .tl-axis text{fill:var(--mute);font-size:11px}
        svg .tl-grid{stroke:#eceff1;stroke-width:1}
        svg .tl-axisline{stroke:#9aa0a6}
        svg .tl-stripe{fill:var(--stripe)}
        svg .tl-label{font-weight:700;font-size:13px;fill:var(--ink)}
        svg .tl-outcome{font-size:11px}
        svg .tl-outcome.fail{fill:var(--fail)}svg .tl-outcome.ok{fill:var(--ok)}svg .tl-outcome.infra{fill:var(--infra)}
        svg .tl-wait{stroke:#9aa0a6;stroke-width:2;stroke-dasharray:3 3}
        svg .tl-quiet{stroke:#757575;stroke-width:1.5}
        svg .tl-bar.ok{fill:#66bb6a}svg .tl-bar.fail{fill:#ef9a9a}svg .tl-bar.infra{fill:#bdbdbd}
        svg .tl-stall{fill:url(#stall-hatch);stroke:#c62828;stroke-width:1}
        svg .tl-stalltext{font-size:10px;font-weight:700;fill:#7f0000}
        svg .tl-diamond{fill:#1565c0;stroke:#fff;stroke-width:1}
        svg .tl-mslabel{font-size:9.5px;fill:#1565c0}
        svg .tl-cross{stroke:var(--fail);stroke-width:2.5;fill:none}
        svg .tl-ok{stroke:var(--ok);stroke-width:2.5;fill:none}
        svg .tl-lastline{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:11px;fill:var(--ink)}
        svg .tl-none{fill:var(--mute)}
        svg a .tl-lastline{fill:#0b57d0}
        details{border:1px solid var(--line);border-radius:4px;margin:8px 0;padding:6px 10px}
        summary{cursor:pointer}
        pre.console{margin:8px 0 4px;padding:8px;background:#fbfbfb;border:1px solid #eee;overflow:auto;max-height:560px;line-height:1.35;white-space:pre}
        pre.console .ln{color:#9aa0a6;user-select:none}
        pre.console .ts{color:#5f6368;user-select:none}
        pre.console .ev{background:#fff3cd;display:inline-block;min-width:100%}
        pre.console .ev:target{background:#ffe08a;outline:2px solid #b26a00}
        pre.console .gap{color:#9aa0a6;font-style:italic}
        pre.command{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:8px;border-radius:4px}
        .reasoning li.na{color:var(--mute)}
        footer{max-width:1200px;margin:0 auto;padding:10px 20px 30px}
        @media print{pre.console{max-height:none}details{break-inside:avoid}}

        """
}
