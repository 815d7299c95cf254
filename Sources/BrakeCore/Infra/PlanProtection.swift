/// What a change to one attribute does to a resource's protection. The rules are rows of data (resource types,
/// attribute path, the direction that removes protection, the class it produces); one evaluator reads them for
/// Terraform/OpenTofu plans and CloudFormation change sets alike. An update is not harmless because it is an update.
struct ProtectionRule: Sendable {
    /// The direction of a change that removes protection.
    enum Test: Sendable {
        /// true → false (deletion protection, versioning, backups enabled, a public-access block …).
        case turnedOff
        /// false/absent → true (skip_final_snapshot, force_destroy, publicly_accessible …).
        case turnedOn
        /// A number cut to at most `limit` (0 turns it off); with `zeroIsForever`, 0 or absent means "kept forever"
        /// (log retention) and only 1…limit is a cut.
        case cutTo(Double, zeroIsForever: Bool)
        /// A string that becomes one of these (case-insensitive): versioning `Suspended`, a key `DISABLED`, a
        /// DeletionPolicy `Delete` …
        case becomes([String])
        /// A role, policy ARN or role definition that names an administrator.
        case administrator
        /// A JSON policy document that grants every action on every resource, or that anyone may assume.
        case wildcardPolicy
        /// Network rules at the path (list or single) that come to admit the whole internet to a sensitive port.
        case opensWorld(cidrs: [String], from: String?, to: String?, protocolField: String?)
    }

    let types: Set<String>
    /// Dotted path; lists (Terraform's nested blocks) are walked through, so `settings.backup_configuration.enabled`
    /// reads every element. An empty path is the resource itself.
    let path: String
    /// The path's keys, split once.
    let keys: [String]
    let test: Test
    /// protection-removed, data-loss-scheduled, exposure or privilege.
    let change: String
    let what: String

    init(_ types: [String], _ path: String, _ test: Test, _ change: String, _ what: String) {
        self.types = Set(types)
        self.path = path
        self.keys = path.isEmpty ? [] : path.split(separator: ".").map(String.init)
        self.test = test
        self.change = change
        self.what = what
    }
}

/// The protection rules and their evaluation.
enum PlanProtection {
    static let worldCIDRs: Set<String> = ["0.0.0.0/0", "::/0", "*", "internet", "any", "0.0.0.0"]
    /// Ports whose exposure to the whole internet is a finding: remote shells, databases, caches, search, Docker.
    static let sensitivePorts: [Int] = [
        22, 23, 3389, 5985, 5986, 3306, 5432, 1433, 1521, 27017, 6379, 11211, 9200, 9300, 5439, 2375, 2376, 5601,
        9042, 7000, 8086, 5984, 6443, 10250,
    ]
    static let administratorNames = [
        "administratoraccess", "poweruseraccess", "iamfullaccess", "roles/owner", "roles/editor",
        "roles/iam.securityadmin", "owner", "contributor", "user access administrator", "cluster-admin",
    ]

    /// The rule shape of an EC2 security group's ingress entries.
    static let awsIngress = ProtectionRule.Test.opensWorld(
        cidrs: ["cidr_blocks", "ipv6_cidr_blocks"],
        from: "from_port",
        to: "to_port",
        protocolField: "protocol"
    )

    static let rdsLike = [
        "aws_db_instance", "aws_rds_cluster", "aws_docdb_cluster", "aws_neptune_cluster",
    ]

