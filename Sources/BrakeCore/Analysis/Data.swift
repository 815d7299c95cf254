/// Databases: SQL statements in client arguments and input, NoSQL commands, framework resets.
enum SQL {
    /// The destructive statements in `sql`: `drop`, `truncate`, `delete-all`, `update-all`, `alter-drop`.
    static func destructive(_ sql: String) -> [String] {
        var out: [String] = []
        // Dynamic SQL (`DO $$ … EXECUTE … $$`, `EXECUTE 'TRUNCATE ' || t`): the statement is built at run time,
        // so its text, quotes included, is what says what it does.
        let lower = sql.lowercased()
        if lower.includes("execute") || lower.hasPrefix("do ") || lower.includes(" do $") || lower.includes("\ndo $") {
            if lower.includes("drop ") || lower.includes("truncate") || lower.includes("delete ") {
                out.append("dynamic")
            }
        }
        for stmt in statements(sql) {
            let w = stmt
            guard let first = w.first else { continue }
            switch first {
            case "drop":
                let objects: Set<String> = [
                    "table", "database", "schema", "keyspace", "tablespace", "owned", "collection", "materialized",
                    "user", "role", "cluster",
                ]
                if w.count > 1 && objects.contains(w[1]) { out.append("drop") }
            case "truncate":
                out.append("truncate")
            case "delete":
                if !hasUsefulWhere(w) { out.append("delete-all") }
            case "update":
                if w.contains("set") && !hasUsefulWhere(w) { out.append("update-all") }
            case "alter":
                if w.contains("drop") { out.append("alter-drop") }
            case "flushall", "flushdb":
                out.append("flush")
            default:
                break
            }
        }
        return out
    }

    static func hasUsefulWhere(_ words: [String]) -> Bool {
        guard let i = words.firstIndex(of: "where") else { return false }
        let cond = words[(i + 1)...].prefix(4).joined(separator: " ")
        let trivial = ["1 = 1", "1=1", "true", "1", "'1'='1'", "1 = 1 )", "0 = 0", "2 > 1"]
        return
            !(trivial.contains(cond) || cond.hasPrefix("1 = 1") || cond.hasPrefix("1=1") || cond == "true"
            || words.count == i + 1)
    }

    /// Lower-cased word lists, one per statement; string literals and comments removed.
    static func statements(_ sql: String) -> [[String]] {
        var result: [[String]] = []
        var words: [String] = []
        var word = ""
        let chars = Array(sql.unicodeScalars)
        var i = 0
        func flush() {
            if !word.isEmpty {
                words.append(word.lowercased())
                word = ""
            }
        }
        while i < chars.count {
            let c = chars[i]
            if c == "'" || c == "\"" || c == "`" {
                flush()
                let q = c
                i += 1
                var inner = ""
                while i < chars.count && chars[i] != q {
                    if chars[i] == "\\" { i += 1 }
                    if i < chars.count { inner.unicodeScalars.append(chars[i]) }
                    i += 1
                }
                // Quoted identifiers are names; quoted strings are data.
                words.append(q == "'" ? "'str'" : inner.lowercased())
                i += 1
                continue
            }
            if c == "$" && i + 1 < chars.count && chars[i + 1] == "$" {
                flush()
                i += 2
                while i + 1 < chars.count && !(chars[i] == "$" && chars[i + 1] == "$") { i += 1 }
                i += 2
                words.append("'str'")
                continue
            }
            if c == "-" && i + 1 < chars.count && chars[i + 1] == "-" {
                while i < chars.count && chars[i] != "\n" { i += 1 }
                continue
            }
            if c == "/" && i + 1 < chars.count && chars[i + 1] == "*" {
                i += 2
                while i + 1 < chars.count && !(chars[i] == "*" && chars[i + 1] == "/") { i += 1 }
                i += 2
                continue
            }
            if c == ";" {
                flush()
                if !words.isEmpty { result.append(words) }
                words = []
                i += 1
                continue
            }
            if c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "." {
                word.unicodeScalars.append(c)
            } else {
                flush()
                if c == "=" || c == ">" || c == "<" || c == "(" || c == ")" { words.append(String(c)) }
            }
            i += 1
        }
        flush()
        if !words.isEmpty { result.append(words) }
        return result
    }

