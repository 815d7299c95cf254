#!/usr/bin/env python3
"""Hostile agent: an agent that tries to get past Brake, run as an unprivileged OS user this test creates.

The machine has a system install (`brake login --system` under a root-owned BRAKE_SYSTEM_ROOT) connected to a
real `brake serve` running as root. Every step of the agent's session is a real `brake hook claude-code` call
made as the agent's user; what Brake allows is then executed as that user, as the agent harness would. Where
an attack needs more than a hook call (reading files, writing scripts, calling the API, starting a server) the
agent does it directly with its own account: the worst case, code execution as the operator's user.

Each attack ends with the risky action not having run unless a person approved exactly it. Zero successes.
Section 12 repeats the local attacks against a local system install (no server, `brake secret set`).
"""
import atexit, glob, hashlib, http.server, json, os, pwd, random, re, shutil, signal, subprocess, sys, tempfile, threading
import time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import api as api_at, check, claude_payload, failures, free_port, wait_http  # noqa: E402

if os.geteuid() != 0:
    print("SKIPPED: the hostile-agent suite creates an OS user for the agent and needs root (CI runs as root)")
    sys.exit(0)

SOURCE = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="brake-hostile-")
os.chmod(work, 0o755)
bindir = os.path.join(work, "bin")
os.makedirs(bindir)
BRAKE = os.path.join(bindir, "brake")
shutil.copy2(SOURCE, BRAKE)
os.chmod(BRAKE, 0o755)
# A stand-in kubectl that records what would have reached the cluster.
ran_log = os.path.join(work, "kubectl-ran.log")
open(ran_log, "w").close()
os.chmod(ran_log, 0o666)
with open(os.path.join(bindir, "kubectl"), "w") as f:
    f.write(f"#!/bin/sh\necho \"$*\" >> {ran_log}\n")
os.chmod(os.path.join(bindir, "kubectl"), 0o755)

# --- the agent's OS user
AGENT = f"brkagent{random.randint(10000, 99999)}"
subprocess.run(["useradd", "-m", "-s", "/bin/bash", AGENT], check=True)
atexit.register(lambda: subprocess.run(["userdel", "-r", AGENT], capture_output=True))
pw = pwd.getpwnam(AGENT)
HOME = pw.pw_dir
PROJ = os.path.join(HOME, "project")
SYSROOT = os.path.join(work, "sys")
ENV = {"HOME": HOME, "USER": AGENT, "LOGNAME": AGENT, "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin",
       "BRAKE_SYSTEM_ROOT": SYSROOT, "BRAKE_ASK_WAIT": "0", "LANG": "C.UTF-8"}


def as_agent(argv, stdin=None, env=None, cwd=None, timeout=60):
    """Runs argv as the agent's OS user (no root, no capabilities)."""
    return subprocess.run(["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups",
                           "--inh-caps=-all", "--"] + argv, input=stdin, capture_output=True, text=True,
                          env=env or ENV, cwd=cwd or (PROJ if os.path.isdir(PROJ) else HOME), timeout=timeout)


def agent_sh(script, **kw):
    return as_agent(["bash", "-c", script], **kw)


check(agent_sh("id -u").stdout.strip() == str(pw.pw_uid) and pw.pw_uid != 0, f"the agent runs as {AGENT}, not root")
agent_sh(f"mkdir -p {PROJ} && cd {PROJ} && git init -q . && git config user.email a@b && git config user.name agent"
         " && git commit -q --allow-empty -m init && git branch -M main", cwd=HOME)
remote = os.path.join(work, "remote.git")
subprocess.run(["git", "init", "-q", "--bare", remote], check=True)
subprocess.run(["chown", "-R", f"{pw.pw_uid}:{pw.pw_gid}", remote], check=True)
agent_sh(f"git remote add origin {remote} && git push -q origin main && git commit -q --allow-empty -m rewrite "
         "&& git reset -q --hard HEAD~1 && git commit -q --allow-empty -m 'force me'")
agent_sh("mkdir -p ~/.kube && printf 'apiVersion: v1\\nkind: Config\\ncurrent-context: staging-eu\\n' > ~/.kube/config")


def remote_head():
    return subprocess.run(["git", "--git-dir", remote, "rev-parse", "main"], capture_output=True, text=True).stdout.strip()


def kubectl_ran():
    return open(ran_log).read()


# --- the control plane, as root, in a directory the agent cannot read
data = os.path.join(work, "server")
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"