    /// Terraform/OpenTofu: resource type → attribute rules (AWS, Google Cloud, Azure, Kubernetes).
    static let terraform: [ProtectionRule] = [
        // Databases: backups, final snapshots, deletion protection, public endpoints.
        .init(
            rdsLike,
            "deletion_protection",
            .turnedOff,
            "protection-removed",
            "deletion protection turned off"
        ),
        .init(
            rdsLike + ["aws_redshift_cluster"],
            "skip_final_snapshot",
            .turnedOn,
            "protection-removed",
            "no final snapshot on delete"
        ),
        .init(
            ["aws_db_instance", "aws_rds_cluster"],
            "delete_automated_backups",
            .turnedOn,
            "protection-removed",
            "automated backups deleted with the database"
        ),
        .init(
            rdsLike,
            "backup_retention_period",
            .cutTo(0, zeroIsForever: false),
            "data-loss-scheduled",
            "backup retention 0: automated backups are deleted at once and point-in-time recovery ends"
        ),
        .init(
            ["aws_redshift_cluster"],
            "automated_snapshot_retention_period",
            .cutTo(0, zeroIsForever: false),
            "data-loss-scheduled",
            "automated snapshots turned off and deleted"
        ),
        .init(
            ["aws_elasticache_replication_group", "aws_elasticache_cluster", "aws_memorydb_cluster"],
            "snapshot_retention_limit",
            .cutTo(0, zeroIsForever: false),
            "data-loss-scheduled",
            "snapshot retention 0: no backups kept"
        ),
        .init(
            ["aws_db_instance", "aws_redshift_cluster", "aws_rds_cluster_instance"],
            "publicly_accessible",
            .turnedOn,
            "exposure",
            "the database gets a public endpoint"
        ),
        .init(
            ["aws_dynamodb_table"],
            "deletion_protection_enabled",
            .turnedOff,
            "protection-removed",
            "deletion protection turned off"
        ),
        .init(
            ["aws_dynamodb_table"],
            "point_in_time_recovery.enabled",
            .turnedOff,
            "protection-removed",
            "point-in-time recovery turned off"
        ),
        // Object stores: versioning, force_destroy, lifecycle expiry, public access.
        .init(
            ["aws_s3_bucket"],
            "force_destroy",
            .turnedOn,
            "protection-removed",
            "force_destroy: a delete empties the bucket first"
        ),
        .init(["aws_s3_bucket"], "versioning.enabled", .turnedOff, "protection-removed", "versioning suspended"),
        .init(
            ["aws_s3_bucket_versioning"],
            "versioning_configuration.status",
            .becomes(["Suspended", "Disabled"]),
            "protection-removed",
            "versioning suspended"
        ),
        .init(
            ["aws_s3_bucket_lifecycle_configuration"],
            "rule.expiration.days",
            .cutTo(1, zeroIsForever: true),
            "data-loss-scheduled",
            "objects expire within a day"
        ),
        .init(
            ["aws_s3_bucket_lifecycle_configuration"],
            "rule.noncurrent_version_expiration.noncurrent_days",
            .cutTo(1, zeroIsForever: true),
            "data-loss-scheduled",
            "old versions expire within a day"
        ),
        .init(
            ["aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block"],
            "block_public_acls",
            .turnedOff,
            "exposure",
            "public ACLs allowed"
        ),
        .init(
            ["aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block"],
            "block_public_policy",
            .turnedOff,
            "exposure",
            "public bucket policies allowed"
        ),
        .init(
            ["aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block"],
            "restrict_public_buckets",
            .turnedOff,
            "exposure",
            "public buckets no longer restricted"
        ),
        .init(
            ["aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block"],
            "ignore_public_acls",
            .turnedOff,
            "exposure",
            "public ACLs honoured"
        ),
        .init(["aws_s3_bucket_policy"], "policy", .wildcardPolicy, "exposure", "the bucket policy admits anyone"),
        // Logs and audit.
        .init(
            ["aws_cloudwatch_log_group"],
            "retention_in_days",
            .cutTo(7, zeroIsForever: true),
            "data-loss-scheduled",
            "log retention cut: older events are deleted"
        ),
        .init(["aws_cloudtrail"], "enable_logging", .turnedOff, "protection-removed", "the audit trail stops"),
        .init(["aws_guardduty_detector"], "enable", .turnedOff, "protection-removed", "threat detection off"),
        .init(
            ["aws_config_configuration_recorder_status"],
            "is_enabled",
            .turnedOff,
            "protection-removed",
            "configuration recording off"
        ),
        // Keys and secrets.
        .init(
            ["aws_kms_key"],
            "is_enabled",
            .turnedOff,
            "data-loss-scheduled",
            "the key is disabled: data encrypted under it cannot be read"
        ),
        .init(["aws_kms_key"], "policy", .wildcardPolicy, "privilege", "the key policy admits anyone"),
        .init(
            ["aws_secretsmanager_secret"],
            "recovery_window_in_days",
            .cutTo(0, zeroIsForever: false),
            "protection-removed",
            "a delete would be immediate"
        ),
        // Compute and load balancers whose protection is an attribute.
        .init(
            ["aws_instance"],
            "disable_api_termination",
            .turnedOff,
            "protection-removed",
            "termination protection off"
        ),
        .init(
            ["aws_lb", "aws_alb"],
            "enable_deletion_protection",
            .turnedOff,
            "protection-removed",
            "deletion protection off"
        ),
        // Identity: wildcards, trust, administrators.
        .init(
            ["aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"],
            "policy",
            .wildcardPolicy,
            "privilege",
            "every action on every resource"
        ),
        .init(["aws_iam_role"], "assume_role_policy", .wildcardPolicy, "privilege", "anyone may assume the role"),
        .init(["aws_iam_role"], "inline_policy.policy", .wildcardPolicy, "privilege", "every action on every resource"),
        .init(
            [
                "aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment",
                "aws_iam_policy_attachment",
            ],
            "policy_arn",
            .administrator,
            "privilege",
            "an administrator policy"
        ),
        .init(["aws_iam_role"], "managed_policy_arns", .administrator, "privilege", "an administrator policy"),
        // Network exposure.
        .init(
            ["aws_security_group"],
            "ingress",
            awsIngress,
            "exposure",
            "a sensitive port opened to the internet"
        ),
        .init(
            ["aws_security_group_rule"],
            "",
            awsIngress,
            "exposure",
            "a sensitive port opened to the internet"
        ),
        .init(
            ["aws_vpc_security_group_ingress_rule"],
            "",
            .opensWorld(
                cidrs: ["cidr_ipv4", "cidr_ipv6"],
                from: "from_port",
                to: "to_port",
                protocolField: "ip_protocol"
            ),
            "exposure",
            "a sensitive port opened to the internet"
        ),
        // Google Cloud.
        .init(
            [
                "google_sql_database_instance", "google_container_cluster", "google_bigquery_table",
                "google_spanner_database", "google_alloydb_cluster", "google_spanner_instance",
            ],
            "deletion_protection",
            .turnedOff,
            "protection-removed",
            "deletion protection turned off"
        ),
        .init(
            ["google_sql_database_instance"],
            "settings.deletion_protection_enabled",
            .turnedOff,
            "protection-removed",
            "deletion protection turned off"
        ),
        .init(
            ["google_sql_database_instance"],
            "settings.backup_configuration.enabled",
            .turnedOff,
            "protection-removed",
            "backups turned off"
        ),
        .init(
            ["google_sql_database_instance"],
            "settings.backup_configuration.point_in_time_recovery_enabled",
            .turnedOff,
            "protection-removed",
            "point-in-time recovery turned off"
        ),
        .init(
            ["google_sql_database_instance"],
            "settings.ip_configuration.authorized_networks.value",
            .opensWorld(cidrs: [], from: nil, to: nil, protocolField: nil),
            "exposure",
            "the database admits the whole internet"
        ),
        .init(
            ["google_storage_bucket"],
            "versioning.enabled",
            .turnedOff,
            "protection-removed",
            "versioning turned off"
        ),
        .init(
            ["google_storage_bucket"],
            "force_destroy",
            .turnedOn,
            "protection-removed",
            "force_destroy: a delete empties the bucket first"
        ),
        .init(
            ["google_storage_bucket"],
            "soft_delete_policy.retention_duration_seconds",
            .cutTo(0, zeroIsForever: false),
            "protection-removed",
            "soft delete turned off"
        ),
        .init(
            ["google_storage_bucket"],
            "lifecycle_rule.condition.age",
            .cutTo(1, zeroIsForever: false),
            "data-loss-scheduled",
            "a lifecycle rule acts on objects within a day"
        ),
        .init(
            ["google_kms_crypto_key_version"],
            "state",
            .becomes(["DISABLED", "DESTROYED", "DESTROY_SCHEDULED"]),
            "data-loss-scheduled",
            "the key version is disabled or destroyed"
        ),
        .init(
            [
                "google_project_iam_member", "google_project_iam_binding", "google_organization_iam_member",
                "google_folder_iam_member", "google_organization_iam_binding", "google_folder_iam_binding",
            ],
            "role",
            .administrator,
            "privilege",
            "an owner or editor role"
        ),
        .init(
            ["google_compute_firewall"],
            "source_ranges",
            .opensWorld(
                cidrs: [],
                from: nil,
                to: nil,
                protocolField: nil
            ),
            "exposure",
            "the firewall admits the whole internet"
        ),
        .init(
            ["google_bigquery_dataset"],
            "delete_contents_on_destroy",
            .turnedOn,
            "protection-removed",
            "a delete takes every table with it"
        ),
        // Azure.
        .init(
            ["azurerm_key_vault"],
            "purge_protection_enabled",
            .turnedOff,
            "protection-removed",
            "purge protection off"
        ),
        .init(
            ["azurerm_key_vault"],
            "soft_delete_retention_days",
            .cutTo(7, zeroIsForever: false),
            "protection-removed",
            "soft-delete retention cut to the minimum"
        ),
        .init(
            ["azurerm_storage_account"],
            "blob_properties.delete_retention_policy.days",
            .cutTo(1, zeroIsForever: false),
            "protection-removed",
            "blob soft delete cut to a day"
        ),
        .init(
            ["azurerm_storage_account"],
            "blob_properties.versioning_enabled",
            .turnedOff,
            "protection-removed",
            "blob versioning off"
        ),
        .init(
            ["azurerm_storage_account"],
            "allow_nested_items_to_be_public",
            .turnedOn,
            "exposure",
            "blobs may be made public"
        ),
        .init(
            ["azurerm_mssql_database"],
            "short_term_retention_policy.retention_days",
            .cutTo(1, zeroIsForever: false),
            "data-loss-scheduled",
            "backup retention cut to a day"
        ),
        .init(
            ["azurerm_network_security_rule"],
            "source_address_prefix",
            .opensWorld(cidrs: [], from: nil, to: nil, protocolField: nil),
            "exposure",
            "the rule admits the whole internet"
        ),
        .init(
            ["azurerm_role_assignment"],
            "role_definition_name",
            .administrator,
            "privilege",
            "an owner or contributor role"
        ),
        // Kubernetes (the Terraform provider).
        .init(
            ["kubernetes_cluster_role_binding", "kubernetes_cluster_role_binding_v1"],
            "role_ref.name",
            .administrator,
            "privilege",
            "cluster-admin bound"
        ),
        .init(
            ["kubernetes_persistent_volume", "kubernetes_persistent_volume_v1"],
            "spec.persistent_volume_reclaim_policy",
            .becomes(["Delete"]),
            "protection-removed",
            "the volume is deleted with its claim"
        ),
        .init(
            ["kubernetes_storage_class", "kubernetes_storage_class_v1"],
            "reclaim_policy",
            .becomes(["Delete"]),
            "protection-removed",
            "volumes are deleted with their claims"
        ),
    ]

