import BrakeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resolves, cheaply and from files, where an action would land: the kube context, the Terraform workspace,
/// the AWS profile, the gcloud project and the git branch. They go into the context the engine judges and
/// into the digest, so an approval never follows a switch of target.
public enum Targets {
    /// Fills the context's targets from the environment and the files the tools themselves read.
    public static func resolve(_ context: inout Context, env: [String: String]) {
        let home = context.home
        context.kubeContext = kubeContext(env: env, home: home)
        context.terraformWorkspace = terraformWorkspace(env: env, cwd: context.cwd)
        context.awsProfile = awsProfile(env: env, home: home)
        context.gcloudProject = gcloudProject(env: env, home: home)
        context.gitBranch = context.projectRoot.flatMap(gitBranch(root:))
        context.awsAccounts = awsAccounts(env: env, home: home)
        (context.azureSubscription, context.azureSubscriptionName) = azureSubscription(env: env, home: home)
    }

    /// The account of each profile of the AWS config file: `sso_account_id`, `aws_account_id`, or the account
    /// in `role_arn` (`arn:aws:iam::123456789012:role/…`).
    public static func awsAccounts(env: [String: String], home: String) -> [String: String] {
        guard let text = read(env["AWS_CONFIG_FILE"] ?? home + "/.aws/config") else { return [:] }
        var out: [String: String] = [:]
        var profile: String?
        for raw in text.split(separator: "\n") {
            let line = unquote(raw)
            if line.hasPrefix("[") {
                let name = unquote(Substring(line.dropFirst().prefix { $0 != "]" }))
                profile =
                    name == "default"
                    ? "default" : name.hasPrefix("profile ") ? unquote(Substring(name.dropFirst(8))) : nil
                continue
            }
            guard let p = profile, out.count < 256 else { continue }
            let kv = line.split(separator: "=", maxSplits: 1).map { unquote($0) }
            guard kv.count == 2 else { continue }
            switch kv[0] {
            case "sso_account_id", "aws_account_id": out[p] = kv[1]
            case "role_arn":
                let parts = kv[1].split(separator: ":", omittingEmptySubsequences: false)
                if parts.count > 4, out[p] == nil { out[p] = String(parts[4]) }
            default: break
            }
        }
        return out
    }

    /// `AZURE_SUBSCRIPTION_ID`, else the default subscription of the Azure CLI's `azureProfile.json` (id, name).
    public static func azureSubscription(env: [String: String], home: String) -> (String?, String?) {
        if let id = env["AZURE_SUBSCRIPTION_ID"], !id.isEmpty { return (id.lowercased(), nil) }
        let dir = env["AZURE_CONFIG_DIR"] ?? home + "/.azure"
        guard var text = read(dir + "/azureProfile.json") else { return (nil, nil) }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        guard let v = try? JSONValue.parse(text), case .array(let subs)? = v["subscriptions"] else { return (nil, nil) }
        for sub in subs where sub["isDefault"] == .bool(true) {
            return (sub["id"]?.stringValue?.lowercased(), sub["name"]?.stringValue)
        }
        return (nil, nil)
    }

    /// `current-context` of the first kubeconfig that sets one (`KUBECONFIG` is a `:`-separated list).
    public static func kubeContext(env: [String: String], home: String) -> String? {
        let files = env["KUBECONFIG"].map { $0.split(separator: ":").map(String.init) } ?? [home + "/.kube/config"]
        for f in files {
            guard let text = read(f) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("current-context:") {
                let v = unquote(line.dropFirst("current-context:".count))
                if !v.isEmpty { return v }
            }
        }
        return nil
    }

    /// `TF_WORKSPACE`, else `.terraform/environment` in the directory, else nil (the default workspace).
    public static func terraformWorkspace(env: [String: String], cwd: String) -> String? {
        if let w = env["TF_WORKSPACE"], !w.isEmpty { return w }
        let dataDir = env["TF_DATA_DIR"].map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 } ?? cwd + "/.terraform"
        guard let text = read(dataDir + "/environment") else { return nil }
        let w = unquote(Substring(text))
        return w.isEmpty ? nil : w
    }

    /// `AWS_PROFILE`, `AWS_DEFAULT_PROFILE`, else `default` when the AWS CLI is configured at all.
    public static func awsProfile(env: [String: String], home: String) -> String? {
        if let p = env["AWS_PROFILE"], !p.isEmpty { return p }
        if let p = env["AWS_DEFAULT_PROFILE"], !p.isEmpty { return p }
        let config = env["AWS_CONFIG_FILE"] ?? home + "/.aws/config"
        let credentials = env["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials"
        return access(config, F_OK) == 0 || access(credentials, F_OK) == 0 ? "default" : nil
    }

    /// `CLOUDSDK_CORE_PROJECT`, else `project` in the active gcloud configuration.
    public static func gcloudProject(env: [String: String], home: String) -> String? {
        if let p = env["CLOUDSDK_CORE_PROJECT"], !p.isEmpty { return p }
        let dir = env["CLOUDSDK_CONFIG"] ?? home + "/.config/gcloud"
        var name = env["CLOUDSDK_ACTIVE_CONFIG_NAME"] ?? ""
        if name.isEmpty { name = read(dir + "/active_config").map { unquote(Substring($0)) } ?? "" }
        if name.isEmpty { name = "default" }
        guard let text = read(dir + "/configurations/config_" + name) else { return nil }
        var inCore = false
        for raw in text.split(separator: "\n") {
            let line = unquote(raw)
            if line.hasPrefix("[") {
                inCore = line == "[core]"
            } else if inCore, line.hasPrefix("project") {
                let parts = line.split(separator: "=", maxSplits: 1)
                if parts.count == 2, unquote(parts[0]) == "project" { return unquote(parts[1]) }
            }
        }
        return nil
    }

    /// The branch checked out (`HEAD`'s symbolic ref), or `detached@SHA`.
    public static func gitBranch(root: String) -> String? {
        var gitDir = root + "/.git"
        // A worktree or submodule: `.git` is a file naming the real directory.
        if let text = read(gitDir), text.hasPrefix("gitdir:") {
            let path = unquote(Substring(text).dropFirst("gitdir:".count))
            gitDir = path.hasPrefix("/") ? path : root + "/" + path
        }
        guard let head = read(gitDir + "/HEAD") else { return nil }
        let h = unquote(Substring(head))
        if h.hasPrefix("ref: refs/heads/") { return String(h.dropFirst("ref: refs/heads/".count)) }
        if h.hasPrefix("ref: ") { return String(h.dropFirst(5)) }
        return h.isEmpty ? nil : "detached@" + h.prefix(12)
    }

    /// A small file's text, or nil (missing, unreadable, a directory, or over 1 MiB).
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 16384)
        while bytes.count < 1 << 20 {
            let n = Glibc.read(fd, &buf, buf.count)
            if n <= 0 { break }
            bytes.append(contentsOf: buf[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func unquote(_ s: Substring) -> String {
        var t = s
        while let c = t.first, c == " " || c == "\t" || c == "\r" || c == "\n" { t = t.dropFirst() }
        while let c = t.last, c == " " || c == "\t" || c == "\r" || c == "\n" { t = t.dropLast() }
        if t.count >= 2, let f = t.first, f == "\"" || f == "'", t.last == f { t = t.dropFirst().dropLast() }
        return String(t)
    }
}