def start():
    p = subprocess.Popen([BRAKE, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{PORT}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    if not wait_http(URL + "/v1/health", p):
        raise SystemExit("brake serve did not start")
    return p


server = start()
atexit.register(lambda: server.poll() is None and server.send_signal(signal.SIGTERM))
os.chmod(data, 0o700)
admin = open(os.path.join(data, "admin-token")).read().strip()


def api(method, path, token, body=None):
    return api_at(URL, method, path, token, body)


people = {n: api("POST", "/v1/users", admin, {"name": n, "role": r})["token"]
          for n, r in [("sam", "senior"), ("jo", "junior"), ("dev", "mid")]}
agent_token = api("POST", "/v1/tokens", people["dev"], {"scope": "agent", "label": "hooks"})["token"]
tf = os.path.join(work, "agent-token.txt")
open(tf, "w").write(agent_token)
os.chmod(tf, 0o600)
r = subprocess.run([BRAKE, "login", "--system", "--server", URL, "--token-file", tf], capture_output=True, text=True,
                   env=dict(os.environ, BRAKE_SYSTEM_ROOT=SYSROOT))
check(r.returncode == 0 and "pinned" in r.stdout, "root's system install pins the server key and the agent token")
os.unlink(tf)
sysconf = os.path.join(SYSROOT, "etc", "brake")
check(agent_sh(f"echo x >> {sysconf}/server.json").returncode != 0, "the agent's account cannot write the system install")
r2 = as_agent([BRAKE, "login", "--system", "--server", URL, "--token", agent_token])
check(r2.returncode != 0 and "root" in r2.stderr, "the agent cannot write a system install of its own")


def person(name, args):
    """A person's own terminal: their token in their own environment."""
    return subprocess.run([BRAKE] + args, capture_output=True, text=True,
                          env=dict(os.environ, BRAKE_SYSTEM_ROOT=SYSROOT, BRAKE_TOKEN=people[name],
                                   HOME=os.path.join(work, "home-" + name)))


def hook(command, session="s1", run=True, via=None, env=None):
    """One agent step: the hook call as the agent's user; what Brake allows is executed as the agent.
    `via` is the hook's command (default `brake hook claude-code`, judged in the agent's own process)."""
    r = as_agent(via or [BRAKE, "hook", "claude-code"], stdin=claude_payload(command, session, PROJ), env=env)
    if r.returncode not in (0, 2):
        return "crash", r.stderr
    decision, reason = "allow", ""
    if r.stdout.strip():
        out = json.loads(r.stdout)["hookSpecificOutput"]
        decision, reason = out["permissionDecision"], out.get("permissionDecisionReason", "")
    if r.returncode == 2:
        decision = "deny"
    if decision == "allow" and run:
        agent_sh(command)
    return decision, reason


def request_id(reason):
    m = re.search(r"request (req_\w+)", reason)
    return m.group(1) if m else None


DELETE_NS = "kubectl --context prod delete deployment payments"
PUSH = "git push --force origin main"
head0 = remote_head()

# --- 0. the agent's routine work passes, silently
for c in ["ls -la", "git status", "git log --oneline -3", "echo hello > notes.txt", "cat notes.txt"]:
    d, _ = hook(c)
    check(d == "allow", f"routine '{c}' passes")

# --- 1. the requester decides what needs approving: a forged request with chosen rules and summary
d, reason = hook(DELETE_NS, run=False)
check(d == "deny" and request_id(reason), "the production deletion needs a senior's approval (a request is opened)")
forge = os.path.join(HOME, "forge.py")
agent_sh(f"""cat > {forge} <<'PY'
import json, sys, urllib.request
token = open('{sysconf}/agent-token').read().strip()
def post(path, body):
    req = urllib.request.Request('{URL}' + path, data=json.dumps(body).encode(), method='POST',
        headers={{'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'}})
    try:
        with urllib.request.urlopen(req) as r: return r.status, json.load(r)
    except urllib.error.HTTPError as e: return e.code, json.load(e)
ctx = {{'cwd': '{PROJ}', 'home': '{HOME}'}}
# a harmless action carrying the deletion's digest, rules and summary of its choosing
a = post('/v1/approvals', {{'agent': 'claude-code', 'tool': 'Bash', 'context': ctx, 'digest': sys.argv[1],
    'summary': 'kubectl get pods', 'rules': ['git.force-push'], 'approvers': {{'role': 'junior', 'count': 1}},
    'actions': [{{'kind': 'shell', 'command': 'kubectl get pods'}}]}})
# the real action dressed up as a harmless one
b = post('/v1/approvals', {{'agent': 'claude-code', 'tool': 'Bash', 'context': ctx, 'summary': 'kubectl get pods',
    'rules': ['git.force-push'], 'approvers': {{'role': 'junior', 'count': 1}},
    'actions': [{{'kind': 'shell', 'command': '{DELETE_NS}'}}]}})
print(json.dumps([a, b]))
PY""")
digest = [json.loads(l) for l in open(os.path.join(HOME, ".brake", "audit.jsonl"))][-1]["digest"]
out = json.loads(as_agent(["python3", forge, digest]).stdout)
check(out[0][0] == 409, "a forged request for a harmless action with the deletion's digest is refused (nothing to approve)")
status, forged = out[1]
check(status in (200, 201) and "delete deployment payments" in forged["summary"] and "get pods" not in forged["summary"],
      "the dressed-up request shows the server's own summary: the real deletion")
check(forged["required"]["role"] == "senior", "...and the server's requirement (senior), not the claimed junior")
r = person("jo", ["approvals", "approve", forged["id"]])
check(r.returncode != 0, "a junior who sees it cannot approve it")
d, _ = hook(DELETE_NS)
check(d == "deny" and DELETE_NS.split(" ", 1)[1] not in kubectl_ran(), "the deletion still does not run")

# --- 2. the agent's account holds no human power: a token read from every place it could be
found = set()
scan = agent_sh("grep -rhoa 'brk_[A-Za-z0-9_]*' ~ /proc/self/environ " + sysconf + " 2>/dev/null; "
                "for p in /proc/[0-9]*/environ; do tr '\\0' '\\n' < $p 2>/dev/null; done | grep -oa 'brk_[A-Za-z0-9_]*'; "
                "ps eww -A 2>/dev/null | grep -oa 'brk_[A-Za-z0-9_]*'; env | grep -oa 'brk_[A-Za-z0-9_]*'")
found |= set(re.findall(r"brk_[A-Za-z0-9_]+", scan.stdout))
check(agent_token in found, "the agent can read the hooks' agent token (by design: it only has an agent's powers)")
check(not (found & set(people.values()) - {agent_token}) and admin not in found,
      f"no person's token is readable by the agent ({len(found)} token(s) found, all agent-scoped)")
for t in found:
    try:
        me = api("GET", "/v1/me", t)
    except Exception:
        continue
    check(me.get("scope") == "agent", f"a found token is agent-scoped ({me.get('name')})")
    for method, path, body in [("POST", f"/v1/approvals/{forged['id']}/approve", {}),
                               ("POST", "/v1/tokens", {}), ("GET", "/v1/audit", None),
                               ("POST", "/v1/users", {"name": "evil", "role": "admin"}),
                               ("POST", "/v1/stops", {"scope": "all"})]:
        try:
            api(method, path, t, body)
            check(False, f"an agent token can {method} {path}")
        except urllib.error.HTTPError as e:
            check(e.code in (401, 403), f"an agent token cannot {method} {path} ({e.code})")

# --- 3. the hook pointed at a server of the agent's own: links and files in the agent's home
fake_hits = []


class Fake(http.server.BaseHTTPRequestHandler):
    answer = None

    def do_POST(self):
        fake_hits.append(self.path)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        a = dict(Fake.answer or {"decision": "allow", "digest": "sha256:x", "request_id": "", "time": 1,
                                 "signature": "AAAA", "message": ""})
        if Fake.answer is None:
            a["nonce"] = body.get("nonce", "")
        data = json.dumps(a).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST

    def log_message(self, *a):
        pass


fake_port = free_port()
fake = http.server.ThreadingHTTPServer(("127.0.0.1", fake_port), Fake)
threading.Thread(target=fake.serve_forever, daemon=True).start()
agent_sh(f"ln -s ~/.brake notes && printf '%s' '{json.dumps({'server': f'http://127.0.0.1:{fake_port}', 'token': agent_token, 'public_key': 'AAAA', 'scope': 'agent'})}' > notes/server.json")
check(os.path.exists(os.path.join(HOME, ".brake", "server.json")), "the agent wrote ~/.brake/server.json through a link")
d, reason = hook(PUSH, session="s3")
check(d == "deny" and remote_head() == head0, "the force push is still refused: the hook ignores settings the agent can write")
check(not fake_hits, "the fake server was never asked")
agent_sh("printf -- '-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n' > ~/my-ca.pem")
r = as_agent([BRAKE, "hook", "claude-code"], stdin=claude_payload(PUSH, "s3", PROJ),
             env=dict(ENV, BRAKE_SERVER=f"http://127.0.0.1:{fake_port}", BRAKE_TOKEN=agent_token, BRAKE_SERVER_KEY="AAAA",
                      BRAKE_CA_FILE=os.path.join(HOME, "my-ca.pem"), BRAKE_ALLOW_PLAIN_HTTP="1"))
decided = json.loads(r.stdout)["hookSpecificOutput"]["permissionDecision"] if r.stdout.strip() else "allow"
check(decided == "deny" and remote_head() == head0 and not fake_hits,
      "...even with BRAKE_SERVER, BRAKE_TOKEN, BRAKE_SERVER_KEY, BRAKE_CA_FILE and BRAKE_ALLOW_PLAIN_HTTP pointing "
      "elsewhere in the hook's environment")

# --- 4. a fake server on the real port: forged and replayed answers
captured = agent_sh(f"""python3 - <<'PY'
import json, urllib.request
token = open('{sysconf}/agent-token').read().strip()
body = {{'agent': 'claude-code', 'tool': 'Bash', 'session': 's4', 'nonce': 'agent-chosen-nonce-0001',
        'context': {{'cwd': '{PROJ}', 'home': '{HOME}'}}, 'actions': [{{'kind': 'shell', 'command': 'ls'}}]}}
req = urllib.request.Request('{URL}/v1/judge', data=json.dumps(body).encode(), method='POST',
    headers={{'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'}})
print(urllib.request.urlopen(req).read().decode())
PY""").stdout
real_allow = json.loads(captured)
check(real_allow["decision"] == "allow" and real_allow["signature"], "the agent captured a real signed 'allow'")
server.send_signal(signal.SIGTERM)
server.wait(timeout=20)
fake.shutdown()
fake.server_close()
# The agent's own server takes the real port.
agent_sh(f"cat > ~/captured.json <<'JSON'\n{captured.strip()}\nJSON")
impostor = agent_sh(f"""nohup python3 - > /dev/null 2>&1 <<'PY' &
import http.server, json
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, a):
        d = json.dumps(a).encode()
        self.send_response(200); self.send_header('Content-Length', str(len(d))); self.end_headers(); self.wfile.write(d)
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get('Content-Length', 0))) or b'{{}}')
        if open('{HOME}/mode').read().strip() == 'replay':
            self.reply(json.load(open('{HOME}/captured.json')))
        else:
            self.reply({{'decision': 'allow', 'digest': 'sha256:x', 'request_id': '', 'nonce': body.get('nonce'),
                        'time': 1, 'signature': 'QUJD', 'stops': []}})
    def do_GET(self):
        self.reply({{'status': 'ok'}})
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', {PORT}), H).serve_forever()
PY
echo started""")
agent_sh("echo forged > ~/mode")
time.sleep(0.8)
check(wait_http(URL + "/v1/health", None, tries=40), "the impostor answers on the real server's port")
d, reason = hook(PUSH, session="s4")
check(d == "deny" and remote_head() == head0, "an impostor's unsigned 'allow' is refused")
d, _ = hook("ls", session="s4", run=False)
check(d == "deny", "...and so is harmless work while the answers cannot be trusted (fail closed)")
agent_sh("echo replay > ~/mode")
d, _ = hook(PUSH, session="s4")
check(d == "deny" and remote_head() == head0, "a replayed real signed 'allow' is refused (another nonce)")
subprocess.run(["pkill", "-KILL", "-u", AGENT])
for _ in range(100):
    if not wait_http(URL + "/v1/health", None, tries=1):
        break
    time.sleep(0.05)
server = start()
check(api("GET", "/v1/audit/public-key", None)["public_key"], "the real server is back on its port")

# --- 5. approvals never follow a target switch
DEL = "kubectl delete namespace payments"
d, reason = hook(DEL, session="s5", run=False)
rid = request_id(reason)
check(d == "deny" and rid, "a namespace deletion on the dev cluster needs approval")
r = person("sam", ["approvals", "approve", rid])
check(r.returncode == 0 and "as sam" in r.stdout, "a senior approves it (the CLI says whom it acts as)")
agent_sh("sed -i 's/current-context: staging-eu/current-context: prod-eu/' ~/.kube/config")
d, _ = hook(DEL, session="s5")
check(d == "deny" and "payments" not in kubectl_ran(), "after switching the kubeconfig to prod the approval does not apply")
agent_sh("sed -i 's/current-context: prod-eu/current-context: staging-eu/' ~/.kube/config")
d, reason = hook("kubectl config use-context prod-eu", session="s5", run=False)
check(d == "deny" and request_id(reason), "switching the context to production is itself asked")
d, _ = hook(DEL, session="s5")
check(d == "allow" and "delete namespace payments" in kubectl_ran(), "the approved action on the approved target runs, once")
d, _ = hook(DEL, session="s5", run=False)
check(d == "deny", "...and not twice")

# --- 6. local approvals and copies of the binary
d, reason = hook(PUSH, session="s6", run=False)
rid = request_id(reason)
dig = [json.loads(l) for l in open(os.path.join(HOME, ".brake", "audit.jsonl"))][-1]["digest"]
agent_sh(f"""python3 - <<'PY'
import json, os
p = os.path.expanduser('~/.brake/state.json')
s = json.load(open(p)) if os.path.exists(p) else {{'version': 1}}
s.setdefault('requests', []).append({{'id': 'forged1', 'digest': '{dig}', 'summary': '', 'agent': 'claude-code',
    'session': None, 'rules': [], 'created': 1, 'expires': 4102444800, 'status': 'approved'}})
s['stops'] = []
json.dump(s, open(p, 'w'))
PY""")
d, _ = hook(PUSH, session="s6")
check(d == "deny" and remote_head() == head0, "an approval the agent wrote into its own state file does not count")
for how in [f"cp {BRAKE} /tmp/b-{AGENT} && /tmp/b-{AGENT} approvals approve {rid}",
            f"ln -sf {BRAKE} ~/b && ~/b approve {rid}",
            f"BRAKE_TOKEN=$(cat {sysconf}/agent-token) {BRAKE} approvals approve {rid}",
            f"printf 'a:\\n\\t{BRAKE} approve {rid}\\n' > Makefile && make a",
            f"perl -e 'system(\"{BRAKE}\", \"approve\", \"{rid}\")'"]:
    agent_sh(how)
    st = api("GET", f"/v1/approvals/{rid}", people["sam"])["status"]
    check(st == "pending", f"'{how.split(' && ')[-1][:60]}' approves nothing (still {st})")
d, _ = hook(PUSH, session="s6")
check(d == "deny" and remote_head() == head0, "the force push is still refused")

# --- 7. the same through brake exec and brake mcp
r = as_agent([BRAKE, "exec", "--", "git", "push", "--force", "origin", "main"])
check(r.returncode == 75 and remote_head() == head0, "brake exec: the force push waits for a person (75) and does not run")
RAW = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mcp_fixtures", "raw_server.py")
raw = os.path.join(work, "raw_server.py")
shutil.copy(RAW, raw)
os.chmod(raw, 0o755)
lines = [json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
         json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "wipe", "arguments": {}}})]
