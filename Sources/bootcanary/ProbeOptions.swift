import ArgumentParser
import CanaryClassify
import CanaryProbe
import CanarySession
import Foundation
import Libvirt

/// The probe options shared by `boot`, `diagnose` and `canary` (docs/contract.md).
struct ProbeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The suspect guest's disk (never written).", valueName: "DISK"))
    var image: String?

    @Option(help: ArgumentHelp("The suspect guest as libvirt defines it (shut off; never started or changed): its disk, declared format, guest type, memory and vCPUs.", valueName: "NAME"))
    var domain: String?

    @Option(name: .customLong("image-format"), help: ArgumentHelp("The format of --image/--pygrub as the guest's definition declares it (default raw; never guessed from the disk's bytes).", valueName: "raw|qcow2"))
    var imageFormat: DiskFormat?

    @Option(name: .customLong("master-format"), help: ArgumentHelp("The format of --master (default raw).", valueName: "raw|qcow2"))
    var masterFormat: DiskFormat?

    @Option(help: ArgumentHelp("Boot DISK's own kernel, found by its bootloader config (boot only).", valueName: "DISK"))
    var pygrub: String?

    @Option(help: ArgumentHelp("A host-supplied kernel.", valueName: "PATH"))
    var kernel: String?

    @Option(help: ArgumentHelp("The initrd for --kernel.", valueName: "PATH"))
    var initrd: String?

    @Option(help: ArgumentHelp("Kernel command line for --kernel (console= is added when missing).", valueName: "S"))
    var cmdline: String?

    @Option(help: ArgumentHelp("An install tree (http, https or file URL).", valueName: "URL"))
    var installer: String?

    @Option(help: ArgumentHelp("A master image to boot a fresh instance from.", valueName: "DISK"))
    var master: String?

    @Option(name: .customLong("domain-type"), help: ArgumentHelp("libvirt domain type: xen, kvm, qemu (default: what the host offers).", valueName: "T"))
    var domainType: String?

    @Option(name: .customLong("guest-type"), help: ArgumentHelp("Xen guest type: pv, pvh, hvm.", valueName: "pv|pvh|hvm"))
    var guestType: DomainSpec.GuestType = .pv

    @Option(name: .customLong("pvh-firmware"), help: ArgumentHelp("Xen PVH: the firmware, a path on the host, that boots the image's own grub.cfg (default: pvgrub2 from grub-xen-host, \(BootSettings.defaultPVHFirmware)).", valueName: "PATH"))
    var pvhFirmware: String = BootSettings.defaultPVHFirmware

    @Option(help: ArgumentHelp("Guest memory.", valueName: "MiB"))
    var memory: Int = 256

    @Option(help: ArgumentHelp("Guest vCPUs.", valueName: "N"))
    var vcpus: Int = 1

    @Option(help: ArgumentHelp("Give up on one boot after S seconds.", valueName: "S"))
    var timeout: Double = BootSettings.defaultTimeout

    @Option(name: .customLong("stall-timeout"), help: ArgumentHelp("Console silence that counts as a stall.", valueName: "S"))
    var stallTimeout: Double = StallPolicy.defaultStallTimeout

    @Option(name: .customLong("frozen-after"), help: ArgumentHelp("Shorter silence that counts as a stall when the vCPUs make no progress.", valueName: "S"))
    var frozenAfter: Double = StallPolicy.defaultFrozenAfter

    @Option(name: .customLong("no-output-timeout"), help: ArgumentHelp("Silence from the start, before the first byte, that counts as a stall (capped by --stall-timeout).", valueName: "S"))
    var noOutputTimeout: Double = StallPolicy.defaultNoOutputTimeout

    @Option(help: ArgumentHelp("Success marker (default: a login prompt).", valueName: "REGEX"))
    var expect: String?

    @Option(help: ArgumentHelp("Seconds to keep reading after a fatal signature, for its trace.", valueName: "S"))
    var grace: Double = 10

    mutating func validate() throws {
        // One definition of each range, shared with the canary profile (ProbeLimits).
        let checks: [(ProbeLimit, Double)] = [
            (ProbeLimits.memory, Double(memory)), (ProbeLimits.vcpus, Double(vcpus)), (ProbeLimits.timeout, timeout),
            (ProbeLimits.stallTimeout, stallTimeout), (ProbeLimits.frozenAfter, frozenAfter),
            (ProbeLimits.noOutputTimeout, noOutputTimeout), (ProbeLimits.grace, grace),
        ]
        for (limit, value) in checks {
            if let problem = limit.flagProblem(value) { throw ValidationError(problem) }
        }
        if frozenAfter > stallTimeout { throw ValidationError("--frozen-after (\(frozenAfter)) must not exceed --stall-timeout (\(stallTimeout))") }
        if !pvhFirmware.hasPrefix("/") { throw ValidationError("--pvh-firmware must be an absolute path on the host (got \(pvhFirmware))") }
        if kernel == nil && (initrd != nil || cmdline != nil) { throw ValidationError("--initrd and --cmdline need --kernel") }
        if let domainType, !["xen", "kvm", "qemu", "test"].contains(domainType) {
            throw ValidationError("--domain-type must be xen, kvm or qemu (got \(domainType))")
        }
        if let expect {
            do { _ = try NSRegularExpression(pattern: expect) } catch {
                throw ValidationError("--expect is not a valid regular expression: \(expect)")
            }
        }
    }

    var stallPolicy: StallPolicy {
        var policy = StallPolicy(stallTimeout: stallTimeout, frozenAfter: frozenAfter)
        policy.noOutputTimeout = noOutputTimeout
        return policy
    }

    var settings: BootSettings {
        var settings = BootSettings(
            timeout: timeout,
            stall: stallPolicy,
            classifier: ClassifierOptions(success: expect.map { .regex($0) } ?? .loginPrompt, graceSeconds: grace))
        settings.pvhFirmware = pvhFirmware
        return settings
    }
}

extension DomainSpec.GuestType: ExpressibleByArgument {}
extension DiskFormat: ExpressibleByArgument {}

extension ProbeOptions {
    /// The inputs, with `--domain`'s definition under what was given explicitly; the guest's
    /// XML is returned to be kept with the run.
    func resolvedInputs(on connection: Connection) throws -> (ProbeInputs, String?) {
        guard let domain else { return (planInputs, nil) }
        do {
            let (definition, xml) = try GuestLookup.load(domain, on: connection)
            return (try definition.inputs(over: planInputs), xml)
        } catch let error as GuestLookup.Failure {
            throw Failure.usage(error.description)
        } catch let error as GuestDefinition.Failure {
            throw Failure.usage(error.description)
        }
    }

    var planInputs: ProbeInputs {
        ProbeInputs(image: image, pygrub: pygrub, kernel: kernel, initrd: initrd, cmdline: cmdline, installer: installer,
                    master: master, domainType: domainType, guestType: guestType, memoryMiB: memory, vcpus: vcpus,
                    imageFormat: imageFormat, masterFormat: masterFormat)
    }
}
