import BrakeCore
import Testing

@Suite("Times for people")
struct HumanTimeTests {
    @Test("ISO 8601 in UTC, leap days and the epoch's edges included")
    func iso() {
        #expect(HumanTime.iso(0) == "1970-01-01T00:00:00Z")
        #expect(HumanTime.iso(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(HumanTime.iso(1_796_121_372) == "2026-12-01T10:36:12Z")
        #expect(HumanTime.iso(-1) == "1969-12-31T23:59:59Z")
    }

    @Test("How long ago, in words")
    func ago() {
        let now = 1_000_000
        #expect(HumanTime.ago(now - 2, now: now) == "just now")
        #expect(HumanTime.ago(now - 42, now: now) == "42 s ago")
        #expect(HumanTime.ago(now - 300, now: now) == "5 min ago")
        #expect(HumanTime.ago(now - 3 * 3600, now: now) == "3 h ago")
        #expect(HumanTime.ago(now - 2 * 86400 - 5, now: now) == "2 days ago")
        #expect(HumanTime.ago(now + 60, now: now).contains("future"))
        #expect(HumanTime.until(now + 14 * 60, now: now) == "in 14 min")
        #expect(HumanTime.until(now - 1, now: now) == "now")
    }
}
