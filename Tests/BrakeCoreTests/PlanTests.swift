import BrakeCore
import Foundation
import Testing

/// Plans: every fixture from ../shared/fixtures (copied with SOURCES.md) and our own plans per cloud.
@Suite("Infrastructure plans")
struct PlanTests {
    static let agent = Context(cwd: "/home/dev/project", home: "/home/dev")

    static func load(_ name: String) -> String {
        let url = Bundle.module.resourceURL!.appendingPathComponent("fixtures/terraform/" + name)
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }

    static func summary(_ text: String, actor: Actor = .agent) throws -> (String, String, String) {
        var ctx = agent
        ctx.actor = actor
        let r = try TerraformPlan.analyze(text, context: ctx)
        let d = Engine.decide(plan: r, digest: "sha256:x", context: ctx)
        let counts = ["create", "update", "delete", "replace", "forget", "read", "no-op"].map {
            String(r.counts[$0] ?? 0)
        }.joined(separator: " ")
        let losses = r.changes.filter { !["create", "update", "no-op", "read"].contains($0.action) }.map(\.dataLoss)
            .joined(separator: ",")
        return (d.verdict.rawValue, counts, losses)
    }

    /// (fixture, decision for an agent, counts create update delete replace forget read no-op, data-loss classes)
    static let fixtures: [(String, String, String, String)] = [
        ("conftest-hcl1-gke-show-gcp.json", "allow", "2 0 0 0 0 0 0", ""),
        (
            "generated-tf1.11-terraform_data-all-actions.json", "ask", "0 1 4 5 1 0 1",
            "availability,availability,availability,availability,availability,availability,management,availability,availability,availability"
        ),
        ("opa-tutorial-tfplan-aws-asg.json", "allow", "3 0 0 0 0 0 0", ""),
        ("strata-danger-rds-replace.json", "deny", "1 2 0 1 0 0 0", "irrecoverable"),
        (
            "strata-replacements-replace_paths.json", "ask", "2 1 0 5 0 0 0",
            "availability,availability,availability,availability,availability"
        ),
        ("tf-showjson-basic-create.json", "allow", "3 0 0 0 0 0 0", ""),
        ("tf-showjson-basic-delete.json", "ask", "0 1 1 0 0 0 0", "availability"),
        ("tf-showjson-basic-update.json", "allow", "0 0 0 0 0 0 1", ""),
        ("tf-showjson-drift.json", "allow", "0 2 0 0 0 0 0", ""),
        ("tf-showjson-modules.json", "allow", "4 0 0 0 0 0 0", ""),
        ("tf-showjson-moved.json", "allow", "0 1 0 0 0 0 0", ""),
        ("tf-showjson-multi-resource-update.json", "allow", "1 0 0 0 0 0 1", ""),
        ("tf-showjson-nested-modules.json", "allow", "1 0 0 0 0 0 0", ""),
        ("tf-showjson-provider-aliasing.json", "allow", "10 0 0 0 0 0 0", ""),
        ("tf-showjson-requires-replace.json", "ask", "0 0 0 1 0 0 0", "availability"),
        ("tfjson-120_basic-modules.json", "allow", "7 0 0 0 0 0 0", ""),
        ("tfjson-action_reason-tainted-replace.json", "ask", "0 0 0 1 0 0 0", "availability"),
        ("tfjson-config_resource_depends_on-replace.json", "ask", "0 0 0 1 0 0 1", "availability"),
        ("tfplanformat-delete-create.json", "ask", "0 0 0 1 0 0 0", "availability"),
        ("tfplanformat-delete.json", "deny", "0 0 1 0 0 0 0", "availability"),
        ("tfplanformat-no-resources.json", "allow", "0 0 0 0 0 0 0", ""),
        ("tfplanformat-sensitive.json", "ask", "0 0 0 1 0 0 0", "availability"),
    ]

    @Test("Every fixture: exact counts, classes and decisions", arguments: fixtures.map(\.0))
    func fixture(_ name: String) throws {
        let want = Self.fixtures.first { $0.0 == name }!
        let (decision, counts, losses) = try Self.summary(Self.load(name))
        #expect(decision == want.1)
        #expect(counts == want.2)
        #expect(losses == want.3)
    }

