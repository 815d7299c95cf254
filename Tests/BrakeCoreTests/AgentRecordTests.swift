import BrakeCore
import Crypto
import Testing

/// Brake's own record of what agents produced, as the gate matches it against commits.
@Suite("Agent records")
struct AgentRecordTests {
    static let blob = "ce013625030ba8dba906f756967f9e9ca394464a"  // `printf 'hello\n' | git hash-object --stdin`

    @Test("Blob ids are git's")
    func blobIDs() {
        #expect(GitObject.blobID(Array("hello\n".utf8)) == Self.blob)
        #expect(GitObject.blobID([]) == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
    }

    @Test("Records round-trip through JSON lines; malformed lines are skipped, never fatal")
    func jsonLines() {
        let file = AgentRecord(
            kind: .file,
            blob: Self.blob,
            path: "src/app.py",
            repository: "/w/repo",
            agent: "claude-code",
            session: "s1",
            time: 1
        )
        let commit = AgentRecord(
            kind: .commit,
            commit: String(repeating: "a", count: 40),
            tree: String(repeating: "b", count: 40),
            parents: [String(repeating: "c", count: 40)],
            repository: "/w/repo",
            agent: "claude-code",
            session: "s1",
            time: 2
        )
        let text = [file.json.serialized, "not json", #"{"kind":"file","blob":"short"}"#, commit.json.serialized]
            .joined(separator: "\n")
        #expect(AgentWork.records(jsonLines: text) == [file, commit])
    }

    @Test("A record signed by the control plane verifies against its key only, and not once edited")
    func signatures() throws {
        let key = Curve25519.Signing.PrivateKey()
        let other = Curve25519.Signing.PrivateKey()
        let pub = Base64.encode(Array(key.publicKey.rawRepresentation))
        let r = AgentRecord(
            kind: .file,
            blob: String(repeating: "a", count: 40),
            path: "app.py",
            repository: "/r",
            agent: "claude-code",
            session: "s1",
            time: 1
        )
        .signed(with: key)
        let line = r.signedJSON.serialized
        #expect(line.contains(#""signature":"#))
        let read = try #require(AgentWork.records(jsonLines: line).first)
        #expect(read.verifying(publicKey: pub).verified)
        #expect(read.verifying(publicKey: pub).evidence.hasSuffix("(signed by the control plane)"))
        #expect(!read.verifying(publicKey: Base64.encode(Array(other.publicKey.rawRepresentation))).verified)
        let edited = try #require(
            AgentWork.records(
                jsonLines: line.split(separator: "s1", omittingEmptySubsequences: false).joined(separator: "s2")
            ).first
        )
        #expect(!edited.verifying(publicKey: pub).verified && !edited.evidence.contains("signed"))
        #expect(
            !AgentRecord(
                kind: .commit,
                commit: String(repeating: "b", count: 40),
                repository: "",
                agent: "",
                session: "",
                time: 0
            ).verifying(publicKey: pub).verified
        )
    }

    @Test("A commit matches by its own sha or by any blob it adds; the share counts the matched files' lines")
    func matching() {
        let work = AgentWork([
            AgentRecord(
                kind: .file,
                blob: Self.blob,
                path: "app.py",
                repository: "/r",
                agent: "codex",
                session: "s9",
                time: 1
            )
        ])
        var c = CommitInfo(
            sha: String(repeating: "1", count: 40),
            tree: "",
            authorName: "Jo",
            authorEmail: "jo@acme.io",
            committerName: "Jo",
            committerEmail: "jo@acme.io",
            message: "squashed, no trailers",
            paths: ["renamed.py", "notes.md"]
        )
        c.blobs = ["renamed.py": Self.blob, "notes.md": String(repeating: "f", count: 40)]
        c.addedLines = ["renamed.py": 30, "notes.md": 10]
        let m = work.match(c)
        #expect(m?.agentLines == 30)
        #expect(m?.evidence == ["recorded: codex session s9 wrote app.py (now renamed.py)"])
        let (kind, evidence) = Provenance.classify(c, work: work)
        #expect(kind == .aiAssisted && evidence.first?.hasPrefix("recorded:") == true)
        // Without the record, the same commit reads as human: the record is what makes the difference.
        #expect(Provenance.classify(c).0 == .human)
        c.blobs = ["notes.md": String(repeating: "f", count: 40)]
        #expect(work.match(c) == nil)
        // A commit an agent made counts whole.
        let made = AgentWork([
            AgentRecord(
                kind: .commit,
                commit: c.sha,
                tree: "",
                repository: "/r",
                agent: "claude-code",
                session: "s1",
                time: 1
            )
        ])
        #expect(made.match(c)?.agentLines == 40)
    }
}
