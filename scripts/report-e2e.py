#!/usr/bin/env python3
"""End-to-end: oversight through the real binaries — observe mode, suggestions, reports, the digest, sign-offs.

1. Observe mode: one session of commands run through `brake hook claude-code` in a repository the organisation
   policy enforces and in one it observes. Observe mode blocks nothing but the deny; the report's "would have
   asked" there equals what enforce mode asked.
2. Suggestions: five approvals of one shape, by two people, give one suggestion; accepted by an admin, the next
   identical action passes without an ask (other shapes and repositories still ask). A shape once denied, a
   non-overridable rule, and a shape approved by one person only are never suggested.
3. Reports on a generated history with known answers (latencies, counts, shares, teams) through
   `brake report --format json|csv|text`.
4. The digest through a webhook; sign-offs reported by `brake gate` and `brake signoff` reach the server, and a
   gate with no git notes passes on the envelopes the server holds.
"""
import http.server, json, os, re, signal, sqlite3, subprocess, sys, threading, time, urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import api as api_at, check, claude_payload, failures, free_port, wait_http  # noqa: E402
import tempfile  # noqa: E402

BRAKE = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="brake-report-e2e-")
received = []


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


hook_port = free_port()
receiver = http.server.ThreadingHTTPServer(("127.0.0.1", hook_port), Receiver)
threading.Thread(target=receiver.serve_forever, daemon=True).start()


def repo(name, origin):
    path = os.path.join(work, name)
    os.makedirs(path)
    subprocess.run(["git", "init", "-q", "-b", "main", path], check=True)
    subprocess.run(["git", "-C", path, "remote", "add", "origin", origin], check=True)
    return path


enforced = repo("enforced", "https://example.com/acme/enforced.git")
observed = repo("observed", "git@example.com:acme/observed.git")
policy = os.path.join(work, "policy.yaml")
with open(policy, "w") as f:
    f.write("""version: 1
mode:
  default: enforce
  observe: ["example.com/acme/observed"]
overrides:
  - rule: k8s.delete
    overridable: false
""")
config = os.path.join(work, "server.yaml")
with open(config, "w") as f:
    f.write(f"""policy: {policy}
teams:
  payments: [alice, dev]
  platform: [bob]
webhooks:
  - url: http://127.0.0.1:{hook_port}/digest
    secret: s3cret
    events: [digest]
""")
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
data = os.path.join(work, "server")


