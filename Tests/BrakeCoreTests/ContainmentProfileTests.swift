import BrakeCore
import Testing

/// The standard containment profile: what a confined command may write, may not read, and what stays read-only
/// inside the places it may write. (The kernel's enforcement is tested end to end by scripts/contain-e2e.py.)
@Suite("Containment profile")
struct ContainmentProfileTests {
    @Test("The project, temp and caches are writable; the home directory itself never is")
    func writable() {
        let p = ContainmentProfile.standard(home: "/home/dev", project: "/home/dev/app", tmpdir: "/run/user/1000/t")
        #expect(p.write.prefix(4) == ["/home/dev/app", "/tmp", "/var/tmp", "/run/user/1000/t"])
        #expect(p.write.contains("/home/dev/.cache") && p.write.contains("/home/dev/.npm"))
        #expect(!p.write.contains("/home/dev") && !p.write.contains { $0.hasPrefix("/home/dev/.ssh") })
        let none = ContainmentProfile.standard(home: "/home/dev", project: "/home/dev", tmpdir: nil)
        #expect(!none.write.contains("/home/dev"))
        let root = ContainmentProfile.standard(home: "/home/dev", project: "/", tmpdir: nil)
        #expect(!root.write.contains("/"))
        // $TMPDIR is the caller's: outside the system's temporary places it widens nothing.
        for t in ["/home/dev", "/home/dev/", "/", "/etc", "/tmp/../home/dev", "/tmp", "/var/tmp/x/.."] {
            let p = ContainmentProfile.standard(home: "/home/dev", project: "/home/dev/app", tmpdir: t)
            #expect(p.write.prefix(3) == ["/home/dev/app", "/tmp", "/var/tmp"], "\(t)")
            #expect(!p.write.contains("/home/dev") && !p.write.contains("/") && !p.write.contains("/etc"), "\(t)")
        }
        let shm = ContainmentProfile.standard(home: "/home/dev", project: nil, tmpdir: "/dev/shm/build/")
        #expect(shm.write.prefix(3) == ["/tmp", "/var/tmp", "/dev/shm/build"])
    }

    @Test("Credential stores are unreadable; hooks, agent settings and Brake's policy in the project are read-only")
    func protectedPaths() {
        let p = ContainmentProfile.standard(home: "/home/dev", project: "/home/dev/app", tmpdir: nil)
        for c in [".ssh", ".aws/credentials", ".config/gcloud", ".docker/config.json", ".git-credentials"] {
            #expect(p.denyRead.contains("/home/dev/" + c), "\(c)")
        }
        #expect(!p.denyRead.contains("/home/dev/.aws/config"))
        for r in [".git/hooks", ".git/config", ".claude", ".cursor", ".brake", ".mcp.json"] {
            #expect(p.readOnly.contains("/home/dev/app/" + r), "\(r)")
        }
        // Outside every writable place nothing needs a read-only mount: Landlock grants no write there.
        #expect(!p.readOnly.contains("/home/dev/.brake") && !p.readOnly.contains("/home/dev/.ssh"))
        // A home inside a writable place (a test account under /tmp) gets its protected paths mounted read-only.
        let t = ContainmentProfile.standard(home: "/tmp/h", project: "/tmp/h/app", tmpdir: nil)
        #expect(t.readOnly.contains("/tmp/h/.brake") && t.readOnly.contains("/tmp/h/.ssh"))
    }

    @Test("The arguments brake-hook contain reads, in order")
    func arguments() {
        let p = ContainmentProfile(write: ["/w"], denyRead: ["/s"], readOnly: ["/w/.git/hooks"])
        #expect(p.arguments == ["--write", "/w", "--deny-read", "/s", "--read-only", "/w/.git/hooks"])
    }

