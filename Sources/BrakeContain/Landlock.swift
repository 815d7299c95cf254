#if canImport(Glibc)
import CBrakeSystem
import Glibc

/// Linux Landlock, called directly (the Glibc module has no wrappers): an unprivileged process limits which files
/// it and every process it starts may read, write or run. Rules only grant; what no rule grants is refused with
/// EACCES, for the process and all its descendants, and the limits can never be lifted from inside.
public enum Landlock {
    // Rights, from linux/landlock.h.
    public static let execute: UInt64 = 1 << 0
    public static let writeFile: UInt64 = 1 << 1
    public static let readFile: UInt64 = 1 << 2
    public static let readDir: UInt64 = 1 << 3
    public static let removeDir: UInt64 = 1 << 4
    public static let removeFile: UInt64 = 1 << 5
    public static let makeChar: UInt64 = 1 << 6
    public static let makeDir: UInt64 = 1 << 7
    public static let makeReg: UInt64 = 1 << 8
    public static let makeSock: UInt64 = 1 << 9
    public static let makeFifo: UInt64 = 1 << 10
    public static let makeBlock: UInt64 = 1 << 11
    public static let makeSym: UInt64 = 1 << 12
    /// ABI 2: renames and links across directories.
    public static let refer: UInt64 = 1 << 13
    /// ABI 3: truncate.
    public static let truncate: UInt64 = 1 << 14

    /// Rights that apply to a regular file (a rule on a file may hold only these).
    public static let fileRights: UInt64 = execute | writeFile | readFile | truncate
    /// Everything that changes the file system.
    public static func writeRights(abi: Int) -> UInt64 {
        var r =
            writeFile | removeDir | removeFile | makeChar | makeDir | makeReg | makeSock | makeFifo | makeBlock
            | makeSym
        if abi >= 2 { r |= refer }
        if abi >= 3 { r |= truncate }
        return r
    }

    /// ABI 4: TCP connect (network rights are a separate set).
    public static let connectTCP: UInt64 = 1 << 1

    /// The kernel's Landlock ABI version; 0 when Landlock is missing or disabled.
    public static func abi() -> Int { Int(brake_landlock_abi()) }

    /// What the kernel cannot confine, in words a person reads once per session; nil when Landlock does all that
    /// Brake asks of it. Below ABI 3 a confined command could still truncate files it may not write.
    public static func shortcoming(abi: Int) -> String? {
        if abi < 1 {
            return
                "this kernel has no Landlock, so commands run unconfined: only Brake's analysis of each command protects this session"
        }
        if abi < 3 {
            return
                "this kernel's Landlock (ABI \(abi)) cannot stop a confined command truncating files it may not write; Linux 6.2 or later closes that"
        }
        return nil
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// A ruleset being built: the rights it handles and the rules that grant them.
    public final class Ruleset {
        let fd: Int32
        public let handled: UInt64

        /// `network`: TCP rights handled too (ABI 4+); what no port rule grants is then refused.
        public init(handled: UInt64, network: UInt64 = 0) throws(Failure) {
            let fd =
                network == 0
                ? brake_landlock_create_ruleset(handled) : brake_landlock_create_ruleset_net(handled, network)
            guard fd >= 0 else {
                throw Failure(description: "landlock_create_ruleset: \(String(cString: strerror(errno)))")
            }
            self.fd = fd
            self.handled = handled
        }

        deinit { close(fd) }

        /// Grants `rights` beneath `path` (the path itself, and everything under it if it is a directory).
        /// Returns false when the path does not exist (nothing to grant).
        @discardableResult
        public func allow(_ path: String, _ rights: UInt64) throws(Failure) -> Bool {
            let pfd = open(path, 0o1000_0000 | O_CLOEXEC)  // O_PATH: a handle on the object, not opened for I/O
            guard pfd >= 0 else { return false }
            defer { close(pfd) }
            var st = stat()
            guard fstat(pfd, &st) == 0 else { return false }
            var allowed = rights & handled
            if (st.st_mode & S_IFMT) != S_IFDIR { allowed &= Landlock.fileRights }
            guard allowed != 0 else { return true }
            guard brake_landlock_allow_beneath(fd, pfd, allowed) == 0 else {
                throw Failure(description: "landlock_add_rule \(path): \(String(cString: strerror(errno)))")
            }
            return true
        }

        /// Grants TCP `rights` (connect) for one port.
        public func allow(port: Int, _ rights: UInt64) throws(Failure) {
            guard brake_landlock_allow_port(fd, UInt64(port), rights) == 0 else {
                throw Failure(description: "landlock_add_rule port \(port): \(String(cString: strerror(errno)))")
            }
        }

        /// Limits this thread (and what it executes or starts) to the rules; sets no_new_privs first, as the
        /// kernel requires of an unprivileged caller.
        public func restrictSelf() throws(Failure) {
            guard brake_landlock_restrict_self(fd) == 0 else {
                throw Failure(description: "landlock_restrict_self: \(String(cString: strerror(errno)))")
            }
        }
    }
}
#endif
