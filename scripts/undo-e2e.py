#!/usr/bin/env python3
"""End-to-end: checkpoints before destructive steps, and `brake undo`, through the real hook.

A scripted Claude Code session (PreToolUse hook, the command really run when the hook lets it, PostToolUse hook)
deletes files and a tree, rewrites files with `sed -i` and a Python heredoc, truncates one, runs `git reset --hard`
over uncommitted work and `git clean -fd`. `brake undo --session S` must give back the tree byte for byte (content
and modes hashed), `--dry-run` must list the same paths, a file changed again afterwards must be reported and left
alone without `--force`, and the agent itself may not run `brake undo`.
"""
import hashlib, json, os, stat, subprocess, sys, tempfile
from e2e_common import check, failures, free_port, wait_http

BRAKE = sys.argv[1]
work = tempfile.mkdtemp(prefix="brake-undo-")
home = os.path.join(work, "home")
proj = os.path.join(home, "project")
os.makedirs(proj)
ENV = dict(os.environ, HOME=home, BRAKE_HOME=os.path.join(home, ".brake"), GIT_AUTHOR_NAME="p",
           GIT_AUTHOR_EMAIL="p@example.com", GIT_COMMITTER_NAME="p", GIT_COMMITTER_EMAIL="p@example.com")
for k in ["AWS_PROFILE", "TF_WORKSPACE", "KUBECONFIG", "BRAKE_POLICY", "BRAKE_SERVER", "BRAKE_TOKEN"]:
    ENV.pop(k, None)


def sh(cmd):
    return subprocess.run(["bash", "-c", cmd], cwd=proj, env=ENV, capture_output=True, text=True)


def brake(*args):
    return subprocess.run([BRAKE, *args], capture_output=True, text=True, env=ENV, cwd=proj)


def hook(event, session, command):
    p = {"session_id": session, "cwd": proj, "hook_event_name": event, "tool_name": "Bash",
         "tool_input": {"command": command}, "tool_use_id": "toolu_1", "permission_mode": "default"}
    if event == "PostToolUse":
        p["tool_response"] = {"stdout": "", "stderr": "", "interrupted": False}
    return subprocess.run([BRAKE, "hook", "claude-code"], input=json.dumps(p), capture_output=True, text=True,
                          env=ENV, cwd=proj)


def decision(r):
    """What Claude Code does with the answer: a crash is never a pass."""
    if r.returncode < 0:
        return "crash"
    if r.returncode == 2:
        return "deny"
    if r.stdout.strip() == "":
        return "allow"
    out = json.loads(r.stdout)
    return out.get("hookSpecificOutput", {}).get("permissionDecision") or "allow"


def step(session, command, person_says_yes=True):
    """One tool call as Claude Code makes it: the hook, the command if it may run (an ask is answered by the
    person in Claude's own prompt), then the post-tool hook."""
    d = decision(hook("PreToolUse", session, command))
    ran = d == "allow" or (d == "ask" and person_says_yes)
    if ran:
        r = sh(command)
        check(r.returncode == 0, f"the step ran: {command.splitlines()[0]} ({r.stderr.strip()[:200]})")
        hook("PostToolUse", session, command)
    return d


def tree():
    """Every file, link and directory outside .git: its content hash (or link target) and mode."""
    out = {}
    for root, dirs, files in os.walk(proj):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, proj)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", oct(st.st_mode & 0o7777))
            else:
                out[rel] = (hashlib.sha256(open(p, "rb").read()).hexdigest(), oct(st.st_mode & 0o7777))
    return out


def write(rel, text, mode=0o644):
    p = os.path.join(proj, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, mode)


# A project with history, uncommitted work and untracked files.
sh("git init -q .")
write("src/app.py", "def foo():\n    return 'foo'\n")
write("src/util.py", "UTIL = 1\n")
write("docs/old.md", "# old\n" * 50)
write("config.json", '{"debug": false, "level": 1}\n')
write("data.log", "line\n" * 2000)
write("assets/logo.svg", "<svg/>\n")
write("assets/run.sh", "#!/bin/sh\necho hi\n", 0o755)
write("assets/deep/nested/file.bin", "\x00\x01binary-ish\n" * 10)
os.symlink("logo.svg", os.path.join(proj, "assets/current.svg"))
sh("git add -A && git commit -qm initial")
write("src/app.py", "def foo():\n    return 'foo, uncommitted'\n")  # uncommitted change to a tracked file
write("NOTES.md", "untracked notes the agent will clean away\n")
write("scratch/idea.txt", "an untracked directory\n")
before = tree()
S = "session-undo-1"

# The session. Every step is allowed or asked by the default policy; none is denied.
check(step(S, "rm docs/old.md src/util.py") == "allow", "rm of project files is allowed")
check(step(S, "rm -r assets") == "allow", "rm -r of a project directory is allowed")
check(step(S, "sed -i 's/foo/bar/g' src/app.py") == "allow", "sed -i is allowed")
check(step(S, "python3 - <<'EOF'\nimport json\nc = json.load(open('config.json'))\nc['debug'] = True\n"
              "open('config.json', 'w').write(json.dumps(c))\nEOF") == "allow", "a Python heredoc rewrite is allowed")
