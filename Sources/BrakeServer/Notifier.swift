import AsyncHTTPClient
import BrakeCore
import Crypto
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import Synchronization

/// A configured webhook: where, how it signs, which events.
public struct Webhook: Sendable, Equatable {
    public var url: String
    public var secret: String
    /// Event names (`request.created`, `request.decided`, `stop.created`, `stop.lifted`, `breaker.tripped`);
    /// empty means all.
    public var events: [String]

    public init(url: String, secret: String, events: [String]) {
        self.url = url
        self.secret = secret
        self.events = events
    }

    public static let allEvents = [
        "request.created", "request.decided", "stop.created", "stop.lifted", "breaker.tripped", "digest",
    ]
}

/// Delivers events to webhooks: a JSON POST with a Slack-compatible `text` beside the structured fields,
/// signed with HMAC-SHA256, retried with exponential backoff; outcomes kept for the admin page.
public final class Notifier: Sendable {
    public struct Delivery: Sendable, Equatable {
        public var id: String
        public var event: String
        public var url: String
        public var status: String
        public var attempts: Int
        public var lastError: String
        public var time: Int

        public var json: JSONValue {
            .object([
                ("id", .string(id)), ("event", .string(event)), ("url", .string(url)), ("status", .string(status)),
                ("attempts", .number(Double(attempts))), ("last_error", .string(lastError)),
                ("time", .number(Double(time))),
            ])
        }
    }

    let hooks: [Webhook]
    let retries: Int
    let backoff: Duration
    let metrics: ServerMetrics
    let logger: Logger
    let deliveries = Mutex<[Delivery]>([])

    /// How long one attempt may take (AsyncHTTPClient keeps retrying a refused connection until then).
    let attemptTimeout: Duration

    public init(
        hooks: [Webhook],
        retries: Int = 5,
        backoff: Duration = .milliseconds(500),
        attemptTimeout: Duration = .seconds(10),
        metrics: ServerMetrics
    ) {
        self.attemptTimeout = attemptTimeout
        self.hooks = hooks
        self.retries = retries
        self.backoff = backoff
        self.metrics = metrics
        var l = Logger(label: "brake-webhooks")
        l.logLevel = .notice
        self.logger = l
    }

    public var recent: [Delivery] { deliveries.withLock { Array($0.suffix(200).reversed()) } }

    func record(_ d: Delivery) {
        deliveries.withLock { list in
            if let i = list.lastIndex(where: { $0.id == d.id }) { list[i] = d } else { list.append(d) }
            if list.count > 500 { list.removeFirst(list.count - 500) }
        }
    }

    /// `sha256=` HMAC over `TIMESTAMP.BODY` (the timestamp is sent in `X-Brake-Timestamp`).
    public static func signature(secret: String, timestamp: Int, body: String) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).\(body)".utf8), using: key)
        return "sha256=" + hex(Array(mac))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Sends in the background; never blocks the caller.
    public func emit(_ event: String, text: String, fields: [(String, JSONValue)], now: Int) {
        let targets = hooks.filter { $0.events.isEmpty || $0.events.contains(event) }
        if targets.isEmpty { return }
        let body = JSONValue.object(
            [("event", .string(event)), ("text", .string(text)), ("time", .number(Double(now)))] + fields
        )
        .serialized
        for hook in targets {
            let d = Delivery(
                id: "whd_" + ControlPlane.randomString(10),
                event: event,
                url: hook.url,
                status: "pending",
                attempts: 0,
                lastError: "",
                time: now
            )
            record(d)
            Task { await self.deliver(d, hook: hook, body: body, now: now) }
        }
    }

    func deliver(_ start: Delivery, hook: Webhook, body: String, now: Int) async {
        var d = start
        var wait = backoff
        for attempt in 1...(retries + 1) {
            d.attempts = attempt
            do {
                var request = HTTPClientRequest(url: hook.url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "User-Agent", value: "brake-webhooks")
                request.headers.add(name: "X-Brake-Event", value: d.event)
                request.headers.add(name: "X-Brake-Delivery", value: d.id)
                request.headers.add(name: "X-Brake-Timestamp", value: String(now))
                request.headers.add(
                    name: "X-Brake-Signature",
                    value: Self.signature(secret: hook.secret, timestamp: now, body: body)
                )
                request.body = .bytes(ByteBuffer(string: body))
                let response = try await HTTPClient.shared.execute(
                    request,
                    timeout: .nanoseconds(
                        attemptTimeout.components.seconds * 1_000_000_000 + attemptTimeout.components.attoseconds
                            / 1_000_000_000
                    )
                )
                if (200..<300).contains(Int(response.status.code)) {
                    d.status = "delivered"
                    d.lastError = ""
                    record(d)
                    return
                }
                d.lastError = "HTTP \(response.status.code)"
            } catch {
                d.lastError = "\(error)"
            }
            d.status = attempt <= retries ? "retrying" : "failed"
            record(d)
            if attempt <= retries {
                try? await Task.sleep(for: wait)
                wait = wait * 2
            }
        }
        metrics.webhookFailures.increment()
        logger.error("webhook \(d.event) to \(hook.url) failed after \(d.attempts) attempts: \(d.lastError)")
    }
}
