import ArgumentParser
import BrakeClient
import BrakeCore
import BrakeHost

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Provenance {
    /// What Brake's hooks recorded agents producing, from everywhere this machine can read it: the local record
    /// (`$BRAKE_HOME/provenance.jsonl`, kept by the hooks) and the notes `brake provenance export` attaches
    /// (`refs/notes/brake-provenance`, for CI runners). A record can only add evidence of AI use.
    /// Records in notes that carry the control plane's signature are marked verified when it checks against one of
    /// `keys` (the base roster's `control_plane_key`, the key pinned at login).
    static func recorded(env: [String: String], keys: [String] = []) -> [AgentRecord] {
        var records: [AgentRecord] = []
        if let text = try? Loader.readFile(LocalStore(env: env).home + "/provenance.jsonl") {
            records += AgentWork.records(jsonLines: text)
        }
        for note in Git.notes("brake-provenance").values {
            records += AgentWork.records(jsonLines: note).map { verified($0, keys: keys) }
        }
        return records
    }

    static func verified(_ r: AgentRecord, keys: [String]) -> AgentRecord {
        for k in keys {
            let v = r.verifying(publicKey: k)
            if v.verified { return v }
        }
        return r
    }
}

extension Provenance {
    /// The control plane's records of the range's commits and the blobs they add. A configured server that cannot
    /// be asked is an error: judging without its record could let an agent's change pass as a person's.
    static func fromServer(_ link: ServerLink, commits: [CommitInfo]) throws -> [AgentRecord] {
        let blobs = Array(Set(commits.flatMap { $0.blobs.values }))
        let shas = commits.map(\.sha)
        var out: [AgentRecord] = []
        var i = 0
        repeat {
            func chunk(_ ids: [String]) -> JSONValue {
                .array(ids[min(i, ids.count)..<min(ids.count, i + 20000)].map { .string($0) })
            }
            let answer: JSONValue
            do {
                answer = try link.client().call(
                    "POST",
                    "/v1/provenance/lookup",
                    .object([("blobs", chunk(blobs)), ("commits", chunk(shas)), ("signed", .bool(true))])
                )
            } catch {
                throw Failure(
                    status: ExitStatus.badInput,
                    message:
                        "the control plane's provenance record cannot be read (\(error)); the gate does not judge without it. Retry when \(link.url) is reachable, or unset BRAKE_SERVER to judge with this machine's record and notes only"
                )
            }
            out += (answer["records"]?.arrayValue ?? []).compactMap(AgentRecord.init(json:)).map {
                verified($0, keys: link.pinnedKey.map { [$0] } ?? [])
            }
            i += 20000
        } while i < max(blobs.count, shas.count)
        return out
    }
}

/// `brake provenance export [RANGE]`: attaches the records that concern each commit of a range as a git note, so a
/// CI runner without this machine's record sees them.
struct ProvenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provenance",
        abstract: "What Brake recorded agents producing (files they wrote, commits they made).",
        subcommands: [Export.self]
    )

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract:
                "Attach the records about each commit of a range as notes in refs/notes/brake-provenance (then push that ref)."
        )
        @Argument(help: "A commit or a range BASE..HEAD (default: origin/main..HEAD, else HEAD).") var range: String?

        func run() throws {
            let env = Loader.environment()
            do {
                _ = try Git.root()
                let spec =
                    range
                    ?? (Git.run(["rev-parse", "--verify", "-q", "origin/main"]) != nil ? "origin/main..HEAD" : "HEAD")
                // With a control plane, its records, each signed with its key (a CI runner checks them against
                // the base roster's control_plane_key); without one, this machine's own record, unsigned.
                let link = try ServerLink.load(env: env, store: LocalStore(env: env), forPerson: true)
                let commits = try Git.commits(spec, withBlobs: true)
                let work = AgentWork(
                    try link.map { try Provenance.fromServer($0, commits: commits) } ?? Provenance.recorded(env: env)
                )
                var noted = 0
                // The notes commit is Brake's when git has no identity configured here (a CI runner).
                let configured = !(Git.run(["config", "user.email"]) ?? "").trimmingCharacters.isEmpty
                let identity = configured ? [] : ["-c", "user.name=Brake", "-c", "user.email=brake@localhost"]
                for c in commits {
                    var lines: [String] = []
                    if let r = work.byCommit[c.sha] { lines.append(r.signedJSON.serialized) }
                    for blob in Set(c.blobs.values) {
                        if let r = work.byBlob[blob] { lines.append(r.signedJSON.serialized) }
                    }
                    guard !lines.isEmpty else { continue }
                    let note = lines.sorted().joined(separator: "\n")
                    guard
                        Git.run(identity + ["notes", "--ref=brake-provenance", "add", "-f", "-m", note, c.sha]) != nil
                    else {
                        throw Failure(status: ExitStatus.badInput, message: "git notes add failed for \(c.sha)")
                    }
                    noted += 1
                }
                FileHandleOut.stdout(
                    "\(noted) commit(s) in \(spec) carry agent records in refs/notes/brake-provenance; push it with `git push origin refs/notes/brake-provenance`\n"
                )
            } catch {
                Loader.fail(error)
            }
        }
    }
}

