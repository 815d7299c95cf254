import ArgumentParser
import BrakeCore
import BrakeHost

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
            switch ApproverSecret.set(env: Loader.environment(), fromStdin: stdin) {
            case .success(let text): FileHandleOut.stdout(text)
            case .failure(let e): Loader.fail(e)
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove the approver secret (local mode is then the agent's own account again)."
        )

        func run() throws {
            switch ApproverSecret.remove(env: Loader.environment()) {
            case .success(let text): FileHandleOut.stdout(text)
            case .failure(let e): Loader.fail(e)
            }
        }
    }
}
