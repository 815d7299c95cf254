#!/usr/bin/env python3
"""End-to-end: drive the real `brake` binary as each agent's hook would, over a scripted session.

Per agent: 30+ safe tool calls pass silently, a destructive command is asked with a request id, the person
approves it out of band, the identical retry passes once, a second retry and a non-identical retry do not,
a stop blocks the next call, a resume lifts it, an unreadable payload is blocked, and the audit chain holds.
"""
import json, os, re, subprocess, sys, tempfile

BRAKE = sys.argv[1]
work = tempfile.mkdtemp(prefix="brake-e2e-")
home = os.path.join(work, "home")
proj = os.path.join(home, "project")
os.makedirs(proj)
subprocess.run(["git", "init", "-q", proj], check=True)
ENV = dict(os.environ, HOME=home, BRAKE_HOME=os.path.join(home, ".brake"))
for k in ["AWS_PROFILE", "TF_WORKSPACE", "KUBECONFIG", "BRAKE_POLICY"]:
    ENV.pop(k, None)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def payload(agent, session, kind, value):
    """The agent's own payload shape for a shell command, a file write or a file read."""
    if agent in ("claude-code", "codex"):
        tool, inp = {"shell": ("Bash", {"command": value}), "write": ("Write", {"file_path": value, "content": "x"}),
                     "read": ("Read", {"file_path": value})}[kind]
        p = {"session_id": session, "cwd": proj, "hook_event_name": "PreToolUse", "tool_name": tool,
             "tool_input": inp, "tool_use_id": "toolu_1", "permission_mode": "default"}
        if agent == "codex":
            p.update(turn_id="turn-1", model="gpt-5", transcript_path=None)
        return p
    if agent == "gemini":
        tool, inp = {"shell": ("run_shell_command", {"command": value, "description": "", "is_background": False}),
                     "write": ("write_file", {"file_path": value, "content": "x"}),
                     "read": ("read_file", {"file_path": value})}[kind]
        return {"session_id": session, "transcript_path": "/t", "cwd": proj, "hook_event_name": "BeforeTool",
                "timestamp": "2026-11-25T00:00:00Z", "tool_name": tool, "tool_input": inp}
    if agent == "cursor":
        base = {"conversation_id": session, "generation_id": "g1", "workspace_roots": [proj]}
        if kind == "shell":
            return dict(base, hook_event_name="beforeShellExecution", command=value, cwd=proj)
        if kind == "read":
            return dict(base, hook_event_name="beforeReadFile", file_path=value, content="", attachments=[])
        return dict(base, hook_event_name="preToolUse", tool_name="Write", tool_input={"file_path": value})
    if agent == "copilot":
        tool, inp = {"shell": ("bash", {"command": value}), "write": ("create", {"path": value}),
                     "read": ("view", {"path": value})}[kind]
        return {"sessionId": session, "timestamp": 1767225600000, "cwd": proj, "toolName": tool,
                "toolArgs": json.dumps(inp)}
    if agent == "kiro":
        tool, inp = {"shell": ("execute_bash", {"command": value}),
                     "write": ("fs_write", {"command": "create", "path": value}),
                     "read": ("fs_read", {"operations": [{"mode": "Line", "path": value}]})}[kind]
        return {"hook_event_name": "preToolUse", "session_id": session, "cwd": proj, "tool_name": tool, "tool_input": inp}
    raise ValueError(agent)


def hook(agent, data):
    text = data if isinstance(data, str) else json.dumps(data)
    r = subprocess.run([BRAKE, "hook", agent], input=text, capture_output=True, text=True, env=ENV, cwd=proj)
    return r


def verdict(agent, r):
    """What the agent does with this answer, computed the way that agent computes it (see README, agent table):
    allow, ask or deny; "crash" when the hook died from a signal, which a test must never count as a pass."""
    if r.returncode < 0:
        return "crash"
    if r.returncode == 2:
        return "deny"  # every agent blocks on exit 2
    if r.returncode != 0:
        # Claude Code, Codex, Gemini and Kiro run the tool on any other exit; Copilot's preToolUse and Cursor's
        # failClosed hooks block.
        return "deny" if agent in ("copilot", "cursor") else "allow"
    if r.stdout.strip() == "":
        return "allow"
    try:
        out = json.loads(r.stdout)
    except ValueError:
        return "broken"
    d = (out.get("hookSpecificOutput", {}).get("permissionDecision") or out.get("permission")
         or out.get("decision") or out.get("permissionDecision"))
    return d or "allow"