/// Git plumbing for the sign-off gate.
enum Git {
    static func run(_ args: [String], in dir: String? = nil, env: [(String, String)] = []) -> String? {
        let cd = dir.map { "cd \(Hooks.shellQuote($0)) && " } ?? ""
        let vars = env.map { "\($0.0)=\(Hooks.shellQuote($0.1)) " }.joined()
        return PlanFiles.run(cd + vars + "git " + args.map(Hooks.shellQuote).joined(separator: " "))
    }

    /// A keyring of the roster's OpenPGP keys alone, in a temporary directory: primary fingerprint → the person's
    /// first e-mail. Nil without OpenPGP keys.
    static func pgpKeyring(_ roster: Roster) throws -> (home: String, owners: [String: String])? {
        let keys = roster.people.flatMap { p in p.pgpKeys.map { (p.emails[0], $0) } }
        guard !keys.isEmpty else { return nil }
        var template = Array("/tmp/brake-gnupg-XXXXXX".utf8CString)
        guard
            let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({ String(cString: $0) })
        else { throw Failure(status: ExitStatus.badInput, message: "cannot create a temporary keyring") }
        var owners: [String: String] = [:]
        for (i, (email, armored)) in keys.enumerated() {
            let file = dir + "/key\(i).asc"
            guard let f = fopen(file, "wb") else { continue }
            var text = armored
            _ = text.withUTF8 { fwrite($0.baseAddress, 1, $0.count, f) }
            fclose(f)
            let q = Hooks.shellQuote
            let listed =
                PlanFiles.run(
                    "GNUPGHOME=\(q(dir)) gpg --batch --quiet --import \(q(file)) 2>/dev/null && GNUPGHOME=\(q(dir)) gpg --batch --with-colons --import-options show-only --import \(q(file)) 2>/dev/null"
                ) ?? ""
            // The primary key's fingerprint: the first `fpr` record.
            if let fpr = listed.split(separator: "\n").first(where: { $0.hasPrefix("fpr:") })?.split(
                separator: ":",
                omittingEmptySubsequences: false
            ).dropFirst(9).first {
                owners[String(fpr).uppercased()] = email
            }
        }
        return (dir, owners)
    }

    static func root() throws -> String {
        guard let r = run(["rev-parse", "--show-toplevel"])?.trimmingCharacters(in: "\n "), !r.isEmpty else {
            throw Failure(status: ExitStatus.usage, message: "not inside a git repository")
        }
        return r
    }

