// swift-tools-version: 6.0
// bootcanary: boots throwaway guests through libvirt, reads their consoles, and tells a wedged
// hypervisor from a corrupt guest image. See README.md and docs/contract.md.
import PackageDescription

let package = Package(
    name: "bootcanary",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "bootcanary", targets: ["bootcanary"]),
        .library(name: "Libvirt", targets: ["Libvirt"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // SHA-256 for install-tree checksums and the HTML report's CSP hash.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // The C module map over <libvirt/libvirt.h>; the only place a C header is named.
        .systemLibrary(
            name: "CLibvirt",
            path: "Modules/CLibvirt",
            pkgConfig: "libvirt",
            providers: [.apt(["libvirt-dev"])]
        ),
        // The C module map over <zlib.h>: the run bundle's gzip (Sources/CanaryReport/Gzip.swift).
        .systemLibrary(
            name: "CZlib",
            path: "Modules/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // The only Swift that calls libvirt's C API.
        .target(name: "Libvirt", dependencies: ["CLibvirt"]),

        // The layers (README.md, Layout): each a target, and a target names only targets below it.
        // The pure ones (Model, HostFacts, Console, Classify, Diagnose, Report, Pool) never link libvirt.
        // Model: the vocabulary, names (ProbeName, BootHost), and small shared helpers
        // (Support/: JSONFormat, SHA256, TOMLDocument).
        .target(name: "CanaryModel", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // HostFacts: plain host-fact types and their parsers (capabilities XML, URIs); Probe gathers them.
        .target(name: "CanaryHostFacts", dependencies: ["CanaryModel"]),
        // Console: bytes to timed lines; transcript formats.
        .target(name: "CanaryConsole", dependencies: ["CanaryModel"]),
        // Classify: lines to milestones, signatures and an outcome; tables of knowledge.
        .target(name: "CanaryClassify", dependencies: ["CanaryConsole", "CanaryModel"]),
        // Diagnose: boot records (+ evidence) to a verdict, rules with reasons.
        .target(name: "CanaryDiagnose", dependencies: ["CanaryClassify", "CanaryConsole", "CanaryHostFacts", "CanaryModel"]),
        // Report: a run record to JSON, Markdown, HTML+SVG, JUnit, Prometheus and a bundle (gzip
        // through CZlib). Never reads a host.
        .target(
            name: "CanaryReport",
            dependencies: ["CanaryClassify", "CanaryConsole", "CanaryDiagnose", "CanaryHostFacts", "CanaryModel", "CZlib"]
        ),
        // Pool: a XenServer / XCP-ng pool's `xe` output (pool, hosts, VMs) to HA findings, rules
        // with reasons (`bootcanary pool-check`, docs/pool-check.md). Pure: it reads text, never a host.
        .target(name: "CanaryPool", dependencies: ["CanaryModel"]),
        // Evidence: host access (local, ssh, --host-exec), the host's tools and logs, the blocking
        // pool, teardown on a signal. Runs processes and waits, no libvirt.
        .target(name: "CanaryEvidence", dependencies: ["CanaryHostFacts", "CanaryModel", "CanaryPool"]),
        // Probe: plans, domain XML, the boot loop, the watchdog, the ledger, host facts gathered
        // from a connection.
        .target(
            name: "CanaryProbe",
            dependencies: [
                "CanaryClassify", "CanaryConsole", "CanaryDiagnose", "CanaryEvidence", "CanaryHostFacts",
                "CanaryModel", "Libvirt",
            ]
        ),
        // Session: a diagnose / canary / fleet run: plans, runs, records, renders.
        .target(
            name: "CanarySession",
            dependencies: [
                "CanaryClassify", "CanaryDiagnose", "CanaryEvidence", "CanaryHostFacts", "CanaryModel",
                "CanaryProbe", "CanaryReport", "Libvirt",
            ]
        ),
        // Argument parsing, progress, exit codes. Nothing else.
        .executableTarget(
            name: "bootcanary",
            dependencies: [
                "CanaryClassify", "CanaryConsole", "CanaryDiagnose", "CanaryEvidence", "CanaryHostFacts",
                "CanaryModel", "CanaryPool", "CanaryProbe", "CanaryReport", "CanarySession", "Libvirt",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // `buildRevision` for --version (packaging/git-revision; docs/install.md).
            plugins: ["GitRevision"]
        ),
        // Writes the git commit into the bootcanary target before every build.
        .plugin(name: "GitRevision", capability: .buildTool()),
        // libFuzzer target for line assembly, classification and transcripts (issue 3):
        // see fuzz/ConsoleFuzz/ConsoleFuzz.swift for how to build it with -sanitize=fuzzer.
        // Pure targets only: it does not link libvirt.
        .executableTarget(name: "ConsoleFuzz", dependencies: ["CanaryClassify", "CanaryConsole", "CanaryModel"], path: "fuzz/ConsoleFuzz"),
        // Unit tests of the binding against libvirt's in-process test:///default driver.
        .testTarget(name: "LibvirtTests", dependencies: ["Libvirt"]),
        // Pure tests of Console, Classify, Diagnose and Report, driven by fixtures/.
        .testTarget(
            name: "BootCanaryTests",
            dependencies: [
                "CanaryClassify", "CanaryConsole", "CanaryDiagnose", "CanaryEvidence", "CanaryHostFacts",
                "CanaryModel", "CanaryPool", "CanaryProbe", "CanaryReport", "CanarySession", "Libvirt",
            ]
        ),
        // Integration tests against the lab's real libvirtd and real QEMU guests (lab/setup).
        .testTarget(
            name: "LabTests",
            dependencies: [
                "CanaryClassify", "CanaryConsole", "CanaryDiagnose", "CanaryEvidence", "CanaryHostFacts",
                "CanaryModel", "CanaryProbe", "CanaryReport", "CanarySession", "Libvirt",
            ]
        ),
        // bootcanary against a real Xen host: Xen 4.17 under QEMU with a libxl dom0
        // (lab/xen/start; lab/test brings it up).
        .testTarget(
            name: "XenLabTests",
            dependencies: [
                "CanaryClassify", "CanaryDiagnose", "CanaryEvidence", "CanaryHostFacts", "CanaryModel",
                "CanaryProbe", "CanaryReport", "Libvirt",
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
