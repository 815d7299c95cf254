#!/usr/bin/env python3
"""End-to-end: the control plane (`brake serve`) with the real `brake` binary as hook, exec and CLI.

A hook's ask becomes a server request; a junior cannot approve it and the requester cannot approve it; a
senior approves from the CLI; the identical retry passes once, a second retry does not; a waiting hook
(long poll) passes as soon as the approval lands; a stop blocks the very next hook call; the circuit
breaker trips; with the server gone asks are refused, allowed actions run and the last known stops hold;
a SIGKILL during a burst of writes loses nothing acknowledged and the chain still verifies; edits,
deletions, swaps and truncation in the SQLite file are reported by `brake audit verify`.
"""
import json, os, re, shutil, signal, socket, sqlite3, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import api as api_at, check, claude_payload, failures, free_port, wait_http, workdir  # noqa: E402

BRAKE = os.path.abspath(sys.argv[1])
work, proj = workdir("brake-server-e2e-")
data = os.path.join(work, "server")


PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
config = os.path.join(work, "server.yaml")
with open(config, "w") as f:
    f.write("checkpoint_interval_seconds: 1\nidle_timeout_seconds: 2\nbreakers:\n  - {name: burst, limit: 5, window_minutes: 10, scope: session, lift_role: senior}\n")


