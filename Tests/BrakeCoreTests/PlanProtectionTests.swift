import BrakeCore
import Foundation
import Testing

/// Plan gate, wave 2: updates that remove protection or destroy data in place, data holders by exact type,
/// production from the plan, whole input or nothing, guards that keep data. Each family beside its benign
/// look-alikes; the expected decisions are what a reviewer of an agent's infrastructure change would want.
@Suite("Plans: protection, exact types, production, whole input")
struct PlanProtectionTests {
    static let agent = Context(cwd: "/home/dev/project/infra", home: "/home/dev")

    /// A Terraform/OpenTofu plan with one change; `extra` adds top-level members (variables, configuration).
    static func plan(
        _ type: String,
        _ actions: [String],
        before: String,
        after: String,
        unknown: String = "{}",
        extra: String = "",
        version: String = "1.9.8"
    ) -> String {
        let acts = actions.map { "\"\($0)\"" }.joined(separator: ",")
        return #"""
            {"format_version":"1.2","terraform_version":"\#(version)","resource_changes":[{"address":"\#(type).x","mode":"managed","type":"\#(type)","name":"x","change":{"actions":[\#(acts)],"before":\#(before),"after":\#(after),"after_unknown":\#(unknown)}}],"prior_state":{"values":{"root_module":{"resources":[{"address":"a","mode":"managed","type":"t","name":"a"},{"address":"b","mode":"managed","type":"t","name":"b"},{"address":"c","mode":"managed","type":"t","name":"c"}]}}}\#(extra)}
            """#
    }

    static func judge(
        _ text: String,
        _ context: Context = agent,
        settings: AnalysisSettings = .standard
    ) throws -> (
        Verdict, [String], [String]
    ) {
        var policy = Policy.standard
        policy.settings = settings
        let r = try TerraformPlan.analyze(text, context: context, settings: settings)
        let d = Engine.decide(plan: r, digest: "d", context: context, policy: policy)
        return (d.verdict, r.changes.flatMap(\.classes), r.changes.flatMap(\.evidence))
    }

    /// (what, type, before, after, decision for an agent, classes)
    static let updates: [(String, String, String, String, Verdict, [String])] = [
        // Data destroyed by a setting.
        (
            "RDS backup retention to 0", "aws_db_instance", #"{"backup_retention_period":7}"#,
            #"{"backup_retention_period":0}"#, .deny, ["data-loss-scheduled"]
        ),
        (
            "RDS backup retention 7 → 14 (more protection)", "aws_db_instance", #"{"backup_retention_period":7}"#,
            #"{"backup_retention_period":14}"#, .allow, []
        ),
        (
            "S3 lifecycle expiring every object after a day", "aws_s3_bucket_lifecycle_configuration",
            #"{"rule":[{"id":"old","status":"Enabled","expiration":[{"days":365}]}]}"#,
            #"{"rule":[{"id":"all","status":"Enabled","expiration":[{"days":1}]}]}"#, .deny, ["data-loss-scheduled"]
        ),
        (
            "S3 lifecycle 365 → 400 days", "aws_s3_bucket_lifecycle_configuration",
            #"{"rule":[{"expiration":[{"days":365}]}]}"#, #"{"rule":[{"expiration":[{"days":400}]}]}"#, .allow, []
        ),
        (
            "audit log retention cut to a day", "aws_cloudwatch_log_group", #"{"retention_in_days":0}"#,
            #"{"retention_in_days":1}"#, .deny, ["data-loss-scheduled"]
        ),
        (
            "log retention 30 → 90", "aws_cloudwatch_log_group", #"{"retention_in_days":30}"#,
            #"{"retention_in_days":90}"#, .allow, []
        ),
        (
            "KMS key disabled", "aws_kms_key", #"{"is_enabled":true}"#, #"{"is_enabled":false}"#, .deny,
            ["data-loss-scheduled"]
        ),
        (
            "KMS key description changed", "aws_kms_key", #"{"is_enabled":true,"description":"a"}"#,
            #"{"is_enabled":true,"description":"b"}"#, .allow, []
        ),
        (
            "Cloud KMS key version destroyed", "google_kms_crypto_key_version", #"{"state":"ENABLED"}"#,
            #"{"state":"DESTROYED"}"#, .deny, ["data-loss-scheduled"]
        ),
        (
            "Azure SQL backups cut to a day", "azurerm_mssql_database",
            #"{"short_term_retention_policy":[{"retention_days":7}]}"#,
            #"{"short_term_retention_policy":[{"retention_days":1}]}"#, .deny, ["data-loss-scheduled"]
        ),
        // Guard rails removed.
        (
            "RDS deletion protection off", "aws_db_instance", #"{"deletion_protection":true}"#,
            #"{"deletion_protection":false}"#, .ask, ["protection-removed"]
        ),
        (
            "RDS deletion protection on (adds protection)", "aws_db_instance", #"{"deletion_protection":false}"#,
            #"{"deletion_protection":true}"#, .allow, []
        ),
        (
            "DynamoDB point-in-time recovery off", "aws_dynamodb_table",
            #"{"point_in_time_recovery":[{"enabled":true}]}"#, #"{"point_in_time_recovery":[{"enabled":false}]}"#,
            .ask, ["protection-removed"]
        ),
        (
            "bucket versioning suspended", "aws_s3_bucket_versioning",
            #"{"versioning_configuration":[{"status":"Enabled"}]}"#,
            #"{"versioning_configuration":[{"status":"Suspended"}]}"#, .ask, ["protection-removed"]
        ),
        (
            "bucket versioning enabled", "aws_s3_bucket_versioning",
            #"{"versioning_configuration":[{"status":"Suspended"}]}"#,
            #"{"versioning_configuration":[{"status":"Enabled"}]}"#, .allow, []
        ),
        (
            "CloudTrail logging stopped", "aws_cloudtrail", #"{"enable_logging":true}"#,
            #"{"enable_logging":false}"#, .ask, ["protection-removed"]
        ),
        (
            "GCS soft delete set to 0", "google_storage_bucket",
            #"{"soft_delete_policy":[{"retention_duration_seconds":604800}]}"#,
            #"{"soft_delete_policy":[{"retention_duration_seconds":0}]}"#, .ask, ["protection-removed"]
        ),
        (
            "Cloud SQL backups off", "google_sql_database_instance",
            #"{"settings":[{"backup_configuration":[{"enabled":true,"point_in_time_recovery_enabled":true}]}]}"#,
            #"{"settings":[{"backup_configuration":[{"enabled":false,"point_in_time_recovery_enabled":false}]}]}"#,
            .ask, ["protection-removed"]
        ),
        (
            "Key Vault purge protection off", "azurerm_key_vault", #"{"purge_protection_enabled":true}"#,
            #"{"purge_protection_enabled":false}"#, .ask, ["protection-removed"]
        ),
        (
            "persistent volume reclaim Retain → Delete", "kubernetes_persistent_volume",
            #"{"spec":[{"persistent_volume_reclaim_policy":"Retain"}]}"#,
            #"{"spec":[{"persistent_volume_reclaim_policy":"Delete"}]}"#, .ask, ["protection-removed"]
        ),
        (
            "tag-only update", "aws_db_instance", #"{"deletion_protection":true,"tags":{"team":"a"}}"#,
            #"{"deletion_protection":true,"tags":{"team":"b"}}"#, .allow, []
        ),
        // Exposure.
        (
            "SSH opened to the internet", "aws_security_group",
            #"{"ingress":[{"from_port":22,"to_port":22,"protocol":"tcp","cidr_blocks":["10.0.0.0/8"]}]}"#,
            #"{"ingress":[{"from_port":22,"to_port":22,"protocol":"tcp","cidr_blocks":["0.0.0.0/0"]}]}"#, .ask,
            ["exposure"]
        ),
        (
            "HTTPS opened to the internet (a web server)", "aws_security_group",
            #"{"ingress":[]}"#,
            #"{"ingress":[{"from_port":443,"to_port":443,"protocol":"tcp","cidr_blocks":["0.0.0.0/0"]}]}"#, .allow,
            []
        ),
        (
            "Postgres rule for the world", "aws_vpc_security_group_ingress_rule",
            #"{"from_port":5432,"to_port":5432,"ip_protocol":"tcp","cidr_ipv4":"10.1.0.0/16"}"#,
            #"{"from_port":5432,"to_port":5432,"ip_protocol":"tcp","cidr_ipv4":"0.0.0.0/0"}"#, .ask, ["exposure"]
        ),
        (
            "RDS made publicly accessible", "aws_db_instance", #"{"publicly_accessible":false}"#,
            #"{"publicly_accessible":true}"#, .ask, ["exposure"]
        ),
        (
            "Cloud SQL open to 0.0.0.0/0", "google_sql_database_instance",
            #"{"settings":[{"ip_configuration":[{"authorized_networks":[{"value":"203.0.113.4/32"}]}]}]}"#,
            #"{"settings":[{"ip_configuration":[{"authorized_networks":[{"value":"0.0.0.0/0"}]}]}]}"#, .ask,
            ["exposure"]
        ),
        (
            "S3 public access block turned off", "aws_s3_bucket_public_access_block",
            #"{"block_public_acls":true,"block_public_policy":true}"#,
            #"{"block_public_acls":false,"block_public_policy":false}"#, .ask, ["exposure"]
        ),
        // Privilege.
        (
            "IAM policy of * on *", "aws_iam_policy",
            #"{"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}]}"}"#,
            #"{"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}"#,
            .deny, ["privilege"]
        ),
        (
            "IAM policy widened within a bucket", "aws_iam_policy",
            #"{"policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}]}"}"#,
            #"{"policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"s3:PutObject\"],\"Resource\":\"arn:aws:s3:::b/*\"}]}"}"#,
            .allow, []
        ),
        (
            "trust policy any account can assume", "aws_iam_role",
            #"{"assume_role_policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"}"#,
            #"{"assume_role_policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"sts:AssumeRole\"}]}"}"#,
            .deny, ["privilege"]
        ),
        (
            "AdministratorAccess attached", "aws_iam_role_policy_attachment",
            #"{"policy_arn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}"#,
            #"{"policy_arn":"arn:aws:iam::aws:policy/AdministratorAccess"}"#, .deny, ["privilege"]
        ),
        (
            "project owner granted", "google_project_iam_member", #"{"role":"roles/viewer"}"#,
            #"{"role":"roles/owner"}"#, .deny, ["privilege"]
        ),
        (
            "cluster-admin bound", "kubernetes_cluster_role_binding", #"{"role_ref":[{"name":"view"}]}"#,
            #"{"role_ref":[{"name":"cluster-admin"}]}"#, .deny, ["privilege"]
        ),
    ]

    @Test("Updates: each family against its look-alike", arguments: updates.indices)
    func update(_ i: Int) throws {
        let (what, type, before, after, want, classes) = Self.updates[i]
        let (verdict, got, evidence) = try Self.judge(Self.plan(type, ["update"], before: before, after: after))
        #expect(verdict == want, "\(what): \(evidence)")
        #expect(got == classes, "\(what)")
        if !classes.isEmpty { #expect(evidence.contains { $0.contains(" → ") }, "\(what): before → after shown") }
    }

    @Test("New resources that expose or grant are judged like updates; new protection is not a removal")
    func creates() throws {
        let sg = Self.plan(
            "aws_security_group_rule",
            ["create"],
            before: "null",
            after: #"{"type":"ingress","from_port":3389,"to_port":3389,"protocol":"tcp","cidr_blocks":["0.0.0.0/0"]}"#
        )
        #expect(try Self.judge(sg).0 == .ask)
        let db = Self.plan("aws_db_instance", ["create"], before: "null", after: #"{"deletion_protection":false}"#)
        #expect(try Self.judge(db).0 == .allow)
        let admin = Self.plan(
            "azurerm_role_assignment",
            ["create"],
            before: "null",
            after: #"{"role_definition_name":"Owner"}"#
        )
        #expect(try Self.judge(admin).0 == .deny)
    }

    @Test("Unknown after apply is not safe; sensitive values are read as values")
    func unknownValues() throws {
        let p = Self.plan(
            "aws_db_instance",
            ["update"],
            before: #"{"deletion_protection":true}"#,
            after: #"{}"#,
            unknown: #"{"deletion_protection":true}"#
        )
        let (verdict, classes, evidence) = try Self.judge(p)
        #expect(verdict == .ask && classes == ["protection-unknown"])
        #expect(evidence.contains { $0.contains("known after apply") })
        // Unknown where nothing was protected before is no finding.
        let q = Self.plan(
            "aws_db_instance",
            ["update"],
            before: #"{"deletion_protection":false}"#,
            after: #"{}"#,
            unknown: #"{"deletion_protection":true}"#
        )
        #expect(try Self.judge(q).0 == .allow)
    }

    @Test("Production protection removed by an agent is refused")
    func productionProtection() throws {
        var prod = Self.agent
        prod.terraformWorkspace = "prod"
        let p = Self.plan(
            "aws_db_instance",
            ["update"],
            before: #"{"deletion_protection":true}"#,
            after: #"{"deletion_protection":false}"#
        )
        #expect(try Self.judge(p, prod).0 == .deny)
        var human = prod
        human.actor = .human
        #expect(try Self.judge(p, human).0 == .ask)
    }

    /// (type, before, decision for an agent deleting it, data-loss class)
    static let deletes: [(String, String, Verdict, String)] = [
        ("aws_route53_zone", #"{"name":"example.com"}"#, .deny, "irrecoverable"),
        ("aws_route53_record", #"{"name":"www"}"#, .ask, "availability"),
        ("aws_cloudwatch_log_group", #"{"name":"/audit/trail"}"#, .deny, "irrecoverable"),
        ("aws_rds_cluster_instance", #"{"identifier":"db-1"}"#, .ask, "availability"),
        ("aws_db_snapshot", #"{"db_snapshot_identifier":"before-migration"}"#, .deny, "irrecoverable"),
        ("aws_ebs_snapshot", #"{}"#, .deny, "irrecoverable"),
        ("aws_db_cluster_snapshot", #"{}"#, .deny, "irrecoverable"),
        ("github_repository", #"{"name":"api"}"#, .deny, "irrecoverable"),
        ("github_branch_protection", #"{}"#, .ask, "availability"),
        ("helm_release", #"{"name":"postgres"}"#, .ask, "unknown"),
        ("random_password", #"{}"#, .ask, "availability"),
        (
            "aws_instance", #"{"ebs_block_device":[{"device_name":"/dev/sdf","delete_on_termination":true}]}"#, .deny,
            "irrecoverable"
        ),
        ("aws_instance", #"{"ebs_block_device":[]}"#, .ask, "availability"),
        ("azurerm_key_vault", #"{"purge_protection_enabled":false}"#, .deny, "irrecoverable"),
        ("azurerm_key_vault", #"{"purge_protection_enabled":true}"#, .ask, "recoverable"),
        ("azurerm_key_vault_secret", #"{}"#, .deny, "irrecoverable"),
        ("aws_db_instance", #"{"skip_final_snapshot":false,"final_snapshot_identifier":"last"}"#, .ask, "recoverable"),
        (
            "aws_db_instance",
            #"{"skip_final_snapshot":true,"delete_automated_backups":false,"backup_retention_period":7}"#, .ask,
            "recoverable"
        ),
        ("aws_db_instance", #"{"skip_final_snapshot":true,"delete_automated_backups":true}"#, .deny, "irrecoverable"),
        ("aws_elasticache_replication_group", #"{"final_snapshot_identifier":"last"}"#, .ask, "recoverable"),
        ("aws_elasticache_replication_group", #"{}"#, .deny, "irrecoverable"),
        ("google_bigquery_table", #"{"deletion_protection":true}"#, .ask, "recoverable"),
        ("google_bigquery_table", #"{"deletion_protection":false}"#, .deny, "irrecoverable"),
        ("google_bigquery_dataset", #"{"delete_contents_on_destroy":true}"#, .deny, "irrecoverable"),
        ("google_bigquery_dataset", #"{}"#, .ask, "recoverable"),
        ("aws_db_subnet_group", #"{}"#, .ask, "availability"),
        ("acme_widget", #"{}"#, .ask, "unknown"),
        ("aws_s3_bucket_policy", #"{}"#, .ask, "availability"),
    ]

    @Test("Deletes: exact types, irrecoverable deletes and the guards that keep data", arguments: deletes.indices)
    func delete(_ i: Int) throws {
        let (type, before, want, loss) = Self.deletes[i]
        let text = Self.plan(type, ["delete"], before: before, after: "null")
        let r = try TerraformPlan.analyze(text, context: Self.agent)
        #expect(r.changes[0].dataLoss == loss, "\(type) \(before): \(r.changes[0].evidence)")
        #expect(Engine.decide(plan: r, digest: "d", context: Self.agent).verdict == want, "\(type) \(before)")
    }

    @Test("An Aurora cluster instance is not the cluster; -destroy -target of one resource is not destroy-all")
    func falseDenies() throws {
        // One targeted delete out of three managed resources: asked, not refused as "destroys everything".
        let one = Self.plan("aws_instance", ["delete"], before: "{}", after: "null")
        let r = try TerraformPlan.analyze(one, context: Self.agent)
        #expect(r.destroyMode)
        let d = Engine.decide(plan: r, digest: "d", context: Self.agent)
        #expect(d.verdict == .ask && !d.reasons.contains { $0.rule == "plan.destroy-everything" })
    }

    @Test("Production read from the plan: variables, provider accounts, namespaces, tag blocks, deep directories")
    func production() throws {
        let update = (
            type: "aws_instance", before: #"{"instance_type":"t3.small"}"#, after: #"{"instance_type":"t3.large"}"#
        )
        func evidence(
            _ text: String,
            _ context: Context = PlanProtectionTests.agent,
            _ settings: AnalysisSettings = .standard
        ) throws
            -> [String]
        {
            try TerraformPlan.analyze(text, context: context, settings: settings).production.map(\.source)
        }
        let vars = Self.plan(
            update.type,
            ["update"],
            before: update.before,
            after: update.after,
            extra: #","variables":{"environment":{"value":"prod"},"region":{"value":"eu-west-1"}}"#
        )
        #expect(try evidence(vars) == ["variable environment"])
        let dev = Self.plan(
            update.type,
            ["update"],
            before: update.before,
            after: update.after,
            extra: #","variables":{"environment":{"value":"dev"}}"#
        )
        #expect(try evidence(dev).isEmpty)
        let role =
            #","configuration":{"provider_config":{"aws":{"name":"aws","expressions":{"assume_role":[{"role_arn":{"constant_value":"arn:aws:iam::111122223333:role/deployer"}}]}}}}"#
        let assumed = Self.plan(update.type, ["update"], before: update.before, after: update.after, extra: role)
        #expect(try evidence(assumed).isEmpty)
        var settings = AnalysisSettings.standard
        settings.productionAWSAccounts = ["111122223333"]
        #expect(try evidence(assumed, Self.agent, settings) == ["provider aws assume_role"])
        let ns = Self.plan(
            "kubernetes_deployment",
            ["update"],
            before: #"{"metadata":[{"name":"api","namespace":"production"}]}"#,
            after: #"{"metadata":[{"name":"api","namespace":"production"}],"spec":[]}"#
        )
        #expect(try evidence(ns).contains("kubernetes_deployment.x metadata.namespace"))
        let asg = Self.plan(
            "aws_autoscaling_group",
            ["delete"],
            before: #"{"tag":[{"key":"Environment","value":"production","propagate_at_launch":true}]}"#,
            after: "null"
        )
        #expect(try evidence(asg).contains("aws_autoscaling_group.x tag.Environment"))
        let deep = Context(cwd: "/home/dev/infra/envs/prod/eu-west-1/network/vpc", home: "/home/dev")
        #expect(
            try evidence(Self.plan(update.type, ["update"], before: update.before, after: update.after), deep) == [
                "directory"
            ]
        )
        var kube = Self.agent
        kube.kubeContext = "gke_acme_europe-west1_prod"
        #expect(try evidence(ns, kube).contains("kube context"))
        #expect(try !evidence(vars.replacingOccurrences(of: "prod", with: "dev"), kube).contains("kube context"))
        // A production deletion by the same plan is then asked of a senior.
        let prodDelete = Self.plan(
            "aws_instance",
            ["delete"],
            before: "{}",
            after: "null",
            extra: #","variables":{"env":{"value":"production"}}"#
        )
        let r = try TerraformPlan.analyze(prodDelete, context: Self.agent)
        let d = Engine.decide(plan: r, digest: "d", context: Self.agent)
        #expect(d.reasons.contains { $0.rule == "plan.production-delete" })
    }

    @Test("Whole input or nothing: an errored plan and a first page of a change set are errors")
    func wholeInput() throws {
        let errored = Self.plan("aws_instance", ["update"], before: "{}", after: "{}", extra: #","errored":true"#)
        #expect { try TerraformPlan.analyze(errored, context: Self.agent) } throws: { e in
            (e as! PlanError).message.contains("errored")
        }
        let page =
            #"{"ChangeSetName":"cs","StackName":"app","NextToken":"abc","Changes":[{"Type":"Resource","ResourceChange":{"Action":"Modify","LogicalResourceId":"Web","ResourceType":"AWS::EC2::Instance","Replacement":"False"}}]}"#
        #expect { try ChangeSet.analyze(page, context: Self.agent) } throws: { e in
            (e as! PlanError).message.contains("NextToken")
        }
        let nested =
            #"{"ChangeSetName":"cs","StackName":"app","Changes":[{"Type":"Resource","ResourceChange":{"Action":"Modify","LogicalResourceId":"Data","ResourceType":"AWS::CloudFormation::Stack","Replacement":"False","ChangeSetId":"arn:aws:cloudformation:eu-west-1:111122223333:changeSet/child/1"}}]}"#
        let r = try ChangeSet.analyze(nested, context: Self.agent)
        #expect(r.changes[0].classes == ["incomplete"])
        #expect(r.changes[0].evidence.contains { $0.contains("changeSet/child/1") })
        #expect(Engine.decide(plan: r, digest: "d", context: Self.agent).verdict == .ask)
        // Through the one entry point the CLI and the server use: an error, never a decision.
        guard case .failure = PlanInput.analyze(errored, type: nil, context: Self.agent, settings: .standard) else {
            Issue.record("an errored plan was judged")
            return
        }
    }

    static func changeSet(_ type: String, _ details: String, context: String = "", params: String = "") -> String {
        #"{"ChangeSetName":"cs","StackName":"app","Changes":[{"Type":"Resource","ResourceChange":{"Action":"Modify","LogicalResourceId":"Store","PhysicalResourceId":"store-1","ResourceType":"\#(type)","Replacement":"False","Details":[\#(details)]\#(context)}}]\#(params)}"#
    }

    static func detail(_ path: String, _ before: String?, _ after: String?, attribute: String = "Properties") -> String
    {
        let b = before.map { #","BeforeValue":"\#($0)""# } ?? ""
        let a = after.map { #","AfterValue":"\#($0)""# } ?? ""
        let name = path.split(separator: "/").dropFirst().first.map(String.init) ?? path
        return
            #"{"Target":{"Attribute":"\#(attribute)","Name":"\#(name)","Path":"\#(path)","RequiresRecreation":"Never"\#(b)\#(a)},"Evaluation":"Static","ChangeSource":"DirectModification"}"#
    }

    /// (what, change set, decision for an agent, classes)
    static let changeSets: [(String, String, Verdict, [String])] = [
        (
            "DeletionProtection off",
            changeSet("AWS::RDS::DBInstance", detail("/Properties/DeletionProtection", "true", "false")),
            .ask, ["protection-removed"]
        ),
        (
            "BackupRetentionPeriod 0",
            changeSet("AWS::RDS::DBCluster", detail("/Properties/BackupRetentionPeriod", "7", "0")),
            .deny, ["data-loss-scheduled"]
        ),
        (
            "BackupRetentionPeriod 7 → 14",
            changeSet("AWS::RDS::DBCluster", detail("/Properties/BackupRetentionPeriod", "7", "14")),
            .allow, []
        ),
        (
            "DeletionPolicy Snapshot → Delete",
            changeSet(
                "AWS::RDS::DBInstance",
                detail("DeletionPolicy", "Snapshot", "Delete", attribute: "DeletionPolicy")
            ),
            .ask, ["protection-removed"]
        ),
        (
            "DeletionPolicy Delete → Retain",
            changeSet(
                "AWS::RDS::DBInstance",
                detail("DeletionPolicy", "Delete", "Retain", attribute: "DeletionPolicy")
            ),
            .allow, []
        ),
        (
            "PITR off (leaf path)",
            changeSet(
                "AWS::DynamoDB::Table",
                detail("/Properties/PointInTimeRecoverySpecification/PointInTimeRecoveryEnabled", "true", "false")
            ), .ask, ["protection-removed"]
        ),
        (
            "versioning suspended (whole contexts)",
            changeSet(
                "AWS::S3::Bucket",
                detail("/Properties/VersioningConfiguration/Status", nil, nil),
                context:
                    #","BeforeContext":"{\"Properties\":{\"VersioningConfiguration\":{\"Status\":\"Enabled\"}}}","AfterContext":"{\"Properties\":{\"VersioningConfiguration\":{\"Status\":\"Suspended\"}}}""#
            ), .ask, ["protection-removed"]
        ),
        (
            "protective property changed, values not included",
            changeSet("AWS::RDS::DBInstance", detail("/Properties/DeletionProtection", nil, nil)), .ask,
            ["protection-unknown"]
        ),
        (
            "tag change on a database",
            changeSet("AWS::RDS::DBInstance", detail("/Properties/Tags/0/Value", "a", "b", attribute: "Tags")),
            .allow, []
        ),
        (
            "production by parameter, protection off",
            changeSet(
                "AWS::RDS::DBInstance",
                detail("/Properties/DeletionProtection", "true", "false"),
                params: #","Parameters":[{"ParameterKey":"EnvironmentName","ParameterValue":"production"}]"#
            ), .deny, ["protection-removed"]
        ),
    ]

    @Test("CloudFormation: property values and deletion policies", arguments: changeSets.indices)
    func cloudFormation(_ i: Int) throws {
        let (what, text, want, classes) = Self.changeSets[i]
        let r = try ChangeSet.analyze(text, context: Self.agent)
        #expect(r.changes.flatMap(\.classes) == classes, "\(what): \(r.changes.flatMap(\.evidence))")
        #expect(Engine.decide(plan: r, digest: "d", context: Self.agent).verdict == want, "\(what)")
    }

    @Test("OpenTofu plans read the same")
    func openTofu() throws {
        let p = Self.plan(
            "aws_db_instance",
            ["update"],
            before: #"{"backup_retention_period":7}"#,
            after: #"{"backup_retention_period":0}"#,
            version: "1.8.3"
        )
        #expect(try Self.judge(p).0 == .deny)
    }
}
