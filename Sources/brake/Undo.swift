import ArgumentParser
import BrakeHost

/// `brake checkpoints list`: what Brake kept before agents' destructive steps.
struct CheckpointsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoints",
        abstract: "What Brake kept before agents' destructive steps (what `brake undo` can put back).",
        subcommands: [List.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List checkpoints, newest first: the paths each kept, and what it left out and why."
        )
        @Option(name: .long, help: "Only this agent session's checkpoints.") var session: String?
        @Option(name: .long, help: "text or json") var format: String = "text"
        @OptionGroup var person: LocalPersonOptions

        func validate() throws {
            guard format == "text" || format == "json" else { throw ValidationError("--format is text or json") }
        }

        func run() throws {
            var order = person.order(.checkpoints)
            order.selection.session = session
            order.json = format == "json"
            do { try LocalControl.run(order, env: Loader.environment(), secretFromStdin: person.secretStdin) } catch {
                Loader.fail(error)
            }
        }
    }
}

/// `brake undo`: a person puts back what agents' steps destroyed, from the checkpoints taken before them.
struct UndoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract:
            "Restore what checkpoints kept: files byte for byte with their modes, branch heads, uncommitted work.",
        discussion: """
            Without a selection, the most recent checkpoint. A path that changed again after its checkpoint's step \
            is reported and left alone unless --force. Exit 0 when everything was restored (or already was), \
            1 when some paths were left alone, 64 for a selection that matches nothing. Agents may not run it; \
            on a local system install it needs the approver secret (not for --dry-run).
            """
    )
    @Argument(help: "A checkpoint id (`brake checkpoints list`).") var id: String?
    @Option(name: .long, help: "Every checkpoint of this agent session (with --last: its N most recent).")
    var session: String?
    @Option(name: .long, help: ArgumentHelp("The N most recent checkpoints.", valueName: "N")) var last: Int?
    @Flag(name: .long, help: "Only list what would be restored.") var dryRun = false
    @Flag(name: .long, help: "Also overwrite paths that changed after their checkpoint.") var force = false
    @Option(name: .long, help: "text or json") var format: String = "text"
    @OptionGroup var person: LocalPersonOptions

    func validate() throws {
        guard format == "text" || format == "json" else { throw ValidationError("--format is text or json") }
        if id != nil && (session != nil || last != nil) {
            throw ValidationError("give a checkpoint id, or --session/--last, not both")
        }
        if let last, last < 1 { throw ValidationError("--last takes a positive number") }
    }

    func run() throws {
        var order = person.order(.undo)
        order.selection = UndoSelection(id: id, session: session, last: last)
        order.dryRun = dryRun
        order.force = force
        order.json = format == "json"
        do { try LocalControl.run(order, env: Loader.environment(), secretFromStdin: person.secretStdin) } catch {
            Loader.fail(error)
        }
    }
}