def start():
    p = subprocess.Popen([BRAKE, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{PORT}", "--config", config],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if wait_http(URL + "/v1/health", p):
        return p
    raise SystemExit("server did not start: " + (p.stdout.read() if p.poll() is not None else ""))


def env_for(name, **extra):
    home = os.path.join(work, "home-" + name)
    os.makedirs(home, exist_ok=True)
    e = dict(os.environ, HOME=home, BRAKE_HOME=os.path.join(home, ".brake"))
    for k in ["BRAKE_SERVER", "BRAKE_TOKEN", "BRAKE_POLICY", "BRAKE_ASK_WAIT", "TF_WORKSPACE", "AWS_PROFILE"]:
        e.pop(k, None)
    e.update(extra)
    return e


def brake(args, env, stdin=None, timeout=60):
    return subprocess.run([BRAKE] + args, input=stdin, capture_output=True, text=True, env=env, timeout=timeout)


def api(method, path, token, body=None):
    return api_at(URL, method, path, token, body)


server = start()
first_banner = server.stdout.readline()
check("first start" in first_banner, "first start announces the admin user")
admin_token = open(os.path.join(data, "admin-token")).read().strip()
check(oct(os.stat(os.path.join(data, "admin-token")).st_mode & 0o777) == "0o600", "admin-token is mode 0600")
ADMIN = env_for("admin")
r = brake(["login", "--server", URL, "--token", admin_token], ADMIN)
check(r.returncode == 64 and "agent token" in r.stderr and not os.path.exists(os.path.join(ADMIN["BRAKE_HOME"], "server.json")),
      "brake login refuses a person's token for a machine's hooks (the agents would act with it)")
r = brake(["login", "--server", URL, "--token", admin_token, "--person"], ADMIN)
check(r.returncode == 0 and "as admin" in r.stdout, "brake login --person as admin (a machine no agent uses)")
tokens = {}
for name, role in [("sam", "senior"), ("jo", "junior"), ("dev", "mid")]:
    r = brake(["users", "add", name, "--role", role, "--format", "json"], ADMIN)
    out = json.loads(r.stdout)
    check(r.returncode == 0 and out["user"] == name and out["token"].startswith("brk_"), f"users add {name} --role {role}")
    tokens[name] = out["token"]
SAM, JO = env_for("sam"), env_for("jo")
brake(["login", "--server", URL, "--token", tokens["sam"], "--person"], SAM)
brake(["login", "--server", URL, "--token", tokens["jo"], "--person"], JO)
# dev's hooks run with an agent token (reports, asks, uses approvals; never decides); dev the person has their own.
r = brake(["tokens", "create", "--agent", "--label", "hooks", "--format", "json"],
          env_for("dev-person", BRAKE_SERVER=URL, BRAKE_TOKEN=tokens["dev"]))
agent_token = json.loads(r.stdout)["token"] if r.returncode == 0 else ""
check(agent_token.startswith("brk_"), "brake tokens create --agent makes a hook token")
DEV = env_for("dev", BRAKE_ASK_WAIT="0")
token_file = os.path.join(work, "agent-token")
open(token_file, "w").write(agent_token + "\n")
r = brake(["login", "--server", URL, "--token-file", token_file], DEV)
check(r.returncode == 0 and "agent token" in r.stdout and "pinned" in r.stdout, "brake login with the agent token pins the server key")
r = brake(["whoami", "--format", "json"], DEV)
who = json.loads(r.stdout) if r.returncode == 0 else {}
check(who.get("scope") == "agent" and who.get("user") == "dev" and who.get("server_key_pinned"), "brake whoami names the agent identity")
DEV_PERSON = env_for("dev-person", BRAKE_SERVER=URL, BRAKE_TOKEN=tokens["dev"])


def hook(command, session="s1", env=DEV, extra=()):
    t = time.monotonic()
    r = brake(["hook", "claude-code", *extra], env, stdin=claude_payload(command, session, proj))
    ms = (time.monotonic() - t) * 1000
    if r.stdout.strip():
        out = json.loads(r.stdout)["hookSpecificOutput"]
        return out["permissionDecision"], out.get("permissionDecisionReason", ""), ms
    return "allow", "", ms


# --- a team at once, and a person leaving
team = os.path.join(work, "team.csv")
open(team, "w").write("name,role,email\nana,senior,ana@acme.io\nben,mid,\"ben@acme.io\"\nsam,senior,sam@acme.io\n")
r = brake(["users", "import", team, "--format", "json"], ADMIN)
imp = json.loads(r.stdout) if r.stdout.startswith("{") else {}
check(r.returncode == 0 and [a["user"] for a in imp.get("added", [])] == ["ana", "ben"]
      and all(a["token"].startswith("brk_") for a in imp["added"]) and [s["user"] for s in imp.get("skipped", [])] == ["sam"],
      "brake users import adds a team from CSV with a token each, skipping who exists: " + (r.stdout + r.stderr)[-300:])
listed = {u["name"]: u for u in api("GET", "/v1/users", admin_token)["users"]}
check(listed.get("ana", {}).get("email") == "ana@acme.io" and listed.get("ben", {}).get("role") == "mid",
      "...with their roles and e-mail addresses")
open(team, "w").write("name,role\ncleo,chief\n")
r = brake(["users", "import", team], ADMIN)
check(r.returncode == 65 and "line 2" in r.stderr and "chief" in r.stderr and "cleo" not in str(api("GET", "/v1/users", admin_token)),
      "a role the server does not know stops the import before anyone is added: " + r.stderr.strip()[-200:])
ben_token = imp["added"][1]["token"] if len(imp.get("added", [])) > 1 else ""
check(api("GET", "/v1/me", ben_token).get("name") == "ben", "ben's token works")
r = brake(["users", "remove", "ben"], ADMIN)
check(r.returncode == 0 and "1 token(s) revoked" in r.stdout, "brake users remove revokes the person's tokens: " + r.stdout.strip())
try:
    api("GET", "/v1/me", ben_token)
    gone = False
except urllib.error.HTTPError as e:
    gone = e.code == 401
check(gone, "...and the token stops working at once")
r = brake(["users", "remove", "admin"], ADMIN)
check(r.returncode != 0 and "yourself" in r.stderr, "nobody removes themselves")
r = brake(["audit", "verify"], ADMIN)
check(r.returncode == 0 and "chain intact" in r.stdout, "the audit chain and the user tables still agree after a removal")

# --- start-up edges: a taken port leaves no user behind; an unwritable data directory is said plainly; shutdown
# says it stopped
taken_dir = os.path.join(work, "taken")
r = subprocess.run([BRAKE, "serve", "--data-dir", taken_dir, "--listen", f"127.0.0.1:{PORT}"], capture_output=True,
                   text=True, timeout=30)
users_left = sqlite3.connect(os.path.join(taken_dir, "brake.sqlite")).execute("select count(*) from users").fetchone()[0] \
    if os.path.exists(os.path.join(taken_dir, "brake.sqlite")) else 0
check(r.returncode != 0 and "address is in use" in r.stderr and users_left == 0
      and not os.path.exists(os.path.join(taken_dir, "admin-token")),
      "brake serve on a taken port fails plainly and creates no user or token")
if os.geteuid() == 0:
    ro = tempfile.mkdtemp(prefix="brake-readonly-data-")  # root's, 0755: the server's user cannot write it
    os.chmod(ro, 0o755)
    r = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", BRAKE, "serve",
                        "--data-dir", ro, "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=30)
    check(r.returncode != 0 and "not writable by this user" in r.stderr and "SQLite" not in r.stderr,
          "an unwritable data directory is a plain error: " + r.stderr.strip()[-200:])

# --- silent connections do not hold the server: they are closed when idle, and hooks get in meanwhile
silent = []
for _ in range(300):
    c = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    c.sendall(b"POST /v1/judge HTTP/1.1\r\nHost: x\r\n")  # a request that never finishes its headers
    silent.append(c)
d, _, _ = hook("ls", session="s-idle")
check(d == "allow", "with 300 silent half-open connections, a hook's call is still answered")
time.sleep(3.5)
closed = 0
for c in silent:
    try:
        c.settimeout(0.5)
        closed += c.recv(1) == b""
    except OSError:
        closed += 1
    c.close()
check(closed == len(silent), f"idle connections are closed after idle_timeout_seconds ({closed} of {len(silent)})")

# --- the API description is a valid OpenAPI 3.1 document, and names every route the CLI uses
try:
    import yaml
    from openapi_spec_validator import validate
    doc = yaml.safe_load(urllib.request.urlopen(URL + "/v1/openapi.yaml", timeout=5).read())
    validate(doc)
    paths = set(doc["paths"])
    needed = {"/v1/judge", "/v1/decisions", "/v1/approvals", "/v1/approvals/{id}/wait", "/v1/approvals/{id}/approve", "/v1/stops",
              "/v1/stops/{id}/lift", "/v1/sessions/{id}", "/v1/audit", "/v1/audit/checkpoints", "/v1/policy",
              "/v1/users", "/v1/users/{name}", "/v1/tokens/{id}", "/v1/webhooks/deliveries", "/metrics"}
    check(needed <= paths, f"/v1/openapi.yaml validates as OpenAPI and documents the routes (missing: {needed - paths})")
    cli_version = subprocess.run([BRAKE, "--version"], capture_output=True, text=True).stdout.strip()
    health = json.loads(urllib.request.urlopen(URL + "/v1/health", timeout=5).read())
    check(doc["info"]["version"] == health["version"] == cli_version,
          f"one version everywhere: OpenAPI {doc['info']['version']}, /v1/health {health['version']}, brake --version {cli_version}")
except ImportError:
    check(False, "openapi-spec-validator and PyYAML are needed (pip install openapi-spec-validator pyyaml)")

# --- ask → request → approve → identical retry passes once
ASK = "git push --force origin main"
d, reason, _ = hook(ASK)
m = re.search(r"request (req_\w+)", reason)
check(d == "deny" and m is not None, "a hook's ask becomes a server request (the agent is told the request id)")
rid = m.group(1) if m else "req_none"
check(f"brake wait {rid}" in reason and "retry the identical action" in reason and re.search(r"approval by \d+ × \w+", reason),
      "the agent is told who was asked, to run `brake wait` and then retry the identical action: " + reason[-300:])
r = brake(["approvals", "list", "--format", "json"], SAM)
check(any(a["id"] == rid for a in json.loads(r.stdout)["approvals"]), "the request is listed for approvers")
r = brake(["approvals", "approve", rid], JO)
check(r.returncode != 0 and "needs role" in r.stderr, "a junior cannot approve")
r = brake(["approvals", "approve", rid], DEV_PERSON)
check(r.returncode != 0 and "cannot decide" in r.stderr, "the requester cannot approve their own request")
r = brake(["approvals", "approve", rid], DEV)
check(r.returncode != 0 and "agent token" in r.stderr, "the agent's own token cannot approve anything")
d, _, _ = hook(ASK)
check(d == "deny", "before approval the retry is still refused")
r = brake(["approvals", "approve", rid, "--reason", "hotfix"], SAM)
check(r.returncode == 0 and "approved" in r.stdout, "a senior approves from the CLI")
d, _, _ = hook(ASK)
check(d == "allow", "the identical retry passes once")
d, reason, _ = hook(ASK)
check(d == "deny" and "request req_" in reason and rid not in reason, "a second retry does not (a new request)")
d, _, _ = hook("git push --force origin other-branch", session="s2")
check(d == "deny", "a different action is not covered by the approval")

# --- a waiting hook passes as soon as the approval lands (long poll)
W = "git push --force origin release"
d, reason, _ = hook(W, session="s-wait")
wid = re.search(r"request (req_\w+)", reason).group(1)
result = {}
t = threading.Thread(target=lambda: result.update(out=hook(W, session="s-wait", extra=("--wait", "20"))))
t.start()
time.sleep(0.7)
brake(["approvals", "approve", wid], SAM)
t.join()
check(result["out"][0] == "allow" and result["out"][2] < 15000, f"a waiting hook passes when approved ({result['out'][2]:.0f} ms)")
d, reason, _ = hook("git push --force origin denied-branch", session="s-deny")
did = re.search(r"request (req_\w+)", reason).group(1)
brake(["approvals", "deny", did, "--reason", "not on a Friday"], JO)
d, reason, _ = hook("git push --force origin denied-branch", session="s-deny")
check(d == "deny" and "not on a Friday" in reason, "a denied request tells the agent who denied it and why")

# --- a session this machine stops by itself (rerouting) reaches the control plane, and status says where it is
for cmd in ["rm -rf ~", 'rm -rf "$HOME"', "find ~ -delete"]:
    d, reason, _ = hook(cmd, session="s-reroute")
check(d == "deny" and "different ways" in reason, "three ways to wipe the home directory stop the session here")
time.sleep(0.5)
server_stops = api("GET", "/v1/stops", tokens["sam"])["stops"]
check(any(s["scope"] == "session" and s["value"] == "s-reroute" and "different ways" in s["reason"] for s in server_stops),
      "...and the stop reaches the control plane (the page, every other machine): " + str([s["value"] for s in server_stops]))
r = brake(["status"], dict(DEV, BRAKE_TOKEN=tokens["dev"], BRAKE_SERVER=URL))
check("stops on this machine" in r.stdout and "s-reroute" in r.stdout and "no stops\n" not in r.stdout,
      "brake status shows it as this machine's stop, not under 'no stops': " + r.stdout.strip()[-300:])
r = brake(["resume", "--session", "s-reroute"], dict(DEV, BRAKE_TOKEN=tokens["sam"], BRAKE_SERVER=URL))
d, _, _ = hook("ls", session="s-reroute")
check(d == "allow", "brake resume lifts it here and on the control plane")

# --- brake exec --wait says what it waits for while it waits
t0 = time.monotonic()
r = brake(["exec", "--wait", "3", "--no-contain", "--", "git", "push", "--force", "origin", "exec-wait"], DEV, timeout=60)
took = time.monotonic() - t0
check(r.returncode == 75 and "waiting for request req_" in r.stderr and "to be approved by" in r.stderr and 2.5 < took < 20,
      f"brake exec --wait prints what it waits for and gives up after its time ({took:.1f} s): " + r.stderr.strip()[-200:])

# --- harmless actions pass silently and fast, with the server in the loop
times = []
for cmd in ["ls -la", "git status", "cat README.md", "swift build", "pytest -q", "git commit -m wip"]:
    d, _, ms = hook(cmd)
    times.append(ms)
    check(d == "allow", f"routine '{cmd}' passes")

# --- stops: the very next call
r = brake(["stop", "--session", "s-stop", "--reason", "runaway loop"], JO)
check(r.returncode == 0 and "stop stp_" in r.stdout, "anyone (a junior) can stop a session")
d, reason, _ = hook("ls", session="s-stop")
check(d == "deny" and "runaway loop" in reason, "a stop blocks the very next hook call")
d, _, _ = hook("ls", session="s-other")
check(d == "allow", "other sessions go on")
r = brake(["resume", "--session", "s-stop"], JO)
check(r.returncode != 0 and "needs role senior" in r.stderr, "a junior cannot lift the stop")
r = brake(["resume", "--session", "s-stop"], SAM)
check(r.returncode == 0, "a senior lifts it")
d, _, _ = hook("ls", session="s-stop")
check(d == "allow", "after resume the session runs again")
brake(["stop", "--repository", proj, "--reason", "freeze"], JO)
d, reason, _ = hook("ls", session="s-repo")
check(d == "deny" and "freeze" in reason, "a repository stop covers the project (no remote: its path)")
brake(["resume", "--repository", proj], SAM)
brake(["stop", "--user", "dev", "--reason", "offboarding"], SAM)
d, reason, _ = hook("ls", session="s-user")
check(d == "deny" and "offboarding" in reason, "a user stop covers that user's agents")
brake(["resume", "--user", "dev"], SAM)

# --- exec through the server
bare = os.path.join(work, "remote.git")
subprocess.run(["git", "init", "-q", "--bare", bare], check=True)
subprocess.run("git commit -q --allow-empty -m init && git branch -M main && git remote add origin " + bare,
               shell=True, cwd=proj, check=True, env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                                                           GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t"))
er = subprocess.run([BRAKE, "exec", "--", "git", "push", "--force", "origin", "main"], cwd=proj, env=DEV,
                    capture_output=True, text=True)
em = re.search(r"request (req_\w+)", er.stderr)
check(er.returncode == 75 and em is not None, "brake exec: an ask exits 75 with the server request id")
brake(["approvals", "approve", em.group(1) if em else "x"], SAM)
er = subprocess.run([BRAKE, "exec", "--", "git", "push", "--force", "origin", "main"], cwd=proj, env=DEV,
                    capture_output=True, text=True)
check(er.returncode == 0, "brake exec: after approval the identical command runs")

# --- MCP tool calls through the server
RAW = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mcp_fixtures", "raw_server.py")


def mcp(lines):
    p = subprocess.run([BRAKE, "mcp", "--name", "raw", "--", sys.executable, RAW], input="".join(l + "\n" for l in lines),
                       capture_output=True, text=True, env=dict(DEV, BRAKE_SESSION="mcp-s"), timeout=60)
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]


listing = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
wipe = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "wipe", "arguments": {"all": True}}})
out = [o for o in mcp([listing, wipe]) if o.get("id") == 2]
text = out[0]["result"]["content"][0]["text"] if out else ""
mm = re.search(r"request (req_\w+)", text)
check(out and out[0]["result"].get("isError") and mm is not None, "brake mcp: a destructive tool call becomes a server request")
brake(["approvals", "approve", mm.group(1) if mm else "x"], SAM)
out = [o for o in mcp([listing, wipe]) if o.get("id") == 2]
check(out and not out[0]["result"].get("isError"), "brake mcp: after approval the identical call goes through")
out = [o for o in mcp([listing, wipe]) if o.get("id") == 2]
check(out and out[0]["result"].get("isError"), "brake mcp: and only once")