    static func loadCFN(_ name: String) -> String {
        let url = Bundle.module.resourceURL!.appendingPathComponent("fixtures/cloudformation/" + name)
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }

    /// (fixture, decision for an agent, counts, classes of destructive changes)
    static let changeSets: [(String, String, String, String)] = [
        ("awsdocs-changeset-add-remove.json", "ask", "2 0 1 0 0 0 0", "availability"),
        ("awsdocs-changeset-direct-modification.json", "allow", "0 1 0 0 0 0 0", ""),
        ("awsdocs-changeset-parameter-change.json", "allow", "0 1 0 0 0 0 0", ""),
        ("awsdocs-changeset-property-level-beforeafter-PARTIAL.json", "allow", "0 1 0 0 0 0 0", ""),
        ("awsdocs-changeset-replacement-true.json", "ask", "0 0 0 1 0 0 0", "availability"),
        ("moto-5.2.1-describe-change-set-MISSING-TYPE-defaults-CREATE.json", "allow", "3 0 0 0 0 0 0", ""),
        ("moto-5.2.1-describe-change-set-update.json", "deny", "1 2 1 0 0 0 0", "irrecoverable"),
    ]

    @Test("Every change-set fixture: exact counts, classes and decisions", arguments: changeSets.map(\.0))
    func changeSet(_ name: String) throws {
        let want = Self.changeSets.first { $0.0 == name }!
        let r = try ChangeSet.analyze(Self.loadCFN(name), context: Self.agent)
        let d = Engine.decide(plan: r, digest: "d", context: Self.agent)
        let counts = ["create", "update", "delete", "replace", "forget", "read", "no-op"].map {
            String(r.counts[$0] ?? 0)
        }.joined(separator: " ")
        #expect(d.verdict.rawValue == want.1)
        #expect(counts == want.2)
        #expect(
            r.changes.filter { ["delete", "replace"].contains($0.action) }.map(\.dataLoss).joined(separator: ",")
                == want.3
        )
        #expect(ChangeSet.contentDigest(Self.loadCFN(name)) != nil)
    }

    @Test("PolicyAction decides the class of a change-set removal")
    func policyAction() throws {
        func one(_ type: String, _ policy: String?) throws -> String {
            let p = policy.map { #","PolicyAction":"\#($0)""# } ?? ""
            let text =
                #"{"ChangeSetName":"c","StackName":"s","Changes":[{"Type":"Resource","ResourceChange":{"Action":"Remove","LogicalResourceId":"X","ResourceType":"\#(type)"\#(p)}}]}"#
            return try ChangeSet.analyze(text, context: Self.agent).changes[0].dataLoss
        }
        #expect(try one("AWS::RDS::DBInstance", "Snapshot") == "recoverable")
        #expect(try one("AWS::RDS::DBInstance", "Delete") == "irrecoverable")
        #expect(try one("AWS::S3::Bucket", "Retain") == "management")
        #expect(try one("AWS::DynamoDB::Table", nil) == "irrecoverable")
        #expect(try one("AWS::Lambda::Function", nil) == "availability")
        #expect(try one("Custom::Thing", nil) == "unknown")
        #expect(throws: PlanError.self) {
            try ChangeSet.analyze(
                #"{"ChangeSetName":"c","Changes":[{"Type":"Resource","ResourceChange":{"Action":"Explode","LogicalResourceId":"X","ResourceType":"AWS::S3::Bucket"}}]}"#,
                context: Self.agent
            )
        }
    }

    @Test("Kubernetes removals: kinds, reclaim policies, cascades")
    func kubernetes() throws {
        let list = #"""
            {"apiVersion":"v1","kind":"List","items":[
             {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"payments-prod"}},
             {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"}},
             {"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv-1"},"spec":{"persistentVolumeReclaimPolicy":"Retain"}},
             {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data-db-0","namespace":"shop"}},
             {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db","namespace":"shop"},"spec":{}},
             {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.acme.io"}},
             {"apiVersion":"acme.io/v1","kind":"Widget","metadata":{"name":"w","namespace":"shop"}}]}
            """#
        let r = try KubernetesRemoval.analyze(list, context: Self.agent)
        #expect(
            r.changes.map(\.dataLoss) == [
                "irrecoverable", "availability", "management", "irrecoverable", "availability", "irrecoverable",
                "unknown",
            ]
        )
        #expect(r.counts["delete"] == 7)
        #expect(r.production.contains { $0.value == "payments-prod" })
        #expect(Engine.decide(plan: r, digest: "d", context: Self.agent).verdict == .deny)
        let one = try KubernetesRemoval.analyze(
            #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"dev"}}"#,
            context: Self.agent
        )
        #expect(Engine.decide(plan: one, digest: "d", context: Self.agent).verdict == .ask)
        #expect(throws: PlanError.self) {
            try KubernetesRemoval.analyze(
                #"{"apiVersion":"v1","kind":"List","items":[{"kind":"Pod"}]}"#,
                context: Self.agent
            )
        }
    }

    @Test("Invalid inputs are errors, never decisions")
    func invalid() {
        for name in ["strata-k8s-INVALID-replace-action.json", "strata-web-INVALID-replace-action.json"] {
            #expect(throws: PlanError.self, "\(name)") {
                try TerraformPlan.analyze(Self.load(name), context: Self.agent)
            }
        }
        for name in ["generated-tf1.11-ui-plan-json-stream.jsonl", "generated-tf1.11-ui-destroy-json-stream.jsonl"] {
            #expect {
                try TerraformPlan.analyze(Self.load(name), context: Self.agent)
            } throws: { e in (e as! PlanError).message.contains("terraform show -json") }
        }
        let full = Self.load("tf-showjson-basic-delete.json")
        for bad in [
            "", "[]", "{}", #"{"format_version":"2.0","resource_changes":[]}"#, String(full.prefix(full.count / 2)),
            #"{"format_version":"1.2","values":{}}"#,
        ] {
            #expect(throws: PlanError.self, "\(bad.prefix(40))") { try TerraformPlan.analyze(bad, context: Self.agent) }
        }
    }

    static func plan(_ changes: [(String, [String], String)], prior: Int? = nil) -> String {
        let rcs = changes.map { address, actions, before in
            let type = String(address.split(separator: ".")[0])
            return
                #"{"address":"\#(address)","mode":"managed","type":"\#(type)","name":"x","change":{"actions":[\#(actions.map { "\"\($0)\"" }.joined(separator: ","))],"before":\#(before),"after":null}}"#
        }
        var priorState = ""
        if let prior {
            let resources = (0..<prior).map { #"{"address":"r\#($0)","mode":"managed","type":"t","name":"n"}"# }.joined(
                separator: ","
            )
            priorState = #","prior_state":{"values":{"root_module":{"resources":[\#(resources)]}}}"#
        }
        return #"{"format_version":"1.2","resource_changes":[\#(rcs.joined(separator: ","))]\#(priorState)}"#
    }

    @Test("Guard attributes decide recoverable against irrecoverable, per cloud")
    func classes() throws {
        let cases: [(String, String, String)] = [
            ("aws_db_instance.main", #"{"skip_final_snapshot":true,"delete_automated_backups":true}"#, "irrecoverable"),
            (
                "aws_db_instance.main", #"{"skip_final_snapshot":false,"final_snapshot_identifier":"last"}"#,
                "recoverable"
            ),
            ("aws_db_instance.main", #"{"deletion_protection":true,"skip_final_snapshot":true}"#, "recoverable"),
            ("aws_dynamodb_table.t", #"{"point_in_time_recovery":[{"enabled":true}]}"#, "recoverable"),
            ("aws_dynamodb_table.t", #"{}"#, "irrecoverable"),
            ("aws_s3_bucket.b", #"{"force_destroy":true}"#, "irrecoverable"),
            ("aws_s3_bucket.b", #"{"force_destroy":false}"#, "recoverable"),
            ("aws_s3_bucket_policy.b", #"{}"#, "availability"),
            ("aws_secretsmanager_secret.s", #"{"recovery_window_in_days":0}"#, "irrecoverable"),
            ("aws_secretsmanager_secret.s", #"{"recovery_window_in_days":7}"#, "recoverable"),
            ("aws_instance.web", #"{}"#, "availability"),
            ("google_sql_database_instance.db", #"{"deletion_protection":false}"#, "irrecoverable"),
            ("google_sql_database_instance.db", #"{"deletion_protection":true}"#, "recoverable"),
            ("google_storage_bucket.b", #"{"force_destroy":true}"#, "irrecoverable"),
            ("google_compute_instance.vm", #"{}"#, "availability"),
            ("azurerm_resource_group.rg", #"{}"#, "irrecoverable"),
            // Without purge protection the azurerm provider purges the soft-deleted vault on destroy by default.
            ("azurerm_key_vault.kv", #"{}"#, "irrecoverable"),
            ("azurerm_key_vault.kv", #"{"purge_protection_enabled":true}"#, "recoverable"),
            ("azurerm_linux_virtual_machine.vm", #"{}"#, "availability"),
            ("kubernetes_namespace.ns", #"{}"#, "irrecoverable"),
            ("kubernetes_persistent_volume_claim.data", #"{}"#, "irrecoverable"),
            ("kubernetes_deployment.web", #"{}"#, "availability"),
            ("acme_widget.w", #"{}"#, "unknown"),
        ]
        for (address, before, want) in cases {
            let r = try TerraformPlan.analyze(
                Self.plan([(address, ["delete"], before), ("aws_instance.keep", ["no-op"], "{}")], prior: 10),
                context: Self.agent
            )
            #expect(r.changes[0].dataLoss == want, "\(address) \(before)")
        }
        let forget = try TerraformPlan.analyze(
            Self.plan([("aws_db_instance.main", ["forget"], "{}")]),
            context: Self.agent
        )
        #expect(forget.changes[0].dataLoss == "management")
    }

    @Test("Policy on plans: irrecoverable loss, mass destroy, destroy-everything, production")
    func decisions() throws {
        var human = Self.agent
        human.actor = .human
        let rds = Self.plan([("aws_db_instance.main", ["delete"], #"{"skip_final_snapshot":true}"#)], prior: 10)
        let r = try TerraformPlan.analyze(rds, context: Self.agent)
        #expect(Engine.decide(plan: r, digest: "d", context: Self.agent).verdict == .deny)
        let h = Engine.decide(plan: r, digest: "d", context: human)
        #expect(h.verdict == .ask && h.approvers == Approvers(role: "senior", count: 2))
        let half = try TerraformPlan.analyze(
            Self.plan((0..<6).map { ("aws_instance.w\($0)", ["delete", "create"], "{}") }, prior: 10),
            context: Self.agent
        )
        #expect(half.destroyedFraction == 0.6)
        #expect(
            Engine.decide(plan: half, digest: "d", context: Self.agent).reasons.contains {
                $0.rule == "plan.mass-destroy"
            }
        )
        let all = try TerraformPlan.analyze(
            Self.plan((0..<4).map { ("aws_instance.w\($0)", ["delete"], "{}") }, prior: 4),
            context: Self.agent
        )
        #expect(all.destroyMode)
        #expect(Engine.decide(plan: all, digest: "d", context: Self.agent).verdict == .deny)
        #expect(Engine.decide(plan: all, digest: "d", context: human).verdict == .ask)
        var prod = Self.agent
        prod.terraformWorkspace = "production"
        let one = try TerraformPlan.analyze(
            Self.plan([("aws_instance.w", ["delete", "create"], "{}")], prior: 10),
            context: prod
        )
        let pd = Engine.decide(plan: one, digest: "d", context: prod)
        #expect(pd.verdict == .ask && pd.approvers?.role == "senior" && !one.production.isEmpty)
        let creates = try TerraformPlan.analyze(
            Self.plan([("aws_instance.w", ["create"], "null")], prior: 10),
            context: Self.agent
        )
        #expect(Engine.decide(plan: creates, digest: "d", context: Self.agent).verdict == .allow)
    }
}
