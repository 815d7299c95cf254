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
/// in any case; this handles a burst faster than the timeout.)
final class ConnectionShedder: Sendable {
    struct Entry {
        let channel: any Channel
        var lastActive: ContinuousClock.Instant
        var inFlight: Bool
    }

    let limit: Int
    private let open = Mutex<[ObjectIdentifier: Entry]>([:])

    init(limit: Int) { self.limit = max(16, limit) }

    /// The limit for this process: its descriptor limit less a reserve for the database, logs and webhooks.
    static func processLimit() -> Int {
        var l = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &l) == 0 else { return 1024 }
        return Int(min(l.rlim_cur, 1 << 30)) - 256
    }

    var count: Int { open.withLock { $0.count } }

    func opened(_ channel: any Channel) {
        let victims = open.withLock { open -> [any Channel] in
            open[ObjectIdentifier(channel)] = Entry(channel: channel, lastActive: .now, inFlight: false)
            guard open.count > limit else { return [] }
            // Close a batch at once (1 % of the limit), so a flood costs one sort per batch, not one per connection.
            let excess = open.count - limit + max(1, limit / 100)
            let idle = open.filter { !$0.value.inFlight && $0.key != ObjectIdentifier(channel) }
                .sorted { $0.value.lastActive < $1.value.lastActive }
                .prefix(excess)
            for (key, _) in idle { open[key] = nil }
            return idle.map(\.value.channel)
        }
        for c in victims { c.close(promise: nil) }
    }

    func request(_ channel: any Channel, started: Bool) {
        open.withLock { open in
            open[ObjectIdentifier(channel)]?.inFlight = started
            open[ObjectIdentifier(channel)]?.lastActive = .now
        }
    }

    func closed(_ channel: any Channel) {
        _ = open.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
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