def start(data_dir):
    p = subprocess.Popen([BRAKE, "serve", "--data-dir", data_dir, "--listen", f"127.0.0.1:{PORT}", "--config", config],
                         stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    ok = wait_http(URL + "/v1/health", p)
    return p, ok


server, ok = start(data)
check(ok, "brake serve starts with teams, a webhook and a policy with observe mode for one repository")
admin = open(os.path.join(data, "admin-token")).read().strip()


def api(method, path, token, body=None):
    return api_at(URL, method, path, token, body)


alice = api("POST", "/v1/users", admin, {"name": "alice", "role": "senior"})["token"]
bob = api("POST", "/v1/users", admin, {"name": "bob", "role": "senior"})["token"]
dev = api("POST", "/v1/users", admin, {"name": "dev", "role": "mid"})["token"]
hooks = api("POST", "/v1/tokens", dev, {"scope": "agent", "label": "hooks"})["token"]
key = api("GET", "/v1/audit/public-key", None)["public_key"]
DEV = dict(os.environ, HOME=work, BRAKE_HOME=os.path.join(work, ".brake-dev"), BRAKE_SERVER=URL, BRAKE_TOKEN=hooks,
           BRAKE_SERVER_KEY=key, BRAKE_ASK_WAIT="0")
PERSON = dict(os.environ, HOME=work, BRAKE_HOME=os.path.join(work, ".brake-admin"), BRAKE_SERVER=URL, BRAKE_TOKEN=admin,
              BRAKE_SERVER_KEY=key, GIT_CONFIG_NOSYSTEM="1")


def hook(command, session, cwd):
    """What the agent sees: (decision, reason); a crash is a failure, never an allow."""
    r = subprocess.run([BRAKE, "hook", "claude-code"], input=claude_payload(command, session, cwd), capture_output=True,
                       text=True, env=DEV, cwd=cwd)
    if r.returncode not in (0, 2):
        return "crash", r.stderr
    if r.returncode == 2:
        return "deny", r.stderr
    if r.stdout.strip():
        out = json.loads(r.stdout)["hookSpecificOutput"]
        return out["permissionDecision"], out.get("permissionDecisionReason", "")
    return "allow", ""


# --- 1. the same session in enforce and in observe mode
session = ["git status", "git push --force origin feature/login", "git reset --hard HEAD~1", "ls -la",
           "kubectl delete pod web-1", "rm -rf ~", "npm publish", "cat README.md"]
asks_expected = 4  # force push, reset --hard, kubectl delete, npm publish: what the built-in policy asks about
enforce_out = [hook(c, "enforce-1", enforced) for c in session]
observe_out = [hook(c, "observe-1", observed) for c in session]
check(not any(d == "crash" for d, _ in enforce_out + observe_out), "no hook call crashed")
enforce_asked = sum(1 for d, r in enforce_out if d == "ask" or (d == "deny" and "request req_" in r))
check(enforce_asked == asks_expected, f"enforce mode asks about the four risky commands: {enforce_out}")
check([d for d, _ in observe_out] == ["allow"] * 5 + ["deny", "allow", "allow"],
      f"observe mode blocks nothing but `rm -rf ~` (a deny stays a deny): {[d for d, _ in observe_out]}")
rep_e = api("GET", "/v1/reports?since=7d&repository=example.com/acme/enforced", admin)
rep_o = api("GET", "/v1/reports?since=7d&repository=example.com/acme/observed", admin)
check(rep_e["asks"] == asks_expected and rep_e["observe"]["would_ask"] == 0,
      f"the report: enforce mode asked {rep_e['asks']} times")
check(rep_o["asks"] == 0 and rep_o["observe"]["would_ask"] == rep_e["asks"] and rep_o["denies"] == 1,
      f"...and observe mode would have asked exactly as often: {rep_o['observe']['would_ask']} (denies {rep_o['denies']})")
r = subprocess.run([BRAKE, "report", "--repository", "example.com/acme/observed", "--since", "7d", "--format", "json"],
                   capture_output=True, text=True, env=PERSON, cwd=work)
cli = json.loads(r.stdout) if r.returncode == 0 else {}
check(cli.get("observe", {}).get("would_ask") == asks_expected and cli.get("source") == "control plane",
      "`brake report --repository IDENTITY --format json` gives the control plane's figures " + r.stderr[-300:])
# An agent that names the observed repository as its url while pushing to the enforced one is judged as touching both.
spoof = repo("spoof", "https://example.com/acme/observed.git")
subprocess.run(["git", "-C", spoof, "config", "remote.origin.pushurl", "https://example.com/acme/enforced.git"], check=True)
d, _ = hook("git push --force origin feature/login", "spoof-1", spoof)
check(d == "deny", f"a url naming the observed repository with a pushurl to the enforced one is enforced: {d}")

# --- 2. suggestions
def cycle(command, approver_token, vote="approve", session="sug-1", cwd=enforced):
    d, reason = hook(command, session, cwd)
    m = re.search(r"request (req_\w+)", reason)
    if not m:
        return f"no request: {d} {reason[:200]}"
    rid = m.group(1)
    api("POST", f"/v1/approvals/{rid}/{vote}", approver_token, {"reason": "looked at it"})
    d2, _ = hook(command, session, cwd)
    return d2


force = "git push --force origin feature/login"
results = [cycle(force, alice if i % 2 == 0 else bob) for i in range(5)]
check(results == ["allow"] * 5, f"five approvals of the force push by alice and bob, each used by the retry: {results}")
results = [cycle("git push origin --delete feature/x", alice if i % 2 else bob, "deny" if i == 4 else "approve",
                 session="sug-del")
           for i in range(5)]
check(results.count("allow") == 4, f"a shape approved four times, then denied: {results}")
results = [cycle("kubectl delete pod web-1", alice if i % 2 else bob, session="sug-k8s") for i in range(5)]
check(results == ["allow"] * 5, "five approvals of a rule the organisation made non-overridable")
results = [cycle("npm publish", alice, session="sug-npm") for _ in range(5)]
check(results == ["allow"] * 5, "five approvals of `npm publish`, all by alice")
sugs = api("GET", "/v1/suggestions", admin)["suggestions"]
check(len(sugs) == 1 and sugs[0]["rule"] == "git.force-push" and sugs[0]["pattern"] == force
      and sugs[0]["repository"] == "example.com/acme/enforced" and sugs[0]["approvals"] == 5
      and sorted(sugs[0]["approvers"]) == ["alice", "bob"],
      f"exactly one suggestion: the force push of feature/login in that repository: {[(s['rule'], s['pattern']) for s in sugs]}")
s = sugs[0] if sugs else {"id": "none", "yaml": ""}
check("exceptions:" in s["yaml"] and "git.force-push" in s["yaml"] and "example.com/acme/enforced" in s["yaml"]
      and force in s["yaml"] and "examples:" in s["yaml"], "...its YAML: a scoped exception with its examples")
full = api("GET", "/v1/reports?since=7d", admin)
check([x["rule"] for x in full["suggestions"]] == ["git.force-push"] and "yaml" in full["suggestions"][0]
      and full["suggestions"][0]["approvals"] == 5, "the report lists it under `suggestions` (rule, pattern, approvals, yaml)")
try:
    api("POST", f"/v1/suggestions/{s['id']}/accept", alice)
    check(False, "a senior cannot accept a suggestion")
except urllib.error.HTTPError as e:
    check(e.code == 403, "accepting a suggestion needs the top role (a senior gets 403)")
acc = api("POST", f"/v1/suggestions/{s['id']}/accept", admin)
check(acc["status"] == "accepted", "the admin accepts it")
d, _ = hook(force, "sug-2", enforced)
check(d == "allow", f"the next identical force push passes without an ask: {d}")
d, reason = hook("git push --force origin main", "sug-2", enforced)
check(d != "allow", f"...a force push of another branch still asks: {d}")
d, reason = hook(force, "sug-3", observed)
check(d == "allow", "...(in the observed repository it was never blocked)")
other = repo("other", "https://example.com/acme/other.git")
d, _ = hook(force, "sug-4", other)
check(d != "allow", f"...and the same force push in another repository still asks: {d}")
check(api("GET", "/v1/suggestions", admin)["suggestions"] == [], "an accepted suggestion is no longer proposed")
events = api("GET", "/v1/audit?kind=suggestion.accepted", admin)
ev = events.get("events") or events.get("entries") or []
check(any("git.force-push" in json.dumps(e) for e in ev), "the acceptance is in the audit log with its YAML")
pol = subprocess.run(["curl", "-s", "-H", f"Authorization: Bearer {admin}", URL + "/v1/policy"], capture_output=True,
                     text=True).stdout
check("accepted suggestion" in pol and force in pol, "the served policy carries the accepted exception")

# --- 4a. the digest
now_rep = api("GET", "/v1/reports?since=7d", admin)
dg = api("POST", "/v1/reports/digest?since=7d", admin)
deadline = time.time() + 10
while not received and time.time() < deadline:
    time.sleep(0.1)
got = received[0] if received else {}
check(got.get("event") == "digest" and "/ui/reports" in got.get("text", "") and "asked" in got.get("text", "")
      and got.get("asks") == now_rep["asks"] and got.get("text") == dg["text"], f"the digest reaches the webhook with the headline figures: {got.get('text', '')[:200]}")

# --- 4b. sign-offs reach the server
signed_repo = repo("signed", "https://example.com/acme/signed.git")
kp = os.path.join(work, "sam.key")
out = subprocess.run([BRAKE, "keys", "generate", "--out", kp], capture_output=True, text=True, env=PERSON).stdout
pub = re.search(r"(ed25519:\S+)", out).group(1)
with open(os.path.join(signed_repo, "team.yaml"), "w") as f:
    f.write(f"""version: 1
people:
  - {{name: Jo Junior, emails: [jo@acme.io], level: junior}}
  - {{name: Sam Senior, emails: [sam@acme.io], level: senior, keys: ["{pub}"]}}
requirements:
  ai_assisted_below: senior
  ai_assisted_role: senior
  ai_assisted_count: 1
""")


def git(*a, who="sam"):
    return subprocess.run(["git", "-c", f"user.name={who}", "-c", f"user.email={who}@acme.io", *a], cwd=signed_repo,
                          capture_output=True, text=True, env=PERSON, check=True).stdout.strip()


git("add", "team.yaml")
git("commit", "-q", "-m", "roster")
with open(os.path.join(signed_repo, "app.py"), "w") as f:
    f.write("print('hi')\n")
git("add", "app.py")
git("commit", "-q", "-m", "add app\n\nCo-authored-by: Claude <noreply@anthropic.com>", who="jo")
head = git("rev-parse", "HEAD")
g = subprocess.run([BRAKE, "gate", "--range", "HEAD~1..HEAD"], cwd=signed_repo, capture_output=True, text=True, env=PERSON)
check(g.returncode == 1, f"the gate holds the junior's AI-assisted commit: {g.stdout[:200]} {g.stderr[-200:]}")
rows = api("GET", "/v1/signoffs?repository=example.com/acme/signed", admin)["commits"]
row = next((c for c in rows if c["commit"] == head), {})
check(row.get("provenance") == "ai-assisted" and row.get("passed") is False and row.get("missing"),
      f"...and its report reached the server: provenance, what is missing: {row}")
sg = subprocess.run([BRAKE, "signoff", head, "--key", kp], cwd=signed_repo, capture_output=True, text=True, env=PERSON)
check(sg.returncode == 0 and "reported to the control plane" in sg.stdout, "brake signoff reports to the control plane " + sg.stderr[-200:])
rows = api("GET", "/v1/signoffs?repository=example.com/acme/signed", admin)["commits"]
row = next((c for c in rows if c["commit"] == head), {})
check(row.get("passed") is True and row.get("signers") and row.get("signed_at"), f"...the commit now passes, signed: {row}")
subprocess.run(["git", "update-ref", "-d", "refs/notes/brake-signoffs"], cwd=signed_repo, check=True)
g = subprocess.run([BRAKE, "gate", "--range", "HEAD~1..HEAD"], cwd=signed_repo, capture_output=True, text=True, env=PERSON)
check(g.returncode == 0, "a gate without the git notes passes on the envelope the server holds (checked against the roster) "
      + g.stdout[:200] + g.stderr[-200:])
NOSERVER = {k: v for k, v in PERSON.items() if not k.startswith("BRAKE_SERVER") and k != "BRAKE_TOKEN"}
g = subprocess.run([BRAKE, "gate", "--range", "HEAD~1..HEAD"], cwd=signed_repo, capture_output=True, text=True, env=NOSERVER)
check(g.returncode == 1, "...while without the server (and without notes) the same gate holds it")
import base64  # noqa: E402


def forged_for(commit):
    """An envelope naming `commit` as a senior's sign-off, signed by nobody the roster knows."""
    statement = {"_type": "https://in-toto.io/Statement/v1",
                 "subject": [{"name": "git:commit", "digest": {"gitCommit": commit}}],
                 "predicateType": "https://brake.dev/attestations/signoff/v1",
                 "predicate": {"signer": "sam@acme.io", "level": "senior", "time": int(time.time()), "expires": int(time.time()) + 86400}}
    return json.dumps({"payloadType": "application/vnd.in-toto+json",
                       "payload": base64.b64encode(json.dumps(statement).encode()).decode(),
                       "signatures": [{"keyid": "x", "sig": base64.b64encode(b"\0" * 64).decode()}]})


forged = forged_for(head)
try:
    api("POST", "/v1/signoffs", hooks, {"repository": "example.com/acme/signed", "commits": [],
                                        "envelopes": [{"commit": head, "envelope": forged}]})
    check(False, "an agent token cannot report sign-offs")
except urllib.error.HTTPError as e:
    check(e.code == 403, "an agent token cannot report sign-offs (403)")
subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "next\n\nCo-authored-by: Claude <noreply@anthropic.com>"],
               cwd=signed_repo, env=dict(PERSON, GIT_AUTHOR_NAME="jo", GIT_AUTHOR_EMAIL="jo@acme.io",
                                         GIT_COMMITTER_NAME="jo", GIT_COMMITTER_EMAIL="jo@acme.io"), check=True)