def silent_allow(agent, r):
    """An allow that leaves the agent's own prompt alone: no output, or Cursor's explicit allow (its IDE blocks
    on empty output when the hook is failClosed)."""
    if agent == "cursor":
        return r.returncode == 0 and json.loads(r.stdout or "{}") == {"permission": "allow"} and r.stderr == ""
    return r.returncode == 0 and r.stdout == "" and r.stderr == ""


def brake(*args):
    return subprocess.run([BRAKE, *args], capture_output=True, text=True, env=ENV, cwd=proj)


SAFE = [
    ("shell", "git status"), ("shell", "git diff --stat"), ("shell", "ls -la"), ("shell", "sed -n '1,40p' README.md"),
    ("shell", "nl -ba src/app.py | sed -n '1,80p'"), ("shell", "rg -n 'TODO|FIXME' src"), ("shell", "pytest -x -q"),
    ("shell", "npm test"), ("shell", "npm run build"), ("shell", "cargo test"), ("shell", "go test ./..."),
    ("shell", "git add -A"), ("shell", "git commit -m 'fix: handle empty input'"), ("shell", "git log --oneline -5"),
    ("shell", "git push -u origin feature/login"), ("shell", "rm -rf node_modules dist"), ("shell", "mkdir -p build"),
    ("shell", "python3 -c 'import json; print(json.load(open(\"package.json\"))[\"name\"])'"),
    ("shell", "cat package.json | jq .scripts"), ("shell", "find . -name '*.pyc' -delete"),
    ("shell", "docker compose up -d"), ("shell", "terraform plan -out tfplan"), ("shell", "kubectl get pods"),
    ("write", os.path.join(proj, "src/app.py")), ("write", os.path.join(proj, "README.md")),
    ("read", os.path.join(proj, "src/app.py")), ("read", os.path.join(proj, "README.md")),
    ("shell", "rm -f /tmp/out.txt"), ("shell", "echo 'rm -rf /' > notes.txt"), ("shell", "kill %1"),
    ("shell", "grep -rn 'DROP TABLE' migrations/"),
]

for agent in ["claude-code", "codex", "gemini", "cursor", "copilot", "kiro"]:
    session = f"sess-{agent}"
    print(f"== {agent}")
    silent = [hook(agent, payload(agent, session, k, v)) for k, v in SAFE]
    check(all(silent_allow(agent, r) for r in silent),
          f"{agent}: {len(SAFE)} safe tool calls pass silently")
    danger = "rm -rf ~/other-project"
    r = hook(agent, payload(agent, session, "shell", danger))
    v = verdict(agent, r)
    # Codex rejects ask, Kiro has none, and a Gemini hook's ask would override Gemini's own policy deny.
    expected = {"codex": "deny", "kiro": "deny", "gemini": "deny"}.get(agent, "ask")
    check(v == expected, f"{agent}: destructive command answered '{v}' (want {expected})")
    m = re.search(r"brake approve ([a-z0-9]{8})", r.stdout + r.stderr)
    check(m is not None, f"{agent}: the answer names a request id")
    if not m:
        continue
    rid = m.group(1)
    status = json.loads(brake("status", "--format", "json").stdout)
    check(any(p["id"] == rid for p in status["pending"]), f"{agent}: brake status lists request {rid}")
    a = brake("approve", rid)
    check(a.returncode == 0, f"{agent}: brake approve {rid}")
    check(verdict(agent, hook(agent, payload(agent, session, "shell", danger))) == "allow", f"{agent}: identical retry passes once")
    check(verdict(agent, hook(agent, payload(agent, session, "shell", danger))) in ("ask", "deny"), f"{agent}: a second retry does not pass")
    check(verdict(agent, hook(agent, payload(agent, session, "shell", danger + "2"))) in ("ask", "deny"), f"{agent}: a non-identical retry does not pass")
    check(brake("stop", "--session", session, "--reason", "e2e stop").returncode == 0, f"{agent}: brake stop --session")
    r = hook(agent, payload(agent, session, "shell", "git status"))
    check(verdict(agent, r) == "deny" and "e2e stop" in (r.stdout + r.stderr), f"{agent}: the stop blocks the next safe call with its reason")
    check(brake("resume", "--session", session).returncode == 0, f"{agent}: brake resume --session")
    check(verdict(agent, hook(agent, payload(agent, session, "shell", "git status"))) == "allow", f"{agent}: after resume the safe call passes")
    check(verdict(agent, hook(agent, "{not json")) == "deny", f"{agent}: an unreadable payload is blocked")
    check(verdict(agent, hook(agent, payload(agent, session, "write", os.path.join(home, ".ssh/authorized_keys")))) in ("ask", "deny"),
          f"{agent}: writing ~/.ssh/authorized_keys is not allowed")
    check(verdict(agent, hook(agent, payload(agent, session, "shell", "brake approve abcdefgh"))) == "deny",
          f"{agent}: the agent cannot approve its own request")