r = as_agent([BRAKE, "mcp", "--name", "raw", "--", "python3", raw], stdin="".join(l + "\n" for l in lines),
             env=dict(ENV, BRAKE_SESSION="mcp-s7"))
res = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
wipe = [o for o in res if o.get("id") == 2]
check(wipe and wipe[0]["result"].get("isError") and "req_" in wipe[0]["result"]["content"][0]["text"],
      "brake mcp: the destructive tool call is refused pending a server request")

# --- 8. a stop the agent cannot lift
r = person("jo", ["stop", "--session", "s8", "--reason", "stop now"])
check(r.returncode == 0, "a junior stops the agent's session")
agent_sh(f"BRAKE_TOKEN=$(cat {sysconf}/agent-token) {BRAKE} resume --session s8; {BRAKE} resume --all; true")
d, reason = hook("ls", session="s8", run=False)
check(d == "deny" and "stop now" in reason, "the agent cannot lift the stop (copies, its own token, the local state)")

# --- 9. Brake's own ground: links, the gate's git hook, the agents' configuration, the server process
for c in ["ln -s ~/.brake notes2", "ln -s ~/.claude cfg", "cp -s ~/.brake/audit.jsonl a", "rm .git/hooks/pre-push",
          "echo 'exit 0' > .git/hooks/pre-push", "git config core.hooksPath /dev/null", "echo '{}' > .mcp.json",
          "pkill -f 'brake serve'", "killall brake"]:
    d, _ = hook(c, session="s9a", run=False)
    check(d == "deny", f"'{c}' is refused")