check(step(S, ": > data.log") == "allow", "truncating a project file is allowed")
mid = brake("undo", "--session", S, "--dry-run", "--format", "json")
mid_paths = {os.path.relpath(i["path"], proj) for i in json.loads(mid.stdout or "{}").get("items", [])
             if i["outcome"] == "restored"}
want = {"docs/old.md", "src/util.py", "assets", "assets/run.sh", "assets/logo.svg", "assets/current.svg",
        "assets/deep/nested/file.bin", "src/app.py", "config.json", "data.log"}
check(want <= mid_paths, f"half way, the dry run would restore every path the steps deleted or rewrote "
      f"(missing: {sorted(want - mid_paths)})")
check(step(S, "git reset --hard") == "ask", "git reset --hard is asked (the person says yes in the prompt)")
check(step(S, "git clean -fd") == "ask", "git clean -fd is asked (the person says yes in the prompt)")
after = tree()
check(after != before, "the session changed the tree")
check("NOTES.md" not in after and "scratch/idea.txt" not in after and after["src/app.py"] != before["src/app.py"],
      "the uncommitted change and the untracked files are gone")

listed = json.loads(brake("checkpoints", "list", "--session", S, "--format", "json").stdout)
check(len(listed) == 7, f"one checkpoint per destructive step ({len(listed)})")
refs = sh("git for-each-ref --format='%(refname)' refs/brake/checkpoints").stdout.split()
check(len(refs) >= 1, "the uncommitted work is kept as a commit under refs/brake/checkpoints/")

log = brake("log").stdout
check(log.count("checkpoint") == 7 and "git reset --hard" in log, "the local log shows each checkpoint after its decision")

# A harmless command makes no checkpoint.
check(step(S, "git status && ls -la && cat src/app.py") == "allow", "reading is allowed")
check(len(json.loads(brake("checkpoints", "list", "--format", "json").stdout)) == 7, "reading makes no checkpoint")

# The dry run lists what the undo then restores, and changes nothing.
dry = brake("undo", "--session", S, "--dry-run", "--format", "json")
check(dry.returncode == 0, f"undo --dry-run exits 0 ({dry.returncode}: {dry.stderr.strip()[:300]})")
dry_paths = sorted(i["path"] for i in json.loads(dry.stdout or "{}").get("items", []) if i["outcome"] == "restored")
check(tree() == after, "the dry run changes nothing")
real = brake("undo", "--session", S, "--format", "json")
check(real.returncode == 0, f"undo exits 0 ({real.returncode}: {real.stderr.strip()[:300]})")
real_paths = sorted(i["path"] for i in json.loads(real.stdout or "{}").get("items", []) if i["outcome"] == "restored")
check(dry_paths == real_paths and len(real_paths) > 0, f"the dry run listed the same {len(real_paths)} paths")
restored = tree()
diff = sorted(set(k for k in set(before) | set(restored) if before.get(k) != restored.get(k)))
check(restored == before, f"the tree is byte-identical to before the session (content and modes); differs: {diff}")
again = brake("undo", "--session", S, "--format", "json")
check(again.returncode == 0 and all(i["outcome"] == "unchanged" for i in json.loads(again.stdout)["items"]),
      "undoing again finds everything as kept")

# A file changed again after its checkpoint is reported, not overwritten (unless --force).
S2 = "session-undo-2"
write("src/keep.py", "original\n")
check(step(S2, "sed -i 's/original/agent/' src/keep.py") == "allow", "second session: sed -i allowed")
write("src/keep.py", "the person's own edit after the agent\n")
r = brake("undo", "--session", S2, "--format", "json")
items = json.loads(r.stdout or "{}").get("items", [])
check(r.returncode == 1, f"undo over a file changed since exits 1 ({r.returncode})")
check(any(i["path"].endswith("src/keep.py") and i["outcome"] == "conflict" for i in items),
      "the file changed after the checkpoint is reported as such")
check(open(os.path.join(proj, "src/keep.py")).read() == "the person's own edit after the agent\n",
      "and left as the person wrote it")
r = brake("undo", "--session", S2, "--force")
check(r.returncode == 0 and open(os.path.join(proj, "src/keep.py")).read() == "original\n",
      "--force restores the kept content")

# File tools, a deleted branch and a dropped stash.
S5 = "session-undo-5"
write("edited.py", "print('before the edit')\n", 0o600)
p = {"session_id": S5, "cwd": proj, "hook_event_name": "PreToolUse", "tool_name": "Edit",
     "tool_input": {"file_path": os.path.join(proj, "edited.py"), "old_string": "before", "new_string": "after"},
     "tool_use_id": "toolu_2", "permission_mode": "default"}