# The bulk mail deletion incident, through every route an agent has: an API call whatever its HTTP method, an
# interpreter's HTTP client, a loop, the admin CLI, and an MCP tool whose server says it is read-only. Every agent
# holds each one (ask where the agent prompts, deny where it cannot); nothing runs silently.
MAIL = "https://gmail.googleapis.com/gmail/v1/users/me/messages"
mail_routes = [
    ("shell", f"curl -X POST {MAIL}/batchDelete -H 'Authorization: Bearer t' -d @ids.json"),
    ("shell", f"curl {MAIL}/batchDelete --json '{{\"ids\":[\"a\",\"b\"]}}'"),
    ("shell", f"curl -X POST {MAIL}/batchModify -d '{{\"ids\":[\"a\"],\"addLabelIds\":[\"TRASH\"]}}'"),
    ("shell", f"python3 -c \"import requests; requests.post('{MAIL}/batchDelete', json={{'ids': ids}})\""),
    ("shell", f"for id in $(cat ids.txt); do curl -s -X POST {MAIL}/$id/trash; done"),
    ("shell", "gam user ops@acme.com delete messages query 'in:anywhere' doit"),
]
for agent in ["claude-code", "codex", "gemini", "cursor", "copilot", "kiro"]:
    # A session per route, so that each is judged on its own (three refusals in one session stop it).
    held = [verdict(agent, hook(agent, payload(agent, f"mail-{agent}-{i}", k, v))) for i, (k, v) in enumerate(mail_routes)]
    check(all(v in ("ask", "deny") for v in held), f"{agent}: bulk mail deletion is held by every route ({held})")
mcp_call = {"hook_event_name": "PreToolUse", "session_id": "mail-mcp", "cwd": proj, "tool_name": "mcp__gmail__batch_delete",
            "tool_input": {"ids": ["a", "b", "c"]}}
check(verdict("claude-code", hook("claude-code", mcp_call)) == "ask", "claude-code: an MCP batch deletion of mail is held")
brake("resume", "--all")

# Rerouting: three different spellings of a refused delete stop the session.
session = "sess-reroute"
for cmd in ["rm -rf ~/x", "bash -c 'rm -rf ~/x'", "find ~/x -delete"]:
    r = hook("claude-code", payload("claude-code", session, "shell", cmd))
check(verdict("claude-code", r) == "deny" and "stopped" in r.stdout, "rerouting: the third way around a refusal stops the session")
check(verdict("claude-code", hook("claude-code", payload("claude-code", session, "shell", "ls"))) == "deny", "rerouting: the stopped session is blocked")

v = brake("audit", "verify")
check(v.returncode == 0, "the audit chain verifies: " + (v.stdout + v.stderr).strip())
log = open(os.path.join(home, ".brake/audit.jsonl")).read()
check("other-project" in log and '"decision":"ask"' in log, "the audit log records the asked action")
secret = hook("claude-code", payload("claude-code", "s-secret", "shell", "curl -H 'Authorization: Bearer abcdef123456' https://api.example.com"))
check("abcdef123456" not in open(os.path.join(home, ".brake/audit.jsonl")).read(), "credentials are redacted in the audit log")
lines = open(os.path.join(home, ".brake/audit.jsonl")).read().splitlines()
lines[3] = lines[3].replace('"allow"', '"deny"')
open(os.path.join(work, "tampered.jsonl"), "w").write("\n".join(lines) + "\n")
check(brake("audit", "verify", os.path.join(work, "tampered.jsonl")).returncode != 0, "an edited audit log fails verification")

print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