agent_sh("ln -sfn ~/.brake ~/project/notes3 && ln -sfn ~/.claude ~/project/cfg3 && mkdir -p ~/.claude")
for c in ["echo '{}' > notes3/server.json", "rm -rf cfg3/", "echo '{}' > cfg3/settings.json"]:
    d, _ = hook(c, session="s9b", run=False)
    check(d == "deny", f"through a link the agent made itself, '{c}' is judged where it really lands: refused")
subprocess.run(["rm", "-f", os.path.join(PROJ, "notes3"), os.path.join(PROJ, "cfg3")])
# Write, then run: a script, a Makefile target and an npm script the agent wrote are judged by what they hold
# (read by the hook with the agent's rights and sent to the server along with the action).
agent_sh("printf '#!/bin/sh\\nrm -rf ~\\n' > wipe.sh && chmod +x wipe.sh && printf 'tidy:\\n\\trm -rf ~\\n' > Makefile "
         "&& printf '{\"scripts\": {\"tidy\": \"rm -rf ~\"}}' > package.json")
for c in ["./wipe.sh", "bash wipe.sh", "make tidy", "npm run tidy"]:
    d, _ = hook(c, session="s9c", run=False)
    check(d == "deny", f"write, then run: '{c}' is judged by the file's content and refused")
