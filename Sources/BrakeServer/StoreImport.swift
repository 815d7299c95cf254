import BrakeCore
import Crypto
import GRDB
import PostgresNIO

/// Moving a team's embedded control plane onto the PostgreSQL its replicas will share (`brake serve
/// --import-sqlite FILE`): every row — users, tokens, requests and votes, stops, sessions, the audit log and its
/// signed checkpoints, the oversight tables — copied as it is, so the chain's hashes and signatures carry over and
/// every token and approval link keeps working.
///
/// The copy is one PostgreSQL transaction: it lands whole or not at all. It goes only into a database that holds no
/// control plane yet (a merge of two audit chains would be neither chain), and it is refused when the SQLite file
/// changed while it was read (a server still running on it would lose what it wrote after).
extension PostgresStore {
    public struct Imported: Sendable {
        /// Rows copied, per table, in the order they were copied.
        public var tables: [(name: String, rows: Int)]
        /// The copied chain, verified before the copy was committed.
        public var audit: AuditChain.Report
    }

    /// Rows per read from SQLite, and the most parameters one INSERT may bind (PostgreSQL's limit is 65,535).
    static let importChunk = 2_000
    static let importParameters = 30_000

    /// Copies every row of `source` into this (empty) database in one transaction, and returns what it copied. The
    /// copy commits only when its chain verifies with `publicKey` to the same length, head and checkpoints as
    /// `expected`, the source's own verification.
    public func importRows(
        from source: SQLiteStore,
        expected: AuditChain.Report,
        publicKey: Curve25519.Signing.PublicKey
    ) async throws -> Imported {
        let before = try await Self.fingerprint(source)
        return try await transaction { db in
            // No replica migrates or imports meanwhile.
            try await exec(db, "SELECT pg_advisory_xact_lock(\(Self.migrationLock))")
            let target = try await Self.columns(db, logger)
            let sourceTables = try await source.pool.read { db in
                try String.fetchAll(
                    db,
                    sql:
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations' ORDER BY name"
                )
            }
            if let unknown = sourceTables.first(where: { target[$0] == nil }) {
                throw APIError(
                    status: 0,
                    message:
                        "the SQLite database has a table '\(unknown)' that this brake's PostgreSQL schema lacks: import with the brake version that wrote it"
                )
            }
            var held: [String] = []
            for table in target.keys.sorted() where table != "brake_migrations" {
                let n =
                    try await rows(db, PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(Self.quoted(table))"))
                    .first?.int("n") ?? 0
                if n > 0 { held.append("\(table): \(n)") }
            }
            if !held.isEmpty {
                throw APIError(
                    status: 0,
                    message:
                        "the database \(name) already holds a control plane (\(held.joined(separator: ", ")) rows): import only into an empty database (CREATE DATABASE a new one), before any replica starts on it"
                )
            }
            // Users first: tokens and web sessions refer to them.
            let order = sourceTables.sorted { ($0 == "users" ? 0 : 1, $0) < ($1 == "users" ? 0 : 1, $1) }
            var copied: [(name: String, rows: Int)] = []
            for table in order {
                do {
                    copied.append((table, try await copy(table, from: source, into: db, columns: target[table] ?? [])))
                } catch let e as APIError {
                    throw e
                } catch {
                    throw APIError(
                        status: 0,
                        message:
                            "copying the table '\(table)' into \(name) failed, and nothing was written: \(String(reflecting: error).prefix(600))"
                    )
                }
            }
            // Serial columns continue after the copied values.
            for (table, columns) in target {
                for c in columns where c.serial {
                    let (t, col) = (Self.quoted(table), Self.quoted(c.name))
                    try await exec(
                        db,
                        PostgresQuery(
                            unsafeSQL:
                                "SELECT setval(pg_get_serial_sequence('\(t)', '\(c.name)'), COALESCE((SELECT max(\(col)) FROM \(t)), 0) + 1, false)"
                        )
                    )
                }
            }
            // A server still writing to the file would lose what it wrote after its rows were read.
            if try await Self.fingerprint(source) != before {
                throw APIError(
                    status: 0,
                    message:
                        "\(source.path) changed while it was copied (a server is still running on it): stop that brake serve, then import again; nothing was written to \(name)"
                )
            }
            let entries = try await rows(db, "SELECT seq, event, prev_hash, hash FROM audit ORDER BY seq").map(
                Self.entry
            )
            let checkpoints = try await rows(db, "SELECT * FROM checkpoints ORDER BY tree_size").map(Self.checkpoint)
            let report = AuditChain.verify(entries, checkpoints: checkpoints, publicKey: publicKey)
            guard report.ok, report.length == expected.length, report.head == expected.head,
                report.checkpointsVerified == expected.checkpointsVerified
            else {
                throw APIError(
                    status: 0,
                    message:
                        "the copy's audit chain differs from the file's (\(report.length) events, head \(report.head.prefix(12)), \(report.checkpointsVerified) checkpoints, problems: \(report.problems.prefix(3).joined(separator: "; "))); nothing was written to \(name)"
                )
            }
            return Imported(tables: copied, audit: report)
        }
    }

    /// A PostgreSQL column as the copy needs it.
    struct ImportColumn: Sendable {
        var name: String
        var integer: Bool
        var serial: Bool
    }

    /// The current schema's tables and their columns.
    static func columns(_ db: PostgresConnection, _ logger: Logger) async throws -> [String: [ImportColumn]] {
        let found = try await rows(
            db,
            """
            SELECT table_name::text AS t, column_name::text AS c, data_type::text AS type,
                COALESCE(column_default, '')::text AS d
            FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY t, ordinal_position
            """,
            logger
        )
        var out: [String: [ImportColumn]] = [:]
        for r in found {
            let type = try r.string("type")
            out[try r.string("t"), default: []].append(
                ImportColumn(
                    name: try r.string("c"),
                    integer: ["bigint", "integer", "smallint"].contains(type),
                    serial: try r.string("d").hasPrefix("nextval(")
                )
            )
        }
        return out
    }

    /// Copies one table in SQLite's row order (so serial numbers PostgreSQL gives follow the original order).
    func copy(
        _ table: String,
        from source: SQLiteStore,
        into db: PostgresConnection,
        columns target: [ImportColumn]
    ) async throws -> Int {
        let names = try await source.pool.read { db in
            try Row.fetchAll(db, sql: "PRAGMA table_info(\(Self.quoted(table)))").map { $0["name"] as String }
        }
        let byName = Dictionary(uniqueKeysWithValues: target.map { ($0.name, $0) })
        if let missing = names.first(where: { byName[$0] == nil }) {
            throw APIError(
                status: 0,
                message:
                    "the SQLite table '\(table)' has a column '\(missing)' that this brake's PostgreSQL schema lacks: import with the brake version that wrote it"
            )
        }
        let columns = names.compactMap { byName[$0] }
        let list = columns.map { Self.quoted($0.name) }.joined(separator: ", ")
        let perInsert = max(1, min(Self.importChunk, Self.importParameters / max(1, columns.count)))
        var (after, total) = (Int64.min, 0)
        while true {
            let from = after
            let chunk = try await source.pool.read { db in
                try Row.fetchAll(
                    db,
                    sql:
                        "SELECT rowid AS brake_rowid, \(list) FROM \(Self.quoted(table)) WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    arguments: [from, Self.importChunk]
                )
            }
            guard let last = chunk.last else { return total }
            after = last["brake_rowid"]
            var start = 0
            while start < chunk.count {
                let part = chunk[start..<min(start + perInsert, chunk.count)]
                var binds = PostgresBindings(capacity: part.count * columns.count)
                var tuples: [String] = []
                tuples.reserveCapacity(part.count)
                for row in part {
                    var marks: [String] = []
                    for (i, c) in columns.enumerated() {
                        try Self.bind(row[i + 1] as DatabaseValue, c, table, &binds)
                        marks.append("$\(binds.count)")
                    }
                    tuples.append("(" + marks.joined(separator: ", ") + ")")
                }
                try await exec(
                    db,
                    PostgresQuery(
                        unsafeSQL:
                            "INSERT INTO \(Self.quoted(table)) (\(list)) VALUES \(tuples.joined(separator: ", "))",
                        binds: binds
                    )
                )
                start += part.count
            }
            total += chunk.count
        }
    }

    /// One SQLite value as the PostgreSQL column's type (SQLite's columns take any type; Brake wrote each as its
    /// declared one, and anything else is said rather than guessed).
    static func bind(_ v: DatabaseValue, _ c: ImportColumn, _ table: String, _ binds: inout PostgresBindings) throws {
        switch v.storage {
        case .null: binds.appendNull()
        case .int64(let i):
            if c.integer { binds.append(Int(i)) } else { binds.append(String(i)) }
        case .string(let s):
            if !c.integer {
                binds.append(s)
            } else if let i = Int(s) {
                binds.append(i)
            } else {
                throw APIError(
                    status: 0,
                    message:
                        "\(table).\(c.name) holds '\(s.prefix(40))' where a whole number belongs: the file is damaged"
                )
            }
        case .double(let d):
            guard c.integer, let i = Int(exactly: d) else {
                throw APIError(status: 0, message: "\(table).\(c.name) holds \(d), which Brake never writes there")
            }
            binds.append(i)
        case .blob(let data):
            guard !c.integer else {
                throw APIError(status: 0, message: "\(table).\(c.name) holds bytes where a whole number belongs")
            }
            guard let text = String(validating: data, as: UTF8.self) else {
                throw APIError(
                    status: 0,
                    message: "\(table).\(c.name) holds bytes that are not UTF-8 text: the file is damaged"
                )
            }
            binds.append(text)
        }
    }

    /// What must not change while the copy reads the file: each table's row count and the audit head.
    static func fingerprint(_ source: SQLiteStore) async throws -> String {
        try await source.pool.read { db in
            let tables = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
            var parts: [String] = []
            for t in tables {
                parts.append("\(t)=\(try Int.fetchOne(db, sql: "SELECT count(*) FROM \(quoted(t))") ?? 0)")
            }
            if let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1") {
                let (seq, hash): (Int, String) = (head["seq"], head["hash"])
                parts.append("head=\(seq):\(hash)")
            }
            return parts.joined(separator: " ")
        }
    }

    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}

