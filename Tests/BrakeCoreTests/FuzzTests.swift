import BrakeCore
import Foundation
import Testing

/// A small seeded generator (SplitMix64): every random test prints its seed on failure and takes
/// `BRAKE_FUZZ_SEED` to replay one.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `BRAKE_FUZZ_SEED` when set, else a fresh seed; either way it is in every failure message.
    static func seed() -> UInt64 {
        if let s = ProcessInfo.processInfo.environment["BRAKE_FUZZ_SEED"], let v = UInt64(s) { return v }
        return UInt64.random(in: 1...UInt64.max)
    }
}

/// The parser and analyzer never crash or hang, and what cannot be parsed is never allowed.
@Suite("Robustness")
struct FuzzTests {
    let ctx = Context(cwd: "/home/dev/project", home: "/home/dev")

    func timed(_ s: String) -> (Verdict, Double) {
        let start = ContinuousClock.now
        let v = Engine.decide(s, context: ctx).verdict
        let d = ContinuousClock.now - start
        return (v, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }

    @Test("Adversarial inputs get their exact decision in bounded time")
    func adversarial() {
        let mb = String(repeating: "echo hello world; ", count: 1_000_000 / 18)
        // What each input must get, judged from what bash would do with it: harmless work passes; what cannot be
        // parsed, or lies beyond the analysis bounds (12 levels of nested shell code, a step budget), goes to a
        // person — whatever it hides, it never passes silently.
        let cases: [(String, Verdict)] = [
            (mb, .ask),
            (String(repeating: "( ", count: 10_000) + "ls" + String(repeating: " )", count: 10_000), .ask),
            // Bash reads `((((…))))` as one arithmetic command: parseable, and nothing runs.
            (String(repeating: "(", count: 10_000) + "ls" + String(repeating: ")", count: 10_000), .allow),
            (String(repeating: "$(", count: 5_000) + "ls" + String(repeating: ")", count: 5_000), .ask),
            (String(repeating: "{ ", count: 5_000), .ask),
            ("echo 'unterminated " + String(repeating: "x", count: 100_000), .ask),
            ("echo \"" + String(repeating: "$(", count: 1000), .ask),
            // 2^40 bytes if expanded: the analysis must bound it, and echo is harmless.
            (String(repeating: "a=$a$a; ", count: 40) + "echo $a", .allow),
            (String(repeating: "eval ", count: 200) + "ls", .ask),
            ("f(){ f; }; f", .allow),
            (String(repeating: "|", count: 10_000), .ask),
            (String(repeating: "x", count: 1_000_000), .allow),
            // A wipe below the bound is not seen as a wipe: it is held for a person, marked as obfuscation.
            ("bash -c \"" + String(repeating: "eval ", count: 300) + "rm -rf ~\"", .ask),
            // Within the bound it is seen, and refused.
            ("bash -c \"" + String(repeating: "eval ", count: 8) + "rm -rf ~\"", .deny),
            // Brace expansion: a word of 4^8 alternatives is more than the analysis expands; it is held.
            ("rm -rf " + String(repeating: "{a,b,c,d}", count: 8), .ask),
            // Nested braces that make the program name, and a sequence into the options.
            ("{r{m,},x} -rf ~", .deny),
            ("rm -{r,f}{,} ~", .deny),
            ("echo " + String(repeating: "{", count: 5_000), .allow),
            ("echo {1..100000}", .allow),
            // Abbreviated long options, clustered and after operands.
            ("rm / --recu --no-preserve --forc", .deny),
        ]
        for (input, expected) in cases {
            let (v, secs) = timed(input)
            #expect(secs < 5, "took \(secs)s for input of \(input.utf8.count) bytes")
            #expect(v == expected, "\(input.prefix(60))… (\(input.utf8.count) bytes): \(v), expected \(expected)")
        }
    }

    @Test("Invalid UTF-8 goes to the parser as bytes and never hides a command")
    func invalidUTF8() throws {
        // `rm -rf ~` followed by a comment of invalid bytes; and an argument with them.
        let wipe: [UInt8] = Array("rm -rf ~ # ".utf8) + [0xFF, 0xFE, 0xC3]
        let script = try ShellParser.parse(bytes: wipe)
        #expect(!script.items.isEmpty)
        #expect(Engine.decide(String(decoding: wipe, as: UTF8.self), context: ctx).verdict == .deny)
        let arg: [UInt8] = Array("cat notes".utf8) + [0xFF] + Array(".txt".utf8)
        #expect(throws: Never.self) { try ShellParser.parse(bytes: arg) }
        #expect(Engine.decide(String(decoding: arg, as: UTF8.self), context: ctx).verdict == .allow)
        let unterminated: [UInt8] = Array("echo '".utf8) + [0xE2, 0x82]
        #expect(throws: ShellSyntaxError.self) { try ShellParser.parse(bytes: unterminated) }
        #expect(Engine.decide(String(decoding: unterminated, as: UTF8.self), context: ctx).verdict != .allow)
    }

    @Test("Random bytes: the parser and the engine never crash or hang, and unparseable is never allowed")
    func randomBytes() {
        let seed = SeededGenerator.seed()
        var rng = SeededGenerator(seed: seed)
        // Shell metacharacters weighted up, plus every byte value (invalid UTF-8 included).
        let meta = Array("rm -f/~$(){}[]'\"`\\;&|<>*?!#=\n\t0123456789EOFbash -c eval".utf8)
        var worst = 0.0
        for i in 0..<3000 {
            let n = i % 50 == 0 ? Int.random(in: 1000..<20_000, using: &rng) : Int.random(in: 0..<200, using: &rng)
            let bytes: [UInt8] = (0..<n).map { _ in
                Bool.random(using: &rng) ? meta.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            let start = ContinuousClock.now
            // The raw bytes straight into the parser: it must return or throw, never crash or hang.
            _ = try? ShellParser.parse(bytes: bytes)
            // The engine sees text (a hook's payload is JSON, so UTF-8; invalid bytes arrive as U+FFFD): what that
            // text does not parse as must never be allowed.
            let text = String(decoding: bytes, as: UTF8.self)
            let parsed = (try? ShellParser.parse(text)) != nil
            let d = Engine.decide(text, context: ctx)
            let el = ContinuousClock.now - start
            worst = max(worst, Double(el.components.attoseconds) / 1e18 + Double(el.components.seconds))
            if !parsed || d.analysis.syntaxError != nil {
                #expect(d.verdict != .allow, "seed \(seed), input \(i): unparseable input allowed: \(bytes.prefix(80))")
            }
        }
        #expect(worst < 2, "seed \(seed): slowest input took \(worst)s")
    }

    @Test("Deep and long inputs stay bounded")
    func deepAndLong() {
        let seed = SeededGenerator.seed()
        var rng = SeededGenerator(seed: seed)
        let openers = ["$(", "`", "(", "{ ", "bash -c '", "eval \"", "if true; then ", "for x in 1; do "]
        for _ in 0..<40 {
            let depth = Int.random(in: 50..<2_000, using: &rng)
            var s = ""
            for _ in 0..<depth { s += openers.randomElement(using: &rng)! }
            s += "rm -rf ~"
            let (v, secs) = timed(s)
            #expect(secs < 5, "seed \(seed): \(secs)s at depth \(depth)")
            #expect(v != .allow, "seed \(seed): an unterminated nest of depth \(depth) around a wipe was allowed")
        }
    }
}

/// Rewritings bash treats as the same command never lower a decision: over every deny and ask case in the
/// tables, wrapped in `bash -c`, behind `env`, `command` and `builtin eval`, with quoted program names, line
/// continuations and redundant spaces.
@Suite("Metamorphic")
struct MetamorphicTests {
    static func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    static let rewritings: [(String, @Sendable (String) -> String)] = [
        ("bash -c", { "bash -c \(quoted($0))" }),
        ("sh -c", { "sh -c \(quoted($0))" }),
        ("env bash -c", { "env bash -c \(quoted($0))" }),
        ("env -i PATH=… bash -c", { "env -i PATH=/usr/bin:/bin bash -c \(quoted($0))" }),
        ("command bash -c", { "command bash -c \(quoted($0))" }),
        ("builtin eval", { "builtin eval \(quoted($0))" }),
        ("eval", { "eval \(quoted($0))" }),
        ("quoted program", { "'bash' -c \(quoted($0))" }),
        ("split program", { "ba''sh -c \(quoted($0))" }),
        ("escaped program", { "b\\ash -c \(quoted($0))" }),
        ("line continuation", { "bash \\\n  -c \(quoted($0))" }),
        ("redundant spaces", { "   bash   -c    \(quoted($0))   " }),
        ("leading spaces and tab", { " \t" + $0 }),
        ("subshell", { "( \($0)\n)" }),
        ("brace group", { "{ \($0)\n}" }),
        // Bash's brace expansion: `{bash,-c}` is the two words `bash -c`.
        ("brace-expanded words", { "{bash,-c} \(quoted($0))" }),
        // Tools that run a command they are handed.
        ("tmux new -d", { "tmux new -d \(quoted($0))" }),
        ("git submodule foreach", { "git submodule foreach \(quoted($0))" }),
        ("git -c core.pager", { "git -c core.pager=\(quoted($0)) log" }),
        ("ssh ProxyCommand", { "ssh -o ProxyCommand=\(quoted($0)) host" }),
        ("vim -c !", { "vim -c \(quoted("!" + $0)) -c q" }),
        ("systemd-run sh -c", { "systemd-run --user sh -c \(quoted($0))" }),
        ("positional parameters", { "set -- \(quoted($0)); eval \"$1\"" }),
        ("long options abbreviated", abbreviated),
    ]

    /// GNU getopt_long and git take unique prefixes of long options: `--force` may be written `--forc`. Only for
    /// programs that accept them (Go and clap tools do not, so there the rewriting would change the command).
    @Sendable static func abbreviated(_ command: String) -> String {
        let programs: Set<String> = ["git", "rm", "rsync", "cp", "mv", "chmod", "chown", "shred", "tar"]
        guard let first = command.split(separator: " ").first, programs.contains(String(first)) else { return command }
        // Words inside quotes belong to some other program's command (`git submodule foreach '… --quiet'`).
        guard !command.contains(where: { $0 == "'" || $0 == "\"" || $0 == "\\" }) else { return command }
        return command.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            guard word.hasPrefix("--"), !word.contains("="), word.count >= 8 else { return String(word) }
            return String(word.dropLast(2))
        }.joined(separator: " ")
    }

    static func rank(_ v: Verdict) -> Int { v == .allow ? 0 : v == .ask ? 1 : 2 }

    @Test("No rewriting lowers the decision of a deny or ask case")
    func neverLower() {
        let cases = (Tables.all + Tables.corpus).filter {
            $0.expect == "deny" || $0.expect == "ask" || $0.expect == "escalate"
        }
        #expect(cases.count > 300)
        var lowered: [String] = []
        for c in cases {
            let base = Engine.decide(c.command, context: c.context).verdict
            guard base != .allow else { continue }  // a miss of its own: the table test reports it
            for (name, rewrite) in Self.rewritings {
                let v = Engine.decide(rewrite(c.command), context: c.context).verdict
                if Self.rank(v) < Self.rank(base) {
                    lowered.append("\(c.file):\(c.line) [\(name)] \(base) → \(v): \(c.command.prefix(70))")
                }
            }
        }
        #expect(
            lowered.isEmpty,
            "\(lowered.count) rewritings lowered a decision:\n\(lowered.prefix(40).joined(separator: "\n"))"
        )
    }
}

