import CLibvirt
#if canImport(Glibc)
import Glibc
#endif

/// A failed libvirt call, copied from libvirt's thread-local error on the failing call's own
/// thread (libvirt keeps the last error per thread; read it anywhere else and it is gone or
/// someone else's — libvirt-go #38).
public struct LibvirtError: Error, Sendable, Equatable, CustomStringConvertible {
    /// libvirt's `virErrorNumber` (e.g. 42 `VIR_ERR_NO_DOMAIN`).
    public var code: Code
    /// libvirt's `virErrorDomain`: which part of libvirt raised it (e.g. 41 `VIR_FROM_LIBXL`).
    public var domain: Int32
    /// libvirt's own message, e.g. "Domain not found: no domain with matching name 'x'".
    public var message: String
    /// The C function that failed, e.g. `virDomainCreateXML`.
    public var function: String

    public init(code: Code, domain: Int32 = 0, message: String, function: String) {
        self.code = code
        self.domain = domain
        self.message = message
        self.function = function
    }

    public var description: String { "\(function): \(message)" }

    /// Copies and clears the calling thread's last libvirt error.
    /// The corresponding C functions are `virCopyLastError` and `virResetError`.
    static func capture(_ function: String) -> LibvirtError {
        var err = virError()
        let code = virCopyLastError(&err)
        defer { virResetError(&err) }
        guard code > 0 else {
            return LibvirtError(code: .unknown, message: "failed without an error report", function: function)
        }
        let message = err.message.map { String(cString: $0) } ?? "unknown libvirt error"
        return LibvirtError(code: Code(rawValue: err.code), domain: err.domain, message: message, function: function)
    }

    /// libvirt error numbers worth naming (libvirt/virterror.h); unknown values are kept.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let unknown = Code(rawValue: -1)
        public static let internalError = Code(rawValue: 1)
        public static let noSupport = Code(rawValue: 3)
        public static let noConnect = Code(rawValue: 5)
        public static let invalidArg = Code(rawValue: 8)
        public static let operationFailed = Code(rawValue: 9)
        public static let xmlError = Code(rawValue: 27)
        public static let domainExists = Code(rawValue: 28)
        public static let xmlDetail = Code(rawValue: 35)
        public static let operationDenied = Code(rawValue: 29)
        public static let systemError = Code(rawValue: 38)
        public static let rpc = Code(rawValue: 39)
        public static let noDomain = Code(rawValue: 42)
        public static let authFailed = Code(rawValue: 45)
        public static let noStoragePool = Code(rawValue: 49)
        public static let noStorageVolume = Code(rawValue: 50)
        public static let operationInvalid = Code(rawValue: 55)
        public static let configUnsupported = Code(rawValue: 67)
        public static let operationTimeout = Code(rawValue: 68)
        public static let argumentUnsupported = Code(rawValue: 74)
        public static let operationUnsupported = Code(rawValue: 84)
        public static let authUnavailable = Code(rawValue: 94)

        public var description: String { "\(rawValue)" }
    }

    /// libvirt error domains worth naming.
    public enum Source {
        public static let xen: Int32 = 1
        public static let rpc: Int32 = 7
        public static let qemu: Int32 = 10
        public static let test: Int32 = 12
        public static let remote: Int32 = 13
        public static let domain: Int32 = 20
        public static let streams: Int32 = 38
        public static let libxl: Int32 = 41
    }
}

// MARK: - The one place C return values become Swift errors

/// Calls a libvirt function returning an `int` (< 0 on failure) and throws the error copied on
/// this same thread. Keep it synchronous: an `await` between the call and the copy would let
/// the task hop threads and lose the error.
@discardableResult
func check(_ function: String, _ body: () -> Int32) throws(LibvirtError) -> Int32 {
    virResetLastError()
    let rc = body()
    if rc < 0 { throw LibvirtError.capture(function) }
    return rc
}

/// Calls a libvirt function returning a pointer (NULL on failure).
func check<T>(_ function: String, _ body: () -> T?) throws(LibvirtError) -> T {
    virResetLastError()
    guard let value = body() else { throw LibvirtError.capture(function) }
    return value
}

/// Takes ownership of a `char *` that libvirt allocated for the caller, and frees it.
func takeString(_ function: String, _ body: () -> UnsafeMutablePointer<CChar>?) throws(LibvirtError) -> String {
    let raw = try check(function, body)
    defer { free(raw) }
    return String(cString: raw)
}

/// A string from a NUL-terminated fixed-size buffer libvirt filled in.
func string(fromBuffer buf: [CChar]) -> String {
    String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