extension BrakeServerMain {
    /// `brake serve --import-sqlite FILE`: the embedded server's database copied into the PostgreSQL the
    /// configuration names, its chain verified on both sides. Returns what to tell the operator.
    public func importSQLite(_ file: String) async throws -> String {
        var config = try Self.loadConfig(configFile)
        if let database { config.database = database }
        if let databasePasswordFile { config.databasePasswordFile = databasePasswordFile }
        if config.database == nil && (Self.environment()["BRAKE_DATABASE_URL"] ?? "").isEmpty {
            throw APIError(
                status: 0,
                message:
                    "--import-sqlite copies into PostgreSQL: name it with --database postgres://USER@HOST:PORT/DB (or `database:` in the configuration, or BRAKE_DATABASE_URL)"
            )
        }
        guard FileIO.exists(file) else {
            throw APIError(
                status: 0,
                message:
                    "\(file) does not exist: give the embedded server's database, brake.sqlite in its data directory"
            )
        }
        // No server writes the file while it is copied (nor starts on it), and it is Brake's before anything opens
        // it for writing (opening runs this version's migrations, as `brake serve` would).
        let claim = try SQLiteServeLock(database: file, wait: 0)
        defer { withExtendedLifetime(claim) {} }
        try Self.checkEmbeddedDatabase(file)
        // The checkpoints were signed with the embedded server's key; the replicas must keep signing with it.
        let beside = file.lastIndex(of: "/").map { String(file[..<$0]) }
        let keyFile = config.signingKeyFile ?? (beside ?? ".") + "/audit-signing-key"
        guard FileIO.exists(keyFile) else {
            throw APIError(
                status: 0,
                message:
                    "the audit signing key \(keyFile) is missing: the copied checkpoints are verified with the key that signed them; give it with signing_key_file: in --config"
            )
        }
        let key = try Self.readKey(keyFile)
        let source: SQLiteStore
        do { source = try SQLiteStore(path: file) } catch {
            throw APIError(status: 0, message: "cannot open \(file) as Brake's SQLite database (\(error))")
        }
        let expected = AuditChain.verify(
            try await source.allAuditEntries(),
            checkpoints: try await source.checkpoints(),
            publicKey: key.publicKey
        )
        guard expected.ok else {
            throw APIError(
                status: 0,
                message:
                    "the audit log in \(file) does not verify with \(keyFile) (\(expected.problems.prefix(3).joined(separator: "; "))): only an intact chain is copied; if the key is not the one that signed it, give the right one with signing_key_file:"
            )
        }
        let (store, storeName, _) = try await openStore(config)
        guard let target = store as? PostgresStore else {
            throw APIError(status: 0, message: "--import-sqlite copies into PostgreSQL, and \(storeName) is not")
        }
        defer { target.close() }
        let imported = try await target.importRows(from: source, expected: expected, publicKey: key.publicKey)
        let counts = imported.tables.filter { $0.rows > 0 }.map { "\($0.name) \($0.rows)" }.joined(separator: ", ")
        return """
            brake serve: copied \(file) into \(storeName): \(counts.isEmpty ? "no rows" : counts)
            brake serve: the audit chain verifies there: \(imported.audit.length) events, head \(imported.audit.head), \(imported.audit.checkpointsVerified) signed checkpoints
            brake serve: start the replicas with signing_key_file: \(keyFile) (copy it to them as a secret), so they keep signing the same chain; stop using the SQLite file
            """
    }

    /// Refuses, without writing to it, a file that is not a Brake server's database or holds no control plane.
    static func checkEmbeddedDatabase(_ file: String) throws(APIError) {
        var config = Configuration()
        config.readonly = true
        let found: (tables: Set<String>, users: Int)
        do {
            found = try DatabaseQueue(path: file, configuration: config).read { db in
                let tables = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
                let users = tables.contains("users") ? try Int.fetchOne(db, sql: "SELECT count(*) FROM users") ?? 0 : 0
                return (tables, users)
            }
        } catch {
            throw APIError(status: 0, message: "\(file) is not an SQLite database Brake can read (\(error))")
        }
        guard found.tables.isSuperset(of: ["grdb_migrations", "users", "audit", "checkpoints"]) else {
            throw APIError(
                status: 0,
                message:
                    "\(file) is not a Brake server's database (it lacks Brake's tables): give brake.sqlite from the embedded server's data directory"
            )
        }
        guard found.users > 0 else {
            throw APIError(
                status: 0,
                message: "\(file) holds no control plane yet (no users): there is nothing to copy"
            )
        }
    }
}