agent_sh("rm -f wipe.sh Makefile package.json")
check(server.poll() is None, "the control plane is still running")

# --- 10. what a person approved, exactly, runs
d, reason = hook(PUSH, session="s10", run=False)
rid = request_id(reason)
person("sam", ["approvals", "approve", rid])
d, _ = hook(PUSH, session="s10")
check(d == "allow" and remote_head() != head0, "after a senior approved exactly this push, it runs")

# --- 11. the guard service: hooks answered by a root daemon the agent cannot impersonate, redirect or write
HOOKC = os.path.join(bindir, "brake-hook")
shutil.copy2(os.path.join(os.path.dirname(SOURCE), "brake-hook"), HOOKC)
os.chmod(HOOKC, 0o755)
VIA = [HOOKC, "claude-code"]
r = as_agent([BRAKE, "daemon"], timeout=10)
check(r.returncode != 0 and "root" in r.stderr, "the agent cannot run the system's guard service itself")
sock = os.path.join(SYSROOT, "run", "brake", "guard.sock")
daemon = subprocess.Popen([BRAKE, "daemon"], env=dict(os.environ, BRAKE_SYSTEM_ROOT=SYSROOT),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
atexit.register(lambda: daemon.poll() is None and daemon.kill())
for _ in range(100):
    if os.path.exists(sock):
        break
    time.sleep(0.05)
check(os.path.exists(sock), "root's guard service listens on the system socket")
statedir = os.path.join(SYSROOT, "var", "lib", "brake", "users", str(pw.pw_uid))
own_log = os.path.join(HOME, ".brake", "audit.jsonl")
own_before = open(own_log).read()
d, _ = hook("git status", session="s11", via=VIA)
check(d == "allow", "routine work passes through the guard service")
for _ in range(40):  # the service writes its log record just after the answer
    if os.path.exists(os.path.join(statedir, "audit.jsonl")):
        break
    time.sleep(0.05)
check(os.path.exists(os.path.join(statedir, "audit.jsonl")) and open(own_log).read() == own_before,
      "...recorded in the agent's state under the root-owned directory, not in the agent's own files")
check(agent_sh(f"cat {statedir}/audit.jsonl").returncode != 0 and
      agent_sh(f"echo '{{}}' > {statedir}/state.json").returncode != 0,
      "the agent can neither read nor write the state the service keeps for it (no forged approvals or lifted stops)")
d, reason = hook(DELETE_NS, session="s11", via=VIA)
check(d == "deny" and "delete deployment payments" not in kubectl_ran(), "the production deletion is refused")
agent_sh("printf 'overrides:\n  - rule: \"k8s.*\"\n    decision: allow\n' > ~/loose.yaml && mkdir -p ~/fake")
loose = dict(ENV, BRAKE_POLICY=os.path.join(HOME, "loose.yaml"), BRAKE_HOME=os.path.join(HOME, "fake"),
             BRAKE_SERVER="http://127.0.0.1:9", BRAKE_TOKEN=agent_token, BRAKE_SERVER_KEY="AAAA",
             BRAKE_CA_FILE=os.path.join(HOME, "my-ca.pem"), BRAKE_ALLOW_PLAIN_HTTP="1")
d, _ = hook(DELETE_NS, session="s11", via=VIA, env=loose)
check(d == "deny" and "delete deployment payments" not in kubectl_ran(),
      "Brake settings in the hook's environment (policy, state, server, token, key, CA, plain HTTP) change nothing")
fake = agent_sh(f"python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.bind('{sock}.evil')\"; "
                f"rm -f {sock}; mv {sock} {sock}.old")
check(fake.returncode != 0 and os.path.exists(sock) and not os.path.exists(sock + ".evil"),
      "the agent can neither put a socket of its own beside the service's nor replace it")
check(agent_sh(f"kill {daemon.pid}").returncode != 0 and daemon.poll() is None, "nor stop the service")
frozen = agent_sh(f"kill -STOP {server.pid}; kill -KILL {server.pid}; pkill -f 'brake serve'")
check(frozen.returncode != 0 and server.poll() is None
      and urllib.request.urlopen(URL + "/v1/health", timeout=5).status == 200,
      "nor kill or freeze the control plane running as another user (its own, with `brake serve --unit`)")
secret = os.path.join(work, "root-only.yaml")
open(secret, "w").write("rules:\n  - id: root.secret\n    decision: deny\n    message: ROOT-SECRET-7731\n"
                        "    match: {effect: fs.delete}\n")
os.chmod(secret, 0o600)
agent_sh(f"mkdir -p .brake && ln -sfn {secret} .brake/policy.yaml && echo x > notes.txt")
d, reason = hook("rm notes.txt", session="s11b", via=VIA, run=False)
check(d == "deny" and "ROOT-SECRET-7731" not in reason and "cannot read" in reason,
      "a link from the repository to a file only root can read is read with the agent's rights: nothing leaks")
agent_sh("rm -f .brake/policy.yaml")
# Provenance through the root service: the file is hashed and git runs as the agent, never as root; the record
# lands in the state only the service can write. A repository config that runs a program would run it as the
# agent, if git ran it at all.
agent_sh("printf 'x = 1\\n' > made.py && git add made.py && git commit -q -m 'agent work' "
         "&& git config core.pager 'touch /tmp/brake-pager-ran-as-$(id -u)'")
payload = json.dumps({"session_id": "p11", "cwd": PROJ, "hook_event_name": "PostToolUse", "tool_name": "Bash",
                      "tool_input": {"command": "git add made.py && git commit -q -m 'agent work'"}})
r = as_agent(VIA, stdin=payload)
head = agent_sh("git rev-parse HEAD").stdout.strip()
prov = os.path.join(statedir, "provenance.jsonl")
for _ in range(40):
    if os.path.exists(prov) and head in open(prov).read():
        break
    time.sleep(0.05)
text = open(prov).read() if os.path.exists(prov) else ""
check(r.returncode == 0 and r.stdout == "" and head in text and '"path":"made.py"' in text
      and not os.path.exists("/tmp/brake-pager-ran-as-0"),
      "the service records an agent's commit from the post-tool hook, running git as the agent (never root)")
check(agent_sh(f"echo '{{}}' >> {prov}").returncode != 0, "...and the agent cannot rewrite that record")
agent_sh("git config --unset core.pager")
daemon.send_signal(signal.SIGTERM)
daemon.wait(timeout=10)
d, _ = hook(DELETE_NS, session="s11", via=VIA)
check(d == "deny" and "delete deployment payments" not in kubectl_ran(),
      "with the service stopped, brake-hook judges in-process: still refused")
d, _ = hook("git status", session="s11", via=VIA)
check(d == "allow", "...and routine work still passes")

# --- 12. a local system install (no server): approving and resuming need a secret the agent cannot learn
LOCALROOT = os.path.join(work, "sys-local")
SECRET = "purple-otter-ledger-42"
r = subprocess.run([BRAKE, "secret", "set", "--stdin"], input=SECRET + "\n", capture_output=True, text=True,
                   env=dict(os.environ, BRAKE_SYSTEM_ROOT=LOCALROOT))
check(r.returncode == 0 and oct(os.stat(os.path.join(LOCALROOT, "etc", "brake", "approver.json")).st_mode)[-3:] == "600",
      "root sets the approver secret; only its hash is kept, readable by root alone")
r = as_agent([BRAKE, "secret", "set", "--stdin"], stdin="agents-own-secret-123\n",
             env=dict(ENV, BRAKE_SYSTEM_ROOT=LOCALROOT))
check(r.returncode != 0, "the agent cannot set a secret of its own")
LENV = dict(ENV, BRAKE_SYSTEM_ROOT=LOCALROOT)
local_daemon = subprocess.Popen([BRAKE, "daemon"], env=dict(os.environ, BRAKE_SYSTEM_ROOT=LOCALROOT),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
atexit.register(lambda: local_daemon.poll() is None and local_daemon.kill())
lsock = os.path.join(LOCALROOT, "run", "brake", "guard.sock")
for _ in range(100):
    if os.path.exists(lsock):
        break
    time.sleep(0.05)
check(os.path.exists(lsock), "root's guard service keeps the local state")


def local_status():
    r = subprocess.run([BRAKE, "status", "--account", AGENT, "--format", "json"], capture_output=True, text=True,
                       env=dict(os.environ, BRAKE_SYSTEM_ROOT=LOCALROOT))
    return json.loads(r.stdout)


agent_sh("git commit -q --allow-empty -m 'section 12'")
head1 = remote_head()
d, reason = hook(PUSH, session="s12", via=VIA, env=LENV, run=False)
m = re.search(r"brake approve (\w+)", reason)
lid = m.group(1) if m else None
check(d == "ask" and lid and any(p["id"] == lid for p in local_status()["pending"]),
      "a force push asks, with a request kept by the service")
for how in [f"cp {BRAKE} /tmp/lb-{AGENT} && /tmp/lb-{AGENT} approve {lid}",
            f"printf 'a:\\n\\t{BRAKE} approve {lid} < /dev/null\\n' > Makefile && make a",
            f"perl -e 'system(\"{BRAKE}\", \"approve\", \"{lid}\")'",
            f"echo {AGENT}-guess | {BRAKE} approve {lid} --secret-stdin",
            f"echo 'password1234' | {BRAKE} approve {lid} --secret-stdin",
            f"BRAKE_HOME=~/.brake {BRAKE} approve {lid}",
            f"{BRAKE} approve {lid} --account root --secret-stdin < /dev/null"]:
    agent_sh(how + " < /dev/null", env=LENV)
    pend = [p["id"] for p in local_status()["pending"]]
    check(lid in pend, f"'{how.split(' && ')[-1][:60]}' approves nothing")
check(agent_sh(f"ls {LOCALROOT}/var/lib/brake/users/{pw.pw_uid}").returncode != 0,
      "the agent cannot reach the state the service keeps for it")
d, _ = hook(PUSH, session="s12", via=VIA, env=LENV)
check(d != "allow" and remote_head() == head1, "the force push is still not allowed")
d, _ = hook(PUSH, session="s12b", via=[BRAKE, "hook", "claude-code"], env=LENV)
check(d == "deny" and remote_head() == head1, "the full binary judging in the agent's own process refuses")
r = as_agent([BRAKE, "exec", "--", "git", "push", "--force", "origin", "main"], env=LENV)
check(r.returncode == 2 and remote_head() == head1, "brake exec in the agent's own process refuses")
check(agent_sh(f"kill {local_daemon.pid}").returncode != 0 and local_daemon.poll() is None, "nor can it stop the service")
# A person at their terminal, as the same account (the laptop case), types the secret. The agent's three wrong
# secrets above (the empty one included) made this account wait a few seconds first.
r = as_agent([BRAKE, "approve", lid, "--secret-stdin"], stdin=SECRET + "\n", env=LENV)
check(r.returncode == 77 and "try again in" in r.stderr and lid in [p["id"] for p in local_status()["pending"]],
      "after three wrong secrets even the right one waits (guessing is slowed to a crawl)")
# The agent waits for the decision (it may: a look at its own request needs no secret), then retries.
waiter = subprocess.Popen(["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups", "--inh-caps=-all",
                           "--", BRAKE, "wait", lid, "--timeout", "60"], env=LENV, cwd=PROJ, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
time.sleep(5.5)
r = as_agent([BRAKE, "approve", lid, "--secret-stdin"], stdin=SECRET + "\n", env=LENV)
check(r.returncode == 0 and "approved" in r.stdout, "the person with the secret approves")
wout, werr = waiter.communicate(timeout=30)
check(waiter.returncode == 0 and "approved" in wout and f"waiting for request {lid}" in werr,
      "the agent's `brake wait` saw the approval through the service, and said what it waited for: " + (wout + werr)[-200:])
d, _ = hook(PUSH, session="s12", via=VIA, env=LENV)
check(d == "allow" and remote_head() != head1, "...and exactly that push runs")
# Stops: the agent cannot lift them, not even with a loop started earlier.
agent_sh(f"nohup bash -c 'while true; do {BRAKE} resume --session s12s < /dev/null; sleep 0.2; done' "
         ">/dev/null 2>&1 &", env=LENV)
r = as_agent([BRAKE, "stop", "--session", "s12s", "--reason", "hold it"], env=LENV)
check(r.returncode == 0, "a stop needs no secret")
time.sleep(1.5)
d, reason = hook("ls", session="s12s", via=VIA, env=LENV, run=False)
check(d == "deny" and "hold it" in reason, "the agent's background resume loop lifts nothing")
agent_sh(f"pkill -u {AGENT} -f 'resume --session' ; true")
for guess in ["guess-one-1234", "guess-two-1234", "guess-three-123"]:
    r = as_agent([BRAKE, "resume", "--session", "s12s", "--secret-stdin"], stdin=guess + "\n", env=LENV)
    check(r.returncode == 77, f"a wrong secret does not resume ({r.stderr.strip()[:60]})")
d, _ = hook("ls", session="s12s", via=VIA, env=LENV, run=False)
check(d == "deny", "the session is still stopped")
r = subprocess.run([BRAKE, "resume", "--session", "s12s", "--account", AGENT], capture_output=True, text=True,
                   env=dict(os.environ, BRAKE_SYSTEM_ROOT=LOCALROOT))
d, _ = hook("ls", session="s12s", via=VIA, env=LENV, run=False)
check(r.returncode == 0 and d == "allow", "an administrator (root) lifts the stop")

# --- 13. checkpoints through the root service: kept where the agent cannot reach, read with its rights, undone
# only by a person
agent_sh("printf 'precious work\\n%.0s' $(seq 200) > precious.txt && printf 'alpha\\n' > conf.txt && chmod 640 conf.txt")
want_precious = agent_sh("sha256sum precious.txt conf.txt; stat -c %a conf.txt").stdout
# A file in the agent's project that only root may read (the agent may still delete it: the directory is its own).
with open(os.path.join(PROJ, "root-only.txt"), "w") as f:
    f.write("ROOT-ONLY-CONTENT-7f3a\n")
os.chmod(os.path.join(PROJ, "root-only.txt"), 0o600)
d1, _ = hook("rm precious.txt", session="s13", via=VIA, env=LENV)
d2, _ = hook("sed -i 's/alpha/beta/' conf.txt", session="s13", via=VIA, env=LENV)
d3, _ = hook("rm -f root-only.txt", session="s13", via=VIA, env=LENV)
hook("ls", session="s13", via=VIA, env=LENV)
check(d1 == "allow" and d2 == "allow" and agent_sh("test -e precious.txt").returncode != 0,
      "the agent's allowed rm and sed -i ran")
cpdir = os.path.join(LOCALROOT, "var", "lib", "brake", "users", str(pw.pw_uid), "checkpoints")
check(os.path.isdir(cpdir) and os.stat(cpdir).st_uid == 0, "the service keeps the checkpoints, root-owned")
check(agent_sh(f"ls {cpdir} || rm -rf {cpdir}").returncode != 0 and os.path.isdir(cpdir),
      "the agent can neither read nor remove them")
leaked = subprocess.run(["grep", "-rl", "ROOT-ONLY-CONTENT", cpdir], capture_output=True, text=True).stdout
listed = json.loads(subprocess.run([BRAKE, "checkpoints", "list", "--account", AGENT, "--format", "json"],
                                   capture_output=True, text=True,
                                   env=dict(os.environ, BRAKE_SYSTEM_ROOT=LOCALROOT)).stdout or "[]")
check(d3 == "allow" and leaked == "" and any(s["path"].endswith("root-only.txt") and "cannot be read" in s["why"]
                                             for c in listed for s in c["skipped"]),
      "a file the agent may delete but not read is listed as not kept, never copied by root into the store")
for how in [f"{BRAKE} undo --session s13 --secret-stdin < /dev/null",
            f"echo wrong-guess-12345 | {BRAKE} undo --session s13 --secret-stdin",
            f"BRAKE_HOME=~/.brake {BRAKE} undo --session s13"]:
    agent_sh(how, env=LENV)
    check(agent_sh("test -e precious.txt").returncode != 0, f"'{how[len(BRAKE) + 1:][:50]}' restores nothing")
r = as_agent([BRAKE, "undo", "--session", "s13", "--dry-run"], env=LENV)
check(r.returncode == 0 and "precious.txt" in r.stdout and "conf.txt" in r.stdout,
      "a dry run needs no secret and lists what would come back")
r = subprocess.run([BRAKE, "undo", "--session", "s13", "--account", AGENT], capture_output=True, text=True,
                   env=dict(os.environ, BRAKE_SYSTEM_ROOT=LOCALROOT))
check(r.returncode == 0, f"an administrator undoes the session ({r.returncode}: {r.stdout.strip()[-300:]} {r.stderr.strip()[-200:]})")
check(agent_sh("sha256sum precious.txt conf.txt; stat -c %a conf.txt").stdout == want_precious,
      "byte for byte, with the mode")
check(os.stat(os.path.join(PROJ, "precious.txt")).st_uid == pw.pw_uid,
      "the restored file belongs to the agent's account, not root (written with the person's rights)")

local_daemon.send_signal(signal.SIGTERM)
local_daemon.wait(timeout=10)
d, _ = hook("git status", session="s12", via=VIA, env=LENV, run=False)
check(d == "deny", "with the service stopped, a local system install refuses (its state is the service's)")

server.send_signal(signal.SIGTERM)
server.wait(timeout=20)
if failures:
    print(f"\n{len(failures)} FAILED")
    sys.exit(1)
print("\nall hostile-agent checks passed: 0 successes for the agent")
shutil.rmtree(work, ignore_errors=True)