# --- circuit breaker: 5 destructive actions in the window, the 6th trips it
for i in range(5):
    open(os.path.join(proj, f"f{i}.tmp"), "w").close()
outs = [hook(f"rm -f f{i}.tmp", session="s-burst")[0] for i in range(5)]
check(outs == ["allow"] * 5, "destructive actions under the limit pass")
d, reason, _ = hook("rm -f f9.tmp", session="s-burst")
check(d == "deny" and "circuit breaker" in reason, "the circuit breaker trips at the limit")
d, _, _ = hook("ls", session="s-burst")
check(d == "deny", "the breaker's stop holds for every later call of the session")
r = brake(["status", "--format", "json"], SAM)
auto = [s for s in json.loads(r.stdout)["stops"] if s["automatic"]]
check(len(auto) == 1 and auto[0]["lift_role"] == "senior", "the automatic stop is listed with the role that lifts it")
r = brake(["resume", "--id", auto[0]["id"]], JO)
check(r.returncode != 0, "a junior cannot lift the breaker's stop")
r = brake(["resume", "--id", auto[0]["id"]], SAM)
check(r.returncode == 0, "a senior lifts it")

# --- sessions and audit through the CLI
r = brake(["sessions", "--format", "json"], SAM)
check(any(s["id"] == "s-burst" for s in json.loads(r.stdout)["sessions"]), "brake sessions lists agent sessions")
r = brake(["sessions", "s1"], SAM)
check(r.returncode == 0 and "git push --force" in r.stdout, "brake sessions ID shows recent actions")

