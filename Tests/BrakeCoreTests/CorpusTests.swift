import BrakeCore
import Testing

@Suite("Labelled commands")
struct CorpusTests {
    @Test("The shared sample corpus passes 100 %", arguments: Tables.corpus)
    func corpus(_ c: LabelledCase) {
        let d = Engine.decide(c.command, context: c.context)
        #expect(c.accepts(d.verdict), "\(c.why) — got \(d.verdict.rawValue) \(d.reasons.map(\.rule))")
    }

    @Test("Own table tests across all families", arguments: Tables.all)
    func table(_ c: LabelledCase) {
        #expect(c.expect != "invalid", "table line is not valid JSON")
        let d = Engine.decide(c.command, context: c.context)
        #expect(c.accepts(d.verdict), "\(c.why) — got \(d.verdict.rawValue) \(d.reasons.map(\.rule))")
    }

    @Test("The tables are big enough and half benign")
    func tableShape() {
        let all = Tables.all
        #expect(all.count >= 500)
        let benign = all.filter { $0.expect == "allow" }.count
        #expect(benign * 2 >= all.count)
        let routine = Tables.load("cases/routine.jsonl")
        #expect(routine.count >= 200 && routine.allSatisfy { $0.expect == "allow" })
    }
}
