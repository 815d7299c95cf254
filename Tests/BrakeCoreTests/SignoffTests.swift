import BrakeCore
import Testing

@Suite("Sign-offs")
struct SignoffTests {
    func commit(
        _ msg: String,
        author: String = "Jo",
        email: String = "jo@acme.io",
        paths: [String] = ["app.py"]
    ) -> CommitInfo {
        CommitInfo(
            sha: "c1",
            tree: "t1",
            authorName: author,
            authorEmail: email,
            committerName: author,
            committerEmail: email,
            message: msg,
            paths: paths
        )
    }

    @Test("Provenance from trailers, author suffixes and notes, with evidence")
    func provenance() {
        let cases: [(CommitInfo, Provenance.Kind)] = [
            (commit("fix\n\nCo-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>"), .aiAssisted),
            (commit("fix\n\nCo-authored-by: Codex <noreply@openai.com>"), .aiAssisted),
            (commit("fix\n\nCo-authored-by: Cursor <cursoragent@cursor.com>"), .aiAssisted),
            (commit("fix\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)"), .aiAssisted),
            (commit("fix\n\nAssisted-by: Gemini"), .aiAssisted),
            (commit("aider: refactor"), .aiAssisted),
            (commit("refactor", author: "Jo (aider)"), .aiAssisted),
            (commit("fix\n\nCo-authored-by: Sam <sam@acme.io>"), .human),
            (commit("docs: generated with care"), .human),
            (
                commit(
                    "bump deps",
                    author: "dependabot[bot]",
                    email: "49699333+dependabot[bot]@users.noreply.github.com"
                ), .unknown
            ),
        ]
        for (c, want) in cases {
            let (kind, evidence) = Provenance.classify(c)
            #expect(kind == want, "\(c.message)")
            #expect((kind == .aiAssisted) == !evidence.isEmpty || kind == .unknown)
        }
        var noted = commit("plain")
        noted.aiNote = true
        #expect(Provenance.classify(noted).0 == .aiAssisted)
        #expect(Provenance.classify(commit("wip [ai]"), patterns: ["[ai]"]).0 == .aiAssisted)
    }

    @Test("DSSE envelopes verify only with a roster key and an untouched payload")
    func envelopes() throws {
        let (priv, pub) = Signoff.generateKey()
        let (_, otherPub) = Signoff.generateKey()
        let roster = try Roster.parse(
            yaml: "version: 1\npeople:\n  - {name: Sam, emails: [sam@acme.io], level: senior, keys: [\"\(pub)\"]}\n",
            source: "t"
        )
        let st = Signoff.Statement(
            commit: "c1",
            tree: "t1",
            signer: "sam@acme.io",
            level: "senior",
            repository: "r",
            range: "HEAD",
            time: 100,
            expires: 200,
            comment: ""
        )
        let env = try Signoff.sign(st, privateKey: priv)
        guard case .valid(let back, _) = Signoff.verify(env, roster: roster) else {
            Issue.record("valid envelope rejected")
            return
        }
        #expect(back == st)
        let stranger = try Roster.parse(
            yaml: "people:\n  - {name: X, emails: [x@acme.io], level: senior, keys: [\"\(otherPub)\"]}\n",
            source: "t"
        )
        #expect(Signoff.verify(env, roster: stranger) != .valid(st, signerKey: []))
        if case .valid = Signoff.verify(env, roster: stranger) { Issue.record("unknown key accepted") }
        let tampered = env.replacingOccurrences("\"payload\":\"", "\"payload\":\"A")
        if case .valid = Signoff.verify(tampered, roster: roster) { Issue.record("tampered envelope accepted") }
    }

