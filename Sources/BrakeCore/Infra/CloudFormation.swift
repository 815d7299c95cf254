/// AWS CloudFormation change sets (`aws cloudformation describe-change-set` output).
public enum ChangeSet {
    static let actions: Set<String> = ["Add", "Modify", "Remove", "Import", "Dynamic", "SyncWithActual"]

    static let statefulTypes: Set<String> = [
        "AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::RDS::GlobalCluster", "AWS::DynamoDB::Table",
        "AWS::DynamoDB::GlobalTable", "AWS::S3::Bucket", "AWS::EFS::FileSystem", "AWS::KMS::Key", "AWS::EC2::Volume",
        "AWS::CloudFormation::Stack", "AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster",
        "AWS::Redshift::Cluster", "AWS::SecretsManager::Secret", "AWS::SQS::Queue", "AWS::Kinesis::Stream",
        "AWS::ECR::Repository", "AWS::Cognito::UserPool", "AWS::DocDB::DBCluster", "AWS::Neptune::DBCluster",
        "AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain", "AWS::MSK::Cluster", "AWS::Backup::BackupVault",
        "AWS::FSx::FileSystem", "AWS::Logs::LogGroup", "AWS::Timestream::Table", "AWS::MemoryDB::Cluster",
        "AWS::EC2::VPC", "AWS::Route53::HostedZone", "AWS::EKS::Cluster",
    ]
    static let statelessPrefixes = [
        "AWS::EC2::Instance", "AWS::EC2::SecurityGroup", "AWS::EC2::LaunchTemplate", "AWS::EC2::Route",
        "AWS::EC2::Subnet",
        "AWS::EC2::EIP", "AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::AutoScaling::", "AWS::IAM::",
        "AWS::Lambda::", "AWS::SNS::", "AWS::ElasticLoadBalancing", "AWS::ApiGateway", "AWS::CloudWatch::",
        "AWS::Events::",
        "AWS::ECS::Service", "AWS::ECS::TaskDefinition", "AWS::CloudFront::", "AWS::CertificateManager::",
        "AWS::SSM::Document",
        "AWS::StepFunctions::", "AWS::WAFv2::", "AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy",
        "AWS::SNS::TopicPolicy",
    ]

    /// True when the JSON looks like a change set.
    public static func recognizes(_ root: JSONValue) -> Bool {
        guard case .array? = root["Changes"] else { return false }
        return root["ChangeSetName"] != nil || root["ChangeSetId"] != nil || root["StackName"] != nil
    }

    public static func analyze(
        _ text: String,
        context: Context,
        settings: AnalysisSettings = .standard
    ) throws(PlanError) -> PlanReport {
        try analyze(root: try PlanError.parse(text), context: context, settings: settings)
    }

