import BrakeCore
import Foundation

/// `BrakeBenchmarks plan FILE`: a plan's analysis against parsing it alone, in-process (no process start,
/// no file read in the timing): the analysis should cost no more than the parse it starts from.
enum PlanBench {
    /// Interleaved rounds of two bodies (a, b, a, b …), so that a change in the machine's load between them
    /// shifts both alike; the medians of each.
    static func interleavedMedians(_ rounds: Int, _ a: () -> Void, _ b: () -> Void) -> (Double, Double) {
        var sa: [Double] = []
        var sb: [Double] = []
        for _ in 0..<rounds {
            var start = ContinuousClock.now
            a()
            sa.append(nanos(ContinuousClock.now - start) / 1e6)
            start = ContinuousClock.now
            b()
            sb.append(nanos(ContinuousClock.now - start) / 1e6)
        }
        sa.sort()
        sb.sort()
        return (sa[sa.count / 2], sb[sb.count / 2])
    }

    static func run(path: String) {
        guard let data = FileManager.default.contents(atPath: path) else {
            print("cannot read \(path)")
            exit(1)
        }
        let json = String(decoding: data, as: UTF8.self)
        let context = Context(cwd: "/home/dev/project", home: "/home/dev")
        let policy = Policy.standard
        let (parse, whole) = interleavedMedians(7) {
            precondition((try? JSONValue.parse(json)) != nil)
        } _: {
            guard
                case .success(let report) = PlanInput.analyze(
                    json,
                    type: nil,
                    context: context,
                    settings: policy.settings
                )
            else { preconditionFailure("the plan does not analyse") }
            precondition(
                !Engine.decide(plan: report, digest: "sha256:x", context: context, policy: policy).digest.isEmpty
            )
        }
        print(
            String(
                format: "plan of %.1f MB: parse alone %.1f ms, parse + analysis + decision %.1f ms",
                Double(data.count) / 1e6,
                parse,
                whole
            )
        )
        print(String(format: "result plan_parse_ms=%.2f plan_whole_ms=%.2f", parse, whole))
    }
}