    /// Commits of a range (oldest first), with their changed paths and, when the roster lists signing keys, who
    /// signed each: git checks SSH signatures against those keys alone (`allowedSigners`, written to a temporary
    /// file; the verifier is pinned to ssh-keygen, whatever the repository's configuration says).
    static func commits(
        _ range: String,
        roster: Roster = Roster(),
        withBlobs: Bool = false,
        since: Int? = nil
    ) throws -> [CommitInfo] {
        let allowedSigners = roster.allowedSigners
        let spec = since.map { ["--since=@\($0)", range] } ?? (range.contains("..") ? [range] : ["-1", range])
        var config: [String] = []
        var signature = "N%x1f%x1f%x1f"
        let signers = "/tmp/brake-allowed-signers-\(getpid())"
        if !allowedSigners.isEmpty {
            guard let f = fopen(signers, "wb") else {
                throw Failure(status: ExitStatus.badInput, message: "cannot write \(signers)")
            }
            var text = allowedSigners
            _ = text.withUTF8 { fwrite($0.baseAddress, 1, $0.count, f) }
            fclose(f)
            config = [
                "-c", "gpg.ssh.allowedSignersFile=\(signers)", "-c", "gpg.ssh.program=ssh-keygen",
                "-c", "gpg.ssh.revocationFile=/dev/null",
            ]
            signature = "%G?%x1f%GS%x1f%x1f"
        }
        defer { if !allowedSigners.isEmpty { unlink(signers) } }
        // OpenPGP signatures are checked against a keyring of the roster's keys alone, never the machine's.
        var env: [(String, String)] = []
        var pgpOwners: [String: String] = [:]
        if let ring = try pgpKeyring(roster) {
            env = [("GNUPGHOME", ring.home)]
            pgpOwners = ring.owners
            config += ["-c", "gpg.program=gpg", "-c", "gpg.openpgp.program=gpg"]
            signature = "%G?%x1f%GS%x1f%GP%x1f%GF"
        }
        defer { if let home = env.first?.1 { _ = PlanFiles.run("rm -rf \(Hooks.shellQuote(home))") } }
        guard
            let out = run(
                config + [
                    "log", "--reverse", "-z", "--no-renames",
                ] + (withBlobs ? ["--raw", "--numstat", "--no-abbrev"] : ["--name-only"]) + [
                    "--format=%x1e%H%x1f%T%x1f%an%x1f%ae%x1f%cn%x1f%ce%x1f\(signature)%x1f%B%x1f"
                ] + spec,
                env: env
            )
        else {
            throw Failure(
                status: ExitStatus.badInput,
                message: "git log \(range) failed: is the range right and fetched?"
            )
        }
        var commits: [CommitInfo] = []
        for record in out.split(separator: "\u{1e}", omittingEmptySubsequences: true) {
            let f = record.split(separator: "\u{1f}", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 11 else { continue }
            let tail = f.count > 11 ? f[11...].joined(separator: "\u{1f}") : ""
            var paths: [String] = []
            var blobs: [String: String] = [:]
            var added: [String: Int] = [:]
            if withBlobs {
                // `:MODE MODE OLD NEW STATUS\0PATH\0` per file, then `ADDED\tDELETED\tPATH\0` (`-` for binaries).
                let tokens = tail.split(separator: "\0", omittingEmptySubsequences: false)
                var i = 0
                while i < tokens.count {
                    let t = tokens[i].drop { $0 == "\n" }
                    if t.hasPrefix(":"), i + 1 < tokens.count {
                        let fields = t.split(separator: " ")
                        let path = String(tokens[i + 1])
                        paths.append(path)
                        if fields.count >= 5, !fields[4].hasPrefix("D") { blobs[path] = String(fields[3]) }
                        i += 2
                        continue
                    }
                    let parts = t.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
                    if parts.count == 3, let n = Int(parts[0]) { added[String(parts[2])] = n }
                    i += 1
                }
            } else {
                paths = tail.split(whereSeparator: { $0 == "\0" || $0 == "\n" }).map(String.init)
            }
            var c = CommitInfo(
                sha: f[0],
                tree: f[1],
                authorName: f[2],
                authorEmail: f[3],
                committerName: f[4],
                committerEmail: f[5],
                message: f[10],
                paths: paths
            )
            // G: a good signature by a key of the allowed signers; git names its principal (an e-mail).
            // OpenPGP: a good signature (G, or U: no trust is set in a keyring made just now) by a roster key.
            let fingerprint = (f[8].isEmpty ? f[9] : f[8]).uppercased()
            if ["G", "U"].contains(f[6]), let owner = pgpOwners[fingerprint] {
                c.signedBy = owner
            } else if f[6] == "G", !f[7].isEmpty, f[7].contains("@"), !f[7].contains(" ") {
                c.signedBy = f[7]  // SSH: the principal of the roster's allowed signers, an e-mail
            }
            c.blobs = blobs
            c.addedLines = added
            commits.append(c)
        }
        return commits
    }

    /// Every note of a notes ref: commit → note text.
    static func notes(_ ref: String) -> [String: String] {
        guard let list = run(["notes", "--ref=\(ref)", "list"]), !list.isEmpty else { return [:] }
        var pairs: [(String, String)] = []
        for line in list.split(separator: "\n") {
            let p = line.split(separator: " ")
            if p.count == 2 { pairs.append((String(p[0]), String(p[1]))) }
        }
        // One cat-file process for all the note blobs.
        let tmp = "/tmp/brake-notes-\(getpid())"
        let input = pairs.map(\.0).joined(separator: "\n") + "\n"
        guard let f = fopen(tmp, "wb") else { return [:] }
        var t = input
        _ = t.withUTF8 { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
        defer { unlink(tmp) }
        guard let out = PlanFiles.run("git cat-file --batch < \(Hooks.shellQuote(tmp))") else { return [:] }
        var result: [String: String] = [:]
        var bytes = Array(out.utf8)[...]
        for (_, commit) in pairs {
            guard let nl = bytes.firstIndex(of: 0x0A) else { break }
            let header = String(decoding: bytes[bytes.startIndex..<nl], as: UTF8.self).split(separator: " ")
            bytes = bytes[(nl + 1)...]
            guard header.count == 3, let size = Int(header[2]), bytes.count >= size else { break }
            result[commit] = String(decoding: bytes.prefix(size), as: UTF8.self)
            bytes = bytes.dropFirst(size)
            if bytes.first == 0x0A { bytes = bytes.dropFirst() }
        }
        return result
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

enum RosterFile {
    /// The roster files a repository may hold.
    static let names = ["team.yaml", ".brake/team.yaml"]

    /// The roster the gate judges with: `--roster FILE` when given, else the one at the base of the range (the
    /// target branch's commit, `--roster-ref`, `origin/main` or `HEAD^`), never the commits being judged. A change
    /// to the roster inside the range then needs the base roster's high-risk sign-offs.
    static func protected(explicit: String?, ref: String?, spec: String, root: String) throws -> (Roster, String) {
        if let explicit { return (try load(explicit, root: root), "\(explicit) (given with --roster)") }
        var candidates: [String] = []
        if let ref { candidates.append(ref) }
        if spec.contains("..") {
            let base = spec.components2(separatedBy: "..").first ?? ""
            if !base.isEmpty { candidates.append(base) }
        }
        candidates += ["origin/main", "HEAD^"]
        for candidate in candidates {
            guard
                let sha = Git.run(["rev-parse", "--verify", "-q", candidate + "^{commit}"])?.trimmingCharacters(
                    in: "\n "
                )
            else { continue }
            for name in names {
                if let text = Git.run(["show", "\(sha):\(name)"]) {
                    do {
                        var r = try Roster.parse(yaml: text, source: "\(candidate):\(name)")
                        r.guarded = names
                        return (r, "\(name) at \(candidate) (\(sha.prefix(12)))")
                    } catch {
                        throw Failure(status: ExitStatus.badInput, message: "roster error: \(error)")
                    }
                }
            }
            throw Failure(
                status: ExitStatus.badInput,
                message:
                    "no roster at the base \(candidate) (\(sha.prefix(12))): the gate reads team.yaml from the base, never from the commits it judges; merge the roster first, or pass --roster FILE from a trusted place"
            )
        }
        throw Failure(
            status: ExitStatus.badInput,
            message: "no base to read the roster from: pass --roster-ref REF (the protected branch) or --roster FILE"
        )
    }

    static func load(_ path: String?, root: String) throws -> Roster {
        let candidates = path.map { [$0] } ?? [root + "/team.yaml", root + "/.brake/team.yaml"]
        guard let file = candidates.first(where: Loader.exists) else {
            throw Failure(
                status: ExitStatus.badInput,
                message: "no roster: create team.yaml (or .brake/team.yaml) or pass --roster FILE"
            )
        }
        let text = try Loader.readFile(file)
        do { return try Roster.parse(yaml: text, source: file) } catch {
            throw Failure(status: ExitStatus.badInput, message: "roster error: \(error)")
        }
    }
}

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Personal Ed25519 signing keys, and the SSH key you sign commits with.",
        subcommands: [Generate.self, SSH.self]
    )

    /// `brake keys ssh [PUBLIC_KEY_FILE]`: the roster entry for the SSH key that signs your commits.
    struct SSH: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ssh",
            abstract:
                "Print the roster line for the SSH key you sign commits with, and git's settings to sign with it.",
            discussion:
                "The gate counts a commit's author level only when the commit is signed with a key the base roster lists for that person (signing_keys); an unsigned commit counts as the lowest of its declared author, the pusher and requirements.unverified_author."
        )
        @Argument(help: "The public key file (default: ~/.ssh/id_ed25519.pub).") var file: String?

        func run() throws {
            let env = Loader.environment()
            let path = file ?? (env["HOME"] ?? "/") + "/.ssh/id_ed25519.pub"
            do {
                let text = try Loader.readFile(path)
                guard let key = Roster.sshKey(text.split(separator: "\n").first.map(String.init) ?? "") else {
                    throw Failure(
                        status: ExitStatus.badInput,
                        message:
                            "\(path) is not an SSH public key (ssh-ed25519 AAAA…); create one with `ssh-keygen -t ed25519`"
                    )
                }
                FileHandleOut.stdout(
                    "add to your entry in team.yaml (through a reviewed change of the protected branch):\n"
                        + "  signing_keys: [\"\(key)\"]\nand sign your commits with it:\n"
                        + "  git config gpg.format ssh\n  git config user.signingkey \(Hooks.shellQuote(path))\n"
                        + "  git config commit.gpgsign true\n"
                )
            } catch {
                Loader.fail(error)
            }
        }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Create your signing key and print the public key for the roster."
        )
        @Option(name: .long, help: "Where to keep the private key (default: $BRAKE_HOME/signing.key).") var out: String?
        @Flag(name: .long, help: "Replace an existing key.") var force = false

