/// The blast radius of an infrastructure plan.
public struct PlanReport: Sendable {
    public struct Change: Sendable, Equatable {
        public var address: String
        public var type: String
        /// create, update, delete, replace, forget, read or no-op.
        public var action: String
        /// none, availability, management, recoverable, irrecoverable or unknown.
        public var dataLoss: String
        public var evidence: [String]
        public var reason: String?
        public var module: String?
        /// What an update (or a new rule) does to protection: protection-removed, data-loss-scheduled, exposure,
        /// privilege, protection-unknown. Evidence lines say `attribute: before → after`.
        public var classes: [String] = []
    }

    public var format: String
    public var changes: [Change] = []
    public var counts: [String: Int] = [:]
    public var managed = 0
    /// False when the input does not say how many resources exist (a change set lists only what changes).
    public var managedKnown = true
    public var drift = 0
    public var destroyMode = false
    public var modules: [String] = []
    public var production: [ProductionEvidence] = []
    /// The prior state's lineage and serial (binary Terraform plans), and why they look stale or foreign.
    public var stateLineage: String?
    public var stateSerial: Int?
    public var stateWarning: String?

    /// Deletes and replaces over the managed resources before the change.
    public var destroyedFraction: Double {
        let destroyed = changes.filter { $0.action == "delete" || $0.action == "replace" }.count
        guard managed > 0 else { return destroyed > 0 ? 1 : 0 }
        return min(1, Double(destroyed) / Double(managed))
    }
}

/// A plan Brake refuses to judge: what was wrong and how to produce the right input.
public struct PlanError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(message: String) { self.message = message }

    /// Parses plan input text, naming truncation as the likely cause of a failure.
    static func parse(_ text: String) throws(PlanError) -> JSONValue {
        do { return try JSONValue.parse(text) } catch {
            throw PlanError(message: PlanInput.notJSON(text, error.description))
        }
    }
    public var description: String { message }
}

/// Terraform / OpenTofu plan JSON (`terraform show -json PLANFILE`).
public enum TerraformPlan {
    static let validActions: [[String]: String] = [
        ["no-op"]: "no-op", ["create"]: "create", ["read"]: "read", ["update"]: "update", ["delete"]: "delete",
        ["forget"]: "forget", ["delete", "create"]: "replace", ["create", "delete"]: "replace",
        ["create", "forget"]: "replace",
    ]