    /// CloudFormation (change sets described with `--include-property-values`): type → property rules, plus the
    /// resource attributes DeletionPolicy and UpdateReplacePolicy for every type.
    static let cloudFormation: [ProtectionRule] = [
        .init(
            ["AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::DocDB::DBCluster", "AWS::Neptune::DBCluster"],
            "DeletionProtection",
            .turnedOff,
            "protection-removed",
            "deletion protection turned off"
        ),
        .init(
            ["AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::DocDB::DBCluster", "AWS::Neptune::DBCluster"],
            "BackupRetentionPeriod",
            .cutTo(0, zeroIsForever: false),
            "data-loss-scheduled",
            "backup retention 0: automated backups are deleted at once"
        ),
        .init(
            ["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"],
            "PubliclyAccessible",
            .turnedOn,
            "exposure",
            "the database gets a public endpoint"
        ),
        .init(
            ["AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"],
            "DeletionProtectionEnabled",
            .turnedOff,
            "protection-removed",
            "deletion protection turned off"
        ),
        .init(
            ["AWS::DynamoDB::Table"],
            "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled",
            .turnedOff,
            "protection-removed",
            "point-in-time recovery turned off"
        ),
        .init(
            ["AWS::S3::Bucket"],
            "VersioningConfiguration.Status",
            .becomes(["Suspended"]),
            "protection-removed",
            "versioning suspended"
        ),
        .init(
            ["AWS::S3::Bucket"],
            "LifecycleConfiguration.Rules.ExpirationInDays",
            .cutTo(1, zeroIsForever: true),
            "data-loss-scheduled",
            "objects expire within a day"
        ),
        .init(
            ["AWS::S3::Bucket"],
            "PublicAccessBlockConfiguration.BlockPublicPolicy",
            .turnedOff,
            "exposure",
            "public bucket policies allowed"
        ),
        .init(
            ["AWS::S3::Bucket"],
            "PublicAccessBlockConfiguration.BlockPublicAcls",
            .turnedOff,
            "exposure",
            "public ACLs allowed"
        ),
        .init(
            ["AWS::Logs::LogGroup"],
            "RetentionInDays",
            .cutTo(7, zeroIsForever: true),
            "data-loss-scheduled",
            "log retention cut: older events are deleted"
        ),
        .init(["AWS::CloudTrail::Trail"], "IsLogging", .turnedOff, "protection-removed", "the audit trail stops"),
        .init(
            ["AWS::KMS::Key"],
            "Enabled",
            .turnedOff,
            "data-loss-scheduled",
            "the key is disabled: data encrypted under it cannot be read"
        ),
        .init(["AWS::KMS::Key"], "KeyPolicy", .wildcardPolicy, "privilege", "the key policy admits anyone"),
        .init(
            ["AWS::IAM::Role"],
            "AssumeRolePolicyDocument",
            .wildcardPolicy,
            "privilege",
            "anyone may assume the role"
        ),
        .init(
            ["AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"],
            "ManagedPolicyArns",
            .administrator,
            "privilege",
            "an administrator policy"
        ),
        .init(
            ["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"],
            "PolicyDocument",
            .wildcardPolicy,
            "privilege",
            "every action on every resource"
        ),
        .init(
            ["AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"],
            "Policies.PolicyDocument",
            .wildcardPolicy,
            "privilege",
            "every action on every resource"
        ),
        .init(
            ["AWS::EC2::SecurityGroup"],
            "SecurityGroupIngress",
            .opensWorld(
                cidrs: ["CidrIp", "CidrIpv6"],
                from: "FromPort",
                to: "ToPort",
                protocolField: "IpProtocol"
            ),
            "exposure",
            "a sensitive port opened to the internet"
        ),
        .init(
            ["AWS::EC2::SecurityGroupIngress"],
            "CidrIp",
            .opensWorld(
                cidrs: [],
                from: nil,
                to: nil,
                protocolField: nil
            ),
            "exposure",
            "the rule admits the whole internet"
        ),
        .init(
            ["AWS::ElastiCache::ReplicationGroup"],
            "SnapshotRetentionLimit",
            .cutTo(0, zeroIsForever: false),
            "data-loss-scheduled",
            "snapshot retention 0: no backups kept"
        ),
        .init(
            ["AWS::EC2::Instance"],
            "DisableApiTermination",
            .turnedOff,
            "protection-removed",
            "termination protection off"
        ),
    ]

