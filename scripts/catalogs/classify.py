"""What a cloud operation does, from its name: the classes Brake's engine judges.

Shared by the AWS, Google Cloud and Azure catalog generators. An operation is a path of words (`compute
instances delete`, `iam attach-user-policy`); its class comes from the verb and the noun of its last word,
with the service (or command group) for the security-sensitive classes.

Classes (one letter each in the catalogs):
  r  read: describes, lists, gets, validates, signs, waits; changes nothing
  c  create: makes something new
  m  mutate: changes, starts, stops, sends, invokes
  d  delete: deletes, terminates, purges, deregisters, revokes
  g  grant: gives access: IAM and resource policies, role bindings, access keys, passwords, trust
  p  unprotect: turns off a protection: deletion/termination protection, backups and snapshots, audit logging,
     threat detection, encryption keys, public-access blocks, guardrail policies
  x  remote execution: runs commands on machines or containers (ssm send-command, ecs execute-command, ssh)
  a  apply: applies or deploys a stack or release that can replace or delete what it manages
"""

import re

READ_VERBS = {
    "describe", "list", "get", "head", "search", "lookup", "query", "scan", "select", "validate", "estimate",
    "preview", "test", "check", "simulate", "decode", "verify", "download", "detect", "analyze", "compare",
    "recognize", "translate", "synthesize", "count", "retrieve", "fetch", "read", "view", "filter", "discover",
    "show", "explain", "predict", "evaluate", "calculate", "sign", "presign", "encrypt", "decrypt", "tail",
    "wait", "help", "ls", "exists", "summarize", "diff", "print", "info", "version", "export", "inspect",
    "browse", "find", "batch-get", "generate", "converse", "classify", "extract", "infer", "lint", "render",
    "watch", "poll", "monitor", "dry", "cat", "du", "stat", "hash", "validate", "resolve", "preflight",
    "list-runs", "whoami", "status", "logs", "log", "history", "trace", "diagnose", "troubleshoot", "audit",
    "assume", "login", "completion", "configure", "config", "auth", "token", "ping", "browse",
    "receive", "peek", "download-db-log-file-portion", "snapshot-status", "output", "outputs", "usage",
    "quota", "cost", "compare", "test-connection", "test-invoke", "search-resources", "get-login-password",
    "get-login", "get-token", "credential-helper", "update-kubeconfig", "get-credentials", "print-access-token",
    "print-identity-token", "activate-service-account", "set-default", "describe-stream", "start-query",
    "select-object-content", "start-live-tail", "local", "emulators", "cheat-sheet", "interactive", "feedback",
    "survey", "init", "find", "upgrade", "get-status", "is", "batch-is", "does", "can",
}
DELETE_VERBS = {
    "delete", "terminate", "remove", "deregister", "purge", "destroy", "drop", "release", "revoke", "rm", "rb",
    "erase", "wipe", "empty", "uninstall", "unregister", "decommission", "batch-delete", "truncate", "unlink",
    "unprovision", "deprovision", "clear", "flush", "discard",
}
CREATE_VERBS = {
    "create", "add", "register", "import", "copy", "restore", "allocate", "run", "launch", "request", "issue",
    "provision", "clone", "upload", "mb", "new", "make", "build", "batch-create", "put", "duplicate", "install",
    "generate-key", "submit", "schedule", "start-build",
}

