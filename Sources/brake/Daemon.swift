import ArgumentParser
import BrakeCore
import BrakeHost

/// `brake daemon`: runs the guard service (`GuardService`) that `brake-hook` calls.
struct Daemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the guard service: answers `brake-hook` calls warm, over a local socket.",
        discussion: """
            With a system install ($BRAKE_SYSTEM_ROOT/etc/brake/server.json) it runs as root, listens on \
            /run/brake/guard.sock for every agent account, knows each caller by its kernel credentials, keeps \
            each one's local state under /var/lib/brake/users/UID (which agents cannot write), and reads each \
            caller's files with the caller's own rights. Otherwise it serves its own user on $BRAKE_HOME/guard.sock \
            with the same state as `brake hook`. `brake-hook` runs `brake hook` itself when no service listens.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Listen here instead of the default socket.", valueName: "PATH"))
    var socket: String?

    @Flag(name: .long, help: "Print a systemd unit that runs the service, and exit.")
    var unit = false

    func run() throws {
        let env = Loader.environment()
        if unit {
            FileHandleOut.stdout(Self.unit(command: try Install.stableCommand(explicit: nil, env: env)))
            return
        }
        do {
            let service = try GuardService.configured(env: env, socket: socket)
            try service.run {
                FileHandleOut.stderr("brake daemon: listening on \(service.socketPath)\n")
            }
        } catch {
            Loader.fail(error)
        }
    }

    static func unit(command: String) -> String {
        """
        # /etc/systemd/system/brake-guard.service — Brake's guard service (written by `brake daemon --unit`)
        [Unit]
        Description=Brake guard service: answers agent hooks
        After=network-online.target
        Wants=network-online.target

        [Service]
        ExecStart=\(command) daemon
        Restart=always
        RestartSec=1
        NoNewPrivileges=yes
        ProtectHome=read-only
        ProtectSystem=full
        PrivateTmp=no

        [Install]
        WantedBy=multi-user.target

        """
    }
}