    /// Parses plan JSON text strictly and computes the blast radius.
    public static func analyze(
        _ text: String,
        context: Context,
        settings: AnalysisSettings = .standard
    ) throws(PlanError) -> PlanReport {
        let trimmed = text
        if trimmed.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw PlanError(
                message:
                    "the file is empty; produce a plan with `terraform plan -out=tfplan && terraform show -json tfplan`"
            )
        }
        // The streaming UI output is JSON lines whose first line carries "@level" and "@message".
        let firstText = String(decoding: trimmed.utf8.prefix(while: { $0 != 0x0A }).prefix(4096), as: UTF8.self)
        if firstText.contains("\"@level\"") || firstText.contains("\"@message\"") {
            throw PlanError(
                message:
                    "this is the streaming UI output of `terraform plan -json`, not a plan; use `terraform plan -out=tfplan` then `terraform show -json tfplan`"
            )
        }
        return try analyze(root: try PlanError.parse(trimmed), context: context, settings: settings)
    }

    /// Analyses plan JSON that is already parsed.
    public static func analyze(
        root: JSONValue,
        context: Context,
        settings: AnalysisSettings = .standard
    ) throws(PlanError) -> PlanReport {
        guard case .object = root else {
            throw PlanError(message: "not a Terraform plan: the top level is not a JSON object")
        }
        guard let fv = root["format_version"]?.stringValue else {
            throw PlanError(
                message:
                    "not a Terraform plan: no format_version (expected the output of `terraform show -json PLANFILE`)"
            )
        }
        let major = fv.split(separator: ".").first.flatMap { Int($0) }
        guard let major, major == 0 || major == 1 else {
            throw PlanError(
                message: "plan format_version \(fv) has an unknown major version; this Brake reads 0.x and 1.x"
            )
        }
        guard
            root["resource_changes"] != nil || root["planned_values"] != nil || root["prior_state"] != nil
                || root["configuration"] != nil
        else {
            throw PlanError(
                message:
                    "not a Terraform plan: it has a format_version but none of resource_changes, planned_values, prior_state or configuration (is it a state file?)"
            )
        }
        // Whole input or nothing: a plan Terraform could not finish is not the change that will be applied.
        if root["errored"] == .bool(true) {
            throw PlanError(
                message:
                    "the plan is marked errored: Terraform stopped before planning every change; fix the errors `terraform plan` printed and plan again"
            )
        }
        var report = PlanReport(format: "terraform")
        for key in ["create", "update", "delete", "replace", "forget", "read", "no-op"] { report.counts[key] = 0 }
        if case .array(let drift)? = root["resource_drift"] { report.drift = drift.count }
        report.managed = managedCount(root["prior_state"])
        var managedChanges = 0
        var reasonlessDeletes = 0
        var modules: Set<String> = []
        var kinds: [String: TypeKind] = [:]
        let items: [JSONValue]
        switch root["resource_changes"] {
        case nil, .null?: items = []
        case .array(let a)?: items = a
        default: throw PlanError(message: "resource_changes is not a list")
        }
        for (i, rc) in items.enumerated() {
            guard let address = rc["address"]?.stringValue, let type = rc["type"]?.stringValue,
                let change = rc["change"],
                case .array(let acts)? = change["actions"]
            else {
                throw PlanError(message: "resource_changes[\(i)] lacks address, type or change.actions")
            }
            let words = acts.compactMap(\.stringValue)
            guard words.count == acts.count, let action = validActions[words] else {
                throw PlanError(
                    message:
                        "resource_changes[\(i)] (\(address)) has actions \(words) that Terraform never emits; valid ones are no-op, create, read, update, delete, forget, [delete,create], [create,delete], [create,forget]"
                )
            }
            let mode = rc["mode"]?.stringValue ?? "managed"
            report.counts[action, default: 0] += 1
            if mode == "data" { continue }
            managedChanges += 1
            let reason = rc["action_reason"]?.stringValue
            if action == "delete" && reason == nil { reasonlessDeletes += 1 }
            let module = rc["module_address"]?.stringValue
            let kind: TypeKind
            if let k = kinds[type] {
                kind = k
            } else {
                let holds = PlanTypes.holds(type)
                kind = TypeKind(stateful: holds == .data, stateless: holds == .noData)
                kinds[type] = kind
            }
            var (loss, evidence) = classify(
                type: type,
                kind: kind,
                action: action,
                words: words,
                before: change["before"],
                after: change["after"]
            )
            var classes: [String] = []
            if action == "update" || action == "create" || action == "replace" {
                for (cls, line) in PlanProtection.findings(
                    .terraform,
                    type: type,
                    before: change["before"],
                    after: change["after"],
                    afterUnknown: change["after_unknown"]
                ) {
                    if !classes.contains(cls) { classes.append(cls) }
                    evidence.append(line)
                }
            }
            if let reason { evidence.append("action_reason: \(reason)") }
            if case .array(let paths)? = change["replace_paths"], !paths.isEmpty {
                evidence.append("replacement forced by \(paths.map { $0.serialized }.joined(separator: ", "))")
            }
            if reason == "delete_because_no_resource_config" && kind.stateful {
                evidence.append("its configuration is gone: a config or state mistake is possible")
            }
            if action == "delete" || action == "replace", let module { modules.insert(module) }
            report.changes.append(
                PlanReport.Change(
                    address: address,
                    type: type,
                    action: action,
                    dataLoss: loss,
                    evidence: evidence,
                    reason: reason,
                    module: module,
                    classes: classes
                )
            )
            // Production evidence in names and tags.
            for (source, value) in namesAndTags(address: address, before: change["before"], after: change["after"])
            where looksProduction(value, settings) {
                let e = ProductionEvidence(source: "\(address) \(source)", value: value)
                if !report.production.contains(e) { report.production.append(e) }
            }
        }
        if report.managed == 0 {
            report.managed = report.changes.filter { $0.action != "create" && $0.action != "read" }.count
        }
        report.destroyMode = managedChanges > 0 && reasonlessDeletes == managedChanges
        report.modules = modules.sorted()
        if let ws = context.terraformWorkspace, looksProduction(ws, settings) {
            report.production.append(ProductionEvidence(source: "terraform workspace", value: ws))
        }
        productionFromInputs(root, into: &report, settings: settings)
        productionFromMachine(context, into: &report, settings: settings)
        return report
    }

    /// Production named in the plan itself: input variables and the providers' configuration (the account of an
    /// `assume_role` ARN, allowed account ids, projects, subscriptions), against the production words and the
    /// configured `settings.production` targets.
    static func productionFromInputs(_ root: JSONValue, into report: inout PlanReport, settings: AnalysisSettings) {
        func add(_ source: String, _ value: String) {
            let e = ProductionEvidence(source: source, value: value)
            if !report.production.contains(e) { report.production.append(e) }
        }
        func matches(_ value: String, _ globs: [String]) -> Bool {
            globs.contains { Glob.match($0.lowercased(), value.lowercased()) }
        }
        if case .object(let vars)? = root["variables"] {
            for (name, v) in vars {
                for value in PlanProtection.values(v["value"], []) {
                    if let s = value.stringValue, looksProduction(s, settings) { add("variable \(name)", s) }
                }
            }
        }
        guard case .object(let providers)? = root["configuration"]?["provider_config"] else { return }
        for (key, provider) in providers {
            let x = provider["expressions"]
            func constants(_ path: [String]) -> [String] {
                PlanProtection.values(x, path).flatMap { PlanProtection.flatten([$0["constant_value"] ?? .null]) }
                    .compactMap(\.stringValue)
            }
            for arn in constants(["assume_role", "role_arn"])
                + constants(["assume_role_with_web_identity", "role_arn"])
            {
                let account =
                    arn.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).first.map(String.init)
                    ?? ""
                if looksProduction(arn, settings)
                    || (!account.isEmpty && matches(account, settings.productionAWSAccounts))
                {
                    add("provider \(key) assume_role", arn)
                }
            }
            for account in constants(["allowed_account_ids"]) where matches(account, settings.productionAWSAccounts) {
                add("provider \(key) allowed_account_ids", account)
            }
            for name in ["project", "profile", "subscription_id", "config_context", "alias"] {
                for value in constants([name]) {
                    let configured =
                        (name == "project" && matches(value, settings.productionGCPProjects))
                        || (name == "subscription_id" && matches(value, settings.productionAzureSubscriptions))
                        || (name == "config_context" && matches(value, settings.productionKubeContexts))
                    if configured || looksProduction(value, settings) { add("provider \(key) \(name)", value) }
                }
            }
        }
    }

    /// Production from where the plan will be applied: the selected workspace, the directory at any depth
    /// below the home directory, and the machine's current targets for the providers the plan uses.
    static func productionFromMachine(_ context: Context, into report: inout PlanReport, settings: AnalysisSettings) {
        func matches(_ value: String, _ globs: [String]) -> Bool {
            globs.contains { Glob.match($0.lowercased(), value.lowercased()) }
        }
        if let ws = context.terraformWorkspace, looksProduction(ws, settings) {
            report.production.append(ProductionEvidence(source: "terraform workspace", value: ws))
        }
        let home = context.home.hasSuffix("/") ? context.home : context.home + "/"
        let below = context.cwd.hasPrefix(home) ? String(context.cwd.dropFirst(home.count)) : context.cwd
        if let p = below.split(separator: "/").first(where: { looksProduction(String($0), settings) }) {
            report.production.append(ProductionEvidence(source: "directory", value: String(p)))
        }
        // The providers the plan uses, read only when a machine target could matter.
        let anyTarget =
            context.kubeContext != nil || !settings.productionAWSAccounts.isEmpty
            || !settings.productionGCPProjects.isEmpty || !settings.productionAzureSubscriptions.isEmpty
        var providers: Set<Substring> = []
        if anyTarget {
            var types: Set<String> = []
            for c in report.changes where types.insert(c.type).inserted {
                if let p = c.type.split(separator: "_", maxSplits: 1).first { providers.insert(p) }
            }
        }
        if providers.contains("kubernetes") || providers.contains("helm") || providers.contains("kubectl"),
            let kc = context.kubeContext, looksProduction(kc, settings) || matches(kc, settings.productionKubeContexts)
        {
            report.production.append(ProductionEvidence(source: "kube context", value: kc))
        }
        if providers.contains("aws"), let profile = context.awsProfile, let account = context.awsAccounts[profile],
            matches(account, settings.productionAWSAccounts)
        {
            report.production.append(
                ProductionEvidence(source: "aws account", value: "\(account) (profile \(profile))")
            )
        }
        if providers.contains("google"), let project = context.gcloudProject,
            matches(project, settings.productionGCPProjects)
        {
            report.production.append(ProductionEvidence(source: "gcp project", value: project))
        }
        if providers.contains("azurerm"),
            let s = [context.azureSubscription, context.azureSubscriptionName].compactMap({ $0 }).first(where: {
                matches($0, settings.productionAzureSubscriptions)
            })
        {
            report.production.append(ProductionEvidence(source: "azure subscription", value: s))
        }
    }

    static func looksProduction(_ value: String, _ settings: AnalysisSettings) -> Bool {
        if hasProductionToken(value, settings.productionWords) { return true }
        if settings.productionGlobs.isEmpty { return false }
        let lower = value.lowercased()
        return settings.productionGlobs.contains { Glob.match($0.lowercased(), lower) }
    }

    /// True when a whole alphanumeric token of `value` (ASCII case-insensitive) is one of `words`.
    static func hasProductionToken(_ value: String, _ words: [String]) -> Bool {
        // Tokens longer than the longest word cannot match: they are only counted, never stored.
        let longest = words.reduce(0) { max($0, $1.utf8.count) }
        guard longest > 0, longest <= 64 else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: longest) { token in
            var length = 0
            func check() -> Bool {
                defer { length = 0 }
                guard length > 0, length <= longest else { return false }
                let t = UnsafeBufferPointer(rebasing: token[0..<length])
                return words.contains { $0.utf8.count == length && $0.utf8.elementsEqual(t) }
            }
            for var c in value.utf8 {
                if c >= 0x41 && c <= 0x5A { c += 0x20 }
                if (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c >= 0x80 {
                    if length < longest { token[length] = c }
                    length += 1
                } else if check() {
                    return true
                }
            }
            return check()
        }
    }

    static func managedCount(_ prior: JSONValue?) -> Int {
        guard let values = prior?["values"], let root = values["root_module"] else { return 0 }
        func count(_ module: JSONValue) -> Int {
            var n = 0
            if case .array(let rs)? = module["resources"] {
                n += rs.filter { ($0["mode"]?.stringValue ?? "managed") == "managed" }.count
            }
            if case .array(let kids)? = module["child_modules"] { n += kids.map(count).reduce(0, +) }
            return n
        }
        return count(root)
    }

    static let nameKeys: Set<String> = [
        "name", "identifier", "bucket", "cluster_identifier", "project", "table_name", "function_name", "cluster",
        "resource_group_name", "arn", "namespace", "account_id", "subscription_id",
    ]
    static let environmentTagKeys: Set<String> = ["env", "environment", "stage", "tier"]

    /// Names, namespaces and tags (values of environment-like keys, and every tag key) of a change, read in one
    /// pass over each object's members.
    static func namesAndTags(address: String, before: JSONValue?, after: JSONValue?) -> [(String, String)] {
        var out: [(String, String)] = [("address", address)]
        out.reserveCapacity(16)
        for v in [before, after] {
            guard case .object(let members)? = v else { continue }
            for (key, value) in members {
                if nameKeys.contains(key) {
                    if let s = value.stringValue { out.append((key, s)) }
                } else if key == "tags" || key == "tags_all" || key == "labels" {
                    guard case .object(let tags) = value else { continue }
                    for (k, t) in tags {
                        if environmentTagKeys.contains(k.lowercased()), let s = t.stringValue {
                            out.append(("\(key).\(k)", s))
                        } else {
                            out.append(("\(key) key", k))  // a tag named `production`
                        }
                    }
                } else if key == "metadata" {
                    // Kubernetes resources name their namespace in a metadata block.
                    for m in PlanProtection.flatten([value]) {
                        if let s = m["namespace"]?.stringValue { out.append(("metadata.namespace", s)) }
                        if let s = m["name"]?.stringValue { out.append(("metadata.name", s)) }
                    }
                } else if key == "tag" {
                    // Tags in block form (Auto Scaling groups): tag { key = "Environment", value = "prod" }.
                    for t in PlanProtection.flatten([value]) {
                        if let k = t["key"]?.stringValue, environmentTagKeys.contains(k.lowercased()),
                            let s = t["value"]?.stringValue
                        {
                            out.append(("tag.\(k)", s))
                        }
                    }
                }
            }
        }
        return out
    }

    static func bool(_ v: JSONValue?, _ key: String) -> Bool? {
        if case .bool(let b)? = v?[key] { return b }
        return nil
    }

    static func number(_ v: JSONValue?, _ key: String) -> Double? {
        if case .number(let n)? = v?[key] { return n }
        return nil
    }

    /// The data-loss class of one change, with the evidence for it.
    /// Whether a resource type holds data; computed once per type in a plan.
    struct TypeKind {
        var stateful: Bool
        var stateless: Bool
    }

    static func classify(
        type: String,
        kind: TypeKind,
        action: String,
        words: [String],
        before: JSONValue?,
        after: JSONValue?
    ) -> (String, [String]) {
        switch action {
        case "create", "update", "read", "no-op": return ("none", [])
        case "forget": return ("management", ["the object is forgotten, not destroyed: it keeps running unmanaged"])
        default: break
        }
        if words == ["create", "forget"] {
            return ("management", ["replaced; the old object is forgotten, not destroyed"])
        }
        if type == "aws_instance", case .array(let volumes)? = before?["ebs_block_device"],
            volumes.contains(where: { bool($0, "delete_on_termination") != false })
        {
            return (
                "irrecoverable",
                ["aws_instance with data volumes (ebs_block_device) deleted on termination"]
                    + (bool(before, "disable_api_termination") == true ? ["disable_api_termination=true"] : [])
            )
        }
        if type == "helm_release" {
            return ("unknown", ["a Helm release's chart may own persistent volume claims and their data"])
        }
        if kind.stateless {
            let cbd = words == ["create", "delete"]
            return (
                "availability",
                [cbd ? "stateless type, replaced create-before-destroy" : "stateless type: no data, downtime only"]
            )
        }
        guard kind.stateful else {
            return ("unknown", ["\(type) is not a type Brake knows; review it as if it held data"])
        }
        var ev: [String] = ["\(type) holds data"]
        // Guard attributes from the state before the change: what keeps the data is credited, with its evidence.
        switch type {
        case "aws_db_instance", "aws_rds_cluster", "aws_docdb_cluster", "aws_neptune_cluster", "aws_redshift_cluster":
            if bool(before, "deletion_protection") == true {
                return ("recoverable", ev + ["deletion_protection=true: AWS refuses the delete"])
            }
            if bool(before, "skip_final_snapshot") == false {
                let name = before?["final_snapshot_identifier"]?.stringValue.map { " (\($0))" } ?? ""
                return ("recoverable", ev + ["skip_final_snapshot=false: a final snapshot\(name) is taken"])
            }
            if bool(before, "skip_final_snapshot") == true { ev.append("skip_final_snapshot=true: no final snapshot") }
            if bool(before, "delete_automated_backups") == false, (number(before, "backup_retention_period") ?? 1) > 0 {
                return ("recoverable", ev + ["delete_automated_backups=false: the automated backups are retained"])
            }
            if type == "aws_db_instance" || type == "aws_rds_cluster" {
                ev.append("delete_automated_backups is not false: automated backups go too")
            }
            return ("irrecoverable", ev)
        case "aws_elasticache_replication_group", "aws_elasticache_cluster", "aws_memorydb_cluster":
            if let snap = before?["final_snapshot_identifier"]?.stringValue
                ?? before?["final_snapshot_name"]?
                .stringValue, !snap.isEmpty
            {
                return ("recoverable", ev + ["final snapshot \(snap) is taken"])
            }
            return ("irrecoverable", ev + ["no final snapshot"])
        case "aws_dynamodb_table":
            if bool(before, "deletion_protection_enabled") == true {
                return ("recoverable", ev + ["deletion_protection_enabled=true"])
            }
            if case .array(let pitr)? = before?["point_in_time_recovery"],
                pitr.contains(where: { bool($0, "enabled") == true })
            {
                return ("recoverable", ev + ["point-in-time recovery is enabled"])
            }
            return ("irrecoverable", ev + ["no deletion protection and no point-in-time recovery"])
        case "aws_s3_bucket", "google_storage_bucket":
            if bool(before, "force_destroy") == true {
                return ("irrecoverable", ev + ["force_destroy=true: every object is deleted with the bucket"])
            }
            return ("recoverable", ev + ["force_destroy is not true: a bucket with objects is not deleted"])
        case "aws_secretsmanager_secret":
            if number(before, "recovery_window_in_days") == 0 {
                return ("irrecoverable", ev + ["recovery_window_in_days=0: deleted immediately"])
            }
            return ("recoverable", ev + ["deleted after a recovery window"])
        case "aws_kms_key", "aws_kms_replica_key", "google_kms_crypto_key", "google_kms_key_ring",
            "google_kms_crypto_key_version":
            return (
                "recoverable",
                ev + ["key deletion waits out a recovery window; data encrypted under it is lost after that"]
            )
        case "azurerm_key_vault":
            if bool(before, "purge_protection_enabled") == true {
                return ("recoverable", ev + ["purge_protection_enabled=true: the vault stays soft-deleted"])
            }
            return (
                "irrecoverable",
                ev + ["purge protection is off: the provider purges the vault on destroy by default"]
            )
        case "azurerm_key_vault_key", "azurerm_key_vault_secret", "azurerm_key_vault_certificate":
            return ("irrecoverable", ev + ["the provider purges soft-deleted keys and secrets on destroy by default"])
        case "google_sql_database_instance", "google_container_cluster", "google_bigquery_table",
            "google_spanner_database", "google_alloydb_cluster":
            if bool(before, "deletion_protection") == true {
                return ("recoverable", ev + ["deletion_protection=true: Terraform refuses the delete"])
            }
            return ("irrecoverable", ev + ["deletion_protection is not true"])
        case "google_bigquery_dataset":
            if bool(before, "delete_contents_on_destroy") == true {
                return ("irrecoverable", ev + ["delete_contents_on_destroy=true: every table goes with it"])
            }
            return (
                "recoverable", ev + ["delete_contents_on_destroy is not true: a dataset with tables is not deleted"]
            )
        default:
            return ("irrecoverable", ev + ["no guard attribute that keeps the data"])
        }
    }

    /// Effects the policy rules match on.
    public static func effects(_ report: PlanReport) -> [Effect] {
        var out: [Effect] = []
        let production = !report.production.isEmpty
        for c in report.changes where !c.classes.isEmpty {
            for cls in c.classes {
                var attrs: [String: AttrValue] = [
                    "class": .string(cls), "action": .string(c.action), "type": .string(c.type),
                ]
                if production { attrs["production"] = .bool(true) }
                let lines = c.evidence.filter { $0.contains(" → ") }
                out.append(
                    Effect(
                        "plan.protection",
                        attrs: attrs,
                        invocation: -1,
                        detail: "\(c.action) \(c.address): \(cls) (\(lines.joined(separator: "; ")))"
                    )
                )
            }
        }
        for c in report.changes
        where c.action != "no-op" && c.action != "read" && c.action != "create" && c.action != "update" {
            var attrs: [String: AttrValue] = [
                "action": .string(c.action), "data_loss": .string(c.dataLoss), "type": .string(c.type),
            ]
            if production { attrs["production"] = .bool(true) }
            out.append(
                Effect(
                    "plan.change",
                    attrs: attrs,
                    invocation: -1,
                    detail: "\(c.action) \(c.address): \(c.dataLoss) (\(c.evidence.joined(separator: "; ")))"
                )
            )
        }
        var summary: [String: AttrValue] =
            report.managedKnown
            ? [
                // Every managed resource, counted: `plan -destroy -target` of one resource out of many is not this.
                "destroy_all": .bool(
                    report.managed > 0 && report.changes.filter { $0.action == "delete" }.count >= report.managed
                ),
                "majority_destroyed": .bool(report.destroyedFraction > 0.5),
            ] : ["destroy_all": .bool(false), "majority_destroyed": .bool(false)]
        if production { summary["production"] = .bool(true) }
        if let w = report.stateWarning {
            out.append(
                Effect(
                    "plan.state-mismatch",
                    attrs: ["lineage": .string(report.stateLineage ?? "")],
                    invocation: -1,
                    detail: w
                )
            )
        }
        out.append(
            Effect(
                "plan.summary",
                attrs: summary,
                invocation: -1,
                detail:
                    "destroys \(Int((report.destroyedFraction * 100).rounded()))% of \(report.managed) managed resources"
            )
        )
        return out
    }
}

extension Engine {
    /// Decides a plan: its blast radius becomes effects the policy's `plan.*` rules match on.
    public static func decide(
        plan report: PlanReport,
        digest: String,
        context: Context,
        policy: Policy = .standard
    ) -> Decision {
        var analysis = Analysis()
        analysis.effects = TerraformPlan.effects(report)
        analysis.production = report.production
        var d = decide(analysis: analysis, command: "plan", context: context, policy: policy, trace: false)
        d.digest = digest
        d.commands = []
        return d
    }
}
