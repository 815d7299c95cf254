import ArgumentParser
import BrakeCore
import BrakeHost

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `brake plan FILE`: the blast radius of an infrastructure plan, a decision, and an approval bound to it.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Judge a Terraform/OpenTofu plan: blast radius, data-loss class per change, decision.",
        discussion: """
            FILE is `terraform show -json tfplan` output, or a binary plan file (converted with terraform or tofu \
            from PATH). Exit 0 allow, 1 ask, 2 deny, 65 unreadable or invalid input. --request opens an approval \
            bound to the plan file's digest; `brake exec -- terraform apply FILE` then runs only that plan.
            """
    )
    @Argument(help: "The plan file.") var file: String
    @Option(name: .long, help: "text or json") var format: String = "text"
    @Option(name: .long, help: ArgumentHelp("Organisation policy file.", valueName: "FILE")) var policy: String?
    @Option(name: .long, help: "Force the input type: terraform, cloudformation or kubernetes.") var type: String?
    @Option(name: .long, help: "Who acts: agent or human.") var actor: String = "agent"
    @Flag(
        name: .long,
        help:
            "Open an approval request bound to this exact plan (needed by `brake exec -- terraform apply`, even for a plan the policy allows)."
    ) var request = false

    func validate() throws {
        guard format == "text" || format == "json" else { throw ValidationError("--format must be text or json") }
        if let type, !["terraform", "cloudformation", "kubernetes"].contains(type) {
            throw ValidationError("--type must be terraform, cloudformation or kubernetes")
        }
    }

    func run() throws {
        let env = Loader.environment()
        do {
            let opts = LoadOptions(policy: policy, cwd: nil, actor: actor)
            let context = try Loader.context(opts, env: env)
            let pol = try Loader.policy(opts, env: env, projectRoot: context.projectRoot)
            let bytes = try Loader.bytes(file)
            let digest = Engine.hexDigest(bytes: bytes)
            let json = try PlanFiles.json(file, bytes: bytes)
            // The format comes from the content (parsed once); --type forces it.
            let analyzed = PlanInput.analyze(json, type: type, context: context, settings: pol.settings)
            guard case .success(var report) = analyzed else {
                if case .failure(let e) = analyzed {
                    throw Failure(status: ExitStatus.badInput, message: "\(file): \(e.message)")
                }
                return
            }
            // State identity: a binary plan carries the state it was made against.
            if let (lineage, serial) = PlanFiles.stateIdentity(file, bytes: bytes) {
                report.stateLineage = lineage
                report.stateSerial = serial
                let here = Loader.currentDirectory()
                let state = try LocalStore(env: env).read()
                report.stateWarning = state.stateMismatch(directory: here, lineage: lineage, serial: serial)
            }
            // A change set is approved by what it does (its changes), since `describe-change-set` is re-run at execution.
            let requestDigest = report.format == "cloudformation" ? (ChangeSet.contentDigest(json) ?? digest) : digest
            let decision = Engine.decide(plan: report, digest: digest, context: context, policy: pol)
            var requestID: String?
            var approvers = decision.approvers.map { "\($0.count) × \($0.role)" } ?? "a person"
            // A denied plan cannot be approved: no request is opened for it, and the output says so.
            if request && decision.verdict != .deny {
                let store = LocalStore(env: env)
                let summary =
                    "plan \(file): "
                    + ["create", "update", "replace", "delete", "forget"].map { "\(report.counts[$0] ?? 0) \($0)" }
                    .joined(separator: ", ")
                if let link = try ServerLink.load(env: env, store: store) {
                    // Through the control plane, which analyses the plan itself: approvers see its blast radius.
                    var ctx: [(String, JSONValue)] = [("cwd", .string(context.cwd)), ("home", .string(context.home))]
                    if let w = context.terraformWorkspace { ctx.append(("terraform_workspace", .string(w))) }
                    let body: [(String, JSONValue)] = [
                        ("plan", .string(json)), ("digest", .string(digest)), ("file", .string(file)),
                        ("binary", .bool(json.utf8.count != bytes.count || Engine.hexDigest(json) != digest)),
                        ("format", type.map { .string($0) } ?? .null), ("agent", .string(actor)),
                        ("session", .string(env["BRAKE_SESSION"] ?? "")),
                        ("repository", .string(RepositoryName.of(projectRoot: context.projectRoot) ?? "")),
                        ("environment", .string(env["BRAKE_ENVIRONMENT"] ?? "")), ("context", .object(ctx)),
                    ]
                    let r = try Remote.call(try link.client(timeout: 60), "POST", "/v1/plans", .object(body))
                    requestID = r["id"]?.stringValue
                    if let role = r["required"]?["role"]?.stringValue {
                        approvers = "\(r["required"]?["count"]?.intValue ?? 1) × \(role)"
                    }
                } else {
                    requestID = try store.withState { (state: inout LocalState) throws(Failure) -> String in
                        let r = state.request(
                            digest: requestDigest,
                            summary: summary,
                            agent: actor,
                            session: nil,
                            rules: decision.reasons.map(\.rule),
                            now: LocalStore.now(),
                            newID: LocalStore.newID()
                        )
                        try store.audit([
                            ("decision", .string("plan request")), ("request", .string(r.id)),
                            ("digest", .string(digest)),
                            ("action", .string(summary)),
                        ])
                        return r.id
                    }
                }
            }
            FileHandleOut.stdout(
                format == "json"
                    ? PlanInput.json(report, decision, requestID) + "\n"
                    : PlanFiles.text(report, decision, requestID, approvers: approvers, requested: request)
            )
            Glibc.exit(
                decision.verdict == .allow
                    ? ExitStatus.allow : decision.verdict == .ask ? ExitStatus.ask : ExitStatus.deny
            )
        } catch {
            Loader.fail(error)
        }
    }
}