    /// Which table a change is read against.
    enum Table {
        case terraform, cloudFormation
        var rules: [ProtectionRule] { self == .terraform ? PlanProtection.terraform : PlanProtection.cloudFormation }
        var byType: [String: [Int]] {
            self == .terraform ? PlanProtection.terraformByType : PlanProtection.cloudFormationByType
        }
    }

    /// The rules of each type, looked up once per change instead of scanning every rule (a plan has thousands).
    static let terraformByType = index(terraform)
    static let cloudFormationByType = index(cloudFormation)

    static func index(_ rules: [ProtectionRule]) -> [String: [Int]] {
        var out: [String: [Int]] = [:]
        for (i, r) in rules.enumerated() { for t in r.types { out[t, default: []].append(i) } }
        return out
    }

    /// Findings of one change: (class, evidence `attribute: before → after`).
    static func findings(
        _ table: Table,
        type: String,
        before: JSONValue?,
        after: JSONValue?,
        afterUnknown: JSONValue?
    ) -> [(String, String)] {
        guard let indices = table.byType[type] else { return [] }
        let rules = table.rules
        var out: [(String, String)] = []
        for i in indices {
            let rule = rules[i]
            let path = rule.keys
            // Most changes do not touch most attributes: skip a rule whose first key is in none of the three.
            if let first = path.first, before?[first] == nil, after?[first] == nil, afterUnknown?[first] == nil {
                continue
            }
            let b = values(before, path)
            let a = values(after, path)
            let unknown = values(afterUnknown, path).contains { $0 == .bool(true) }
            let label = rule.path.isEmpty ? type : rule.path
            if unknown, case .some = before, removesWhenUnknown(rule.test, b) {
                out.append(("protection-unknown", "\(label): \(show(b)) → (known after apply): \(rule.what)?"))
                continue
            }
            if removes(rule.test, before: b, after: a, created: before == nil || before == .null) {
                out.append((rule.change, "\(label): \(show(b)) → \(show(a)): \(rule.what)"))
            }
        }
        return out
    }

