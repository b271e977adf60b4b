/// One state of a xenbus device end, as `XENBUS: Timeout connecting to device: device/vbd/51712
/// (local state 3, remote state 1)` prints it: the number of `enum xenbus_state`.
public struct XenbusState: Sendable, Hashable {
    /// The number the kernel prints.
    public var number: Int
    /// The enumerator's name without `XenbusState` (`1` is `XenbusStateInitialising`).
    public var name: String
    /// A frontend's timeout with the backend (the remote end) in this state means dom0's (or
    /// the driver domain's) backend never came up: the host is to blame, not the guest.
    public var backendNeverConnected: Bool
    /// What the state means, for the person extending the table.
    public var source: String

    public init(_ number: Int, _ name: String, backendNeverConnected: Bool = false, source: String) {
        self.number = number
        self.name = name
        self.backendNeverConnected = backendNeverConnected
        self.source = source
    }
}

/// The xenbus states by number, 1 to 8 (xen/include/public/io/xenbus.h, copied into Linux as
/// include/xen/interface/io/xenbus.h; 0, XenbusStateUnknown, is left bare). A xenbus timeout's title names the remote state
/// (`remote state 1: Initialising`), and the diagnosis reads from it whether the backend
/// ever came up (`BootObservation.hostSideSign`).
///
/// To name another state: add a row. Nothing else changes.
public enum XenbusStateTable {
    public static let standard: [XenbusState] = [
        // The backend's xenstore directory exists but no backend driver took it: blkback or
        // netback not loaded, qemu's vfb not started, the driver domain not up.
        // fixtures/transcripts/pub-rancheros-xenbus-vfb-timeout (device/vfb/0, remote state 1).
        .init(1, "Initialising", backendNeverConnected: true, source: "xenbus.h XenbusStateInitialising"),
        // The backend driver probed the device but waits for its hotplug script or for details
        // from the toolstack. fixtures/transcripts/pub-xentroops-xenbus-vbd-timeout: a driver
        // domain whose backend was not ready left device/vbd/51712 at remote state 2 for 270 s.
        .init(2, "InitWait", backendNeverConnected: true, source: "xenbus.h XenbusStateInitWait"),
        // From here on the backend came up and answered: a timeout is the frontend's to explain.
        .init(3, "Initialised", source: "xenbus.h XenbusStateInitialised: waiting for the peer to connect"),
        .init(4, "Connected", source: "xenbus.h XenbusStateConnected"),
        .init(5, "Closing", source: "xenbus.h XenbusStateClosing: closing after an error or an unplug"),
        .init(6, "Closed", source: "xenbus.h XenbusStateClosed"),
        // Reconfiguring a connected device (pvSCSI adding or removing a LUN): the backend was up. Named since xenbus.h numbers them; before this row a timeout at 7 or
        // 8 was titled `(remote state 7)` without a name.
        .init(7, "Reconfiguring", source: "xenbus.h XenbusStateReconfiguring"),
        .init(8, "Reconfigured", source: "xenbus.h XenbusStateReconfigured"),
    ]

    /// The words before the number in the kernel's timeout message
    /// (drivers/xen/xenbus/xenbus_probe_frontend.c `(local state %d, remote state %d)`),
    /// kept in the title as `(remote state N: Name)`.
    public static let remoteStateLabel = "remote state "

    /// The row for a state number; nil for a number the table does not name.
    public static func state(_ number: Int) -> XenbusState? {
        standard.first { $0.number == number }
    }

    /// Whether `text` (a xenbus timeout line or its title) names a remote state that means the
    /// backend never came up. A plain substring test (`remote state 1`), as the diagnosis has
    /// always made it: xenbus.h has no two-digit state.
    public static func backendNeverConnected(in text: String) -> Bool {
        standard.contains { $0.backendNeverConnected && text.contains(remoteStateLabel + String($0.number)) }
    }
}
