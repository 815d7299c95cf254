/// Plan input as `brake plan` and the control plane read it: one parse, the format detected from the content
/// (Terraform/OpenTofu JSON, a CloudFormation change set, Kubernetes removals), and the report as JSON.
public enum PlanInput {

    /// Parses once, detects the format, and dispatches to the right reader. A Result keeps typed errors out of the
    /// caller's do/catch.
    public static func analyze(
        _ json: String,
        type: String?,
        context: Context,
        settings: AnalysisSettings
    ) -> Result<PlanReport, PlanError> {
        do {
            if type == nil || type == "terraform" {
                // The streaming UI output is rejected before parsing, with the command that produces a plan.
                let first = String(decoding: json.utf8.prefix(4096).prefix(while: { $0 != 0x0A }), as: UTF8.self)
                if first.contains("\"@level\"") || first.contains("\"@message\"") {
                    return .success(try TerraformPlan.analyze(json, context: context, settings: settings))
                }
            }
            let root: JSONValue
            do { root = try JSONValue.parse(json) } catch {
                return .failure(PlanError(message: Self.notJSON(json, error.description)))
            }
            let changeSet = type == "cloudformation" || (type == nil && ChangeSet.recognizes(root))
            let kubernetes = type == "kubernetes" || (type == nil && !changeSet && KubernetesRemoval.recognizes(root))
            if changeSet { return .success(try ChangeSet.analyze(root: root, context: context, settings: settings)) }
            if kubernetes {
                return .success(try KubernetesRemoval.analyze(root: root, context: context, settings: settings))
            }
            return .success(try TerraformPlan.analyze(root: root, context: context, settings: settings))
        } catch {
            return .failure(error)
        }
    }

    /// What a file that is not JSON at all is, in words that name the input expected.
    static let expected =
        "brake plan reads a Terraform/OpenTofu plan as JSON (`terraform show -json PLANFILE > plan.json`), a CloudFormation change set (`aws cloudformation describe-change-set … > changes.json`) or a Kubernetes removal list (`kubectl get … -o json`)"

    static func notJSON(_ text: String, _ detail: String) -> String {
        let start = text.drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == "\u{FEFF}" }
        if start.isEmpty { return "the file is empty. " + expected }
        if let c = start.first, c != "{" && c != "[" {
            let line = start.prefix { $0 != "\n" }.prefix(60)
            let binary = text.utf8.prefix(512).contains(0)
            let what =
                binary
                ? "a binary file (a saved plan? run `terraform show -json` on it)"
                : "text, not JSON (it starts with \"\(line)\")"
            return "this is \(what). " + expected
        }
        return "not valid JSON (\(detail)); the file may be truncated. " + expected
    }

    /// The report and decision as `brake plan --format json` prints them.
    public static func json(_ r: PlanReport, _ d: Decision, _ request: String?) -> String {
        var members: [(String, JSONValue)] = [
            ("decision", .string(d.verdict.rawValue)),
            ("reasons", d.reasonsJSON),
            (
                "counts",
                .object(
                    ["create", "update", "delete", "replace", "forget", "read", "no-op"].map {
                        ($0, .number(Double(r.counts[$0] ?? 0)))
                    }
                )
            ),
            (
                "changes",
                .array(
                    r.changes.map { c in
                        .object([
                            ("address", .string(c.address)), ("type", .string(c.type)), ("action", .string(c.action)),
                            ("data_loss", .string(c.dataLoss)), ("classes", .array(c.classes.map { .string($0) })),
                            ("evidence", .array(c.evidence.map { .string($0) })),
                        ])
                    }
                )
            ),
            ("destroyed_fraction", r.managedKnown ? .number((r.destroyedFraction * 1000).rounded() / 1000) : .null),
            (
                "production",
                .array(r.production.map { .object([("source", .string($0.source)), ("value", .string($0.value))]) })
            ),
            ("digest", .string(d.digest)),
            ("managed", .number(Double(r.managed))), ("modules", .array(r.modules.map { .string($0) })),
            ("drift", .number(Double(r.drift))),
            ("destroy_mode", .bool(r.destroyMode)),
            (
                "state",
                r.stateLineage.map { l in
                    .object([
                        ("lineage", .string(l)), ("serial", .number(Double(r.stateSerial ?? 0))),
                        ("warning", r.stateWarning.map { .string($0) } ?? .null),
                    ])
                } ?? .null
            ), ("labels", .array(d.labels.map { .string($0) })),
        ]
        if let a = d.approvers, d.verdict == .ask {
            members.append(("approval", .object([("role", .string(a.role)), ("count", .number(Double(a.count)))])))
        }
        if let request { members.append(("request", .string(request))) }
        return JSONValue.object(members).serialized
    }
}
