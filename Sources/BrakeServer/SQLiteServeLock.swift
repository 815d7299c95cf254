#if canImport(Glibc)
import Glibc
#endif

/// The claim a `brake serve` holds on its SQLite database while it runs (an exclusive `flock` on `FILE-serve.lock`,
/// released by the kernel when the process ends, however it ends). A second server on the same file is refused —
/// its breaker counts and caches would not see the first's — and so is `--import-sqlite` while a server still
/// writes the file (its writes after the copy would be lost).
///
/// A lock file of its own, never the database: closing any descriptor of the database file would drop SQLite's own
/// POSIX locks in this process.
public final class SQLiteServeLock: Sendable {
    let fd: Int32
    public let path: String

    /// Takes the claim, waiting up to `wait` seconds for a server that is shutting down to let go.
    public init(database: String, wait: Double = 10) throws(APIError) {
        path = database + "-serve.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw APIError(
                status: 0,
                message:
                    "cannot open \(path) (\(String(cString: strerror(errno)))); check that the data directory is writable by this user"
            )
        }
        var waited = 0.0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, waited < wait else {
                close(fd)
                throw APIError(
                    status: 0,
                    message:
                        "another brake serve is running on \(database) (it holds \(path)): stop it first; one server per SQLite file"
                )
            }
            usleep(100_000)
            waited += 0.1
        }
        self.fd = fd
    }

    deinit { close(fd) }
}
