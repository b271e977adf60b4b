// swift-tools-version: 6.0
// bootcanary: boots throwaway guests through libvirt, reads their consoles, and tells a wedged
// hypervisor from a corrupt guest image. See README.md and docs/contract.md.
import PackageDescription

let package = Package(
    name: "bootcanary",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "bootcanary", targets: ["bootcanary"]),
        .library(name: "BootCanary", targets: ["BootCanary"]),
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
        // The C module map over <zlib.h>: the run bundle's gzip (Report/Gzip.swift).
        .systemLibrary(
            name: "CZlib",
            path: "Modules/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // The only Swift that calls libvirt's C API.
        .target(name: "Libvirt", dependencies: ["CLibvirt"]),
        // Vocabulary, names, and small shared helpers (JSON, SHA-256, TOML). Pure.
        .target(
            name: "CanaryModel",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // Plain host-fact types and their parsers (capabilities XML, URIs). Pure; Probe gathers them.
        .target(name: "CanaryHostFacts", dependencies: ["CanaryModel"]),
        // Bytes to timed lines; transcript formats. Pure.
        .target(name: "CanaryConsole", dependencies: ["CanaryModel"]),
        // Lines to milestones, signatures and an outcome; tables of knowledge. Pure.
        .target(name: "CanaryClassify", dependencies: ["CanaryConsole", "CanaryModel"]),
        // Boot records (+ evidence) to a verdict: the correlator and its rules. Pure.
        .target(name: "CanaryDiagnose", dependencies: ["CanaryClassify", "CanaryHostFacts", "CanaryModel"]),
        // Run record to JSON, Markdown, HTML+SVG, JUnit, Prometheus, bundle. Pure: never reads a host.
        .target(name: "CanaryReport", dependencies: ["CanaryClassify", "CanaryConsole", "CanaryDiagnose", "CanaryHostFacts", "CanaryModel", "CZlib"]),
        // Host access (local, ssh, --host-exec), the host's tools and logs it reads, teardown on a signal; no Libvirt.
        .target(name: "CanaryEvidence", dependencies: ["CanaryHostFacts", "CanaryReport"]),
        // Plans, domain XML, the boot loop, the watchdog, the ledger, gathering host facts; where libvirt is called.
        .target(name: "CanaryProbe", dependencies: ["Libvirt", "CanaryClassify", "CanaryConsole", "CanaryDiagnose", "CanaryEvidence", "CanaryHostFacts", "CanaryModel", "CanaryReport"]),
        // Probe -> Console -> Classify -> Diagnose -> Report.
        .target(
            name: "BootCanary",
            dependencies: [
                "CanaryProbe",
                "CanaryEvidence",
                "CanaryReport",
                "CanaryDiagnose",
                "CanaryClassify",
                "CanaryConsole",
                "CanaryHostFacts",
                "CanaryModel",
                "Libvirt",
            ]
        ),
        // Argument parsing, progress, exit codes. Nothing else.
        .executableTarget(
            name: "bootcanary",
            dependencies: [
                "BootCanary",
                "CanaryModel",
                "CanaryHostFacts",
                "CanaryConsole",
                "CanaryClassify",
                "CanaryDiagnose",
                "CanaryReport",
                "CanaryEvidence",
                "CanaryProbe",
                "Libvirt",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer target for line assembly, classification and transcripts (issue 3):
        // see fuzz/ConsoleFuzz/ConsoleFuzz.swift for how to build it with -sanitize=fuzzer.
        .executableTarget(name: "ConsoleFuzz", dependencies: ["BootCanary", "CanaryModel", "CanaryConsole", "CanaryClassify"], path: "fuzz/ConsoleFuzz"),
        // Unit tests of the binding against libvirt's in-process test:///default driver.
        .testTarget(name: "LibvirtTests", dependencies: ["Libvirt"]),
        // Pure tests of Console, Classify, Diagnose and Report, driven by fixtures/.
        .testTarget(name: "BootCanaryTests", dependencies: ["BootCanary", "CanaryModel", "CanaryHostFacts", "CanaryConsole", "CanaryClassify", "CanaryDiagnose", "CanaryReport", "CanaryEvidence", "CanaryProbe"]),
        // Integration tests against the lab's real libvirtd and real QEMU guests (lab/setup).
        .testTarget(name: "LabTests", dependencies: ["BootCanary", "CanaryModel", "CanaryHostFacts", "CanaryConsole", "CanaryClassify", "CanaryDiagnose", "CanaryReport", "CanaryEvidence", "CanaryProbe", "Libvirt"]),
        // bootcanary against a real Xen host: Xen 4.17 under QEMU with a libxl dom0
        // (lab/xen/start; lab/test brings it up).
        .testTarget(name: "XenLabTests", dependencies: ["BootCanary", "CanaryModel", "CanaryHostFacts", "CanaryClassify", "CanaryReport", "CanaryEvidence", "CanaryProbe", "Libvirt"]),
    ],
    swiftLanguageModes: [.v6]
)
