import BrakeCore
import Testing

@Suite("Team files for brake users import")
struct TeamFileTests {
    @Test("CSV: the header names the columns in any order; quoted fields, CRLF and comments")
    func csv() throws {
        let text = "# the platform team\r\nrole,name,email\r\nsenior,alice,alice@acme.io\r\n\"mid\",\"bob, jr\",\r\n"
        let people = try TeamFile.parse(text, yaml: false, source: "team.csv")
        #expect(
            people == [
                TeamFile.Person(name: "alice", role: "senior", email: "alice@acme.io", line: 3),
                TeamFile.Person(name: "bob, jr", role: "mid", email: "", line: 4),
            ]
        )
    }

    @Test("YAML: a list of people")
    func yaml() throws {
        let people = try TeamFile.parse(
            "- {name: alice, role: senior, email: alice@acme.io}\n- {name: bob, role: mid}\n",
            yaml: true,
            source: "team.yaml"
        )
        #expect(people.map(\.name) == ["alice", "bob"] && people[1].email.isEmpty)
    }

    @Test(
        "Mistakes are errors that name the line; nothing is half-read",
        arguments: [
            ("name,email\nalice,a@x\n", "name the columns"),
            ("name,role\nalice\n", "line 2: 1 fields"),
            ("name,role\nalice,senior\nalice,mid\n", "line 3: alice is listed already on line 2"),
            ("name,role\n\"alice,senior\n", "not closed"),
            ("name,role\n,senior\n", "must not be empty"),
            ("name,role\n", "no people"),
        ]
    )
    func mistakes(_ text: String, _ expected: String) {
        #expect {
            _ = try TeamFile.parse(text, yaml: false, source: "t.csv")
        } throws: { error in
            "\(error)".contains(expected)
        }
        #expect(throws: PolicyError.self) {
            _ = try TeamFile.parse("- {name: a, rank: senior}\n", yaml: true, source: "t")
        }
    }
}
