/// Kubernetes objects that a delete or `apply --prune` would remove (`kubectl … --dry-run=server -o json`).
public enum KubernetesRemoval {
    /// True when the JSON is a Kubernetes object or a List of them.
    public static func recognizes(_ root: JSONValue) -> Bool {
        root["apiVersion"]?.stringValue != nil && root["kind"]?.stringValue != nil
    }

    static let stateless: Set<String> = [
        "Deployment", "ReplicaSet", "Pod", "Service", "Ingress", "ConfigMap", "DaemonSet", "Job", "CronJob",
        "HorizontalPodAutoscaler", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding",
        "NetworkPolicy", "PodDisruptionBudget", "Endpoints", "EndpointSlice", "LimitRange", "ResourceQuota",
        "PriorityClass", "IngressClass", "Lease", "Event", "ControllerRevision", "VerticalPodAutoscaler",
    ]

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
        guard recognizes(root) else {
            throw PlanError(
                message: "not Kubernetes objects: expected the JSON of `kubectl delete … --dry-run=server -o json`"
            )
        }
        var objects: [JSONValue] = []
        if root["kind"]?.stringValue == "List" || root["kind"]?.stringValue?.hasSuffix("List") == true {
            guard case .array(let items)? = root["items"] else { throw PlanError(message: "a List without items") }
            objects = items
        } else {
            objects = [root]
        }
        var report = PlanReport(format: "kubernetes")
        report.managedKnown = false
        for key in ["create", "update", "delete", "replace", "forget", "read", "no-op"] { report.counts[key] = 0 }
        for (i, o) in objects.enumerated() {
            guard let kind = o["kind"]?.stringValue, let name = o["metadata"]?["name"]?.stringValue else {
                throw PlanError(message: "items[\(i)] lacks kind or metadata.name")
            }
            let ns = o["metadata"]?["namespace"]?.stringValue
            let address = (ns.map { $0 + "/" } ?? "") + kind.lowercased() + "/" + name
            let (loss, evidence) = classify(kind: kind, object: o)
            report.counts["delete", default: 0] += 1
            report.changes.append(
                PlanReport.Change(
                    address: address,
                    type: kind,
                    action: "delete",
                    dataLoss: loss,
                    evidence: evidence,
                    reason: nil,
                    module: nil
                )
            )
            var names = [name] + (ns.map { [$0] } ?? [])
            if case .object(let labels)? = o["metadata"]?["labels"] { names += labels.compactMap { $0.1.stringValue } }
            for n in names where TerraformPlan.looksProduction(n, settings) {
                let e = ProductionEvidence(source: address, value: n)
                if !report.production.contains(e) { report.production.append(e) }
            }
        }
        if let kc = context.kubeContext, TerraformPlan.looksProduction(kc, settings) {
            report.production.append(ProductionEvidence(source: "kube context", value: kc))
        }
        return report
    }

    static func classify(kind: String, object o: JSONValue) -> (String, [String]) {
        switch kind {
        case "Namespace":
            return ("irrecoverable", ["deleting a Namespace deletes every object in it, volumes claims included"])
        case "CustomResourceDefinition":
            return ("irrecoverable", ["deleting a CRD deletes every custom resource of that kind"])
        case "PersistentVolume":
            let policy = o["spec"]?["persistentVolumeReclaimPolicy"]?.stringValue ?? "Delete"
            return policy == "Retain"
                ? ("management", ["reclaim policy Retain: the disk is kept, unbound"])
                : ("irrecoverable", ["reclaim policy \(policy): the disk is destroyed"])
        case "PersistentVolumeClaim":
            return (
                "irrecoverable",
                [
                    "a claim bound to a volume with reclaim policy Delete destroys the disk (the default for dynamic provisioning)"
                ]
            )
        case "StatefulSet":
            if o["spec"]?["persistentVolumeClaimRetentionPolicy"]?["whenDeleted"]?.stringValue == "Delete" {
                return (
                    "irrecoverable", ["persistentVolumeClaimRetentionPolicy.whenDeleted=Delete: its volumes go too"]
                )
            }
            return ("availability", ["the pods stop; the volume claims are kept"])
        case "Secret":
            return ("unknown", ["the Secret's values are lost unless they are kept elsewhere"])
        default:
            if stateless.contains(kind) { return ("availability", ["\(kind) holds no data: downtime only"]) }
            return ("unknown", ["\(kind) is not a kind Brake knows; review it as if it held data"])
        }
    }
}
