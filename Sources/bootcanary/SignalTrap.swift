import BootCanary
import Foundation

/// On SIGINT or SIGTERM: destroy every test domain in flight, remove scratch files and
/// uploads, then exit with the shell's code for the signal (130, 143). The handlers run on a
/// dispatch queue, not in signal context, so they may call libvirt.
enum SignalTrap {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install() {
        for (signo, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\nbootcanary: interrupted; cleaning up...\n".utf8))
                let undone = Teardown.shared.runAll()
                for label in undone { FileHandle.standardError.write(Data("bootcanary: \(label)\n".utf8)) }
                exit(code)
            }
            source.resume()
            sources.append(source)
        }
    }
}