    /// Every value at the path; lists are walked through at every step.
    static func values(_ v: JSONValue?, _ path: [String]) -> [JSONValue] {
        guard let v else { return [] }
        // The common case, one key of an object: no intermediate arrays.
        if path.count == 1, case .object = v {
            guard let child = v[path[0]] else { return [] }
            if case .array = child { return flatten([child]) }
            return [child]
        }
        var current: [JSONValue] = flatten([v])
        for key in path {
            var next: [JSONValue] = []
            for item in current {
                if let child = item[key] { next.append(contentsOf: flatten([child])) }
            }
            current = next
        }
        return current
    }

    static func flatten(_ vs: [JSONValue]) -> [JSONValue] {
        var out: [JSONValue] = []
        for v in vs {
            if case .array(let items) = v { out.append(contentsOf: flatten(items)) } else { out.append(v) }
        }
        return out
    }

    /// A value as written in evidence; CloudFormation's property values arrive as strings of JSON.
    static func show(_ vs: [JSONValue]) -> String {
        if vs.isEmpty { return "(unset)" }
        let s = vs.prefix(3).map { v -> String in
            if case .string(let t) = v { return t.count > 60 ? String(t.prefix(57)) + "…" : t }
            let t = v.serialized
            return t.count > 60 ? String(t.prefix(57)) + "…" : t
        }.joined(separator: ", ")
        return vs.count > 3 ? s + ", …" : s
    }