r = subprocess.run([BRAKE, "hook", "claude-code"], input=json.dumps(p), capture_output=True, text=True, env=ENV, cwd=proj)
check(decision(r) == "allow", "the Edit tool is allowed")
write("edited.py", "print('after the edit')\n", 0o600)
sh("git checkout -q -b feat && echo feat > feat.txt && git add feat.txt && git commit -qm feat && git checkout -q -")
feat = sh("git rev-parse feat").stdout.strip()
check(step(S5, "git branch -D feat") == "ask", "git branch -D is asked (the person says yes)")
check(sh("git rev-parse -q --verify refs/heads/feat").returncode != 0, "the branch is gone")
write("stashed.txt", "work in the stash\n")
sh("git add stashed.txt && git stash -q")
stashed = sh("git rev-parse refs/stash").stdout.strip()
check(step(S5, "git stash drop") == "ask", "git stash drop is asked (the person says yes)")
check(sh("git rev-parse -q --verify refs/stash").returncode != 0, "the stash is empty")
r = brake("undo", "--session", S5)
check(r.returncode == 0, f"undo of the tool edit, the branch and the stash exits 0 ({r.stdout[-300:]} {r.stderr[-200:]})")
check(open(os.path.join(proj, "edited.py")).read() == "print('before the edit')\n"
      and stat.S_IMODE(os.stat(os.path.join(proj, "edited.py")).st_mode) == 0o600, "the edited file is back, mode too")
check(sh("git rev-parse feat").stdout.strip() == feat, "the deleted branch points at its commit again")
check(stashed in sh("git stash list --format=%H").stdout.split(), "the dropped stash entry is back")

# What a checkpoint leaves out is listed, never silent.
S3 = "session-undo-3"
write("node_modules/pkg/index.js", "module.exports = 1\n")
write("gone.txt", "x\n")
step(S3, "rm -rf node_modules gone.txt")
step(S3, 'rm -f "$(cat list.txt)"')
cps = json.loads(brake("checkpoints", "list", "--session", S3, "--format", "json").stdout)
skipped = [s["path"] for c in cps for s in c["skipped"]]
unresolved = [u for c in cps for u in c["unresolved"]]
check(any(p.endswith("/node_modules") for p in skipped), f"a dependency directory is listed as not kept ({skipped})")
check(len(unresolved) >= 1, f"a target the analysis cannot resolve is listed ({unresolved})")

# The agent may not undo: it is a person's command.
check(decision(hook("PreToolUse", S, "brake undo --session " + S + " --force")) == "deny", "an agent's brake undo is denied")
check(decision(hook("PreToolUse", S, "rm -rf ~/.brake/checkpoints")) == "deny",
      "an agent deleting the checkpoints is denied")

# Bad input: a selection that matches nothing says so and exits 64.
r = brake("undo", "ck-20990101-000000-000000-0000")
check(r.returncode == 64 and "no checkpoint" in r.stderr, f"an unknown checkpoint id is a usage error ({r.returncode})")
r = brake("undo", "--session", "no-such-session")
check(r.returncode == 64, f"a session without checkpoints is a usage error ({r.returncode})")

# With a control plane: the server judges, the checkpoint stays on this machine, and the session's record on
# the server says what can be undone here.
import urllib.request
port = free_port()
url = f"http://127.0.0.1:{port}"
data = os.path.join(work, "server")
server = subprocess.Popen([BRAKE, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    check(wait_http(url + "/v1/health", server), "brake serve started")
    admin = open(os.path.join(data, "admin-token")).read().strip()
    r = subprocess.run([BRAKE, "tokens", "create", "--agent", "--label", "hooks", "--format", "json"],
                       capture_output=True, text=True, env=dict(ENV, BRAKE_SERVER=url, BRAKE_TOKEN=admin))
    agent_token = json.loads(r.stdout)["token"]
    r = brake("login", "--server", url, "--token", agent_token)
    check(r.returncode == 0, f"this machine's hooks log in to the server with an agent token ({r.stderr.strip()[:200]})")
    S4 = "session-undo-server"
    write("server-kept.txt", "kept on this machine\n")
    d = step(S4, "rm server-kept.txt")
    check(d == "allow", f"with the server judging, rm of a project file is allowed ({d}; {r.stderr.strip()[:200]})")
    req = urllib.request.Request(url + "/v1/audit?limit=10000", headers={"Authorization": "Bearer " + admin})
    events = json.loads(urllib.request.urlopen(req, timeout=10).read())["events"]
    kept = [e["event"] for e in events if e["event"].get("kind") == "checkpoint" and e["event"].get("session") == S4]
    check(len(kept) == 1 and kept[0]["kept"] == 1 and kept[0]["paths"][0].endswith("server-kept.txt")
          and "kept on this machine" not in json.dumps(kept),
          "the server's audit log records the checkpoint's paths (never their content)")
    r = brake("undo", "--session", S4)
    check(r.returncode == 0 and open(os.path.join(proj, "server-kept.txt")).read() == "kept on this machine\n",
          "and the person undoes it on this machine")
finally:
    server.terminate()
    server.wait(timeout=20)

print(f"\n{len(failures)} failure(s)" if failures else "\nall undo checks passed")
sys.exit(1 if failures else 0)
