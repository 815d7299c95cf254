import BrakeCore
import Foundation
import Testing

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

    @Test("Adversarial inputs get a decision in bounded time")
    func adversarial() {
        let mb = String(repeating: "echo hello world; ", count: 1_000_000 / 18)
        let cases: [(String, Bool)] = [
            (mb, false),
            (String(repeating: "( ", count: 10_000) + "ls" + String(repeating: " )", count: 10_000), true),
            // Bash reads `((((…))))` as one arithmetic command: parseable, and nothing runs.
            (String(repeating: "(", count: 10_000) + "ls" + String(repeating: ")", count: 10_000), false),
            (String(repeating: "$(", count: 5_000) + "ls" + String(repeating: ")", count: 5_000), true),
            (String(repeating: "{ ", count: 5_000), true),
            ("echo 'unterminated " + String(repeating: "x", count: 100_000), true),
            ("echo \"" + String(repeating: "$(", count: 1000), true),
            (String(repeating: "a=$a$a; ", count: 40) + "echo $a", false),
            (String(repeating: "eval ", count: 200) + "ls", false),
            ("f(){ f; }; f", false),
            (String(repeating: "|", count: 10_000), true),
            (String(repeating: "x", count: 1_000_000), false),
        ]
        for (input, mustNotAllow) in cases {
            let (v, secs) = timed(input)
            #expect(secs < 5, "took \(secs)s for input of \(input.utf8.count) bytes")
            if mustNotAllow { #expect(v != .allow, "unparseable input allowed: \(input.prefix(40))") }
        }
    }

    @Test("Invalid UTF-8 is handled")
    func invalidUTF8() throws {
        let bytes: [UInt8] = [0x72, 0x6D, 0x20, 0xFF, 0xFE, 0x2D, 0x72, 0x66, 0x20, 0x7E, 0xC3]
        let s = String(decoding: bytes, as: UTF8.self)
        let (v, secs) = timed(s)
        #expect(secs < 1)
        #expect(v != .allow)
        _ = try? ShellParser.parse(bytes: bytes)
    }

    @Test("Random inputs: no crash, bounded time, unparseable never allowed")
    func random() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abc rm-f/~$(){}[]'\"`\\;&|<>*?!#=\n\t0123456789EOF")
        var worst = 0.0
        for _ in 0..<3000 {
            let n = Int.random(in: 0..<200, using: &rng)
            let s = String((0..<n).map { _ in alphabet.randomElement(using: &rng)! })
            let start = ContinuousClock.now
            let d = Engine.decide(s, context: ctx)
            let el = ContinuousClock.now - start
            worst = max(worst, Double(el.components.attoseconds) / 1e18 + Double(el.components.seconds))
            if d.analysis.syntaxError != nil { #expect(d.verdict != .allow, "\(s)") }
        }
        #expect(worst < 1)
    }
}
