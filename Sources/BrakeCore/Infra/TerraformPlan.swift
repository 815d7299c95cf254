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
            throw PlanError(message: "not valid JSON (\(error.description)); the file may be truncated")
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

    /// Types whose deletion loses availability, not data.
    static let statelessPrefixes = [
        "terraform_data", "null_resource", "random_", "time_", "local_", "tls_", "aws_instance", "aws_lb", "aws_alb",
        "aws_security_group", "aws_autoscaling_", "aws_launch_", "aws_iam_", "aws_route", "aws_subnet", "aws_lambda_",
        "aws_cloudwatch_", "aws_sns_topic", "aws_api_gateway", "aws_apigatewayv2", "aws_ecs_service",
        "aws_ecs_task_definition",
        "aws_eip", "aws_nat_gateway", "aws_internet_gateway", "aws_network_", "aws_vpc_", "aws_acm_", "aws_cloudfront_",
        "aws_appautoscaling_", "aws_wafv2_", "aws_ssm_document", "google_compute_instance", "google_compute_firewall",
        "google_compute_network", "google_compute_subnetwork", "google_compute_address",
        "google_compute_forwarding_rule",
        "google_cloud_run_", "google_cloudfunctions", "google_project_iam_", "google_service_account",
        "google_container_node_pool",
        "azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine", "azurerm_network_", "azurerm_public_ip",
        "azurerm_role_", "azurerm_app_service", "azurerm_linux_web_app", "azurerm_subnet", "azurerm_virtual_network",
        "kubernetes_deployment", "kubernetes_service", "kubernetes_config_map", "kubernetes_ingress", "kubernetes_role",
        "kubernetes_cluster_role", "kubernetes_service_account", "kubernetes_horizontal_pod_autoscaler",
        "kubernetes_daemon",
        "kubernetes_job", "kubernetes_cron_job", "helm_release", "test_instance", "cloudflare_record", "github_",
        "datadog_", "pagerduty_",
    ]

    /// Types that hold data; deleting them loses it unless a guard says otherwise.
    static let statefulPrefixes = [
        "aws_db_instance", "aws_rds_cluster", "aws_rds_global_cluster", "aws_docdb_cluster", "aws_neptune_cluster",
        "aws_dynamodb_table", "aws_dynamodb_global_table", "aws_dsql_cluster", "aws_redshift_cluster",
        "aws_redshiftserverless_namespace", "aws_elasticache_cluster", "aws_elasticache_replication_group",
        "aws_elasticache_serverless_cache",
        "aws_memorydb_cluster", "aws_opensearch_domain", "aws_elasticsearch_domain", "aws_timestream", "aws_keyspaces_",
        "aws_qldb_ledger", "aws_s3_bucket", "aws_s3_directory_bucket", "aws_efs_file_system", "aws_ebs_volume",
        "aws_fsx_",
        "aws_glacier_vault", "aws_backup_vault", "aws_backup_plan", "aws_ecr_repository", "aws_kinesis_stream",
        "aws_msk_cluster",
        "aws_sqs_queue", "aws_kms_key", "aws_secretsmanager_secret", "aws_ssm_parameter", "aws_cognito_user_pool",
        "aws_vpc",
        "aws_route53_zone", "aws_eks_cluster", "aws_cloudformation_stack", "aws_organizations_", "google_sql_database",
        "google_alloydb_", "google_spanner_", "google_bigtable_", "google_bigquery_", "google_firestore_",
        "google_redis_instance",
        "google_memcache_instance", "google_filestore_instance", "google_compute_disk", "google_compute_region_disk",
        "google_compute_snapshot", "google_storage_bucket", "google_pubsub_subscription", "google_kms_",
        "google_secret_manager_secret",
        "google_container_cluster", "google_project", "google_folder", "azurerm_resource_group", "azurerm_storage_",
        "azurerm_mssql_", "azurerm_postgresql_", "azurerm_mysql_", "azurerm_cosmosdb_", "azurerm_redis_cache",
        "azurerm_managed_disk",
        "azurerm_key_vault", "azurerm_recovery_services_vault", "azurerm_data_protection_backup_vault",
        "azurerm_kubernetes_cluster",
        "azurerm_log_analytics_workspace", "azurerm_servicebus_namespace", "azurerm_eventhub_namespace",
        "azurerm_management_lock",
        "kubernetes_namespace", "kubernetes_persistent_volume", "kubernetes_stateful_set", "kubernetes_manifest",
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
                kind = TypeKind(stateful: isStateful(type), stateless: isStateless(type))
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
                    module: module
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
        let dirParts = context.cwd.split(separator: "/").suffix(3)
        if let p = dirParts.first(where: { looksProduction(String($0), settings) }) {
            report.production.append(ProductionEvidence(source: "directory", value: String(p)))
        }
        return report
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

    static func namesAndTags(address: String, before: JSONValue?, after: JSONValue?) -> [(String, String)] {
        var out: [(String, String)] = [("address", address)]
        for v in [before, after] {
            guard let v, case .object = v else { continue }
            for key in ["name", "identifier", "bucket", "cluster_identifier", "project", "table_name", "function_name"]
            {
                if let s = v[key]?.stringValue { out.append((key, s)) }
            }
            for key in ["tags", "tags_all", "labels"] {
                if case .object(let tags)? = v[key] {
                    for (k, t) in tags where ["env", "environment", "stage", "tier"].contains(k.lowercased()) {
                        if let s = t.stringValue { out.append(("\(key).\(k)", s)) }
                    }
                }
            }
        }
        return out
    }

    /// Configuration sub-resources of a data store hold no data themselves (`aws_s3_bucket_policy`,
    /// `aws_db_subnet_group`, `google_storage_bucket_iam_member` …).
    static let configurationSuffixes = [
        "_policy", "_attachment", "_association", "_subnet_group", "_parameter_group", "_option_group", "_versioning",
        "_lifecycle_configuration", "_public_access_block", "_server_side_encryption_configuration", "_acl",
        "_notification", "_cors_configuration", "_ownership_controls", "_logging", "_website_configuration",
        "_iam_member", "_iam_binding", "_iam_policy", "_replication_configuration", "_accelerate_configuration",
        "_request_payment_configuration", "_object_lock_configuration", "_alias", "_tag", "_rotation", "_grant",
        "_endpoint", "_user", "_role",
    ]

    static func isConfiguration(_ type: String) -> Bool { configurationSuffixes.contains { type.hasSuffix($0) } }
    static func isStateful(_ type: String) -> Bool {
        !isConfiguration(type)
            && (statefulPrefixes.contains { type.hasPrefix($0) } || type == "aws_s3_object"
                || type == "aws_s3_bucket_object")
    }
    static func isStateless(_ type: String) -> Bool {
        isConfiguration(type) || statelessPrefixes.contains { type.hasPrefix($0) }
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
        // Guard attributes from the state before the change.
        if type.hasPrefix("aws_db_instance") || type.hasPrefix("aws_rds_cluster") || type.hasPrefix("aws_docdb_cluster")
            || type.hasPrefix("aws_neptune_cluster") || type.hasPrefix("aws_redshift_cluster")
        {
            if bool(before, "deletion_protection") == true {
                return ("recoverable", ev + ["deletion_protection=true: AWS refuses the delete"])
            }
            if bool(before, "skip_final_snapshot") == false {
                return ("recoverable", ev + ["skip_final_snapshot=false: a final snapshot is taken"])
            }
            if bool(before, "skip_final_snapshot") == true { ev.append("skip_final_snapshot=true: no final snapshot") }
            if bool(before, "delete_automated_backups") != false {
                ev.append("delete_automated_backups is not false: automated backups go too")
            }
            return ("irrecoverable", ev)
        }
        if type.hasPrefix("aws_dynamodb_table") {
            if bool(before, "deletion_protection_enabled") == true {
                return ("recoverable", ev + ["deletion_protection_enabled=true"])
            }
            if case .array(let pitr)? = before?["point_in_time_recovery"],
                pitr.contains(where: { bool($0, "enabled") == true })
            {
                return ("recoverable", ev + ["point-in-time recovery is enabled"])
            }
            return ("irrecoverable", ev + ["no deletion protection and no point-in-time recovery"])
        }
        if type.hasPrefix("aws_s3_bucket") || type.hasPrefix("google_storage_bucket") {
            if bool(before, "force_destroy") == true {
                return ("irrecoverable", ev + ["force_destroy=true: every object is deleted with the bucket"])
            }
            return ("recoverable", ev + ["force_destroy is not true: a bucket with objects is not deleted"])
        }
        if type.hasPrefix("aws_secretsmanager_secret") {
            if number(before, "recovery_window_in_days") == 0 {
                return ("irrecoverable", ev + ["recovery_window_in_days=0: deleted immediately"])
            }
            return ("recoverable", ev + ["deleted after a recovery window"])
        }
        if type.hasPrefix("aws_kms_key") || type.hasPrefix("azurerm_key_vault") || type.hasPrefix("google_kms_") {
            return (
                "recoverable",
                ev + ["key deletion waits out a recovery window; data encrypted under it is lost after that"]
            )
        }
        if type.hasPrefix("google_sql_database_instance") || type.hasPrefix("google_container_cluster") {
            if bool(before, "deletion_protection") == true {
                return ("recoverable", ev + ["deletion_protection=true: Terraform refuses the delete"])
            }
            return ("irrecoverable", ev + ["deletion_protection is not true"])
        }
        if type.hasPrefix("aws_instance") && bool(before, "disable_api_termination") == true {
            return ("availability", ev + ["disable_api_termination=true"])
        }
        return ("irrecoverable", ev + ["no guard attribute that keeps the data"])
    }

    /// Effects the policy rules match on.
    public static func effects(_ report: PlanReport) -> [Effect] {
        var out: [Effect] = []
        let production = !report.production.isEmpty
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
                "destroy_all": .bool(
                    report.destroyMode
                        || (report.managed > 0
                            && report.changes.filter { $0.action == "delete" }.count >= report.managed)
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
