import ArgumentParser
import BrakeCore
import BrakeHost

#if canImport(Glibc)
import Glibc
#endif

/// `brake report`: what AI-assisted work looks like in a repository over a period, from Brake's own record.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "Oversight report for a repository: AI-assisted share (recorded, not declared), sign-offs, change failure.",
        discussion: """
            Commits of HEAD's history in the period, judged as `brake gate` judges them: AI-assisted when Brake's \
            record shows an agent made them or wrote content they add (this machine's record, the notes in \
            refs/notes/brake-provenance, the control plane's when one is configured), or when their message \
            declares it. Lists the commits whose message does not declare AI use while the record shows it. \
            Change failure: a commit later reverted ("This reverts commit …") or fixed by a commit naming it \
            ("Fixes: SHA"), AI-assisted against human.
            """
    )
    @Option(name: .long, help: ArgumentHelp("The period: 7d, 30d, or any number of days (Nd).", valueName: "Nd"))
    var since: String = "30d"
    @Option(name: .long, help: ArgumentHelp("The repository (default: the current one).", valueName: "PATH"))
    var repository: String?
    @Option(
        name: .long,
        help: ArgumentHelp("The roster (default: team.yaml at HEAD, else the default requirements).", valueName: "FILE")
    )
    var roster: String?
    @Option(name: .long, help: "text, json or csv (one line per commit)") var format: String = "text"

    static func days(_ text: String) -> Int? {
        guard text.hasSuffix("d"), let n = Int(text.dropLast()), n > 0, n <= 3650 else { return nil }
        return n
    }

    func validate() throws {
        guard ["text", "json", "csv"].contains(format) else {
            throw ValidationError("--format must be text, json or csv")
        }
        guard Self.days(since) != nil else {
            throw ValidationError("--since takes a number of days such as 7d or 30d, not '\(since)'")
        }
    }

    /// `--roster FILE`, else the roster HEAD holds (the report describes the history as it is), else none: the
    /// default requirements, said so in the output.
    func reportRoster(root: String) throws -> (Roster, String) {
        if roster != nil { return try RosterFile.protected(explicit: roster, ref: nil, spec: "HEAD", root: root) }
        for name in RosterFile.names where Git.run(["cat-file", "-e", "HEAD:\(name)"]) != nil {
            return try RosterFile.protected(explicit: nil, ref: "HEAD", spec: "HEAD", root: root)
        }
        return (Roster(), "none (the default requirements)")
    }

    func run() throws {
        let env = Loader.environment()
        do {
            if let repository {
                guard Glibc.chdir(repository) == 0 else {
                    throw Failure(status: ExitStatus.badInput, message: "cannot enter \(repository)")
                }
            }
            let root = try Git.root()
            let start = LocalStore.now() - Self.days(since)! * 86400
            let (r, rosterSource) = try reportRoster(root: root)
            let (results, work) = try Gate.evaluate(
                "HEAD",
                since: start,
                roster: r,
                pusher: nil,
                env: env,
                countLines: true
            )
            let times = Git.commitTimes(since: start)
            let report = CommitReport.build(
                results: results,
                times: times.times,
                declared: { Provenance.classify($0, patterns: r.requirements.markers).0 },
                recorded: { work.match($0) },
                later: times.messages
            )
            switch format {
            case "json":
                FileHandleOut.stdout(
                    JSONValue.object([
                        ("repository", .string(root)), ("since", .number(Double(start))),
                        ("period_days", .number(Double(Self.days(since)!))), ("roster", .string(rosterSource)),
                        ("commits", report.json),
                    ]).serialized + "\n"
                )
            case "csv": FileHandleOut.stdout(report.csv)
            default:
                FileHandleOut.stdout(
                    "\(root), last \(Self.days(since)!) days (roster: \(rosterSource))\n" + report.text
                )
            }
        } catch {
            Loader.fail(error)
        }
    }
}

extension Git {
    /// Each commit's time in HEAD's history since `since`, and the messages of those commits (the ones that may
    /// revert or fix others).
    static func commitTimes(since: Int) -> (times: [String: Int], messages: [String]) {
        var times: [String: Int] = [:]
        var messages: [String] = []
        let out = run(["log", "-z", "--since=@\(since)", "--format=%H%x1f%ct%x1f%B", "HEAD"]) ?? ""
        for record in out.split(separator: "\0") {
            let f = record.split(separator: "\u{1f}", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard f.count == 3 else { continue }
            times[f[0].trimmingCharacters(in: "\n ")] = Int(f[1]) ?? 0
            messages.append(f[2])
        }
        return (times, messages)
    }
}