/// Random compositions of semantics-preserving rewritings over the dangerous cases: brace forms, abbreviations,
/// wrappers, interpreter embeddings, write-then-run through a file written on the line or read from disk.
@Suite("Property: rewritings never lower a decision")
struct RewritingPropertyTests {
    /// A JSON string literal, which Python and JavaScript read as the same string.
    static func pyString(_ s: String) -> String { JSONValue.string(s).serialized }

    static func perlSingle(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// Rewritings of a command into an equivalent one (beside MetamorphicTests.rewritings).
    static let embeddings: [(String, @Sendable (String) -> String)] = [
        (
            "python subprocess shell=True",
            {
                "python3 -c "
                    + MetamorphicTests.quoted("import subprocess; subprocess.run(\(pyString($0)), shell=True)")
            }
        ),
        ("python os.system", { "python3 -c " + MetamorphicTests.quoted("import os; os.system(\(pyString($0)))") }),
        (
            "node execSync",
            {
                "node -e " + MetamorphicTests.quoted("require('child_process').execSync(\(pyString($0)))")
            }
        ),
        ("perl system", { "perl -e " + MetamorphicTests.quoted("system(\(perlSingle($0)))") }),
        // Each level writes its own file with its own delimiter (a nested heredoc with the same one would end early).
        (
            "written then run",
            {
                "printf '%s\\n' \(MetamorphicTests.quoted($0)) > /tmp/brake-prop-\($0.count).sh && sh /tmp/brake-prop-\($0.count).sh"
            }
        ),
        (
            "heredoc then bash",
            {
                "cat > /tmp/brake-heredoc-\($0.count).sh <<'BRAKE_EOF_\($0.count)'\n\($0)\nBRAKE_EOF_\($0.count)\nbash /tmp/brake-heredoc-\($0.count).sh"
            }
        ),
        ("timeout", { "timeout 60 sh -c \(MetamorphicTests.quoted($0))" }),
        ("nice", { "nice -n 5 bash -c \(MetamorphicTests.quoted($0))" }),
        // Not `xargs -I{}`: it would replace a `{}` inside the command too. Empty input runs it once, as is.
        ("xargs", { "echo | xargs sh -c \(MetamorphicTests.quoted($0))" }),
    ]

    @Test("Random chains of one to three rewritings over the deny and ask cases never lower the decision")
    func chains() {
        let seed = SeededGenerator.seed()
        var rng = SeededGenerator(seed: seed)
        let all = MetamorphicTests.rewritings + Self.embeddings
        let cases = (Tables.all + Tables.corpus).filter {
            ($0.expect == "deny" || $0.expect == "ask" || $0.expect == "escalate") && !$0.command.contains("\n")
        }
        var lowered: [String] = []
        var tried = 0
        for _ in 0..<600 {
            let c = cases[Int(rng.next() % UInt64(cases.count))]
            let base = Engine.decide(c.command, context: c.context).verdict
            guard base != .allow else { continue }
            var command = c.command
            var names: [String] = []
            for _ in 0...(rng.next() % 3) {
                let (name, rewrite) = all[Int(rng.next() % UInt64(all.count))]
                command = rewrite(command)
                names.append(name)
            }
            tried += 1
            let v = Engine.decide(command, context: c.context).verdict
            if MetamorphicTests.rank(v) < MetamorphicTests.rank(base) {
                lowered.append(
                    "\(c.file):\(c.line) [\(names.joined(separator: " ∘ "))] \(base) → \(v): \(c.command.prefix(60))"
                )
            }
        }
        #expect(tried > 300)
        #expect(
            lowered.isEmpty,
            "seed \(seed) (BRAKE_FUZZ_SEED): \(lowered.count) chains lowered a decision:\n\(lowered.prefix(30).joined(separator: "\n"))"
        )
    }

    @Test("A dangerous case written to a script on disk, then run by path, keeps its decision")
    func fromDisk() {
        let cases = (Tables.all + Tables.corpus).filter { $0.expect == "deny" && !$0.command.contains("<<") }
        var lowered: [String] = []
        for c in cases {
            let base = Engine.decide(c.command, context: c.context).verdict
            guard base == .deny else { continue }
            var context = c.context
            let path = Paths.normalize(context.project + "/tools/run.sh")
            context.scripts[path] = "#!/bin/sh\n" + c.command + "\n"
            for runner in ["./tools/run.sh", "sh tools/run.sh", "bash ./tools/run.sh", ". tools/run.sh"] {
                let v = Engine.decide(runner, context: context).verdict
                if v != .deny { lowered.append("\(c.file):\(c.line) [\(runner)] deny → \(v): \(c.command.prefix(60))") }
            }
        }
        #expect(lowered.isEmpty, "\(lowered.count) lowered:\n\(lowered.prefix(30).joined(separator: "\n"))")
    }
}