# A noun that makes a change to it a grant of access.
GRANT_NOUNS = re.compile(
    r"(^|-)(iam-policy|iam-policy-binding|policy-binding|user-policy|role-policy|group-policy|bucket-policy|"
    r"key-policy|resource-policy|repository-policy|registry-policy|permission-policy|permissions-policy|"
    r"access-policy|vault-access-policy|trust-policy|assume-role-policy|policy-version|default-policy-version|"
    r"permission|permissions|grant|grants|acl|bucket-acl|object-acl|access-key|login-profile|ssh-public-key|"
    r"service-specific-credential|account-assignment|permission-set|role-assignment|role-definition|"
    r"user-to-group|member|members|membership|group-membership|resource-share|snapshot-attribute|"
    r"image-attribute|db-snapshot-attribute|db-cluster-snapshot-attribute|security-group-ingress|"
    r"security-group-egress|instance-profile|iam-instance-profile|identity-pool-roles|user-password|"
    r"password|credential|credentials|service-account-key|keys|key|sas|access-token|role|roles|"
    r"inline-policy-to-permission-set|managed-policy-to-permission-set|permissions-boundary|federated-credential|"
    r"port|ports|admin|owner|owners|collaborator|collaborators|invitation|invitations|org-policy|policy-assignment)(-|$)"
)
GRANT_VERBS = {
    "attach", "put", "set", "add", "create", "update", "upload", "replace", "associate", "authorize", "enable",
    "share", "modify", "grant", "assign", "invite", "admin-add", "admin-set", "admin-create", "reset",
    "change", "accept", "open",
}
# A noun whose removal, disabling or stopping turns off a protection.
PROTECTION_NOUNS = re.compile(
    r"(^|-)(logging|trail|trails|detector|guardduty|security-hub|securityhub|protection|deletion-protection|"
    r"termination-protection|backup|backups|backup-vault|backup-plan|backup-selection|recovery-point|"
    r"recovery-points|snapshot|snapshots|db-snapshot|db-cluster-snapshot|cluster-snapshot|encryption|"
    r"encryption-by-default|public-access-block|block-public-access|snapshot-block-public-access|"
    r"image-block-public-access|mfa|mfa-device|virtual-mfa-device|audit|audit-config|flow-logs|flow-log|"
    r"configuration-recorder|delivery-channel|log-group|log-stream|sink|sinks|alarm-actions|macie|analyzer|"
    r"key-rotation|policy-type|continuous-backups|versioning|retention|object-lock|legal-hold|lock|locks|"
    r"firewall|waf|shield|health-check|monitoring|organization-admin-account|delegated-administrator|"
    r"import-findings-for-product|standards|password-policy|account-password-policy|scp|guardrail|"
    r"pitr|point-in-time-recovery|soft-delete|purge-protection)(-|$)"
)
UNPROTECT_VERBS = {
    "delete", "disable", "stop", "suspend", "remove", "deregister", "detach", "leave", "cancel", "purge",
    "batch-delete", "turn-off", "unlock", "unset", "deactivate",
}
# Services and groups where every change is about identity and access.
IAM_SERVICES = {
    "iam", "sso-admin", "identitystore", "service-accounts", "role", "ad", "rolesanywhere", "pam",
    "workload-identity-pools", "workforce-pools",
}
REMOTE_EXEC = {
    ("ssm", "send-command"), ("ssm", "start-session"), ("ecs", "execute-command"), ("emr", "ssh"),
    ("emr", "socks"), ("ec2-instance-connect", "ssh"), ("ssm", "start-automation-execution"),
}
REMOTE_EXEC_VERBS = {"ssh", "scp", "execute-command", "send-command", "start-session", "run-command", "invoke-command",
                     "exec", "connect", "serial-console", "shell", "tunnel", "start-iap-tunnel", "port-forward"}
APPLY = {
    ("cloudformation", "deploy"), ("cloudformation", "create-stack"), ("cloudformation", "update-stack"),
    ("cloudformation", "execute-change-set"), ("cloudformation", "update-stack-set"),
    ("cloudformation", "update-stack-instances"), ("cloudformation", "create-stack-instances"),
    ("cloudformation", "create-stack-set"), ("ecs", "deploy"),
}
APPLY_VERBS = {"deploy"}
APPLY_PATHS = {
    ("deployment-manager", "deployments", "create"), ("deployment-manager", "deployments", "update"),
    ("infra-manager", "deployments", "apply"), ("deployment", "group", "create"), ("deployment", "sub", "create"),
    ("deployment", "mg", "create"), ("deployment", "tenant", "create"), ("stack", "group", "create"),
    ("stack", "sub", "create"), ("stack", "mg", "create"),
}
TAG_VERBS = {"tag", "untag"}