    static func truthy(_ v: JSONValue) -> Bool? {
        switch v {
        case .bool(let b): return b
        case .string(let s):
            switch s.lowercased() {
            case "true", "enabled": return true
            case "false", "disabled": return false
            default: return nil
            }
        default: return nil
        }
    }

    static func number(_ v: JSONValue) -> Double? {
        switch v {
        case .number(let n): return n
        case .string(let s): return Double(s)
        default: return nil
        }
    }

    static func text(_ v: JSONValue) -> String? {
        switch v {
        case .string(let s): return s
        case .number, .bool: return v.serialized
        default: return nil
        }
    }

    /// Whether an unknown value would matter: there is protection before that the unknown value may remove.
    static func removesWhenUnknown(_ test: ProtectionRule.Test, _ before: [JSONValue]) -> Bool {
        switch test {
        case .turnedOff: return before.contains { truthy($0) == true }
        case .cutTo(let limit, let forever):
            return before.contains { v in
                guard let n = number(v) else { return false }
                return forever ? (n == 0 || n > limit) : n > limit
            }
        default: return false
        }
    }

    static func removes(_ test: ProtectionRule.Test, before: [JSONValue], after: [JSONValue], created: Bool) -> Bool {
        switch test {
        case .turnedOff:
            guard !created, before.contains(where: { truthy($0) == true }) else { return false }
            return !after.contains { truthy($0) == true }
        case .turnedOn:
            guard after.contains(where: { truthy($0) == true }) else { return false }
            return created ? false : !before.contains { truthy($0) == true }
        case .cutTo(let limit, let forever):
            let cut = after.compactMap(number).filter { forever ? ($0 > 0 && $0 <= limit) : $0 <= limit }
            guard let lowest = cut.min() else { return false }
            if created { return forever }  // a new log group or rule that deletes within the limit
            let prior = before.compactMap(number)
            if prior.isEmpty { return forever }
            return prior.contains { forever ? ($0 == 0 || $0 > lowest) : $0 > lowest }
        case .becomes(let words):
            let lower = Set(words.map { $0.lowercased() })
            guard after.contains(where: { text($0).map { lower.contains($0.lowercased()) } ?? false }) else {
                return false
            }
            return !before.contains { text($0).map { lower.contains($0.lowercased()) } ?? false }
        case .administrator:
            func admin(_ vs: [JSONValue]) -> Bool {
                vs.contains { v in
                    guard let t = text(v)?.lowercased() else { return false }
                    let last = t.split(separator: "/").last.map(String.init) ?? t
                    return administratorNames.contains(t) || administratorNames.contains(last)
                }
            }
            return admin(after) && !admin(before)
        case .wildcardPolicy:
            return after.contains(where: wildcard) && !before.contains(where: wildcard)
        case .opensWorld(let cidrs, let from, let to, let proto):
            let opened = exposed(after, cidrs: cidrs, from: from, to: to, proto: proto)
            let was = exposed(before, cidrs: cidrs, from: from, to: to, proto: proto)
            return !opened.subtracting(was).isEmpty
        }
    }