        func run() throws {
            let store = LocalStore(env: Loader.environment())
            let path = out ?? store.home + "/signing.key"
            if Loader.exists(path) && !force {
                Loader.fail(
                    Failure(
                        status: ExitStatus.badInput,
                        message:
                            "\(path) exists; use --force to replace it (sign-offs made with it stay valid only while its public key is in the roster)"
                    )
                )
            }
            let (priv, pub) = Signoff.generateKey()
            // Written without a typed-throws do/catch here: Swift 6.2's optimizer crashes on that shape in this function.
            let written: Result<Void, Failure> = Result { () throws(Failure) in
                try store.ensureHome()
                try store.writeAtomically(path, Base64.encode(priv) + "\n")
            }
            if case .failure(let e) = written { Loader.fail(e) }
            chmod(path, 0o600)
            FileHandleOut.stdout(
                "private key: \(path)\npublic key (add it to your entry in team.yaml under keys):\n  \(pub)\n"
            )
        }
    }
}

struct SignoffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signoff",
        abstract:
            "Sign off commits: a signed in-toto statement per commit, stored as a git note under refs/notes/brake-signoffs."
    )
    @Argument(help: "A commit or a range BASE..HEAD.") var revision: String = "HEAD"
    @Option(name: .long, help: "Your private key (default: $BRAKE_HOME/signing.key).") var key: String?
    @Option(name: .long, help: "The roster (default: team.yaml or .brake/team.yaml at the repository root).")
    var roster: String?
    @Option(name: .long, help: "A comment for the record.") var comment: String = ""
    @Option(name: .long, help: "Days until the sign-off expires.") var expiresDays: Int = 14

    func run() throws {
        let env = Loader.environment()
        let store = LocalStore(env: env)
        do {
            let root = try Git.root()
            let r = try RosterFile.load(roster, root: root)
            let keyPath = key ?? store.home + "/signing.key"
            let keyText = try Loader.readFile(keyPath)
            guard let priv = Base64.decode(keyText.trimmingCharacters(in: "\n ")), let pub = Signoff.publicKey(of: priv)
            else {
                throw Failure(
                    status: ExitStatus.badInput,
                    message: "\(keyPath) is not a Brake signing key; run `brake keys generate`"
                )
            }
            guard let me = r.person(key: pub) else {
                throw Failure(
                    status: ExitStatus.badInput,
                    message:
                        "your public key ed25519:\(Base64.encode(pub)) is not in the roster; add it to your entry in team.yaml"
                )
            }
            let commits = try Git.commits(revision)
            if commits.isEmpty { throw Failure(status: ExitStatus.badInput, message: "no commits in \(revision)") }
            let repo = Git.run(["config", "--get", "remote.origin.url"])?.trimmingCharacters(in: "\n ") ?? root
            let now = LocalStore.now()
            var made: [(String, String)] = []
            for c in commits {
                let st = Signoff.Statement(
                    commit: c.sha,
                    tree: c.tree,
                    signer: me.emails.first ?? me.name,
                    level: me.level,
                    repository: repo,
                    range: revision,
                    time: now,
                    expires: now + expiresDays * 86400,
                    comment: comment
                )
                guard let env = try? Signoff.sign(st, privateKey: priv) else {
                    throw Failure(status: ExitStatus.badInput, message: "\(keyPath) could not sign")
                }
                // The notes commit is recorded under the signer's own name.
                let identity = ["-c", "user.name=\(me.name)", "-c", "user.email=\(me.emails.first ?? "")"]
                guard Git.run(identity + ["notes", "--ref=brake-signoffs", "append", "-m", env, c.sha]) != nil else {
                    throw Failure(status: ExitStatus.badInput, message: "could not write the git note for \(c.sha)")
                }
                made.append((c.sha, env))
                let involved = [c.authorEmail.lowercased(), c.committerEmail.lowercased()] + c.coAuthors.map(\.1)
                let own =
                    !Set(involved).isDisjoint(with: me.emails)
                    ? "  (your own change: this sign-off will not count)" : ""
                FileHandleOut.stdout("signed off \(c.sha.prefix(12)) as \(me.name) (\(me.level))\(own)\n")
            }
            FileHandleOut.stdout("push them with: git push origin refs/notes/brake-signoffs\n")
            // With a control plane: the envelopes and where each commit now stands go to it too.
            let environment = Loader.environment()
            if let link = try ServerLink.load(env: environment, store: store, forPerson: true) {
                do {
                    // Judged as the gate judges it: with the roster of the range's base, not the working tree's (which
                    // the agent can edit), so the server's record says what a gate would.
                    let (base, _) = try RosterFile.protected(explicit: roster, ref: nil, spec: revision, root: root)
                    let (results, _) = try Gate.evaluate(
                        revision,
                        since: nil,
                        roster: base,
                        pusher: nil,
                        env: environment
                    )
                    if SignoffReports.send(
                        link,
                        repository: SignoffReports.identity(root: root),
                        results: results,
                        envelopes: made,
                        source: "signoff",
                        times: SignoffReports.times(revision)
                    ) {
                        FileHandleOut.stdout("reported to the control plane (\(link.url))\n")
                    }
                } catch {
                    FileHandleOut.stderr(
                        "brake: the sign-offs are in the git notes, but the control plane was not told (\(error))\n"
                    )
                }
            }
        } catch {
            Loader.fail(error)
        }
    }
}

