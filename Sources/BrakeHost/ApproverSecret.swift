import BrakeCore
import Crypto
import CryptoExtras
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The approver secret of a local system install: what a person types to approve or resume in local mode,
/// which the agent's account cannot learn. Only its scrypt hash is kept, in `$BRAKE_SYSTEM_ROOT/etc/brake/
/// approver.json` (root, 0600); the guard service (root) checks what `brake approve` sends it.
package struct ApproverSecret: Sendable {
    package static let minimumLength = 12
    let salt: [UInt8]
    let hash: [UInt8]
    /// scrypt's cost: N (rounds), r (block size), p (parallelism).
    let rounds: Int
    let blockSize: Int
    let parallelism: Int

    package static func path(_ env: [String: String]) -> String { SystemConfig.directory(env) + "/approver.json" }

    /// A new hash of `secret` with a fresh salt; refuses a secret too short to resist guessing.
    package static func make(_ secret: String, rounds: Int = 1 << 15) throws(Failure) -> ApproverSecret {
        guard secret.count >= minimumLength else {
            throw Failure(
                status: ExitStatus.usage,
                message: "the approver secret must have at least \(minimumLength) characters"
            )
        }
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let draft = ApproverSecret(salt: salt, hash: [], rounds: rounds, blockSize: 8, parallelism: 1)
        return ApproverSecret(
            salt: salt,
            hash: try draft.derive(secret),
            rounds: rounds,
            blockSize: 8,
            parallelism: 1
        )
    }

    func derive(_ secret: String) throws(Failure) -> [UInt8] {
        do {
            let key = try KDF.Scrypt.deriveKey(
                from: Array(secret.utf8),
                salt: salt,
                outputByteCount: 32,
                rounds: rounds,
                blockSize: blockSize,
                parallelism: parallelism
            )
            return key.withUnsafeBytes { Array($0) }
        } catch {
            throw Failure(status: ExitStatus.badInput, message: "scrypt failed: \(error)")
        }
    }

    /// Whether `secret` is the one this hash was made from (compared in constant time).
    package func matches(_ secret: String) -> Bool {
        guard let derived = try? derive(secret), derived.count == hash.count else { return false }
        var diff: UInt8 = 0
        for (a, b) in zip(derived, hash) { diff |= a ^ b }
        return diff == 0
    }

    package var json: JSONValue {
        .object([
            ("kdf", .string("scrypt")), ("n", .number(Double(rounds))), ("r", .number(Double(blockSize))),
            ("p", .number(Double(parallelism))), ("salt", .string(Base64.encode(salt))),
            ("hash", .string(Base64.encode(hash))),
        ])
    }

    /// The installed hash, or nil when the machine has none.
    package static func load(env: [String: String]) throws(Failure) -> ApproverSecret? {
        let path = path(env)
        guard Loader.exists(path) else { return nil }
        let text = try Loader.readFile(path)
        guard let v = try? JSONValue.parse(text), v["kdf"]?.stringValue == "scrypt",
            case .number(let n)? = v["n"], case .number(let r)? = v["r"], case .number(let p)? = v["p"],
            let salt = v["salt"]?.stringValue.flatMap(Base64.decode),
            let hash = v["hash"]?.stringValue.flatMap(Base64.decode), hash.count == 32, n >= 1024, r >= 1, p >= 1
        else {
            throw Failure(
                status: ExitStatus.badInput,
                message: "\(path) is damaged; an administrator must run `brake secret set` again"
            )
        }
        return ApproverSecret(salt: salt, hash: hash, rounds: Int(n), blockSize: Int(r), parallelism: Int(p))
    }

    /// Writes the hash for a local system install (root only): `etc/brake/approver.json`, 0600.
    package func install(env: [String: String]) throws(Failure) {
        guard geteuid() == 0 else {
            throw Failure(
                status: ExitStatus.usage,
                message: "the approver secret is part of the system install: run this as root"
            )
        }
        let dir = SystemConfig.directory(env)
        try GuardService.makeDirectories(dir, mode: 0o755)
        let store = LocalStore(env: ["BRAKE_HOME": dir])
        try store.writeAtomically(Self.path(env), json.serialized + "\n")
        chmod(Self.path(env), 0o600)
    }
}

extension ApproverSecret {
    /// `brake secret set`: reads the secret (twice at a terminal, once from standard input), installs its hash,
    /// and returns what to print.
    package static func set(env: [String: String], fromStdin: Bool) -> Result<String, Failure> {
        let first = Result { () throws(Failure) -> String in try LocalControl.readSecret(fromStdin: fromStdin) }
        guard case .success(let secret) = first else { return first }
        if !fromStdin {
            let again = Result { () throws(Failure) -> String in try LocalControl.readSecret(fromStdin: false) }
            guard case .success(let repeated) = again else { return again }
            if repeated != secret {
                return .failure(
                    Failure(status: ExitStatus.usage, message: "the two secrets differ; nothing was changed")
                )
            }
        }
        let installed = Result { () throws(Failure) in try make(secret).install(env: env) }
        if case .failure(let e) = installed { return .failure(e) }
        return .success(
            "approver secret set (\(path(env)), scrypt hash only). Local approvals and resumes on this machine now go through the guard service: run `brake daemon` as root (systemd unit: `brake daemon --unit`).\n"
        )
    }

    /// `brake secret remove` (root): what to print.
    package static func remove(env: [String: String]) -> Result<String, Failure> {
        guard geteuid() == 0 else {
            return .failure(Failure(status: ExitStatus.usage, message: "removing the approver secret needs root"))
        }
        let p = path(env)
        guard Loader.exists(p) else { return .success("no approver secret is set\n") }
        guard unlink(p) == 0 else {
            return .failure(
                Failure(status: ExitStatus.badInput, message: "cannot remove \(p): \(Loader.string(strerror(errno)))")
            )
        }
        return .success("approver secret removed (\(p))\n")
    }
}

/// Wrong secrets, per caller: after three, each further try waits twice as long (5 s, 10 s, 20 s … up to an hour),
/// so guessing through the service gets nowhere.
package final class SecretAttempts: Sendable {
    private let failures = Mutex<[UInt32: (count: Int, last: Int)]>([:])

    package init() {}

    /// Seconds the caller must still wait before another try, 0 when it may try now.
    package func wait(_ uid: UInt32, now: Int) -> Int {
        failures.withLock { failures in
            guard let f = failures[uid], f.count >= 3 else { return 0 }
            let delay = min(3600, 5 << min(f.count - 3, 10))
            return max(0, f.last + delay - now)
        }
    }

    package func record(_ uid: UInt32, ok: Bool, now: Int) {
        failures.withLock { failures in
            failures[uid] = ok ? nil : ((failures[uid]?.count ?? 0) + 1, now)
        }
    }
}