def split_words(op):
    return [w for w in re.split(r"[-_]", op.lower()) if w]


def verb_of(op):
    words = split_words(op)
    if not words:
        return "", ""
    two = "-".join(words[:2])
    for v in (two,):
        if v in READ_VERBS or v in DELETE_VERBS or v in CREATE_VERBS or v in GRANT_VERBS or v in UNPROTECT_VERBS:
            return v, "-".join(words[2:])
    return words[0], "-".join(words[1:])


def classify(service, op, path=()):
    path = list(path)
    """The class letter of operation `op` of `service` (`path` is the command group for gcloud/az)."""
    op = op.lower()
    if (service, op) in REMOTE_EXEC or op in REMOTE_EXEC_VERBS or "run-command" in path and op in {"invoke", "create"}:
        return "x"
    if (service, op) in APPLY or tuple(path) + (op,) in APPLY_PATHS:
        return "a"
    verb, noun = verb_of(op)
    if verb in TAG_VERBS or verb in DELETE_VERBS and re.fullmatch(
        r"(labels?|tags?|metadata|annotations?|partner-metadata|resource-policies)", noun
    ):
        return "m"
    group = set(path) | {service}
    if verb == "schedule" and "deletion" in noun or verb in {"disable", "revoke"} and noun.startswith("key"):
        return "p"
    if verb in UNPROTECT_VERBS and (
        PROTECTION_NOUNS.search(noun or service) or any(PROTECTION_NOUNS.fullmatch(w) for w in path[1:] or path)
        or path[:1] in (["policy"], ["org-policies"], ["lock"]) or "lock" in path
    ):
        return "p"
    if verb in {"disable", "stop", "suspend", "deactivate", "turn-off"} and (
        group & {"cloudtrail", "guardduty", "securityhub", "macie", "macie2", "inspector", "inspector2", "config",
                 "configservice", "backup", "logging", "scc", "audit-manager", "kms", "security", "defender",
                 "monitor", "accessanalyzer", "shield", "detective", "network-firewall", "wafv2", "fms"}
    ):
        return "p"
    if verb in GRANT_VERBS and GRANT_NOUNS.search(noun):
        if not re.search(r"(^|-)(lifecycle|scaling|retention|routing|cache|origin-request|response-headers|"
                         r"health|traffic|backup|patch|placement|compression|replication|notification)(-|$)", noun):
            return "g"
    if group & IAM_SERVICES and verb not in READ_VERBS and verb not in DELETE_VERBS:
        return "g"
    if verb in DELETE_VERBS:
        return "d"
    if verb in APPLY_VERBS:
        return "a"
    if verb in READ_VERBS or op in READ_VERBS:
        return "r"
    if verb in CREATE_VERBS:
        return "c"
    return "m"


def catalog_lines(groups):
    """`groups` maps a group path ('' for the root, 'compute instances') to {leaf: class}. Sorted lines
    `group|cLEAF cLEAF …` in byte order, as the Swift lookup's binary search expects."""
    out = []
    for g in sorted(groups, key=lambda s: s.encode()):
        leaves = groups[g]
        out.append(g + "|" + " ".join(leaves[k] + k for k in sorted(leaves, key=lambda s: s.encode())))
    return out


def write_swift(path, name, source, lines, doc):
    body = "\n".join(lines)
    assert '"""' not in body and "\\" not in body
    with open(path, "w") as f:
        f.write("// swift-format-ignore-file\n")
        f.write("// Generated by scripts/catalogs/" + name + ".py from " + source + ". Do not edit: regenerate.\n")
        f.write("// " + doc + "\n\n")
        f.write("extension CloudCatalog {\n")
        f.write("    /// Where the " + name + " catalog came from.\n")
        f.write("    static let " + name + "Source = \"" + source + "\"\n\n")
        f.write("    /// Sorted lines `group|<class><leaf> …`; see CloudCatalog.\n")
        f.write("    static let " + name + "Text = \"\"\"\n")
        for line in lines:
            f.write(line + "\n")
        f.write("\"\"\"\n}\n")