    /// The world-open rules among values (each serialized, to compare before and after).
    static func exposed(_ vs: [JSONValue], cidrs: [String], from: String?, to: String?, proto: String?) -> Set<String> {
        var out: Set<String> = []
        for v in vs {
            let ranges: [JSONValue] = cidrs.isEmpty ? [v] : cidrs.flatMap { values(v, [$0]) }
            guard ranges.contains(where: { text($0).map { worldCIDRs.contains($0.lowercased()) } ?? false }) else {
                continue
            }
            if let from, let to {
                let p = proto.flatMap { v[$0] }.flatMap(text)?.lowercased()
                let lo = v[from].flatMap(number).map { Int($0) } ?? 0
                let hi = v[to].flatMap(number).map { Int($0) } ?? 65535
                let all = p == "-1" || p == "all" || (lo <= 0 && hi >= 65535) || (lo == -1)
                guard all || sensitivePorts.contains(where: { $0 >= lo && $0 <= hi }) else { continue }
            }
            out.insert(v.serialized)
        }
        return out
    }

    /// A policy document (object, or JSON text) that allows `*` on `*`, or whose principal is anyone.
    static func wildcard(_ v: JSONValue) -> Bool {
        var doc = v
        if case .string(let s) = v {
            guard let parsed = try? JSONValue.parse(s) else { return false }
            doc = parsed
        }
        let statements = flatten(values(doc, ["Statement"]))
        for st in statements where (st["Effect"].flatMap(text) ?? "Allow").lowercased() == "allow" {
            let actions = flatten(st["Action"].map { [$0] } ?? []).compactMap(text)
            let resources = flatten(st["Resource"].map { [$0] } ?? []).compactMap(text)
            if actions.contains(where: { $0 == "*" || $0 == "*:*" }) && (resources.isEmpty || resources.contains("*")) {
                return true
            }
            if let p = st["Principal"], st["Condition"] == nil {
                if text(p) == "*" { return true }
                let principals = flatten(values(p, ["AWS"])).compactMap(text)
                if principals.contains("*") { return true }
            }
        }
        return false
    }
}
