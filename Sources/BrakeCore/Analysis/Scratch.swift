/// Destruction of what exists only to be thrown away: a test database on this machine (`sqlite3 :memory:`,
/// `test.db`, `psql -h localhost -d app_test`, `RAILS_ENV=test rails db:reset`, Django test settings), a cloud
/// API emulated locally (LocalStack: `--endpoint-url http://localhost:4566`), a registry on this machine
/// (`docker push localhost:5000/…`), the ignored files `git clean -X` removes. Their effects are renamed
/// `scratch.*`, which no built-in rule asks about (an organisation's policy still can); anything with production
/// evidence keeps its effects.
enum Scratch {
    static func reclassify(_ analysis: inout Analysis, context: Context) {
        guard analysis.production.isEmpty else { return }
        for i in analysis.effects.indices {
            let e = analysis.effects[i]
            guard e.invocation >= 0, e.invocation < analysis.invocations.count else { continue }
            let inv = analysis.invocations[e.invocation]
            let scratch: Bool
            switch e.kind {
            case "db.destructive", "db.reset": scratch = testDatabase(inv, env: context.env)
            case _ where e.kind.hasPrefix("cloud."), "infra.apply": scratch = localEndpoint(inv, env: context.env)
            case "package.publish": scratch = localRegistry(inv)
            case "git.clean": scratch = onlyIgnored(inv)
            case _ where e.kind.hasPrefix("k8s."): scratch = localCluster(inv, context: context)
            default: scratch = false
            }
            if scratch {
                analysis.effects[i].kind = "scratch." + e.kind
                analysis.effects[i].detail += " (a local scratch copy)"
            }
        }
    }

    static func value(_ inv: Invocation, env: [String: String], _ name: String) -> String? {
        inv.assignments[name]?.text ?? env[name]
    }

    /// Names a test database goes by.
    static func isTestName(_ name: String) -> Bool {
        let n = name.lowercased()
        let base = n.split(separator: "/").last.map(String.init) ?? n
        let stem = base.split(separator: ".").first.map(String.init) ?? base
        return stem == "test" || stem.hasSuffix("_test") || stem.hasPrefix("test_") || stem.hasSuffix("-test")
            || stem.hasPrefix("test-") || stem.hasSuffix("_testing") || stem == "testing"
    }

