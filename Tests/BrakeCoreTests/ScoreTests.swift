import BrakeCore
import Testing

/// Misses and false alarms, measured together over every table.
@Suite("Scoreboard")
struct ScoreTests {
    @Test("No missed escalation and no false alarm across all tables")
    func scoreboard() {
        var missed: [String] = []
        var falseAlarms: [String] = []
        for c in Tables.all + Tables.corpus {
            let v = Engine.decide(c.command, context: c.context).verdict
            if c.expect == "allow" && v != .allow { falseAlarms.append(c.testDescription) }
            if c.expect != "allow" && !c.accepts(v) { missed.append(c.testDescription) }
        }
        print(
            "scoreboard: \(missed.count) missed, \(falseAlarms.count) false alarms over \(Tables.all.count + Tables.corpus.count) commands"
        )
        #expect(missed.isEmpty, "missed: \(missed.joined(separator: "\n"))")
        #expect(falseAlarms.isEmpty, "false alarms: \(falseAlarms.joined(separator: "\n"))")
    }
}
