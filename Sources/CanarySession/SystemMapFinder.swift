import CanaryClassify
import CanaryHostFacts
import CanaryModel
import CanaryProbe
import Foundation
import Synchronization

/// Finds the System.map of the kernel a boot ran, on the machine bootcanary runs on, and
/// names the functions the stalled boots' vCPUs were in.
///
/// Where it looks, first hit wins:
/// 1. `--system-map FILE` (a map for a kernel on a remote host has to be brought here);
/// 2. beside `--kernel`: `System.map-RELEASE`, then `System.map` (how lab/setup keeps the
///    lab kernel's, extracted from linux-image-RELEASE-dbg);
/// 3. `/usr/lib/debug/boot/System.map-RELEASE` (Debian's -dbg package installed here);
/// 4. `/boot/System.map-RELEASE`, unless it is Debian's 83-byte stub.
/// RELEASE is what the boot's own banner said (`Linux version 6.1.0-57-cloud-amd64`).
struct SystemMapFinder: Sendable {
    var explicit: String?
    var kernelPath: String?
    /// Whether `--kernel` is a path on this machine (a local connection).
    var kernelIsLocal: Bool

    /// Maps read so far, by path: a 4 MB file is parsed once per run, not once per boot.
    private let cache = MapCache()

    struct SystemMapSearch: Error, Sendable { var why: String }

    init(explicit: String?, kernelPath: String?, kernelIsLocal: Bool) {
        self.explicit = explicit
        self.kernelPath = kernelPath
        self.kernelIsLocal = kernelIsLocal
    }

    func candidates(release: String?) -> [String] {
        var paths: [String] = []
        if let explicit { paths.append(explicit) }
        if let release {
            if kernelIsLocal, let kernelPath {
                let dir = URL(fileURLWithPath: kernelPath).deletingLastPathComponent().path
                paths += ["\(dir)/System.map-\(release)", "\(dir)/System.map"]
            }
            paths += ["/usr/lib/debug/boot/System.map-\(release)", "/boot/System.map-\(release)"]
        }
        return paths
    }

    /// The map for `release`, with the path it came from, or why none was found.
    func map(release: String?) -> Result<(SystemMap, String), SystemMapSearch> {
        var refused: [String] = []
        for path in candidates(release: release) {
            guard FileManager.default.isReadableFile(atPath: path) else { continue }
            if let cached = cache.maps.withLock({ $0[path] }) {
                if case .success(let m) = cached { return .success((m, path)) }
                continue
            }
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let map = try SystemMap(text: text)
                cache.maps.withLock { $0[path] = .success(map) }
                return .success((map, path))
            } catch let problem as SystemMap.Problem {
                refused.append("\(path): \(problem)")
                cache.maps.withLock { $0[path] = .failure(SystemMapSearch(why: "\(problem)")) }
            } catch {
                refused.append("\(path): \(error.localizedDescription)")
            }
        }
        let looked = release == nil ? "the boot printed no `Linux version` banner, so its kernel's release is unknown"
            : "no System.map for \(release!) (looked for --system-map, beside --kernel, /usr/lib/debug/boot, /boot)"
        return .failure(SystemMapSearch(why: ([looked] + refused).joined(separator: "; ")))
    }

    /// The boot with its vCPU locations symbolized. PV and PVH guests enter the kernel without
    /// its decompressor, which is where x86 KASLR picks the offset, so their addresses are the
    /// map's; an HVM guest's are only named when its IDT gave the offset (QEMU monitor).
    func symbolize(_ boot: BootRecord, guestType: DomainSpec.GuestType?, domainType: String?) -> BootRecord {
        guard var evidence = boot.live.hostEvidence, !evidence.locations.isEmpty else { return boot }
        let assumeNoSlide = domainType == "xen" && (guestType == .pv || guestType == .pvh)
        switch map(release: KernelBanner.release(in: boot.result)) {
        case .success(let (map, path)):
            evidence.locations = evidence.locations.map { l in
                var s = map.symbolize(l, assumeNoSlide: assumeNoSlide)
                if s.symbol != nil { s.note = [s.note, "symbolized with \(path)"].compactMap { $0 }.joined(separator: "; ") }
                return s
            }
        case .failure(let search):
            evidence.locations = evidence.locations.map { l in
                var s = l
                s.note = search.why
                return s
            }
        }
        var b = boot
        b.live.hostEvidence = evidence
        return b
    }
}

private final class MapCache: Sendable {
    let maps = Mutex<[String: Result<SystemMap, SystemMapFinder.SystemMapSearch>]>([:])
}