    /// Destructive MongoDB shell calls.
    static func mongoDestructive(_ js: String) -> [String] {
        var out: [String] = []
        let compact = js.filter { !$0.isWhitespace }
        if compact.includes(".dropDatabase(") { out.append("drop") }
        if compact.includes(".drop()") || compact.includes(".dropCollection(") { out.append("drop") }
        for call in [".deleteMany(", ".remove(", ".updateMany("] {
            var rest = Substring(compact)
            while let r = rest.firstRange(of: call) {
                let after = rest[r.upperBound...]
                if after.hasPrefix("{})") || after.hasPrefix(")") || after.hasPrefix("{},") {
                    out.append(call == ".updateMany(" ? "update-all" : "delete-all")
                }
                rest = after
            }
        }
        return out
    }
}

extension Analyzer {
    static let sqlClients: Set<String> = [
        "psql", "mysql", "sqlite3", "sqlite", "duckdb", "sqlcmd", "clickhouse-client", "clickhouse", "cockroach",
        "snowsql", "usql", "cqlsh", "bq", "pgcli", "mycli", "litecli", "trino", "presto", "spark-sql", "beeline",
        "isql", "db2", "sqlplus", "osql", "turso", "d1",
    ]

    /// SQL and NoSQL statements the invocation sends.
    func recognizeData(_ idx: Int, _ inv: Invocation) {
        let p = inv.program
        var texts: [String] = []
        var stdinText: String?
        if case .known(let s) = inv.stdin { stdinText = s }
        let args = inv.args
        if Analyzer.sqlClients.contains(p) {
            let valueFlags: Set<String> = [
                "-c", "--command", "-e", "--execute", "-Q", "-q", "--query", "-cmd", "--eval",
            ]
            for (k, a) in args.enumerated() {
                if valueFlags.contains(a.text), k + 1 < args.count { texts.append(args[k + 1].text) }
                for f in ["--command=", "--execute=", "--query=", "-c=", "-e="] where a.text.hasPrefix(f) {
                    texts.append(String(a.text.dropFirst(f.count)))
                }
                if a.text == "-f" || a.text == "--file" || a.text == "-i", k + 1 < args.count,
                    case .known(let s)? = files[resolvePath(args[k + 1].text)]?.content
                {
                    texts.append(s)
                }
                if p == "psql" || p == "mysql", a.text.hasPrefix("-c") && a.text.count > 2 && !a.text.hasPrefix("--") {
                    texts.append(String(a.text.dropFirst(2)))
                }
            }
            if ["sqlite3", "sqlite", "duckdb", "litecli", "bq"].contains(p) {
                // sqlite3 [options] DB [SQL…]
                let o = Options(
                    args,
                    withValue: [
                        "-cmd", "-separator", "-nullvalue", "-init", "-newline", "-c", "--format", "--project_id",
                        "--location", "--dataset_id",
                    ]
                )
                let ops = o.operands.map(\.text)
                if p == "bq" {
                    if ops.first == "query" { texts += ops.dropFirst() }
                    if ops.first == "rm" {
                        addEffect(
                            "cloud.delete",
                            attrs: ["provider": .string("bq"), "operation": .string("rm")],
                            invocation: idx,
                            detail: "bq rm deletes a dataset or table"
                        )
                    }
                } else if ops.count > 1 {
                    texts += ops.dropFirst()
                }
            }
            if p == "cockroach", args.first?.text != "sql" { texts = [] }
            // A dump piped in (`mysqldump … | mysql …`, `pg_dump … | psql …`) drops and recreates its tables.
            if case .unknown(let producer, _)? = inv.stdin,
                ["mysqldump", "mariadb-dump", "pg_dump", "pg_dumpall"].contains(producer)
            {
                addEffect(
                    "db.destructive",
                    attrs: ["statement": .list(["restore-overwrite"]), "engine": .string(p)],
                    invocation: idx,
                    detail: "\(p) loads a \(producer) dump, which drops and recreates the tables it holds"
                )
            }
            if let s = stdinText { texts.append(s) }
            // A script whose content is unknown but whose name says what it does.
            var scriptNames: [String] = []
            for (k, a) in args.enumerated()
            where (a.text == "-f" || a.text == "--file" || a.text == "-i") && k + 1 < args.count {
                scriptNames.append(args[k + 1].text)
            }
            if case .unknown(let name, _)? = inv.stdin { scriptNames.append(name) }
            for n in scriptNames {
                let words = Paths.basename(n).lowercased().tokens.map(String.init)
                if words.contains(where: {
                    ["drop", "truncate", "wipe", "purge", "destroy", "reset", "nuke", "teardown"].contains($0)
                }) {
                    addEffect(
                        "db.destructive",
                        attrs: ["statement": .list(["script"]), "engine": .string(p)],
                        invocation: idx,
                        detail: "\(p) runs \(n), whose name says it drops or wipes data"
                    )
                }
            }
            for t in texts {
                let kinds = SQL.destructive(t)
                if !kinds.isEmpty {
                    addEffect(
                        "db.destructive",
                        attrs: ["statement": .list(kinds), "engine": .string(p)],
                        invocation: idx,
                        detail: "\(p) runs \(kinds.joined(separator: ", ")) statements"
                    )
                }
            }
            return
        }
        switch p {
        case "mongosh", "mongo":
            for (k, a) in args.enumerated() where (a.text == "--eval" || a.text == "-e") && k + 1 < args.count {
                texts.append(args[k + 1].text)
            }
            if let s = stdinText { texts.append(s) }
            for t in texts {
                let kinds = SQL.mongoDestructive(t)
                if !kinds.isEmpty {
                    addEffect(
                        "db.destructive",
                        attrs: ["statement": .list(kinds), "engine": .string("mongodb")],
                        invocation: idx,
                        detail: "mongosh runs \(kinds.joined(separator: ", "))"
                    )
                }
            }
        case "redis-cli", "valkey-cli", "keydb-cli":
            let o = Options(
                args,
                withValue: [
                    "-h", "-p", "-a", "-n", "-u", "--user", "--pass", "-s", "--tls-cert", "--cacert", "-r", "-i",
                    "--pattern", "--sni", "--key", "--cert",
                ]
            )
            var cmds = o.operands.first.map { [$0.text.lowercased()] } ?? []
            if let s = stdinText {
                cmds += s.split(separator: "\n").compactMap { $0.split(separator: " ").first.map { $0.lowercased() } }
            }
            let first = o.operands.first?.text.lowercased() ?? ""
            // A script that deletes (`EVAL "…redis.call('del', …)"`), or DEL/UNLINK over keys found at run time
            // (`--scan … | xargs redis-cli DEL`): deletes whatever matches.
            let script =
                ["eval", "eval_ro", "evalsha", "fcall"].contains(first)
                && o.operands.dropFirst().first.map { t in
                    let l = t.text.lowercased()
                    return ["'del'", "\"del\"", "'unlink'", "\"unlink\"", "flushall", "flushdb"].contains {
                        l.includes($0)
                    }
                } == true
            let bulkKeys =
                ["del", "unlink"].contains(first)
                && (inv.site.dynamicArguments || o.operands.dropFirst().contains { $0.dynamic || $0.glob })
            if script || bulkKeys {
                addEffect(
                    "db.destructive",
                    attrs: ["statement": .list(["delete-all"]), "engine": .string("redis")],
                    invocation: idx,
                    detail: script
                        ? "a redis script that deletes keys"
                        : "redis \(first.uppercased()) of every key found at run time"
                )
            }
            for c in cmds
            where c == "flushall" || c == "flushdb" || c == "shutdown" || c == "debug" || c == "config" && false {
                addEffect(
                    "db.destructive",
                    attrs: ["statement": .list([c == "shutdown" ? "shutdown" : "flush"]), "engine": .string("redis")],
                    invocation: idx,
                    detail: "redis \(c.uppercased())"
                )
            }
        case "pg_restore":
            // `--clean`, `-c`, or `-c` clustered with other switches (`-cv`); `-Fc` is a format, not a clean.
            let clean = args.contains { a in
                a.text == "--clean"
                    || a.text.hasPrefix("-") && !a.text.hasPrefix("--") && a.text.contains("c")
                        && a.text.dropFirst().allSatisfy { "cvOxsaew1".contains($0) }
            }
            if clean {
                addEffect(
                    "db.destructive",
                    attrs: ["statement": .list(["drop"]), "engine": .string("postgres")],
                    invocation: idx,
                    detail: "pg_restore --clean drops the database's objects before restoring them"
                )
            }
        case "dropdb", "dropuser", "mysqladmin":
            if p == "mysqladmin" && !args.contains(where: { $0.text == "drop" }) { return }
            addEffect(
                "db.destructive",
                attrs: ["statement": .list(["drop"]), "engine": .string(p)],
                invocation: idx,
                detail: "\(p) drops a database"
            )
        default:
            break
        }
    }

