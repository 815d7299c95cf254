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
}