    /// Analyses JSON that is already parsed.
    public static func analyze(
        root: JSONValue,
        context: Context,
        settings: AnalysisSettings = .standard
    ) throws(PlanError) -> PlanReport {
        guard recognizes(root), case .array(let changes)? = root["Changes"] else {
            throw PlanError(
                message:
                    "not a CloudFormation change set: expected the output of `aws cloudformation describe-change-set` with Changes and ChangeSetName"
            )
        }
        // Whole input or nothing: one page of a paginated description is not the change set.
        if let token = root["NextToken"]?.stringValue, !token.isEmpty {
            throw PlanError(
                message:
                    "this is one page of the change set (NextToken is set): describe it without --max-items/--no-paginate so every change is in the input"
            )
        }
        var report = PlanReport(format: "cloudformation")
        report.managedKnown = false
        for key in ["create", "update", "delete", "replace", "forget", "read", "no-op"] { report.counts[key] = 0 }
        for (i, c) in changes.enumerated() {
            guard c["Type"]?.stringValue == "Resource" || c["Type"] == nil, let rc = c["ResourceChange"],
                let action = rc["Action"]?.stringValue, let type = rc["ResourceType"]?.stringValue,
                let logical = rc["LogicalResourceId"]?.stringValue
            else {
                throw PlanError(message: "Changes[\(i)] lacks ResourceChange.Action, ResourceType or LogicalResourceId")
            }
            guard actions.contains(action) else {
                throw PlanError(
                    message: "Changes[\(i)] (\(logical)) has Action \(action), which CloudFormation never emits"
                )
            }
            let replacement = rc["Replacement"]?.stringValue
            let policy = rc["PolicyAction"]?.stringValue
            var evidence: [String] = []
            let kind: String
            switch action {
            case "Add", "Import": kind = "create"
            case "Remove": kind = "delete"
            case "Modify":
                if replacement == "True" {
                    kind = "replace"
                } else if replacement == "Conditional" {
                    kind = "replace"
                    evidence.append("Replacement Conditional: it may be replaced, decided when the change set runs")
                } else {
                    kind = "update"
                }
            default:
                kind = "update"
                evidence.append("Action \(action): decided when the change set runs")
            }
            report.counts[kind, default: 0] += 1
            if kind != "create" { report.managed += 1 }
            var loss = "none"
            if kind == "delete" || kind == "replace" || action == "Dynamic" {
                (loss, evidence) = classify(
                    type: type,
                    policy: policy,
                    evidence: evidence,
                    uncertain: action == "Dynamic"
                )
            }
            let classes = Self.protection(rc, type: type, kind: kind, evidence: &evidence)
            if let phys = rc["PhysicalResourceId"]?.stringValue {
                evidence.insert("physical id \(phys)", at: 0)
                if TerraformPlan.looksProduction(phys, settings) {
                    report.production.append(ProductionEvidence(source: "\(logical) physical id", value: phys))
                }
            }
            report.changes.append(
                PlanReport.Change(
                    address: logical,
                    type: type,
                    action: kind,
                    dataLoss: loss,
                    evidence: evidence,
                    reason: nil,
                    module: nil,
                    classes: classes
                )
            )
            if TerraformPlan.looksProduction(logical, settings) {
                report.production.append(ProductionEvidence(source: "logical id", value: logical))
            }
        }
        if let stack = root["StackName"]?.stringValue, TerraformPlan.looksProduction(stack, settings) {
            report.production.append(ProductionEvidence(source: "stack name", value: stack))
        }
        if case .array(let tags)? = root["Tags"] {
            for t in tags {
                if let k = t["Key"]?.stringValue, ["env", "environment", "stage", "tier"].contains(k.lowercased()),
                    let v = t["Value"]?.stringValue, TerraformPlan.looksProduction(v, settings)
                {
                    report.production.append(ProductionEvidence(source: "stack tag \(k)", value: v))
                } else if let k = t["Key"]?.stringValue, TerraformPlan.looksProduction(k, settings) {
                    report.production.append(ProductionEvidence(source: "stack tag key", value: k))
                }
            }
        }
        if case .array(let params)? = root["Parameters"] {
            for p in params {
                // Any parameter's value: EnvironmentName=production, DeployStage=prod …
                if let k = p["ParameterKey"]?.stringValue, let v = p["ParameterValue"]?.stringValue,
                    TerraformPlan.looksProduction(v, settings)
                {
                    report.production.append(ProductionEvidence(source: "parameter \(k)", value: v))
                }
            }
        }
        report.destroyMode = false
        TerraformPlan.productionFromMachine(context, into: &report, settings: settings)
        return report
    }

    static let retainingPolicies: Set<String> = ["retain", "snapshot", "retainexceptoncreate"]

