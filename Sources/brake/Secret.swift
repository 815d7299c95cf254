import ArgumentParser
import BrakeCore
import BrakeHost

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `brake secret`: the approver secret of a local system install (no server), set by root.
struct Secret: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret",
        abstract: "Set or remove the approver secret of a local system install (as root).",
        discussion: """
            Without a server, an agent running as the person's own account can do whatever that account can. A \
            local system install puts something between them: the guard service (`brake daemon`, root) keeps each \
            account's local state under $BRAKE_SYSTEM_ROOT/var/lib/brake/users/UID, and `brake approve` and \
            `brake resume` must be given this secret, which only people know. Only its scrypt hash is kept, in \
            $BRAKE_SYSTEM_ROOT/etc/brake/approver.json (root, 0600); wrong secrets are refused, logged, and slowed.
            """,
        subcommands: [Set.self, Remove.self]
    )

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set (or replace) the approver secret: typed twice at the terminal, or one line on stdin."
        )
        @Flag(name: .long, help: "Read the secret from standard input (one line) instead of the terminal.")
        var stdin = false

        func run() throws {
            let env = Loader.environment()
            do {
                let secret = try LocalControl.readSecret(fromStdin: stdin)
                if !stdin, try LocalControl.readSecret(fromStdin: false) != secret {
                    throw Failure(status: ExitStatus.usage, message: "the two secrets differ; nothing was changed")
                }
                try ApproverSecret.make(secret).install(env: env)
                FileHandleOut.stdout(
                    "approver secret set (\(ApproverSecret.path(env)), scrypt hash only). Local approvals and resumes on this machine now go through the guard service: run `brake daemon` as root (systemd unit: `brake daemon --unit`).\n"
                )
            } catch {
                Loader.fail(error)
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove the approver secret (local mode is then the agent's own account again)."
        )

        func run() throws {
            let env = Loader.environment()
            let path = ApproverSecret.path(env)
            do {
                guard geteuid() == 0 else {
                    throw Failure(status: ExitStatus.usage, message: "removing the approver secret needs root")
                }
                guard Loader.exists(path) else {
                    FileHandleOut.stdout("no approver secret is set\n")
                    return
                }
                guard unlink(path) == 0 else {
                    throw Failure(
                        status: ExitStatus.badInput,
                        message: "cannot remove \(path): \(Loader.string(strerror(errno)))"
                    )
                }
                FileHandleOut.stdout("approver secret removed (\(path))\n")
            } catch {
                Loader.fail(error)
            }
        }
    }
}