    @Test("The policy adds to profiles; a layer the agent can write only tightens them")
    func policyLayers() throws {
        var policy = Policy.standard
        try policy.merge(
            yaml: """
                containment:
                  write: [/srv/shared-cache]
                  profiles:
                    build:
                      write: [~/.ccache]
                      read_only: [deploy]
                """,
            source: "org.yaml"
        )
        try policy.merge(
            yaml: """
                containment:
                  write: [~/.brake]
                  deny_read: [~/.config/op]
                """,
            source: "repo .brake/policy.yaml",
            mayLoosen: false
        )
        #expect(policy.ignored.contains { $0.contains("containment.write") })
        let std = try #require(
            ContainmentProfile.from(policy: policy, name: "standard", home: "/home/dev", project: "/p", tmpdir: nil)
        )
        #expect(std.write.contains("/srv/shared-cache") && !std.write.contains("/home/dev/.brake"))
        #expect(std.denyRead.contains("/home/dev/.config/op"))
        let build = try #require(
            ContainmentProfile.from(policy: policy, name: "build", home: "/home/dev", project: "/p", tmpdir: nil)
        )
        #expect(build.write.contains("/home/dev/.ccache") && build.readOnly.contains("/p/deploy"))
        #expect(build.write.contains("/srv/shared-cache"))
        #expect(ContainmentProfile.from(policy: policy, name: "nope", home: "/h", project: nil, tmpdir: nil) == nil)
        var bad = Policy.standard
        #expect(throws: PolicyError.self) { try bad.merge(yaml: "containment: {writes: [/x]}", source: "x.yaml") }
    }

    @Test("TCP ports: off by default; every layer's list must allow a port, so a later layer only narrows")
    func connectPorts() throws {
        let plain = ContainmentProfile.standard(home: "/h", project: "/p", tmpdir: nil)
        #expect(plain.connect == nil && !plain.arguments.contains("--connect"))
        var policy = Policy.standard
        try policy.merge(
            yaml: """
                containment:
                  connect: [443, 22, 80]
                  profiles:
                    offline:
                      connect: []
                """,
            source: "org.yaml"
        )
        try policy.merge(yaml: "containment: {connect: [443, 8080]}", source: "repo", mayLoosen: false)
        let std = try #require(
            ContainmentProfile.from(policy: policy, name: "standard", home: "/h", project: "/p", tmpdir: nil)
        )
        #expect(std.connect == [443])
        #expect(Array(std.arguments.suffix(2)) == ["--connect", "443"])
        let offline = try #require(
            ContainmentProfile.from(policy: policy, name: "offline", home: "/h", project: "/p", tmpdir: nil)
        )
        #expect(offline.connect == [] && Array(offline.arguments.suffix(2)) == ["--connect", "none"])
        var bad = Policy.standard
        #expect(throws: PolicyError.self) { try bad.merge(yaml: "containment: {connect: [https]}", source: "x") }
        #expect(throws: PolicyError.self) { try bad.merge(yaml: "containment: {connect: [70000]}", source: "x") }
    }

    @Test("The agent profile: the agents' state writable, their hook and permission settings read-only")
    func agentProfile() throws {
        let a = try #require(
            ContainmentProfile.from(policy: .standard, name: "agent", home: "/home/dev", project: "/p", tmpdir: nil)
        )
        #expect(a.write.contains("/home/dev/.claude") && a.write.contains("/home/dev/.codex"))
        #expect(a.readOnly.contains("/home/dev/.claude/settings.json"))
        #expect(a.readOnly.contains("/home/dev/.codex/hooks.json") && a.readOnly.contains("/p/.claude"))
        // Brake's own files, shell profiles and credentials stay as in the standard profile.
        #expect(!a.write.contains { "/home/dev/.brake".hasPrefix($0) || $0 == "/home/dev" })
        #expect(a.denyRead.contains("/home/dev/.aws/credentials") && a.denyRead.contains("/home/dev/.ssh"))
    }

    @Test("~/.ssh: private keys unreadable, what ssh needs to connect through an agent readable")
    func sshKeys() {
        let p = ContainmentProfile.standard(home: "/home/dev", project: "/home/dev/app", tmpdir: nil)
            .sshKeysOnly(
                home: "/home/dev",
                entries: ["id_ed25519", "id_ed25519.pub", "work_key", "config", "known_hosts", "known_hosts.old", "cm"]
            )
        #expect(!p.denyRead.contains("/home/dev/.ssh"))
        for d in ["id_ed25519", "work_key", "cm"] { #expect(p.denyRead.contains("/home/dev/.ssh/" + d), "\(d)") }
        for r in ["id_ed25519.pub", "config", "known_hosts", "known_hosts.old"] {
            #expect(!p.denyRead.contains("/home/dev/.ssh/" + r), "\(r)")
        }
        // Nothing about ~/.ssh becomes writable.
        #expect(!p.write.contains { $0.hasPrefix("/home/dev/.ssh") })
    }

    @Test("An approved command's program reads its own credential stores again; nothing else is unlocked")
    func approvedCredentials() {
        let p = ContainmentProfile.standard(home: "/home/dev", project: "/home/dev/app", tmpdir: nil)
        let tf = p.readingCredentials(of: "/usr/bin/terraform", home: "/home/dev")
        #expect(
            !tf.denyRead.contains("/home/dev/.aws/credentials") && !tf.denyRead.contains("/home/dev/.config/gcloud")
        )
        #expect(tf.denyRead.contains("/home/dev/.ssh") && tf.denyRead.contains("/home/dev/.docker/config.json"))
        #expect(p.readingCredentials(of: "python3", home: "/home/dev") == p)
        let rm = p.granting(["/srv/old", "/", "relative"])
        #expect(rm.write.contains("/srv/old") && !rm.write.contains("/") && !rm.write.contains("relative"))
        #expect(rm.removeIn == ["/srv"])
    }
}