    /// What a change's details do to protection: property values before and after (change sets described with
    /// `--include-property-values`) against the protection rules, DeletionPolicy/UpdateReplacePolicy turned to
    /// Delete, and changes whose values or details are elsewhere (named, never assumed harmless).
    static func protection(_ rc: JSONValue, type: String, kind: String, evidence: inout [String]) -> [String] {
        var classes: [String] = []
        func add(_ cls: String, _ line: String) {
            if !classes.contains(cls) { classes.append(cls) }
            evidence.append(line)
        }
        if type == "AWS::CloudFormation::Stack", kind != "create", kind != "delete",
            let child = rc["ChangeSetId"]?.stringValue
        {
            add(
                "incomplete",
                "nested stack: its changes are in change set \(child), not in this input; describe that change set and judge it too"
            )
        }
        func properties(_ key: String) -> JSONValue? {
            guard let t = rc[key]?.stringValue, let v = try? JSONValue.parse(t) else { return nil }
            return v["Properties"] ?? .object([])
        }
        // With --include-property-values the whole properties before and after are in the change.
        let beforeContext = properties("BeforeContext")
        let afterContext = properties("AfterContext")
        if let after = afterContext {
            for (cls, line) in PlanProtection.findings(
                .cloudFormation,
                type: type,
                before: beforeContext ?? (kind == "create" ? nil : .object([])),
                after: after,
                afterUnknown: nil
            ) {
                add(cls, line)
            }
        }
        guard case .array(let details)? = rc["Details"] else { return classes }
        let watched = Set(
            PlanProtection.cloudFormation.filter { $0.types.contains(type) }.map {
                String($0.path.split(separator: ".").first ?? "")
            }
        )
        for d in details {
            guard let target = d["Target"], let attribute = target["Attribute"]?.stringValue else { continue }
            let before = target["BeforeValue"]?.stringValue
            let after = target["AfterValue"]?.stringValue
            if attribute == "DeletionPolicy" || attribute == "UpdateReplacePolicy" {
                if let after, after.lowercased() == "delete", retainingPolicies.contains((before ?? "").lowercased()) {
                    add(
                        "protection-removed",
                        "\(attribute): \(before ?? "(unset)") → Delete: the data goes with the resource"
                    )
                }
                continue
            }
            guard afterContext == nil, attribute == "Properties" else { continue }
            // The property path: /Properties/Name/Sub/0/Leaf, list indexes walked through.
            var path = (target["Path"]?.stringValue ?? "").split(separator: "/").map(String.init)
            if path.first == "Properties" { path.removeFirst() }
            if path.isEmpty, let name = target["Name"]?.stringValue { path = [name] }
            path = path.filter { Int($0) == nil }
            guard let name = path.first, watched.contains(name) else { continue }
            guard before != nil || after != nil else {
                add(
                    "protection-unknown",
                    "\(name) changes, values not in the change set: describe it with --include-property-values"
                )
                continue
            }
            func nest(_ t: String?) -> JSONValue? {
                guard let t else { return nil }
                var v = (try? JSONValue.parse(t)) ?? .string(t)
                for key in path.reversed() { v = .object([(key, v)]) }
                return v
            }
            for (cls, line) in PlanProtection.findings(
                .cloudFormation,
                type: type,
                before: nest(before) ?? (kind == "create" ? nil : .object([])),
                after: nest(after) ?? .object([]),
                afterUnknown: nil
            ) where !evidence.contains(line) {
                add(cls, line)
            }
        }
        return classes
    }

    /// The data-loss class from PolicyAction when the change set has it, else from the type.
    static func classify(type: String, policy: String?, evidence: [String], uncertain: Bool) -> (String, [String]) {
        var ev = evidence
        let stateful = statefulTypes.contains(type)
        switch policy {
        case "Retain"?, "ReplaceAndRetain"?:
            return ("management", ev + ["PolicyAction \(policy!): the resource is kept, unmanaged"])
        case "Snapshot"?, "ReplaceAndSnapshot"?:
            return ("recoverable", ev + ["PolicyAction \(policy!): a snapshot is taken first"])
        case "Delete"?, "ReplaceAndDelete"?:
            ev.append("PolicyAction \(policy!)")
            if stateful { return ("irrecoverable", ev + ["\(type) holds data and is deleted"]) }
        default:
            if stateful { ev.append("no PolicyAction in the change set, so no DeletionPolicy is known") }
        }
        if stateful { return (uncertain ? "unknown" : "irrecoverable", ev + ["\(type) holds data"]) }
        if statelessPrefixes.contains(where: { type.hasPrefix($0) }) {
            return ("availability", ev + ["\(type) holds no data: downtime only"])
        }
        return ("unknown", ev + ["\(type) is not a type Brake knows; review it as if it held data"])
    }

    /// A digest of what the change set does (stack, change set and changes), stable across describe calls.
    public static func contentDigest(_ text: String) -> String? {
        guard let root = try? JSONValue.parse(text), recognizes(root) else { return nil }
        let canonical = JSONValue.object([
            ("stack", root["StackName"] ?? .null), ("change_set", root["ChangeSetName"] ?? .null),
            ("changes", root["Changes"] ?? .null),
        ])
        return Engine.hexDigest(canonical.serialized)
    }
}