struct Gate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract:
            "For CI and deploys: exit 0 only when every commit has the sign-offs its provenance and paths require."
    )
    @Option(name: .long, help: "BASE..HEAD (default: origin/main..HEAD when it exists, else HEAD).") var range: String?
    @Option(name: .long, help: "text or json") var format: String = "text"
    @Option(
        name: .long,
        help: "A roster file from a trusted place (default: team.yaml or .brake/team.yaml at the base of the range)."
    )
    var roster: String?
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The protected ref whose roster applies (default: the range's base, else origin/main, else HEAD^).",
            valueName: "REF"
        )
    ) var rosterRef: String?
    @Option(
        name: .long,
        help: "Who pushes (e-mail or alias); their sign-offs do not count (default: $BRAKE_PUSHER or $GITHUB_ACTOR)."
    ) var pusher: String?

    func validate() throws {
        guard format == "text" || format == "json" else { throw ValidationError("--format must be text or json") }
    }

    /// Every commit of a range (or of HEAD's history since a time) judged as the gate judges it: Brake's record
    /// (this machine's, the notes', and the control plane's when one is configured: an unreachable one is an error),
    /// the sign-offs in `refs/notes/brake-signoffs`, the roster's requirements. Also returns the records.
    static func evaluate(
        _ spec: String,
        since: Int?,
        roster r: Roster,
        pusher who: String?,
        env: [String: String],
        countLines: Bool = false
    ) throws -> ([Signoff.CommitResult], AgentWork) {
        let link = try ServerLink.load(env: env, store: LocalStore(env: env), forPerson: true)
        let keys = [r.controlPlaneKey, link?.pinnedKey].compactMap { $0 }
        var records = Provenance.recorded(env: env, keys: keys)
        var commits = try Git.commits(
            spec,
            roster: r,
            withBlobs: countLines || !records.isEmpty || link != nil,
            since: since
        )
        var served: [String: [String]] = [:]
        if let link {
            records += try Provenance.fromServer(link, commits: commits)
            served = try SignoffReports.envelopes(link, commits: commits.map(\.sha))
        }
        let work = AgentWork(records)
        if work.isEmpty && !countLines { for i in commits.indices { commits[i].addedLines = [:] } }
        let signoffs = Git.notes("brake-signoffs")
        let aiNotes = Set(Git.notes("ai").keys)
        let all = r.requirements.carryOverIdenticalTree ? signoffs.flatMap { Gate.envelopes($0.value) } : []
        let now = LocalStore.now()
        var results: [Signoff.CommitResult] = []
        for var c in commits {
            c.aiNote = aiNotes.contains(c.sha)
            var mine = signoffs[c.sha].map(Gate.envelopes) ?? []
            for e in served[c.sha] ?? [] where !mine.contains(e) { mine.append(e) }
            results.append(
                Signoff.evaluate(
                    c,
                    envelopes: mine,
                    carried: all.filter { !mine.contains($0) },
                    roster: r,
                    pusher: who,
                    now: now,
                    work: work
                )
            )
        }
        return (results, work)
    }

    /// The envelopes in a note: one JSON object per non-empty line.
    static func envelopes(_ note: String) -> [String] {
        note.split(separator: "\n").map { String($0).trimmingCharacters(in: " \r\t") }.filter { !$0.isEmpty }
    }

    func run() throws {
        let env = Loader.environment()
        do {
            let root = try Git.root()
            let spec =
                range
                ?? (Git.run(["rev-parse", "--verify", "-q", "origin/main"]) != nil ? "origin/main..HEAD" : "HEAD")
            let (r, rosterSource) = try RosterFile.protected(explicit: roster, ref: rosterRef, spec: spec, root: root)
            let who = pusher ?? env["BRAKE_PUSHER"] ?? env["GITHUB_ACTOR"]
            let (results, _) = try Gate.evaluate(spec, since: nil, roster: r, pusher: who, env: env)
            let passed = results.allSatisfy(\.passed)
            if let link = try ServerLink.load(env: env, store: LocalStore(env: env), forPerson: true) {
                SignoffReports.send(
                    link,
                    repository: SignoffReports.identity(root: root),
                    results: results,
                    envelopes: [],
                    source: "gate",
                    times: SignoffReports.times(spec)
                )
            }
            if format == "json" {
                FileHandleOut.stdout(
                    JSONValue.object([
                        ("passed", .bool(passed)), ("range", .string(spec)), ("roster", .string(rosterSource)),
                        (
                            "commits",
                            .array(
                                results.map { x in
                                    .object([
                                        ("commit", .string(x.commit.sha)),
                                        ("provenance", .string(x.provenance.rawValue)),
                                        (
                                            "agent_share",
                                            x.agentShare.map { .number(($0 * 1000).rounded() / 1000) } ?? .null
                                        ),
                                        (
                                            "author",
                                            .object([
                                                ("declared", .string(x.authorship.declared)),
                                                ("level", x.authorship.level.map { .string($0) } ?? .null),
                                                ("authenticated", .bool(x.authorship.authenticated)),
                                                ("why", .string(x.authorship.why)),
                                            ])
                                        ),
                                        ("evidence", .array(x.evidence.map { .string($0) })),
                                        (
                                            "requirements",
                                            .array(
                                                x.requirements.map {
                                                    .object([
                                                        ("role", .string($0.role)),
                                                        ("count", .number(Double($0.count))),
                                                        ("owners", .array($0.owners.map { .string($0) })),
                                                        ("why", .string($0.why)),
                                                    ])
                                                }
                                            )
                                        ),
                                        ("signers", .array(x.signers.map { .string($0) })),
                                        ("missing", .array(x.missing.map { .string($0) })),
                                        ("problems", .array(x.problems.map { .string($0) })),
                                        ("passed", .bool(x.passed)),
                                    ])
                                }
                            )
                        ),
                    ]).serialized + "\n"
                )
            } else {
                var out =
                    passed
                    ? "PASS  \(results.count) commits in \(spec)\n"
                    : "FAIL  \(results.filter { !$0.passed }.count) of \(results.count) commits in \(spec) lack sign-offs\n"
                out += "  roster: \(rosterSource)\n"
                for x in results where !x.passed {
                    out +=
                        "  \(x.commit.sha.prefix(12)) \(x.commit.message.split(separator: "\n").first ?? "")  [\(x.provenance.rawValue)\(x.evidence.isEmpty ? "" : ": " + x.evidence.joined(separator: "; "))]\n"
                    out += "    author: \(x.authorship.why)\n"
                    for m in x.missing { out += "    missing: \(m)\n" }
                    for p in x.problems { out += "    problem: \(p)\n" }
                    out +=
                        "    fix: an eligible reviewer runs `brake signoff \(x.commit.sha)` and pushes refs/notes/brake-signoffs\n"
                }
                FileHandleOut.stdout(out)
            }
            Glibc.exit(passed ? 0 : 1)
        } catch {
            Loader.fail(error)
        }
    }
}