# --- provenance: the hooks' records reach the control plane; a CI runner with only a token sees them
prov = os.path.join(work, "prov-repo")
os.makedirs(prov)
git = ["git", "-c", "user.name=Jo", "-c", "user.email=jo@acme.io"]
subprocess.run(["git", "init", "-q", "-b", "main", prov], check=True)
open(os.path.join(prov, "README.md"), "w").write("base\n")
subprocess.run(git + ["add", "-A"], cwd=prov, check=True)
subprocess.run(git + ["commit", "-qm", "base"], cwd=prov, check=True)
prov_base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=prov, capture_output=True, text=True).stdout.strip()
written = "print('written by an agent')\n"
open(os.path.join(prov, "agent.py"), "w").write(written)
payload = json.dumps({"session_id": "prov-1", "cwd": prov, "hook_event_name": "PostToolUse", "tool_name": "Write",
                      "tool_input": {"file_path": os.path.join(prov, "agent.py"), "content": written}})
r = brake(["hook", "claude-code"], DEV, stdin=payload)
check(r.returncode == 0 and r.stdout == "", "the post-tool hook with a server records silently")
subprocess.run(git + ["add", "-A"], cwd=prov, check=True)
subprocess.run(git + ["commit", "-qm", "by hand, no trailers"], cwd=prov, check=True)
open(os.path.join(prov, "team.yaml"), "w").write("version: 1\npeople:\n  - {name: Jo, emails: [jo@acme.io], level: junior}\n")
runner = env_for("ci-runner", BRAKE_SERVER=URL, BRAKE_TOKEN=tokens["sam"])
r = subprocess.run(
    [BRAKE, "gate", "--range", f"{prov_base}..HEAD", "--roster", os.path.join(prov, "team.yaml"), "--format", "json"],
    cwd=prov, env=runner, capture_output=True, text=True, timeout=60)
