import BrakeCore
import BrakeHost
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Write, then run: what a command runs from disk is read and judged")
struct ScriptFilesTests {
    func project(_ files: [String: String]) -> String {
        let dir = scratch()
        for (name, text) in files {
            let path = dir + "/" + name
            var parent = ""
            for part in path.split(separator: "/").dropLast() {
                parent += "/" + part
                mkdir(parent, 0o755)
            }
            write(path, text, mode: name.hasSuffix(".sh") ? 0o755 : 0o644)
        }
        return dir
    }

    func decide(_ command: String, in dir: String) -> Decision {
        var context = Context(cwd: dir, home: "/home/dev", projectRoot: dir, env: ["HOME": "/home/dev"])
        ScriptFiles.load(into: &context, commands: [command], settings: .standard)
        return Engine.decide(command, context: context)
    }

    @Test("a script, a Makefile target, an npm script and a Python program the agent wrote are judged by content")
    func judged() {
        let dir = project([
            "tools/cleanup.sh": "#!/bin/bash\nset -e\nrm -rf ~\n",
            "Makefile":
                "deploy:\n\t@echo deploying\n\trm -rf $(HOME_DIR)\nHOME_DIR = /home/dev\n\ntest:\n\tgo test ./...\n",
            "package.json": #"{"scripts": {"reset": "rm -rf ~", "test": "jest"}}"#,
            "migrate.py": "import shutil\nshutil.rmtree('/etc')\n",
            "justfile": "build:\n    cargo build\n\nnuke: clean\n    @rm -rf ~\n\nclean:\n    rm -rf target\n",
        ])
        for c in [
            "./tools/cleanup.sh", "bash tools/cleanup.sh", "source tools/cleanup.sh", "make deploy", "npm run reset",
            "python3 migrate.py", "just nuke",
        ] {
            #expect(decide(c, in: dir).verdict == .deny, "\(c)")
        }
        for c in ["make test", "npm test", "ls -la", "git status", "just build", "just clean", "just"] {
            #expect(decide(c, in: dir).verdict == .allow, "\(c)")
        }
    }

    @Test("Taskfile tasks, pyproject scripts, tox environments, nox sessions and git hooks are judged by content")
    func projectTasks() {
        let dir = project([
            "Taskfile.yml":
                "version: '3'\ntasks:\n  default:\n    cmds: [echo hi]\n  clean:\n    deps: [stop]\n    cmds:\n      - rm -rf ~/\n  stop:\n    cmds:\n      - cmd: echo stopping\n  build: go build ./...\n",
            "pyproject.toml":
                "[project]\nname = \"x\"\n[tool.pdm.scripts]\nlint = \"ruff check .\"\nwipe = {shell = \"rm -rf ~\"}\n[tool.pdm.scripts.nuke]\ncmd = \"rm -rf /\"\n[tool.poe.tasks]\nreset = \"rm -rf ~/\"\ntest = \"pytest\"\n[tool.hatch.envs.default.scripts]\npurge = [\"echo a\", \"rm -rf ~\"]\ncov = \"pytest --cov\"\n",
            "tox.ini":
                "[tox]\nenvlist = py311\n[testenv]\ncommands = pytest -q\n[testenv:clean]\ncommands =\n    rm -rf ~\n",
            "noxfile.py": "import nox\n@nox.session\ndef wipe(session):\n    session.run(\"rm\", \"-rf\", \"/\")\n",
            ".git/hooks/pre-commit": "#!/bin/sh\nrm -rf ~\n",
            ".git/hooks/pre-push": "#!/bin/sh\nexec npx lint-staged\n",
            ".git/HEAD": "ref: refs/heads/feature\n",
        ])
        for c in [
            "task clean", "pdm run wipe", "pdm run nuke", "poe reset", "hatch run purge", "tox -e clean", "nox -s wipe",
            "git commit -m 'fix'", "git -C . commit -am wip",
        ] {
            #expect(decide(c, in: dir).verdict == .deny, "\(c)")
        }
        for c in [
            "task", "task build", "pdm run lint", "poe test", "hatch run cov", "tox", "git push origin feature",
            "git status",
        ] {
            #expect(decide(c, in: dir).verdict == .allow, "\(c)")
        }
    }

    @Test("routine build files stay silent: wrappers that exec at run time, recipes with make's own variables")
    func routine() {
        let dir = project([
            "gradlew.sh":
                "#!/bin/sh\nJAVACMD=${JAVA_HOME:+$JAVA_HOME/bin/java}\nexec \"${JAVACMD:-java}\" -jar wrapper.jar \"$@\"\n",
            "Makefile":
                "CC ?= gcc\nSRC = $(wildcard src/*.c)\nall: app\napp: $(SRC)\n\t$(CC) -o $@ $^\ncheck: app\n\t$(MAKE) -C tests\nclean:\n\trm -rf build *.o app\n",
            "scripts/test.sh": "#!/usr/bin/env bash\ncd \"$(dirname \"$0\")/..\"\nrm -rf tmp/out\n",
        ])
        for c in ["./gradlew.sh build", "make", "make check", "make clean", "./scripts/test.sh"] {
            #expect(decide(c, in: dir).verdict == .allow, "\(c): \(decide(c, in: dir).reasons.map(\.rule))")
        }
    }

    @Test("a file too large to read is asked about, never allowed; a missing one changes nothing")
    func unreadable() {
        let dir = project(["big.sh": String(repeating: "echo hi\n", count: ScriptLimits.bytes / 8 + 10)])
        #expect(decide("./big.sh", in: dir).verdict == .ask)
        #expect(decide("./not-there.sh", in: dir).verdict == .allow)
    }

    @Test("the digest covers what the file held: an approval does not follow a changed script")
    func digest() {
        let dir = project(["deploy.sh": "#!/bin/sh\ngit push --force origin main\n"])
        let first = decide("./deploy.sh", in: dir)
        #expect(first.verdict == .ask)
        write(dir + "/deploy.sh", "#!/bin/sh\ngit push --force origin main # and more\n", mode: 0o755)
        #expect(decide("./deploy.sh", in: dir).digest != first.digest)
    }

    @Test("the files travel with the action to the server, bounded")
    func wire() throws {
        var context = Context(cwd: "/p", home: "/home/dev", projectRoot: "/p", env: [:])
        context.scripts["/p/x.sh"] = "rm -rf ~\n"
        context.scriptProblems["/p/y.sh"] = "cannot be read"
        let request = ActionRequest(
            agent: "claude-code",
            session: "s",
            tool: "Bash",
            actions: [.shell(command: "./x.sh")],
            context: context
        )
        let back = try ActionRequest(json: request.json)
        #expect(back.context.scripts == context.scripts && back.context.scriptProblems == context.scriptProblems)
        var tooMany = request.json
        if case .object(var m) = tooMany, case .object(var c)? = m.first(where: { $0.0 == "context" })?.1 {
            c.removeAll { $0.0 == "scripts" }
            c.append(("scripts", .object((0...ScriptLimits.files).map { ("/p/\($0).sh", .string("ls")) })))
            m.removeAll { $0.0 == "context" }
            m.append(("context", .object(c)))
            tooMany = .object(m)
        }
        #expect(throws: ActionRequestError.self) { try ActionRequest(json: tooMany) }
    }
}