struct InstallGitHooks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "git-hooks",
        abstract: "Install a pre-push hook that runs the gate for protected branches."
    )
    @Flag(name: .long, help: "Show the hook without writing it.") var dryRun = false
    @Option(name: .long, help: ArgumentHelp("The brake the hook runs (never a build directory).", valueName: "PATH"))
    var command: String?

    func run() throws {
        do {
            let brake = try Install.stableCommand(explicit: command, env: Loader.environment())
            let root = try Git.root()
            let hooksDir = Git.run(["rev-parse", "--git-path", "hooks"])?.trimmingCharacters(in: "\n ") ?? ".git/hooks"
            let path = (hooksDir.hasPrefix("/") ? "" : root + "/") + hooksDir + "/pre-push"
            let script = """
                #!/bin/sh
                # Installed by `brake install git-hooks`: pushes to protected branches need the sign-offs brake gate asks for.
                z=0000000000000000000000000000000000000000
                while read -r local_ref local_sha remote_ref remote_sha; do
                  case "$remote_ref" in
                    refs/heads/main|refs/heads/master|refs/heads/release/*|refs/heads/production) ;;
                    *) continue ;;
                  esac
                  [ "$local_sha" = "$z" ] && continue
                  if [ "$remote_sha" = "$z" ]; then range="$local_sha"; else range="$remote_sha..$local_sha"; fi
                  \(Hooks.shellQuote(brake)) gate --range "$range" || exit 1
                done
                exit 0

                """
            if dryRun {
                FileHandleOut.stdout("would write \(path):\n" + script)
                return
            }
            if Loader.exists(path), let old = PlanFiles.run("cat \(Hooks.shellQuote(path))"),
                !old.contains("brake install git-hooks")
            {
                throw Failure(
                    status: ExitStatus.badInput,
                    message:
                        "\(path) already exists and is not Brake's; add `brake gate --range \"$remote_sha..$local_sha\"` to it yourself"
                )
            }
            ConfigFile.mkdirs(String(path[..<path.lastIndex(of: "/")!]))
            try LocalStore.write(path, script)
            chmod(path, 0o755)
            FileHandleOut.stdout("installed the pre-push gate in \(path)\n")
        } catch {
            Loader.fail(error)
        }
    }
}

extension String {
    /// The parts between occurrences of `separator` (without Foundation).
    func components2(separatedBy separator: String) -> [String] {
        guard let r = firstRange(of: separator) else { return [self] }
        return [String(self[..<r.lowerBound])] + String(self[r.upperBound...]).components2(separatedBy: separator)
    }
}