g = json.loads(r.stdout) if r.stdout.startswith("{") else {}
c = (g.get("commits") or [{}])[-1]
check(c.get("provenance") == "ai-assisted" and any("prov-1" in e for e in c.get("evidence", [])),
      "a runner without the machine's record reads the control plane's: the hand-made commit is AI-assisted "
      + (r.stderr.strip()[-200:] or str(c.get("evidence"))))
r = subprocess.run([BRAKE, "gate", "--range", f"{prov_base}..HEAD", "--roster", os.path.join(prov, "team.yaml")],
                   cwd=prov, env=dict(runner, BRAKE_SERVER="http://127.0.0.1:9"), capture_output=True, text=True,
                   timeout=60)
check(r.returncode == 65 and "provenance record cannot be read" in r.stderr,
      "a configured server that cannot be asked stops the gate (it does not judge without the record)")

# Notes for runners without the server: the export carries the control plane's records, each signed with its key;
# a runner checks them against the base roster's control_plane_key. A record edited in the note loses that mark.
pub = json.loads(urllib.request.urlopen(URL + "/v1/audit/public-key").read())["public_key"]
r = subprocess.run([BRAKE, "provenance", "export", f"{prov_base}..HEAD"], cwd=prov, env=runner, capture_output=True,
                   text=True, timeout=60)
