import Foundation

/// What `sfdisk --json IMAGE` says about a disk: its table's label and partitions, in bytes.
struct PartitionLayout: Equatable {
    struct Partition: Equatable {
        var number: Int
        var offset: UInt64
        var size: UInt64
        var type: String
        var bootable: Bool

        /// MBR type 83 and GPT's "Linux filesystem" GUID: where an ext filesystem lives.
        var isLinux: Bool {
            let t = type.lowercased()
            return t == "83" || t == "0fc63daf-8483-4772-8e79-3d69d8477de4"
        }
    }

    var label: String
    var partitions: [Partition]

    /// Parses sfdisk's JSON (`{"partitiontable": {"label": "dos", "sectorsize": 512,
    /// "partitions": [{"start": 2048, "size": 129024, "type": "83", ...}]}}`).
    init?(json: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let table = object["partitiontable"] as? [String: Any] else { return nil }
        label = table["label"] as? String ?? "unknown"
        let sector = UInt64(table["sectorsize"] as? Int ?? 512)
        let list = table["partitions"] as? [[String: Any]] ?? []
        partitions = list.enumerated().compactMap { i, p in
            guard let start = p["start"] as? Int, let size = p["size"] as? Int, start >= 0, size >= 0 else { return nil }
            return Partition(number: i + 1, offset: UInt64(start) * sector, size: UInt64(size) * sector,
                             type: p["type"] as? String ?? "", bootable: p["bootable"] as? Bool ?? false)
        }
    }

    /// The partition that holds the root filesystem, as far as the table tells: the bootable
    /// Linux partition, else the first Linux one, else the first.
    var rootCandidate: Partition? {
        partitions.first { $0.isLinux && $0.bootable } ?? partitions.first(where: \.isLinux) ?? partitions.first
    }
}