    @Test(
        "Requirements: AI by a junior needs a senior; high-risk paths need two and an owner; humans need nothing by default"
    )
    func requirements() throws {
        let roster = try Roster.parse(
            yaml: """
                people:
                  - {name: Jo, emails: [jo@acme.io], level: junior}
                  - {name: Sam, emails: [sam@acme.io], level: senior}
                paths:
                  - {pattern: "payments/**", owners: [sam], risk: high}
                """,
            source: "team.yaml"
        )
        let ai = commit("x\n\nCo-authored-by: Claude <noreply@anthropic.com>")
        #expect(Signoff.requirements(for: ai, kind: .aiAssisted, roster: roster).map(\.count) == [1])
        var risky = ai
        risky.paths = ["payments/charge.py"]
        let r = Signoff.requirements(for: risky, kind: .aiAssisted, roster: roster)
        #expect(r.count == 2 && r[1].count == 2 && r[1].owners == ["sam"])
        #expect(Signoff.requirements(for: commit("docs"), kind: .human, roster: roster).isEmpty)
        // A senior's own AI-assisted change needs nothing, once the commit proves who wrote it.
        var senior = ai
        senior.authorEmail = "sam@acme.io"
        senior.signedBy = "sam@acme.io"
        #expect(Signoff.requirements(for: senior, kind: .aiAssisted, roster: roster).isEmpty)
    }

    @Test("The author's level counts only for a commit signed with that person's key; else the lowest claim counts")
    func authenticatedAuthorship() throws {
        let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
        let roster = try Roster.parse(
            yaml: """
                people:
                  - {name: Jo, emails: [jo@acme.io], aliases: [jo], level: junior}
                  - {name: Sam, emails: [sam@acme.io], aliases: [sam], level: senior, signing_keys: ["\(key) sam@laptop"]}
                  - {name: Pat, emails: [pat@acme.io], aliases: [pat], level: staff}
                """,
            source: "team.yaml"
        )
        #expect(roster.people[1].signingKeys == [key])
        let armored = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEaw51\n-----END PGP PUBLIC KEY BLOCK-----"
        let pgp = try Roster.parse(
            yaml:
                "people:\n  - {name: P, emails: [p@x], level: staff, signing_keys: [\(JSONValue.string(armored).serialized)]}",
            source: "team.yaml"
        )
        #expect(pgp.people[0].pgpKeys == [armored] && pgp.people[0].signingKeys.isEmpty && pgp.allowedSigners.isEmpty)
        #expect(roster.allowedSigners == "sam@acme.io namespaces=\"git\" \(key)\n")
        var c = commit("x\n\nCo-authored-by: Claude <noreply@anthropic.com>")
        c.authorEmail = "sam@acme.io"
        // Unsigned, claiming the senior: counted as the lowest level, so the AI change needs a senior's sign-off.
        let unsigned = Signoff.authorship(c, roster: roster, pusher: nil)
        #expect(!unsigned.authenticated && unsigned.level == "junior" && unsigned.why.contains("not signed"))
        #expect(Signoff.requirements(for: c, kind: .aiAssisted, roster: roster).map(\.count) == [1])
        // Signed with another person's key: still not Sam's change.
        c.signedBy = "pat@acme.io"
        #expect(!Signoff.authorship(c, roster: roster, pusher: nil).authenticated)
        // Signed with Sam's registered key: Sam's level counts.
        c.signedBy = "sam@acme.io"
        let signed = Signoff.authorship(c, roster: roster, pusher: "jo")
        #expect(signed.authenticated && signed.level == "senior")
        #expect(Signoff.requirements(for: c, kind: .aiAssisted, roster: roster, pusher: "jo").isEmpty)
        // With unverified_author raised, an unsigned claim counts as the lowest of the claim, the pusher and it.
        let lenient = try Roster.parse(
            yaml: """
                people:
                  - {name: Jo, emails: [jo@acme.io], aliases: [jo], level: junior}
                  - {name: Sam, emails: [sam@acme.io], aliases: [sam], level: senior}
                  - {name: Pat, emails: [pat@acme.io], aliases: [pat], level: staff}
                requirements: {unverified_author: staff}
                """,
            source: "team.yaml"
        )
        c.signedBy = nil
        #expect(Signoff.authorship(c, roster: lenient, pusher: nil).level == "senior")
        #expect(Signoff.authorship(c, roster: lenient, pusher: "jo").level == "junior")
        #expect(Signoff.authorship(c, roster: lenient, pusher: "pat").level == "senior")
        #expect(Signoff.authorship(c, roster: lenient, pusher: "mallory").level == nil)
        #expect(Signoff.requirements(for: c, kind: .aiAssisted, roster: lenient, pusher: "jo").map(\.count) == [1])
        #expect(Signoff.requirements(for: c, kind: .aiAssisted, roster: lenient, pusher: "pat").isEmpty)
    }