    static func isLocal(_ host: String) -> Bool {
        ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host) || host.hasPrefix("127.") || host.hasPrefix("/")
    }

    static func testDatabase(_ inv: Invocation, env: [String: String]) -> Bool {
        let args = inv.args.map(\.text)
        guard !inv.args.contains(where: \.dynamic) else { return false }
        switch inv.program {
        case "sqlite3", "sqlite", "duckdb":
            guard let file = args.first(where: { !$0.hasPrefix("-") }) else { return false }
            return file == ":memory:" || isTestName(file)
        case "psql", "mysql", "mariadb", "mongosh", "mongo", "redis-cli", "dropdb", "createdb", "mysqladmin":
            var host: String?
            var db: String?
            var i = 0
            while i < args.count {
                let a = args[i]
                let next = i + 1 < args.count ? args[i + 1] : nil
                if ["-h", "--host"].contains(a) {
                    host = next
                    i += 2
                    continue
                }
                if a.hasPrefix("--host=") { host = String(a.dropFirst(7)) }
                if ["-d", "--dbname", "-D", "--database", "-n"].contains(a) {
                    db = next
                    i += 2
                    continue
                }
                if a.hasPrefix("--dbname=") || a.hasPrefix("--database=") {
                    db = String(a.split(separator: "=", maxSplits: 1).last ?? "")
                }
                if a.hasPrefix("-h") && a.count > 2 { host = String(a.dropFirst(2)) }
                if a.hasPrefix("postgres://") || a.hasPrefix("postgresql://") || a.hasPrefix("mysql://")
                    || a.hasPrefix("mongodb://") || a.hasPrefix("redis://")
                {
                    let rest = a.split(separator: "/", omittingEmptySubsequences: true)
                    if rest.count >= 2 {
                        let authority = rest[1].split(separator: "@").last.map(String.init) ?? ""
                        host = authority.split(separator: ":").first.map(String.init)
                    }
                    if rest.count >= 3 { db = rest[2].split(separator: "?").first.map(String.init) }
                } else if !a.hasPrefix("-"), db == nil,
                    ["psql", "mysql", "mariadb", "dropdb", "createdb"].contains(inv.program),
                    i == 0
                        || !["-c", "-e", "--command", "--execute", "-U", "-u", "-p", "-P", "--port", "--user"]
                            .contains(args[i - 1])
                {
                    db = a
                }
                i += 1
            }
            host = host ?? value(inv, env: env, "PGHOST") ?? value(inv, env: env, "MYSQL_HOST")
            db = db ?? value(inv, env: env, "PGDATABASE")
            // `-e 'DROP DATABASE shop_test'`: the database dropped is the one named.
            for (k, a) in args.enumerated() where k > 0 && ["-c", "-e", "--command", "--execute"].contains(args[k - 1])
            {
                let words = a.uppercased().split(whereSeparator: { $0 == " " || $0 == ";" || $0 == "\n" })
                if words.count >= 3, words[0] == "DROP", words[1] == "DATABASE" || words[1] == "SCHEMA" {
                    let name = words.count >= 5 && words[2] == "IF" && words[3] == "EXISTS" ? words[4] : words[2]
                    db = name.lowercased().trimmingCharacters(in: "`\"'")
                }
            }
            // No host at all is the local socket; a database name is needed either way.
            guard isLocal(host ?? "localhost"), let name = db else { return false }
            return isTestName(name)
        default:
            // Framework tasks: Rails and Laravel environments, Django settings, Prisma's DATABASE_URL.
            let rails = value(inv, env: env, "RAILS_ENV") ?? value(inv, env: env, "RACK_ENV")
            if rails == "test" || args.contains("RAILS_ENV=test") { return true }
            if let i = args.firstIndex(where: { $0 == "-e" || $0 == "--environment" }), i + 1 < args.count,
                args[i + 1] == "test"
            {
                return true
            }
            let settings =
                args.first(where: { $0.hasPrefix("--settings=") }).map { String($0.dropFirst(11)) }
                ?? value(inv, env: env, "DJANGO_SETTINGS_MODULE")
            if let s = settings,
                s.split(separator: ".").contains(where: { $0 == "test" || $0 == "tests" || $0.hasSuffix("_test") })
            {
                return true
            }
            if value(inv, env: env, "APP_ENV") == "testing" { return true }
            return false
        }
    }

    /// A cloud command aimed at an emulator on this machine (`--endpoint-url`, `AWS_ENDPOINT_URL`).
    static func localEndpoint(_ inv: Invocation, env: [String: String]) -> Bool {
        if inv.program == "awslocal" || inv.program == "tflocal" || inv.program == "cdklocal" { return true }
        let args = inv.args.map(\.text)
        var url: String?
        if let i = args.firstIndex(of: "--endpoint-url"), i + 1 < args.count { url = args[i + 1] }
        if let a = args.first(where: { $0.hasPrefix("--endpoint-url=") }) { url = String(a.dropFirst(15)) }
        url = url ?? value(inv, env: env, "AWS_ENDPOINT_URL")
        guard let u = url else { return false }
        var s = Substring(u)
        if let r = s.firstRange(of: "://") { s = s[r.upperBound...] }
        let host = s.prefix { $0 != ":" && $0 != "/" }
        let port = s.dropFirst(host.count).dropFirst().prefix { $0.isNumber }
        // LocalStack: its host name, or its edge port on this machine. Another port on localhost may be a tunnel
        // or proxy to the real cloud, so it stays what it was.
        if host.contains("localstack") { return true }
        return isLocal(String(host)) && (port == "4566" || (Int(port).map { (4510...4559).contains($0) } ?? false))
    }

    /// A Kubernetes command aimed at a cluster on this machine, from the real context (`--context`, else the
    /// kubeconfig's current context): kind, minikube, k3d, Docker Desktop, Rancher Desktop, OrbStack, colima.
    static func localCluster(_ inv: Invocation, context: Context) -> Bool {
        let args = inv.args.map(\.text)
        var name = context.kubeContext
        for (i, a) in args.enumerated() {
            if a == "--context" || a == "--kube-context", i + 1 < args.count { name = args[i + 1] }
            if a.hasPrefix("--context=") { name = String(a.dropFirst(10)) }
            if a.hasPrefix("--kube-context=") { name = String(a.dropFirst(15)) }
            if a == "--kubeconfig" || a.hasPrefix("--kubeconfig=") || a == "--server" || a.hasPrefix("--server=") {
                return false
            }
        }
        guard let n = name?.lowercased(), inv.assignments["KUBECONFIG"] == nil else { return false }
        return n.hasPrefix("kind-") || n.hasPrefix("k3d-") || n == "minikube" || n == "docker-desktop"
            || n == "docker-for-desktop" || n == "rancher-desktop" || n == "orbstack" || n.hasPrefix("colima")
    }

    /// A registry on this machine (`localhost:5000`, the usual local registry).
    static func localRegistryURL(_ u: String) -> Bool {
        var s = Substring(u)
        if let r = s.firstRange(of: "://") { s = s[r.upperBound...] }
        let host = s.prefix { $0 != ":" && $0 != "/" }
        return isLocal(String(host))
    }

    /// `docker push localhost:5000/app`, `npm publish --registry http://localhost:4873`.
    static func localRegistry(_ inv: Invocation) -> Bool {
        let args = inv.args.map(\.text)
        if let i = args.firstIndex(of: "--registry"), i + 1 < args.count { return localRegistryURL(args[i + 1]) }
        guard let image = args.last(where: { !$0.hasPrefix("-") && $0 != "push" }) else { return false }
        let host = image.split(separator: "/").first.map(String.init) ?? ""
        return image.contains("/") && isLocal(host.split(separator: ":").first.map(String.init) ?? "")
    }

    /// `git clean -X` removes only what .gitignore lists; `-x` takes untracked work too.
    static func onlyIgnored(_ inv: Invocation) -> Bool {
        let flags = inv.args.map(\.text).filter { $0.hasPrefix("-") && !$0.hasPrefix("--") }
        return flags.contains { $0.contains("X") } && !flags.contains { $0.contains("x") }
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
