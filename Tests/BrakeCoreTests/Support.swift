import BrakeCore
import Foundation
import Testing

/// One labelled case from a JSON-lines table.
struct LabelledCase: CustomTestStringConvertible, Sendable {
    var file: String
    var line: Int
    var expect: String
    var command: String
    var why: String
    var cwd: String?
    var env: [String: String]

    var testDescription: String { "\(file):\(line) [\(expect)] \(command.prefix(80))" }

    var context: Context {
        var env = self.env
        if env["HOME"] == nil { env["HOME"] = "/home/dev" }
        let cwd = self.cwd ?? "/home/dev/project"
        let root = cwd.hasPrefix("/home/dev/project") ? "/home/dev/project" : cwd
        return Context(
            cwd: cwd,
            home: env["HOME"]!,
            projectRoot: root,
            env: env,
            terraformWorkspace: env["TF_WORKSPACE"]
        )
    }

    /// Whether a verdict satisfies the label.
    func accepts(_ v: Verdict) -> Bool {
        // Exact labels: `ask` and `deny` mean exactly that; `escalate` (either) only where both are right by
        // design, said in the case's `why`; an unknown label never passes.
        switch expect {
        case "deny": return v == .deny
        case "ask": return v == .ask
        case "escalate": return v != .allow
        case "allow": return v == .allow
        default: return false
        }
    }
}

enum Tables {
    static func resourceURL(_ name: String) -> URL {
        Bundle.module.resourceURL!.appendingPathComponent(name)
    }

    static func load(_ name: String) -> [LabelledCase] {
        let url = resourceURL(name)
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            fatalError("cannot read test table \(url.path): \(error)")
        }
        var out: [LabelledCase] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let expect = obj["expect"] as? String, let command = obj["command"] as? String
            else {
                out.append(
                    LabelledCase(
                        file: name,
                        line: i + 1,
                        expect: "invalid",
                        command: String(line),
                        why: "unparseable table line",
                        cwd: nil,
                        env: [:]
                    )
                )
                continue
            }
            out.append(
                LabelledCase(
                    file: name,
                    line: i + 1,
                    expect: expect,
                    command: command,
                    why: obj["why"] as? String ?? "",
                    cwd: obj["cwd"] as? String,
                    env: obj["env"] as? [String: String] ?? [:]
                )
            )
        }
        return out
    }

    static let caseFiles = [
        "filesystem", "shell_evasion", "vcs", "infra", "data", "misc", "routine", "brake_ground", "bash_and_carriers",
        "clouds",
    ].map {
        "cases/\($0).jsonl"
    }
    static let corpus = load("corpus.jsonl")
    static let all: [LabelledCase] = caseFiles.flatMap(load)
}