nxt = git("rev-parse", "HEAD")
api("POST", "/v1/signoffs", admin, {"repository": "example.com/acme/signed", "commits": [],
                                    "envelopes": [{"envelope": forged_for(nxt)}]})
g = subprocess.run([BRAKE, "gate", "--range", "HEAD~1..HEAD"], cwd=signed_repo, capture_output=True, text=True, env=PERSON)
check(g.returncode == 1 and "problem:" in g.stdout,
      "a forged envelope the server holds is read, checked against the roster and refused: " + g.stdout[-300:])

server.send_signal(signal.SIGTERM)
server.wait(timeout=20)

# --- 3. a generated history with known answers
hist = os.path.join(work, "history")
server, ok = start(hist)
htoken = open(os.path.join(hist, "admin-token")).read().strip()
for name in ["alice", "bob", "dev"]:
    api("POST", "/v1/users", htoken, {"name": name, "role": "senior" if name != "dev" else "mid"})
server.send_signal(signal.SIGTERM)
server.wait(timeout=20)
now = int(time.time())
day = 86400
db = sqlite3.connect(os.path.join(hist, "brake.sqlite"))
# Sessions: (repo, user, agent, session, start offset, span seconds, [decisions])
sessions = [
    ("example.com/acme/shop", "alice", "claude-code", "h1", 2 * day, 1800, ["allow"] * 6 + ["ask"] * 3 + ["deny"]),
    ("example.com/acme/shop", "dev", "cursor", "h2", 3 * day, 3540, ["allow"] * 8 + ["ask"] * 2),
    ("example.com/acme/infra", "bob", "claude-code", "h3", 1 * day, 0, ["ask"]),
    ("example.com/acme/infra", "bob", "codex", "h4", 40 * day, 600, ["ask"] * 5),  # outside 30 days
]
# The server keeps decisions summed per day and session (and asks per day and rule); written here as it would.
days, rule_days = {}, {}
for repo_id, user, agent, sid, off, span, ds in sessions:
    start_t = now - off
    for i, d in enumerate(ds):
        t = start_t + (span * i // max(1, len(ds) - 1) if len(ds) > 1 else 0)
        k = (t // day, sid, user, agent, repo_id)
        first, last, n, asks, denies = days.get(k, (t, t, 0, 0, 0))
        days[k] = (min(first, t), max(last, t), n + 1, asks + (d == "ask"), denies + (d == "deny"))
        if d == "ask":
            rk = (t // day, "git.force-push", user, repo_id)
            rule_days[rk] = rule_days.get(rk, 0) + 1
for k, v in days.items():
    db.execute("INSERT INTO session_days VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", k + v + (0, 0))
for k, n in rule_days.items():
    db.execute("INSERT INTO rule_days VALUES (?,?,?,?,?,?)", k + (n, 0))
latencies = [10, 20, 30, 40, 600]
for i, lat in enumerate(latencies):
    created = now - 5 * day + i * 100
    db.execute("""INSERT INTO approvals (id, digest, summary, detail, requester, agent, session, repository, environment,
                  required_role, required_count, status, created, expires, votes, decided, used)
                  VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
               (f"req_hist{i}", f"sha256:{i}", "x", "{}", "alice" if i < 3 else "dev", "claude-code", "h1",
                "example.com/acme/shop", "", "senior", 1, "used" if i != 4 else "denied", created, created + 900, "[]",
                created + lat, None))
db.execute("""INSERT INTO approvals (id, digest, summary, detail, requester, agent, session, repository, environment,
              required_role, required_count, status, created, expires, votes, decided, used)
              VALUES ('req_histx','sha256:x','x','{}','alice','claude-code','h1','example.com/acme/shop','','senior',1,
              'expired',?,?,'[]',NULL,NULL)""", (now - 2 * day, now - 2 * day + 900))
for i, (prov, needs, passed, wait) in enumerate([("ai-assisted", True, True, 3600), ("ai-assisted", True, False, None),
                                                 ("ai-assisted", False, True, None), ("human", False, True, None),
                                                 ("human", True, True, 7200)]):
    t = now - 3 * day + i
    rep = {"commit": f"{i:040x}", "time": t, "author": "jo@acme.io", "provenance": prov, "evidence": [],
           "requirements": ["1 × senior: AI-assisted"] if needs else [], "signers": ["sam@acme.io"] if wait else [],
           "missing": [] if passed else ["1 × senior"], "passed": passed, "added_lines": 10, "agent_lines": 4 if prov == "ai-assisted" else 0}
    db.execute("INSERT INTO commit_reports VALUES (?,?,?,?,?,?,?)",
               ("example.com/acme/shop", f"{i:040x}", t, json.dumps(rep), t + wait if wait else None, now, "admin"))
db.commit()
db.close()
server, ok = start(hist)
check(ok, "the server starts on the generated history")
H = dict(PERSON, BRAKE_TOKEN=htoken)
r = subprocess.run([BRAKE, "report", "--since", "30d", "--format", "json"], capture_output=True, text=True, env=H, cwd=work)
rep = json.loads(r.stdout) if r.returncode == 0 else {}
check(rep.get("actions") == 21 and rep.get("asks") == 6 and rep.get("denies") == 1,
      f"actions 21, asks 6, denies 1 (the 40-day-old session left out): {[rep.get(k) for k in ('actions', 'asks', 'denies')]} {r.stderr[-300:]}")
lat = rep.get("approval_latency", {})
check(lat.get("p50_seconds") == 30 and lat.get("p90_seconds") == 600 and lat.get("count") == 5,
      f"approval latency over [10, 20, 30, 40, 600] s: p50 30, p90 600 (nearest rank): {lat}")
check(abs(lat.get("hours", 0) - 0.19) < 0.006, f"...adding up to 700 s = 0.19 hours: {lat.get('hours')}")
# agent hours: 1800+60, 3540+60, 0+60 seconds = 5520 s = 1.5333 h; asks 6 → 3.91 per agent-hour
check(abs(rep.get("agent_hours", 0) - 1.53) < 0.01 and abs(rep.get("asks_per_agent_hour", 0) - 3.91) < 0.01,
      f"agent-hours 1.53 and asks per agent-hour 3.91: {rep.get('agent_hours')} {rep.get('asks_per_agent_hour')}")
check(rep.get("requests") == {"total": 6, "approved": 4, "denied": 1, "expired": 1}, f"requests: {rep.get('requests')}")
c = rep.get("commits", {})
check(c.get("total") == 5 and c.get("ai_assisted") == 3 and c.get("signed_off") == 2 and c.get("needing_signoff") == 3
      and c.get("ai_assisted_share") == 0.6 and c.get("lines") == {"added": 50, "agent": 12},
      f"commits 5, AI-assisted 3 (0.6), signed off 2 of the 3 that need it, 12 of 50 lines by agents: {c}")
check(c.get("signoff_wait", {}).get("p50_seconds") == 3600 and c.get("signoff_wait", {}).get("p90_seconds") == 7200,
      f"...and commits waited 1 h and 2 h for sign-off: {c.get('signoff_wait')}")
rules = rep.get("rules", [])
check(rules[:1] == [{"rule": "git.force-push", "asks": 6, "would_ask": 0}], f"the rule that asks most: {rules[:1]}")
by_repo = {x["name"]: x for x in rep.get("by_repository", [])}
check(by_repo.get("example.com/acme/shop", {}).get("actions") == 20 and by_repo.get("example.com/acme/infra", {}).get("asks") == 1,
      "per repository: shop 20 actions, infra 1 ask")
r = subprocess.run([BRAKE, "report", "--since", "30d", "--team", "payments", "--format", "json"], capture_output=True, text=True, env=H, cwd=work)
team = json.loads(r.stdout) if r.returncode == 0 else {}
check(team.get("actions") == 20 and team.get("asks") == 5 and team.get("team") == "payments"
      and team.get("approval_latency", {}).get("count") == 5,
      f"--team payments (alice, dev): 20 actions, 5 asks: {[team.get(k) for k in ('actions', 'asks')]} {r.stderr[-200:]}")
r = subprocess.run([BRAKE, "report", "--since", "30d", "--team", "nobody"], capture_output=True, text=True, env=H, cwd=work)
check(r.returncode != 0 and "payments" in r.stderr, "an unknown team is an error naming the teams there are")
r = subprocess.run([BRAKE, "report", "--since", "30d", "--format", "csv"], capture_output=True, text=True, env=H, cwd=work)
lines = r.stdout.strip().splitlines()
person = {l.split(",")[1]: l.split(",") for l in lines[1:] if l.startswith("person,")}
check(lines[0].startswith("group,name,actions,asks,denies") and lines[1].startswith("total,,21,6,1,")
      and person.get("alice", [])[2:5] == ["10", "3", "1"] and person.get("bob", [])[2:4] == ["1", "1"],
      f"CSV: a total line and one per repository, team, agent and person: {lines[:2]} {person.get('alice')}")
r = subprocess.run([BRAKE, "report", "--since", "30d"], capture_output=True, text=True, env=H, cwd=work)
check(r.returncode == 0 and "actions decided: 21" in r.stdout and "p50 30 s, p90 10 min" in r.stdout, "the text report says the same " + r.stdout[:300])
server.send_signal(signal.SIGTERM)
server.wait(timeout=20)

print(f"\nreport-e2e: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