    @Test("The roster is decoded strictly")
    func strictRoster() {
        for bad in [
            "peeple: []", "people:\n  - {name: A, emails: [a@x], level: wizard}",
            "people:\n  - {name: A, emails: [a@x], level: senior, keys: [\"rsa:abc\"]}",
            "paths:\n  - {pattern: x, risk: extreme}", "requirements: {unknown_provenance: maybe}",
            "people:\n  - {name: A, emails: [a@x], level: senior, signing_keys: [\"ed25519:abc\"]}",
            "people:\n  - {name: A, emails: [a@x], level: senior, signing_keys: [\"ssh-ed25519 !!!\"]}",
            "requirements: {unverified_author: wizard}",
            "people:\n  - {name: A, emails: [a@x], level: senior, signing_keys: [\"-----BEGIN PGP PUBLIC KEY BLOCK-----\\nabc\"]}",
        ] {
            #expect(throws: PolicyError.self, "\(bad)") { try Roster.parse(yaml: bad, source: "team.yaml") }
        }
    }

    @Test("Base64 round trips")
    func base64() {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(($0 * 37 + n) & 0xFF) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
    }
}

@Suite("Commit report")
struct CommitReportTests {
    @Test("Reverts and fixes name the commits that failed; other mentions of a sha do not")
    func failures() {
        let ids = CommitReport.failedCommits(messages: [
            "Revert \"add x\"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.",
            "fix typo\n\nFixes: abcdef1234",
            "Fix 7654321 properly",
            "see abc1234 for context",
            "fixes: not-a-sha",
            "Fixes #123",
        ])
        #expect(ids == ["0123456789abcdef0123456789abcdef01234567", "abcdef1234", "7654321"])
    }

    @Test("Shares and change failure are counted by provenance, the record counting whatever the message says")
    func counts() {
        func row(
            _ sha: String,
            declared: Provenance.Kind,
            recorded: Bool,
            added: Int,
            agent: Int,
            failed: Bool
        )
            -> CommitReport.Row
        {
            CommitReport.Row(
                sha: sha,
                time: 0,
                author: "a@x",
                declared: declared,
                recorded: recorded,
                addedLines: added,
                agentLines: agent,
                needsSignoff: declared == .aiAssisted || recorded,
                signedOff: sha == "c3",
                failed: failed,
                evidence: recorded ? ["recorded: claude-code session s wrote f.py"] : []
            )
        }
        let report = CommitReport(rows: [
            row("c1", declared: .human, recorded: false, added: 10, agent: 0, failed: true),
            row("c2", declared: .human, recorded: true, added: 20, agent: 15, failed: true),
            row("c3", declared: .aiAssisted, recorded: false, added: 30, agent: 0, failed: false),
            row("c4", declared: .human, recorded: false, added: 40, agent: 0, failed: false),
        ])
        let j = report.json
        #expect(j["total"]?.intValue == 4 && j["ai_assisted"]?.intValue == 2)
        #expect(j["ai_assisted_share"] == .number(0.5) && j["agent_line_share"] == .number(0.15))
        #expect(j["signoff_coverage"] == .number(0.5))
        #expect(j["change_failure"]?["ai_assisted"]?["rate"] == .number(0.5))
        #expect(j["change_failure"]?["human"]?["failed"]?.intValue == 1)
        #expect(report.undeclared.map(\.sha) == ["c2"])
        #expect(report.csv.split(separator: "\n").count == 5)
        #expect(CommitReport(rows: []).json["ai_assisted_share"] == .null)
    }
}
