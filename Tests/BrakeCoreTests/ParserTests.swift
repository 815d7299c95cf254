import BrakeCore
import Testing

@Suite("Shell parser")
struct ParserTests {
    func simple(_ s: String) throws -> [SimpleCommand] {
        let script = try ShellParser.parse(s)
        var out: [SimpleCommand] = []
        for item in script.items {
            for p in item.andOr.pipelines {
                for c in p.commands { if case .simple(let sc) = c { out.append(sc) } }
            }
        }
        return out
    }

    @Test("Quoting forms and quote removal")
    func quoting() throws {
        let c = try simple(#"r''m "-r"f \~ $'\x41\n' "a b""#)[0]
        #expect(c.words.map { $0.literalText } == ["rm", "-rf", "~", "A\n", "a b"])
    }

    @Test("Lists, pipelines and background jobs")
    func lists() throws {
        let s = try ShellParser.parse("a && b || c; d | e |& f & g\nh")
        #expect(s.items.count == 4)
        #expect(s.items[0].andOr.rest.map(\.op) == ["&&", "||"])
        #expect(s.items[1].background)
        #expect(s.items[1].andOr.first.commands.count == 3)
    }

    @Test("Compound commands")
    func compound() throws {
        let s = try ShellParser.parse(
            "if a; then b; elif c; then d; else e; fi; for x in 1 2; do f; done; while g; do h; done; until i; do j; done; case $k in a|b) l;; *) m;; esac; (n); { o; }; p() { q; }; function r { s; }; [[ -f t ]]; (( u++ ))"
        )
        #expect(s.items.count == 11)
    }

    @Test("Here-documents, here-strings, line continuations and comments")
    func heredocs() throws {
        let s = try ShellParser.parse("cat <<'EOF' > out\n$(not run)\nEOF\nbash <<< 'echo hi' # comment\necho a \\\nb")
        #expect(s.items.count == 3)
        guard case .simple(let c) = s.items[0].andOr.first.commands[0] else {
            Issue.record("not simple")
            return
        }
        #expect(c.redirects.first?.heredoc?.body == "$(not run)\n")
        #expect(c.redirects.first?.heredoc?.quoted == true)
        guard case .simple(let e) = s.items[2].andOr.first.commands[0] else {
            Issue.record("not simple")
            return
        }
        #expect(e.words.map(\.literalText) == ["echo", "a", "b"])
    }

    @Test("Substitutions nest, in both forms and inside double quotes")
    func substitutions() throws {
        let c = try simple("echo \"$(echo `date`)\" <(ls) ${x:-$(pwd)}")[0]
        #expect(c.words.count == 4)
    }

    @Test("Unterminated input is a syntax error, not a crash")
    func unterminated() {
        for s in ["echo 'x", "echo \"x", "echo $(x", "if a; then b", "a &&", "(a", "{ a;", "echo ${x", "case x in"] {
            #expect(throws: ShellSyntaxError.self, "\(s)") { try ShellParser.parse(s) }
        }
    }
}

@Suite("Analysis")
struct AnalysisTests {
    let ctx = Context(cwd: "/home/dev/project", home: "/home/dev")

    func programs(_ s: String) -> [String] { Engine.analyze(s, context: ctx).invocations.map(\.program) }

    @Test("Wrappers are seen through")
    func wrappers() {
        #expect(programs("sudo -u root -- nice -n 5 timeout 10 env -i A=1 rm -rf x").last == "rm")
        #expect(programs("xargs -0 -n1 rm -f").last == "rm")
        #expect(programs("find . -name x -exec chmod 600 {} +").contains("chmod"))
        #expect(programs("ssh host 'cd /x && make clean'").contains("make"))
        #expect(programs("kubectl exec -it web -- sh -c 'rm -rf /data'").contains("rm"))
        #expect(programs("docker exec db psql -c 'select 1'").contains("psql"))
    }

    @Test("Data is not execution")
    func dataIsInert() {
        #expect(programs("echo 'rm -rf /'") == ["echo"])
        #expect(programs("git commit -m 'rm -rf /'") == ["git"])
        #expect(programs("grep -rn 'rm -rf' .") == ["grep"])
        #expect(programs("cat > notes.md <<'EOF'\nrm -rf /\nEOF") == ["cat"])
    }

    @Test("Targets resolve against cd, ~ and ..")
    func targets() {
        let a = Engine.analyze("cd /tmp && cd ../home/dev && rm -rf proj", context: ctx)
        let t = a.effects.first { $0.kind == "fs.delete" }?.targets.first
        #expect(t?.path == "/home/dev/proj")
        #expect(t?.cls == .outside)
    }

    @Test(
        "Path normalization",
        arguments: [
            ("/a/./b", "/a/b"), ("/a/../b", "/b"), ("/a//b", "/a/b"), ("/a/b/", "/a/b"), ("/a/.", "/a"), ("/a/..", "/"),
            ("/proc/self/root/bin/rm", "/bin/rm"), ("/.git", "/.git"), ("/a/...", "/a/..."), ("/a/.b./c", "/a/.b./c"),
            ("/", "/"), ("/..", "/"), ("/tmp/../home/dev", "/home/dev"), ("/x/y..", "/x/y.."),
        ]
    )
    func normalize(_ pair: (String, String)) {
        #expect(Paths.normalize(pair.0) == pair.1)
    }

    @Test("Unknown command names are never safe")
    func dynamic() {
        #expect(Engine.decide("$(cat cmd.txt) -rf x", context: ctx).verdict == .ask)
        #expect(Engine.decide("x=$1; $x", context: ctx).verdict == .ask)
    }

    @Test("The digest binds the exact action and its context")
    func digest() {
        let a = Engine.decide("rm -rf ~/proj", context: ctx)
        let b = Engine.decide("rm -rf ~/proj2", context: ctx)
        var other = ctx
        other.cwd = "/home/dev/other"
        let c = Engine.decide("rm -rf ~/proj", context: other)
        var env = ctx
        env.env["AWS_PROFILE"] = "prod"
        let d = Engine.decide("rm -rf ~/proj", context: env)
        #expect(a.digest.hasPrefix("sha256:") && a.digest.count == 71)
        #expect(Set([a.digest, b.digest, c.digest, d.digest]).count == 4)
        #expect(a.digest == Engine.decide("rm -rf ~/proj", context: ctx).digest)
    }
}
