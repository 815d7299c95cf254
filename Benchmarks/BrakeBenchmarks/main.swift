import BrakeCore
import Foundation

/// In-process decision time for typical agent commands. Run with `swift run -c release BrakeBenchmarks`.
let allCommands = [
    "git status",
    "git diff --stat",
    "sed -n '120,180p' Sources/App/main.swift",
    "nl -ba src/app.py | sed -n '1,80p'",
    "rg -n 'TODO|FIXME' src",
    "pytest -x -q tests/test_api.py",
    "npm test",
    "cd /home/dev/project/web && npm run build",
    "git add -A && git commit -m 'fix: handle empty input'",
    "git push -u origin feature/login",
    "rm -rf node_modules dist",
    "find . -name '*.pyc' -delete",
    "python3 - <<'PY'\nfrom pathlib import Path\np = Path('src/app.py')\ns = p.read_text()\np.write_text(s.replace('a', 'b'))\nPY",
    "rm -rf ~/proj",
    "terraform plan -out tfplan",
    "kubectl get pods -A",
    "docker compose up -d",
    "curl -s http://localhost:3000/health | jq .",
    "echo cm0gLXJmIH4vcHJvag== | base64 -d | sh",
    "git push --force origin main",
]
if CommandLine.arguments.count >= 3, CommandLine.arguments[1] == "plan" {
    PlanBench.run(path: CommandLine.arguments[2])
    exit(0)
}
if CommandLine.arguments.count >= 4, CommandLine.arguments[1] == "server-rtt" {
    let a = CommandLine.arguments
    try ServerRTT.run(url: a[2], token: a[3], count: a.count > 4 ? Int(a[4]) ?? 2000 : 2000)
    exit(0)
}

/// `BrakeBenchmarks TEXT` measures only the commands containing TEXT (for profiling one shape).
let filter = CommandLine.arguments.dropFirst().first
let commands = filter.map { f in allCommands.filter { $0.contains(f) } } ?? allCommands
let context = Context(cwd: "/home/dev/project", home: "/home/dev")
let policy = Policy.standard

func nanos(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9
}

// Warm up.
for c in commands { _ = Engine.decide(c, context: context, policy: policy) }

var all: [Double] = []
var perCommand: [(String, Double)] = []
let rounds = 400
for c in commands {
    var samples: [Double] = []
    samples.reserveCapacity(rounds)
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        let d = Engine.decide(c, context: context, policy: policy)
        let el = ContinuousClock.now - start
        precondition(!d.digest.isEmpty)
        samples.append(nanos(el) / 1000)
    }
    samples.sort()
    perCommand.append((c, samples[samples.count / 2]))
    all += samples
}
all.sort()
let sorted = all
let pct: (Double) -> Double = { p in sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
print("in-process decision, \(commands.count) typical commands × \(rounds) rounds")
print(String(format: "  median %.1f µs   p90 %.1f µs   p99 %.1f µs", pct(0.5), pct(0.9), pct(0.99)))
for (c, m) in perCommand.sorted(by: { $0.1 > $1.1 }).prefix(5) {
    let short = c.replacingOccurrences(of: "\n", with: "⏎")
    print("  slowest: \(String(format: "%6.1f", m)) µs  \(short.prefix(60))")
}
// For scripts/bench.sh --check.
print(String(format: "result in_process_median_us=%.2f", pct(0.5)))
