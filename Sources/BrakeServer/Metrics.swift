import Prometheus

/// Prometheus metrics at `/metrics`: decisions by outcome and rule, pending requests, approval latency,
/// stops, the handling time of hook calls, the audit chain's length.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let pending: Gauge
    let stops: Gauge
    let chain: Gauge
    let approvalLatency: DurationHistogram
    let hookCall: DurationHistogram
    let hookReported: ValueHistogram
    let webhookFailures: Counter

    public init() {
        pending = registry.makeGauge(name: "brake_pending_requests", help: "Approval requests waiting for a person")
        stops = registry.makeGauge(name: "brake_active_stops", help: "Stop orders in force")
        chain = registry.makeGauge(name: "brake_audit_chain_length", help: "Events in the audit chain")
        approvalLatency = registry.makeDurationHistogram(
            name: "brake_approval_latency_seconds",
            buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600].map { .seconds($0) },
            help: "Time from an approval request to its decision"
        )
        hookCall = registry.makeDurationHistogram(
            name: "brake_hook_call_seconds",
            buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1].map { .milliseconds($0 * 1000) },
            help: "Server time to handle a hook's decision report"
        )
        hookReported = registry.makeValueHistogram(
            name: "brake_hook_reported_milliseconds",
            buckets: [1, 2, 5, 10, 20, 50, 100, 500],
            help: "Whole hook call as the hook measured it (analysis and server round trip)"
        )
        webhookFailures = registry.makeCounter(
            name: "brake_webhook_failures_total",
            help: "Webhook deliveries that failed after all retries"
        )
    }

    func decision(outcome: String, rules: [String]) {
        for rule in rules.isEmpty ? ["none"] : rules {
            registry.makeCounter(
                name: "brake_decisions_total",
                labels: [("outcome", outcome), ("rule", rule)],
                help: "Decisions reported by hooks, exec and mcp, by enforced outcome and rule"
            ).increment()
        }
    }

    func stopCreated(automatic: Bool) {
        registry.makeCounter(
            name: "brake_stops_created_total",
            labels: [("kind", automatic ? "circuit-breaker" : "person")],
            help: "Stop orders created"
        ).increment()
    }

    func text() -> String { registry.emitToString() }
}
