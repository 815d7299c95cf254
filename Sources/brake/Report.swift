import ArgumentParser
import BrakeClient
import BrakeCore
import BrakeHost

#if canImport(Glibc)
import Glibc
#endif

/// `brake report`: oversight over a period — what agents did and what people were asked (the control plane's
/// record), and what AI-assisted work looks like in a repository (its history, judged as the gate judges it).
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "Oversight report: actions, asks, denies, approval latency, suggestions; AI-assisted share, sign-offs, change failure.",
        discussion: """
            With a control plane (BRAKE_SERVER and your own BRAKE_TOKEN, or `brake login --person`): per repository, \
            team, agent and person — actions decided, asks, denies, stops, breaker trips, approval latency (p50/p90) \
            and the hours it adds up to, asks per agent-hour, the rules that ask most, what observe mode would have \
            asked, sign-off reports, and suggestions (asks approved every time that a scoped exception could end).

            In a repository (the current one, or --repository PATH): commits of HEAD's history in the period, judged \
            as `brake gate` judges them: AI-assisted when Brake's record shows an agent made them or wrote content \
            they add, or when their message declares it; sign-off coverage; change failure — a commit later reverted \
            ("This reverts commit …") or fixed by a commit naming it ("Fixes: SHA"), AI-assisted against human. Its \
            figures replace the control plane's `commits`. The JSON keys are listed in the README.
            """
    )
    @Option(name: .long, help: ArgumentHelp("The period: 7d, 30d, or any number of days (Nd).", valueName: "Nd"))
    var since: String = "30d"
    @Option(name: .long, help: ArgumentHelp("Only this team (as the server's configuration lists it).", valueName: "T"))
    var team: String?
    @Option(
        name: .long,
        help: ArgumentHelp(
            "A repository: a directory (its history is read too), or its identity on the control plane (github.com/acme/shop, a glob). Default: the current repository.",
            valueName: "R"
        )
    )
    var repository: String?
    @Option(
        name: .long,
        help: ArgumentHelp("The roster (default: team.yaml at HEAD, else the default requirements).", valueName: "FILE")
    )
    var roster: String?
    @Option(name: .long, help: "text, json or csv") var format: String = "text"

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

    /// The repository's history part, when there is a repository to read.
    struct Local {
        var root: String
        var identity: String
        var rosterSource: String
        var report: CommitReport
    }

    func local(env: [String: String], start: Int) throws -> Local? {
        if let repository {
            var isDir = stat()
            guard stat(repository, &isDir) == 0, (isDir.st_mode & S_IFMT) == S_IFDIR else { return nil }
            guard Glibc.chdir(repository) == 0 else {
                throw Failure(status: ExitStatus.badInput, message: "cannot enter \(repository)")
            }
        } else if Git.run(["rev-parse", "--show-toplevel"]) == nil {
            return nil
        }
        let root = try Git.root()
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
        return Local(
            root: root,
            identity: SignoffReports.identity(root: root),
            rosterSource: rosterSource,
            report: report
        )
    }

    /// The control plane's report, when one is configured.
    func served(env: [String: String], filter: String?, format: String) throws -> (JSONValue?, String?) {
        guard let link = try ServerLink.load(env: env, store: LocalStore(env: env), forPerson: true) else {
            if team != nil {
                throw Failure(
                    status: ExitStatus.usage,
                    message:
                        "--team needs the control plane (teams are in its configuration); set BRAKE_SERVER and BRAKE_TOKEN"
                )
            }
            return (nil, nil)
        }
        var query = "since=\(since)&format=\(format)"
        if let team { query += "&team=" + ServerClient.escape(team) }
        if let filter { query += "&repository=" + ServerClient.escape(filter) }
        let client = try link.client(timeout: 30)
        do {
            if format == "json" { return (try client.call("GET", "/v1/reports?" + query), nil) }
            let r = try client.text("/v1/reports?" + query)
            guard r.status == 200 else {
                throw ClientError.status(r.status, (try? JSONValue.parse(r.body))?["error"]?.stringValue ?? r.body)
            }
            return (nil, r.body)
        } catch {
            throw Failure(status: ExitStatus.badInput, message: "the control plane's report cannot be read: \(error)")
        }
    }

    func run() throws {
        let env = Loader.environment()
        do {
            let days = Self.days(since)!
            let start = LocalStore.now() - days * 86400
            let here = try local(env: env, start: start)
            // The control plane is asked about the repository read here, or the identity given.
            let filter = here?.identity ?? repository
            if here == nil, repository == nil,
                (try ServerLink.load(env: env, store: LocalStore(env: env), forPerson: true)) == nil
            {
                throw Failure(
                    status: ExitStatus.usage,
                    message:
                        "nothing to report on: not in a git repository and no control plane configured; run it in a repository, give --repository PATH, or set BRAKE_SERVER and BRAKE_TOKEN"
                )
            }
            switch format {
            case "json":
                let (server, _) = try served(env: env, filter: filter, format: "json")
                var members: [(String, JSONValue)] = []
                if case .object(let m)? = server {
                    members = m.filter { $0.0 != "commits" }
                    members.append(("source", .string("control plane")))
                } else {
                    members = [
                        ("since", .number(Double(start))), ("period_days", .number(Double(days))),
                        ("source", .string("this repository only (no control plane configured)")),
                    ]
                }
                if let here {
                    // The history's figures, with how long commits waited for sign-off from the control plane's
                    // sign-off reports (the history does not say when a note was written).
                    var commits = here.report.json
                    if case .object(var m) = commits, let wait = server?["commits"]?["signoff_wait"] {
                        m.append(("signoff_wait", wait))
                        commits = .object(m)
                    }
                    members += [
                        ("repository_path", .string(here.root)), ("roster", .string(here.rosterSource)),
                        ("commits", commits),
                    ]
                } else if let c = server?["commits"] {
                    members.append(("commits", c))
                }
                FileHandleOut.stdout(JSONValue.object(members).serialized + "\n")
            case "csv":
                if let here {
                    FileHandleOut.stdout(here.report.csv)
                } else {
                    let (_, text) = try served(env: env, filter: filter, format: "csv")
                    FileHandleOut.stdout(text ?? "")
                }
            default:
                let (_, text) = try served(env: env, filter: filter, format: "text")
                var out = ""
                if let text {
                    out +=
                        "control plane, last \(days) days\(filter.map { " (\($0))" } ?? "")\(team.map { ", team \($0)" } ?? ""):\n"
                        + text + "\n"
                }
                if let here {
                    out += "\(here.root), last \(days) days (roster: \(here.rosterSource))\n" + here.report.text
                }
                FileHandleOut.stdout(out)
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