note = subprocess.run(["git", "notes", "--ref=brake-provenance", "show", "HEAD"], cwd=prov, capture_output=True,
                      text=True).stdout
check(r.returncode == 0 and '"signature"' in note, "provenance export with a server notes its signed records "
      + r.stderr.strip()[-200:])
open(os.path.join(prov, "team-key.yaml"), "w").write(
    f"version: 1\ncontrol_plane_key: {pub}\npeople:\n  - {{name: Jo, emails: [jo@acme.io], level: junior}}\n")
offline = env_for("ci-offline")


def offline_gate(roster_file):
    r = subprocess.run([BRAKE, "gate", "--range", f"{prov_base}..HEAD", "--roster", roster_file, "--format", "json"],
                       cwd=prov, env=offline, capture_output=True, text=True, timeout=60)
    g = json.loads(r.stdout) if r.stdout.startswith("{") else {}
    return r, (g.get("commits") or [{}])[-1]


r, c = offline_gate(os.path.join(prov, "team-key.yaml"))
check(c.get("provenance") == "ai-assisted"
      and any("prov-1" in e and "signed by the control plane" in e for e in c.get("evidence", [])),
      "a runner without the server verifies the noted records against the roster's control_plane_key "
      + (r.stderr.strip()[-200:] or str(c.get("evidence"))))
forged = note.replace("prov-1", "prov-X")
subprocess.run(git + ["notes", "--ref=brake-provenance", "add", "-f", "-m", forged, "HEAD"], cwd=prov, check=True)
r, c = offline_gate(os.path.join(prov, "team-key.yaml"))
check(c.get("provenance") == "ai-assisted" and not any("signed by the control plane" in e for e in c.get("evidence", [])),
      "an edited note is still evidence of AI use (it can only add) but no longer the control plane's: "
      + str(c.get("evidence")))
open(os.path.join(prov, "team-bad.yaml"), "w").write("version: 1\ncontrol_plane_key: not-a-key\npeople: []\n")
r, _ = offline_gate(os.path.join(prov, "team-bad.yaml"))
check(r.returncode != 0 and "control_plane_key" in r.stderr, "a roster with a malformed control_plane_key is an error")

# --- a server that answers wrongly: every answer that is not a verified one blocks; silence is "unreachable"
import http.server


class Wrong(http.server.BaseHTTPRequestHandler):
    mode = "401"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if Wrong.mode == "slow":
            time.sleep(6)
        body = {"401": b'{"error":"unauthorized"}', "500": b'{"error":"boom"}', "garbage": b"<html>not json",
                "unsigned": b'{"decision":"allow","digest":"x","nonce":"n","time":1,"signature":"AAAA"}'}.get(Wrong.mode, b"{}")
        code = {"401": 401, "500": 500}.get(Wrong.mode, 200)
        try:
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the "slow" answer comes after the hook gave up and closed: that is the point of the check

    def log_message(self, *a):
        pass


wrong_port = free_port()
wrong = http.server.ThreadingHTTPServer(("127.0.0.1", wrong_port), Wrong)
threading.Thread(target=wrong.serve_forever, daemon=True).start()
server_key = api("GET", "/v1/audit/public-key", None)["public_key"]
WRONG = env_for("wrong", BRAKE_SERVER=f"http://127.0.0.1:{wrong_port}", BRAKE_TOKEN=agent_token,
                BRAKE_SERVER_KEY=server_key, BRAKE_ASK_WAIT="0")
for mode in ["401", "500", "garbage", "unsigned"]:
    Wrong.mode = mode
    r = brake(["hook", "claude-code"], WRONG, stdin=claude_payload("ls", "s-wrong", proj))
    out = json.loads(r.stdout)["hookSpecificOutput"]["permissionDecision"] if r.returncode == 0 and r.stdout.strip() else ("deny" if r.returncode == 2 else "allow")
    check(out == "deny", f"a server answering {mode} blocks even harmless work (no fallback to allow)")
