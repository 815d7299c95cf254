/// Whether a host names this machine's loopback interface: `localhost`, an IPv4 address in 127.0.0.0/8 written
/// as four decimal numbers, or the IPv6 address ::1 in any of its spellings. A name that merely starts with
/// "127." (`127.db.example.com`) is not loopback.
public enum Loopback {
    public static func contains(_ host: String) -> Bool {
        var h = host.lowercased()
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h == "localhost" { return true }
        if let v4 = ipv4(h) { return v4[0] == 127 }
        if h.contains(":"), let v6 = ipv6(h) { return v6.dropLast().allSatisfy { $0 == 0 } && v6.last == 1 }
        return false
    }

    /// Four decimal octets, or nil.
    static func ipv4(_ s: String) -> [Int]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [Int] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), p.allSatisfy(\.isNumber), let n = Int(p), n <= 255
            else { return nil }
            out.append(n)
        }
        return out
    }

    /// Eight 16-bit groups, or nil.
    static func ipv6(_ s: String) -> [Int]? {
        let halves = s.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ t: String) -> [Int]? {
            if t.isEmpty { return [] }
            var out: [Int] = []
            for g in t.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, let n = Int(g, radix: 16) else { return nil }
                out.append(n)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }
}

extension String {
    fileprivate func components(separatedBy separator: String) -> [String] {
        var out: [String] = []
        var rest = Substring(self)
        while let r = rest.firstRange(of: separator) {
            out.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        out.append(String(rest))
        return out
    }
}
