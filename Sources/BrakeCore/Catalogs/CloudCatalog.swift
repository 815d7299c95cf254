/// A generated catalog of one cloud CLI's command tree (AWS, gcloud, bq, gsutil, Azure): every command group and
/// every command, each command with the class of what it does. The catalogs are generated from the providers'
/// own machine-readable models by `scripts/catalogs/*.py` (versions in `…Source`); `scripts/catalogs/check.py`
/// regenerates them and compares.
///
/// The text is sorted lines `group|<class><leaf> <class><leaf> …` (the root group is the empty string). It is
/// indexed lazily, once per process and catalog, by line offsets only; a lookup is a binary search over groups
/// and a scan of one group's line, on the UTF-8 bytes.
public struct CloudCatalog: Sendable {
    /// What a command does.
    public enum OperationClass: UInt8, Sendable, CustomStringConvertible {
        /// Describes, lists, gets, validates, waits: changes nothing.
        case read = 0x72  // r
        /// Makes something new.
        case create = 0x63  // c
        /// Changes, starts, stops, sends, invokes.
        case mutate = 0x6D  // m
        /// Deletes, terminates, purges, deregisters, revokes.
        case delete = 0x64  // d
        /// Gives access: IAM and resource policies, role bindings, access keys, passwords, trust.
        case grant = 0x67  // g
        /// Turns off a protection: deletion protection, backups and snapshots, audit logs, detectors, keys.
        case unprotect = 0x70  // p
        /// Runs commands on machines or containers.
        case remoteExec = 0x78  // x
        /// Applies or deploys a stack or release that can replace or delete what it manages.
        case apply = 0x61  // a

        public var description: String {
            switch self {
            case .read: "read"
            case .create: "create"
            case .mutate: "mutate"
            case .delete: "delete"
            case .grant: "grant"
            case .unprotect: "unprotect"
            case .remoteExec: "remote-exec"
            case .apply: "apply"
            }
        }
    }

    /// What a lookup found.
    public enum Lookup: Sendable, Equatable {
        /// A command: its group path, its name, its class, and how many words it took.
        case command(group: String, name: String, OperationClass, consumed: Int)
        /// A word that is neither a group nor a command of the group reached so far.
        case unknown(group: String, word: String)
        /// The words stop at a group (the CLI prints help).
        case groupOnly(String)
    }

    private let text: String
    /// Per line: the UTF-8 offsets of its start, of the `|`, and of its end.
    private let lines: [(start: Int, bar: Int, end: Int)]

    init(_ text: String) {
        var t = text
        t.makeContiguousUTF8()
        self.text = t
        var out: [(Int, Int, Int)] = []
        t.utf8.withContiguousStorageIfAvailable { b in
            var start = 0
            var bar = -1
            for i in 0..<b.count {
                if b[i] == 0x7C && bar < 0 { bar = i }
                if b[i] == 0x0A {
                    if bar >= 0 { out.append((start, bar, i)) }
                    start = i + 1
                    bar = -1
                }
            }
            if bar >= 0 { out.append((start, bar, b.count)) }
        }
        lines = out
    }

    /// The line of a group, by binary search on the bytes before `|`.
    private func groupLine(_ group: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Int? {
        var lo = 0
        var hi = lines.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let l = lines[mid]
            let c = compare(b, l.start, l.bar, group)
            if c == 0 { return mid }
            if c < 0 { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }

    private func compare(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, _ key: [UInt8]) -> Int {
        var i = from
        var k = 0
        while i < to && k < key.count {
            if b[i] != key[k] { return b[i] < key[k] ? -1 : 1 }
            i += 1
            k += 1
        }
        if i == to && k == key.count { return 0 }
        return i == to ? -1 : 1
    }

    /// The class of `leaf` in the group on line `line`, or nil.
    private func leafClass(_ line: Int, _ leaf: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> OperationClass? {
        let l = lines[line]
        var i = l.bar + 1
        while i < l.end {
            var j = i
            while j < l.end && b[j] != 0x20 { j += 1 }
            if j - i - 1 == leaf.count {
                var same = true
                for k in 0..<leaf.count where b[i + 1 + k] != leaf[k] {
                    same = false
                    break
                }
                if same { return OperationClass(rawValue: b[i]) ?? .mutate }
            }
            i = j + 1
        }
        return nil
    }

    /// Walks `words` down the command tree: groups while they match, then one command.
    public func lookup(_ words: [String]) -> Lookup {
        text.utf8.withContiguousStorageIfAvailable { b -> Lookup in
            var group: [UInt8] = []
            var groupName = ""
            var line = groupLine(group, b)
            for (i, word) in words.enumerated() {
                let w = Array(word.utf8)
                let deeper = group.isEmpty ? w : group + [0x20] + w
                if let next = groupLine(deeper, b) {
                    group = deeper
                    groupName = groupName.isEmpty ? word : groupName + " " + word
                    line = next
                    continue
                }
                if let line, let cls = leafClass(line, w, b) {
                    return .command(group: groupName, name: word, cls, consumed: i + 1)
                }
                return .unknown(group: groupName, word: word)
            }
            return .groupOnly(groupName)
        } ?? .groupOnly("")
    }

    /// Every command name of the catalog, whatever its group, with its most severe class (for SDK calls, which
    /// name the operation without the service: boto3's `iam.attach_user_policy(…)`). Built on first use.
    public func anyGroup() -> [String: OperationClass] {
        var out: [String: OperationClass] = [:]
        let severity: [OperationClass: Int] = [
            .read: 0, .create: 1, .mutate: 2, .apply: 3, .delete: 4, .remoteExec: 5, .unprotect: 6, .grant: 7,
        ]
        text.utf8.withContiguousStorageIfAvailable { b in
            for l in lines {
                var i = l.bar + 1
                while i < l.end {
                    var j = i
                    while j < l.end && b[j] != 0x20 { j += 1 }
                    if j > i + 1, let cls = OperationClass(rawValue: b[i]) {
                        let name = String(decoding: UnsafeBufferPointer(rebasing: b[(i + 1)..<j]), as: UTF8.self)
                        if let old = out[name], severity[old, default: 0] >= severity[cls, default: 0] {
                        } else {
                            out[name] = cls
                        }
                    }
                    i = j + 1
                }
            }
        }
        return out
    }

    /// AWS operations by name alone (see `anyGroup`).
    public static let awsOperations = aws.anyGroup()

    /// The AWS CLI (service → operation).
    public static let aws = CloudCatalog(awsText)
    /// gcloud, with alpha and beta commands under their GA path.
    public static let gcloud = CloudCatalog(gcloudText)
    /// BigQuery's `bq`.
    public static let bq = CloudCatalog(bqText)
    /// `gsutil`.
    public static let gsutil = CloudCatalog(gsutilText)
    /// The Azure CLI's built-in modules.
    public static let azure = CloudCatalog(azureText)

    /// The catalogs' upstream versions, for `brake policy` and the README.
    public static var sources: [String] { [awsSource, gcloudSource, azureSource] }
}