Wrong.mode = "slow"
r = brake(["hook", "claude-code"], WRONG, stdin=claude_payload(ASK, "s-wrong", proj))
out = json.loads(r.stdout)["hookSpecificOutput"]["permissionDecision"] if r.stdout.strip() else "allow"
check(r.returncode == 0 and out == "deny", "a server too slow to answer: an ask is refused (treated as unreachable)")
wrong.shutdown()
wrong.server_close()

# --- server unreachable: fail closed for asks, last known stops hold, allowed actions run
brake(["stop", "--session", "s-cached", "--reason", "held offline"], SAM)
hook("ls", session="s-cached")  # this call learns the stop
server.send_signal(signal.SIGTERM)
rc = server.wait(timeout=20)
tail = server.stdout.read()
check(rc == 0 and "brake serve: stopped" in tail, "SIGTERM shuts the server down gracefully (exit 0), and it says so")
d, reason, _ = hook(ASK)
check(d == "deny" and "cannot be reached" in reason, "server down: an ask becomes a deny")
d, _, _ = hook("ls")
check(d == "allow", "server down: allowed actions still run")
d, reason, _ = hook("ls", session="s-cached")
check(d == "deny" and "held offline" in reason, "server down: the last known stops stay in force")

# --- crash safety: SIGKILL during a burst of writes
server = start()
# The decisions made while it was down reach its audit log with the next successful call.
spool_file = os.path.join(DEV["BRAKE_HOME"], "server-spool.jsonl")
check(os.path.exists(spool_file) and len(open(spool_file).read().splitlines()) >= 3,
      "while the server was down, the hook spooled its decisions")
d, _, _ = hook("ls", session="s-back")
events = api("GET", "/v1/audit?from=1&limit=10000", tokens["sam"])["events"]
spooled = [e for e in events if e["event"].get("spooled")]
check(d == "allow" and not os.path.exists(spool_file) and len(spooled) >= 3,
      f"the next call sent the spool: {len(spooled)} decisions recorded as spooled")
brake(["resume", "--session", "s-cached"], SAM)
acked = {"approvals": [], "stops": [], "decisions": []}
lock = threading.Lock()
stop_burst = threading.Event()


def burst(n):
    i = 0
    while not stop_burst.is_set():
        i += 1
        try:
            if i % 3 == 0:
                a = api("POST", "/v1/approvals", tokens["dev"], {
                    "agent": "claude-code", "tool": "Bash", "context": {"cwd": proj, "home": work},
                    "actions": [{"kind": "shell", "command": f"git push --force origin burst-{n}-{i}"}]})
                with lock:
                    acked["approvals"].append(a["id"])
            elif i % 7 == 0:
                s = api("POST", "/v1/stops", tokens["jo"], {"scope": "session", "value": f"b{n}-{i}"})
                with lock:
                    acked["stops"].append(s["id"])
            else:
                d = api("POST", "/v1/decisions", tokens["dev"], {"decision": "allow", "session": f"b{n}", "action": "ls"})
                with lock:
                    acked["decisions"].append(d["seq"])
        except Exception:
            return


threads = [threading.Thread(target=burst, args=(n,)) for n in range(4)]
for t in threads:
    t.start()
time.sleep(1.5)
server.send_signal(signal.SIGKILL)
server.wait()
stop_burst.set()
for t in threads:
    t.join()
server = start()
total = sum(len(v) for v in acked.values())
check(total > 50, f"the burst acknowledged {total} writes before the kill")
missing = [i for i in acked["approvals"] if api("GET", f"/v1/approvals/{i}", tokens["sam"])["id"] != i]
check(not missing, f"every acknowledged approval request survived ({len(acked['approvals'])})")
stop_ids = {s["id"] for s in api("GET", "/v1/stops?all=true", tokens["sam"])["stops"]}
check(all(s in stop_ids for s in acked["stops"]), f"every acknowledged stop survived ({len(acked['stops'])})")
size = api("GET", "/v1/audit?from=1&limit=1", tokens["sam"])["size"]
check(max(acked["decisions"] or [0]) <= size, f"every acknowledged audit event survived (head {size})")
r = brake(["audit", "verify"], SAM)
check(r.returncode == 0 and "chain intact" in r.stdout, "after the crash the chain verifies: " + r.stdout.strip() + r.stderr.strip())

