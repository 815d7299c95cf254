import CBrakeSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads an agent's files with the agent's own rights. The guard service runs as root; reading the places a
/// call names (its repository, kubeconfig, plan file, policy layer) as root would let a link in the agent's
/// repository point root at `/etc/shadow` and have part of it echoed back. Linux keeps a file-system identity
/// per thread (`setfsuid`), so one request's thread reads as its caller while the others are unaffected.
package struct AgentFiles: Sendable {
    /// The caller's user and group; nil reads as this process (the hook running in the agent's own process).
    package var uid: UInt32?
    package var gid: UInt32?

    package static let own = AgentFiles(uid: nil, gid: nil)

    package init(uid: UInt32?, gid: UInt32?) {
        self.uid = uid
        self.gid = gid
    }

    /// Runs `body` reading files as the caller, then restores this thread's own identity.
    package func read<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        guard let uid, let gid, uid != geteuid() else { return try body() }
        let oldGid = brake_setfsgid(gid)
        let oldUid = brake_setfsuid(uid)
        defer {
            _ = brake_setfsuid(UInt32(bitPattern: oldUid))
            _ = brake_setfsgid(UInt32(bitPattern: oldGid))
        }
        return try body()
    }
}