enum PlanFiles {
    /// The plan as JSON text; a binary plan (a zip file) is converted with `terraform show -json`.
    static func json(_ path: String, bytes: [UInt8]) throws(Failure) -> String {
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            for tool in ["terraform", "tofu"] {
                if let out = run("\(tool) show -json \(Hooks.shellQuote(path))"), out.first == "{" { return out }
            }
            throw Failure(
                status: ExitStatus.badInput,
                message:
                    "\(path) is a binary plan and neither `terraform show -json` nor `tofu show -json` could read it; run it in the plan's directory after `terraform init`"
            )
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The lineage and serial of the state inside a binary plan file (`unzip -p PLAN tfstate`).
    static func stateIdentity(_ path: String, bytes: [UInt8]) -> (String, Int)? {
        guard bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]),
            let text = run("unzip -p \(Hooks.shellQuote(path)) tfstate"),
            let v = try? JSONValue.parse(text), let lineage = v["lineage"]?.stringValue,
            case .number(let serial)? = v["serial"]
        else { return nil }
        return (lineage, Int(serial))
    }

    static func run(_ command: String) -> String? {
        guard let p = popen(command + " 2>/dev/null", "r") else { return nil }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&buf, 1, buf.count, p)
            if n > 0 { out.append(contentsOf: buf[0..<n]) }
            if n < buf.count { break }
        }
        return pclose(p) == 0 ? String(decoding: out, as: UTF8.self) : nil
    }

    static func text(
        _ r: PlanReport,
        _ d: Decision,
        _ request: String?,
        approvers: String = "a person",
        requested: Bool = false
    ) -> String {
        var out =
            "\(d.verdict.rawValue.uppercased())  "
            + ["create", "update", "replace", "delete", "forget", "read", "no-op"].map { "\(r.counts[$0] ?? 0) \($0)" }
            .joined(separator: ", ") + "\n"
        out +=
            (r.managedKnown
                ? "  destroys \(Int((r.destroyedFraction * 100).rounded()))% of \(r.managed) managed resources"
                : "  (the input does not say how many resources exist)")
            + "\(r.destroyMode ? " (destroy plan)" : "")\(r.drift > 0 ? ", \(r.drift) drifted" : "")\n"
        for c in r.changes where c.action != "no-op" && c.action != "read" {
            out +=
                "  \(c.action.padding(8)) \(c.address)  [\(c.dataLoss)]\(c.evidence.isEmpty ? "" : "  " + c.evidence.joined(separator: "; "))\n"
        }
        for p in r.production { out += "  production: \(p.source) = \(p.value)\n" }
        for reason in d.reasons { out += "  [\(reason.rule)] \(reason.message)\n" }
        out += "  digest: \(d.digest)\n"
        switch (d.verdict, request) {
        case (.deny, _):
            out += "  denied by policy: this plan cannot be approved\(requested ? " (no request was opened)" : "")\n"
        case (.ask, nil):
            out += "  needs approval by \(approvers): open a request with --request\n"
        case (.ask, let id?):
            out +=
                "  needs approval by \(approvers): request \(id) — they run `brake approve \(id)` (or approve it on the page); then `brake exec -- terraform apply <this plan file>` applies exactly this plan\n"
        case (.allow, let id?):
            out +=
                "  allowed by policy; `brake exec -- terraform apply` still runs only an approved plan: request \(id), for \(approvers) to approve with `brake approve \(id)`\n"
        case (.allow, nil):
            break
        }
        return out
    }

    /// For `aws … cloudformation execute-change-set`, the `describe-change-set` command that shows what it runs.
    static func describeForExecute(_ command: String, context: Context) -> String? {
        let analysis = Engine.analyze(command, context: context)
        for inv in analysis.invocations where inv.program == "aws" || inv.program == "awslocal" {
            var words = inv.args.map(\.text)
            guard let i = words.firstIndex(of: "execute-change-set"), i > 0, words[i - 1] == "cloudformation" else {
                continue
            }
            words[i] = "describe-change-set"
            // Options that only execute-change-set takes.
            var out: [String] = []
            var k = 0
            while k < words.count {
                if [
                    "--client-request-token", "--disable-rollback", "--no-disable-rollback",
                    "--retain-except-on-create", "--no-retain-except-on-create",
                ].contains(words[k]) {
                    k += words[k] == "--client-request-token" ? 2 : 1
                    continue
                }
                out.append(words[k])
                k += 1
            }
            return ([inv.argv[0].text] + out + ["--output", "json"]).map(Hooks.shellQuote).joined(separator: " ")
        }
        return nil
    }

    /// The saved plan a `terraform|tofu|terragrunt apply PLANFILE` command would apply, if there is one.
    static func appliedPlan(_ command: String, context: Context) -> String? {
        let analysis = Engine.analyze(command, context: context)
        for inv in analysis.invocations where ["terraform", "tofu", "terragrunt"].contains(inv.program) {
            let words = inv.args.map(\.text)
            guard let apply = words.firstIndex(of: "apply"), !words.contains("-destroy") else { continue }
            let operands = words[(apply + 1)...].filter { !$0.hasPrefix("-") }
            guard operands.count == 1, let file = operands.first else { continue }
            let path = file.hasPrefix("/") ? file : (inv.cwd ?? context.cwd) + "/" + file
            if Loader.exists(path) { return path }
        }
        return nil
    }
}