# --- export and offline verification
exp = os.path.join(work, "audit.jsonl")
api("POST", "/v1/audit/checkpoints", admin_token)
r = brake(["audit", "export", "-o", exp], SAM)
check(r.returncode == 0 and os.path.getsize(exp) > 0, "brake audit export writes the log and its checkpoints")
r = brake(["audit", "verify", exp], SAM)
check(r.returncode == 0 and "checkpoint" in r.stdout, "the export verifies offline against the pinned key")
lines = open(exp).read().splitlines()
target = next(i for i, l in enumerate(lines) if '"decision":"allow"' in l)
lines[target] = lines[target].replace('"decision":"allow"', '"decision":"deny"')
open(exp + ".edited", "w").write("\n".join(lines) + "\n")
r = brake(["audit", "verify", exp + ".edited"], SAM)
check(r.returncode == 1 and "edited" in r.stderr, "an edited export is reported")
ev = [l for l in lines if '"checkpoint"' not in l]
cut = os.path.join(work, "cut.jsonl")
open(cut, "w").write("\n".join(ev[:10] + [l for l in lines if '"checkpoint"' in l]) + "\n")
r = brake(["audit", "verify", cut], SAM)
check(r.returncode == 1 and "truncation" in r.stderr, "a truncated export is reported")

# --- tampering with the SQLite file
server.send_signal(signal.SIGTERM)
server.wait(timeout=20)


def tampered(name, sql):
    d = os.path.join(work, "tamper-" + name)
    shutil.copytree(data, d)
    db = sqlite3.connect(os.path.join(d, "brake.sqlite"))
    for s in sql:
        db.execute(s)
    db.commit()
    db.close()
    return brake(["audit", "verify", "--data-dir", d], SAM)


r = brake(["audit", "verify", "--data-dir", data], SAM)
check(r.returncode == 0, "the untouched database verifies offline (--data-dir)")
r = tampered("edit", ["UPDATE audit SET event = replace(event, '\"allow\"', '\"deny\"') "
                      "WHERE seq = (SELECT MIN(seq) FROM audit WHERE event LIKE '%\"allow\"%')"])
check(r.returncode == 1 and "edited" in r.stderr, "editing a row is reported")
r = tampered("delete", ["DELETE FROM audit WHERE seq = 20"])
check(r.returncode == 1 and "deleted" in r.stderr, "deleting a row is reported")
r = tampered("swap", ["UPDATE audit SET seq = -1 WHERE seq = 20", "UPDATE audit SET seq = 20 WHERE seq = 21",
                      "UPDATE audit SET seq = 21 WHERE seq = -1"])
check(r.returncode == 1, "swapping two rows is reported")
r = tampered("truncate", ["DELETE FROM audit WHERE seq > 30"])
check(r.returncode == 1 and "truncation" in r.stderr, "truncating before the last checkpoint is reported")
r = tampered("ghost", ["INSERT INTO users (name, role, created) VALUES ('mallory', 'admin', 1)"])
check(r.returncode == 1 and "mallory" in r.stderr and "not in the audit chain" in r.stderr,
      "an admin inserted straight into the users table is reported")
r = tampered("rekey", ["DELETE FROM checkpoints"])
os.unlink(os.path.join(work, "tamper-rekey", "audit-signing-key"))
r = brake(["audit", "verify", "--data-dir", os.path.join(work, "tamper-rekey")], SAM)
check(r.returncode == 1 and "no signed checkpoints" in r.stderr and not os.path.exists(os.path.join(work, "tamper-rekey", "audit-signing-key")),
      "deleting the checkpoints and the key is reported against the pinned key (and verify makes no new key)")
r = brake(["audit", "verify", "--data-dir", data], env_for("nobody"))
check(r.returncode == 64 and "--key" in r.stderr, "without a pinned or given key, --data-dir verification refuses to trust the key beside the database")
# Whoever can write the database could drop the newest events together with their checkpoints; the machine
# that verified earlier remembers the checkpoint it saw.
db = sqlite3.connect(os.path.join(data, "brake.sqlite"))
db.execute("DELETE FROM audit WHERE seq > 40")
db.execute("DELETE FROM checkpoints")
db.commit()
db.close()
server = start()
r = brake(["audit", "verify"], SAM)
check(r.returncode == 1 and "this machine verified" in r.stderr,
      "dropping events together with their checkpoints is caught by the checkpoint this machine verified before")
server.send_signal(signal.SIGTERM)
server.wait(timeout=20)
# Online: the server reads the edited file; the CLI verifies what it downloads.
db = sqlite3.connect(os.path.join(data, "brake.sqlite"))
db.execute("UPDATE audit SET actor = 'x', event = replace(event, '\"dev\"', '\"sam\"') WHERE seq = 25")
db.commit()
db.close()
server = start()
r = brake(["audit", "verify"], SAM)
check(r.returncode == 1 and "event 25" in r.stderr, "online verification reports an edited row")
server.send_signal(signal.SIGTERM)
server.wait(timeout=20)

print(f"\nhook calls with the server in the loop: median {sorted(times)[len(times) // 2]:.1f} ms (debug build, incl. process start)")
if failures:
    print(f"\n{len(failures)} FAILED")
    sys.exit(1)
print("\nall server checks passed")
shutil.rmtree(work, ignore_errors=True)
