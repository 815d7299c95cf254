import Hummingbird
import NIOCore
import NIOHTTPTypes
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Keeps the server reachable when connections pile up: every connection is a descriptor, and a flood of
/// connections that never finish a request (or a leak in some client) would otherwise use the process's last
/// descriptor and leave a hook's call unanswered. Past `limit` open connections, the ones idle longest — not in
/// the middle of a request, not answering a long-poll — are closed, oldest first. (The idle timeout closes them
/// in any case; this handles a burst faster than the timeout.) One client (one remote address) holding more than
/// `perClient` connections has its own longest-idle ones closed the same way, so one host cannot take every
/// descriptor from the others; a client's request is never refused for it, only its idle connections go.
final class ConnectionShedder: Sendable {
    struct Entry {
        let channel: any Channel
        let client: String
        var lastActive: ContinuousClock.Instant
        var inFlight: Bool
    }

    struct Table {
        var open: [ObjectIdentifier: Entry] = [:]
        var perClient: [String: Int] = [:]

        mutating func remove(_ key: ObjectIdentifier) -> Entry? {
            guard let e = open.removeValue(forKey: key) else { return nil }
            let n = (perClient[e.client] ?? 1) - 1
            perClient[e.client] = n > 0 ? n : nil
            return e
        }

        /// Removes up to `n` of the longest-idle connections matching `which` (never `keep`) and returns them.
        mutating func shed(_ n: Int, keep: ObjectIdentifier, where which: (Entry) -> Bool) -> [any Channel] {
            let idle = open.filter { !$0.value.inFlight && $0.key != keep && which($0.value) }
                .sorted { $0.value.lastActive < $1.value.lastActive }
                .prefix(n)
            return idle.compactMap { remove($0.key)?.channel }
        }
    }

    let limit: Int
    let perClient: Int
    private let table = Mutex(Table())

    init(limit: Int, perClient: Int? = nil) {
        self.limit = max(16, limit)
        self.perClient = max(16, perClient ?? self.limit)
    }

    /// The limit for this process: its descriptor limit less a reserve for the database, logs and webhooks.
    static func processLimit() -> Int {
        var l = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &l) == 0 else { return 1024 }
        return Int(min(l.rlim_cur, 1 << 30)) - 256
    }

    var count: Int { table.withLock { $0.open.count } }

    func count(client: String) -> Int { table.withLock { $0.perClient[client] ?? 0 } }

    /// A connection's client: its remote IP address (all of a Unix socket's callers are one client).
    static func client(_ channel: any Channel) -> String { channel.remoteAddress?.ipAddress ?? "local" }

    func opened(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        let client = Self.client(channel)
        let victims = table.withLock { t -> [any Channel] in
            t.open[key] = Entry(channel: channel, client: client, lastActive: .now, inFlight: false)
            t.perClient[client, default: 0] += 1
            var out: [any Channel] = []
            // Close a batch at once (1 % of the limit), so a flood costs one sort per batch, not one per connection.
            if let mine = t.perClient[client], mine > perClient {
                out += t.shed(mine - perClient + max(1, perClient / 100), keep: key) { $0.client == client }
            }
            if t.open.count > limit {
                out += t.shed(t.open.count - limit + max(1, limit / 100), keep: key) { _ in true }
            }
            return out
        }
        for c in victims { c.close(promise: nil) }
    }

    func request(_ channel: any Channel, started: Bool) {
        table.withLock { t in
            t.open[ObjectIdentifier(channel)]?.inFlight = started
            t.open[ObjectIdentifier(channel)]?.lastActive = .now
        }
    }

    func closed(_ channel: any Channel) {
        _ = table.withLock { $0.remove(ObjectIdentifier(channel)) }
    }
}

/// The shedder's view of one connection: when it opens, when a request starts and ends, when it closes.
final class ConnectionShedderHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let shedder: ConnectionShedder

    init(_ shedder: ConnectionShedder) { self.shedder = shedder }

    func handlerAdded(context: ChannelHandlerContext) { shedder.opened(context.channel) }

    func handlerRemoved(context: ChannelHandlerContext) { shedder.closed(context.channel) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { shedder.request(context.channel, started: true) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { shedder.request(context.channel, started: false) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        shedder.closed(context.channel)
        context.fireChannelInactive()
    }
}