    /// Framework commands that drop or reset a database.
    static let resetTasks: Set<String> = [
        "db:drop", "db:reset", "db:purge", "db:schema:load", "db:setup", "db:wipe", "migrate:fresh",
        "migrate:reset", "migrate:refresh", "db:drop:all", "ecto.drop", "ecto.reset", "schema:drop",
        "doctrine:database:drop", "doctrine:schema:drop", "sqlflush", "reset_db", "flush", "db:seed:replant",
        "db:migrate:undo:all",
    ]
    static let frameworkPrograms: Set<String> = [
        "rails", "rake", "bin/rails", "artisan", "mix", "sequelize", "sequelize-cli", "typeorm", "knex", "console",
        "python", "django-admin", "php", "prisma", "alembic", "flask", "diesel", "sqlx", "goose", "migrate", "flyway",
        "liquibase", "dotnet", "drizzle-kit",
    ]

    func recognizeFrameworkReset(_ idx: Int, _ inv: Invocation) {
        let p = inv.program
        guard Analyzer.frameworkPrograms.contains(p) else { return }
        let words = inv.args.map(\.text)
        let joined = words.joined(separator: " ")
        var hit: String?
        let resetTasks = Analyzer.resetTasks
        do {
            switch p {
            case "rails", "rake", "bin/rails", "artisan", "mix", "sequelize", "sequelize-cli", "typeorm", "knex",
                "console":
                if let t = words.first(where: { resetTasks.contains($0) }) { hit = "\(p) \(t)" }
                // `rails runner 'Order.delete_all'`: ActiveRecord bulk deletes, every row or every match.
                if words.first == "runner", let code = words.dropFirst().first,
                    code.includes(".delete_all") || code.includes(".destroy_all") || code.includes(".delete_by")
                        || code.includes(".destroy_by")
                {
                    addEffect(
                        "db.destructive",
                        attrs: [
                            "statement": .list([
                                code.includes(".where(") || code.includes("_by") ? "delete-many" : "delete-all"
                            ]),
                            "engine": .string("activerecord"),
                        ],
                        invocation: idx,
                        detail: "rails runner deletes rows in bulk (\(code.prefix(60)))"
                    )
                }
                if p == "knex" && joined.contains("migrate:rollback") && words.contains("--all") {
                    hit = "knex migrate:rollback --all"
                }
            case "python", "django-admin":
                if words.contains(where: { $0.hasSuffix("manage.py") }) || p == "django-admin" {
                    if let t = words.first(where: { ["flush", "reset_db", "sqlflush"].contains($0) }) {
                        hit = "manage.py \(t)"
                    }
                    if words.contains("migrate") && words.last == "zero" { hit = "manage.py migrate … zero" }
                }
            case "php":
                if words.first?.hasSuffix("artisan") == true || words.first?.hasSuffix("console") == true,
                    let t = words.first(where: { resetTasks.contains($0) || $0 == "migrate:rollback" && false })
                {
                    hit = "php \(t)"
                }
            case "prisma":
                if joined.hasPrefix("migrate reset")
                    || (words.first == "db" && words.dropFirst().first == "push"
                        && (words.contains("--force-reset") || words.contains("--accept-data-loss")))
                {
                    hit = "prisma \(words.prefix(2).joined(separator: " "))"
                }
            case "npx", "bunx", "pnpx":
                break
            case "alembic", "flask":
                if joined.includes("downgrade base") { hit = "\(p) downgrade base" }
            case "diesel", "sqlx":
                if joined.hasPrefix("database reset") || joined.hasPrefix("database drop") { hit = "\(p) \(joined)" }
            case "goose":
                if words.contains("reset") { hit = "goose reset" }
            case "migrate":
                if words.contains("drop") { hit = "migrate drop" }
            case "flyway":
                if words.contains("clean") { hit = "flyway clean" }
            case "liquibase":
                if words.contains(where: { $0.lowercased() == "dropall" || $0 == "drop-all" }) {
                    hit = "liquibase dropAll"
                }
            case "dotnet":
                if joined.hasPrefix("ef database drop") { hit = "dotnet ef database drop" }
            case "drizzle-kit":
                if words.first == "drop" { hit = "drizzle-kit drop" }
                if words.first == "push" && words.contains("--force") { hit = "drizzle-kit push --force" }
            default:
                break
            }
        }
        if let hit {
            addEffect(
                "db.reset",
                attrs: ["command": .string(hit)],
                invocation: idx,
                detail: "\(hit) drops or resets a database"
            )
        }
    }
}
