#!/usr/bin/env python3
"""The oversight report over a large history: 1,000,000 audit events on SQLite.

usage: bench-report.py BRAKE [--events N] [--check] [--keep]

A release `brake serve` creates its database; the history is then written into it the way the server writes it
(one audit event per decision with its hash chain, the per-day sums the report reads, and one request per ask
with its approval), over 30 days: 2,000 sessions in 20 repositories by 50 people with 5 agents, 10 % asks and 2 %
denies. The server is started again and `GET /v1/reports?since=30d` is timed five times (the server's answer,
over HTTP), then `brake report --format json` once (what a person runs). Goal: the report in under 2 s (the
median of the five). `brake audit verify` checks the generated chain first, so the history is one the server
accepts as its own.
"""
import hashlib, json, os, random, signal, sqlite3, statistics, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import free_port  # noqa: E402

BRAKE = os.path.abspath(sys.argv[1])
EVENTS = int(sys.argv[sys.argv.index("--events") + 1]) if "--events" in sys.argv else 1_000_000
CHECK = "--check" in sys.argv
GOAL_S = 2.0
work = tempfile.mkdtemp(prefix="brake-bench-report-")
data = os.path.join(work, "server")


PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"


def start():
    p = subprocess.Popen([BRAKE, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{PORT}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    for _ in range(1200):
        try:
            urllib.request.urlopen(URL + "/v1/health", timeout=1)
            return p
        except Exception:
            if p.poll() is not None:
                raise SystemExit("brake serve exited")
            time.sleep(0.1)
    raise SystemExit("brake serve did not start")


server = start()
token = open(os.path.join(data, "admin-token")).read().strip()
server.send_signal(signal.SIGTERM)
server.wait(timeout=30)

rng = random.Random(7)
now = int(time.time())
start_t = now - 29 * 86400
users = [f"user{i:02d}" for i in range(50)]
repos = [f"github.com/acme/repo{i:02d}" for i in range(20)]
agents = ["claude-code", "codex", "cursor", "gemini", "copilot"]
rules = [f"rule.r{i}" for i in range(10)]
sessions = []
for i in range(2000):
    sessions.append((f"sess-{i:05d}", rng.choice(users), rng.choice(agents), rng.choice(repos)))

APPROVAL = ("INSERT INTO approvals (id, digest, summary, detail, requester, agent, session, repository, environment, "
            "required_role, required_count, status, created, expires, votes, decided, used, shape) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
t0 = time.time()
db = sqlite3.connect(os.path.join(data, "brake.sqlite"))
db.execute("PRAGMA synchronous = OFF")
prev_seq, prev_hash = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
audit_rows, approval_rows = [], []
days, rule_days = {}, {}
seq, h = prev_seq, prev_hash
step = (now - 120 - start_t) / EVENTS
for i in range(EVENTS):
    seq += 1
    t = start_t + int(i * step)
    sid, user, agent, repo = sessions[rng.randrange(len(sessions))]
    x = rng.random()
    decision = "ask" if x < 0.10 else ("deny" if x < 0.12 else "allow")
    rule = rng.choice(rules) if decision != "allow" else ""
    fields = {"seq": seq, "time": t, "kind": "decision", "actor": user, "session": sid, "agent": agent, "tool": "Bash",
              "action": f"git status {i}", "decision": decision, "rules": [rule] if rule else [], "labels": [],
              "digest": "sha256:" + format(i, "064x"), "repository": repo}
    event = json.dumps(fields, separators=(",", ":"))
    h = hashlib.sha256((h + event).encode()).hexdigest()
    audit_rows.append((seq, t, "decision", user, sid, 0, "Bash", event, "", h))
    k = (t // 86400, sid, user, agent, repo)
    first, last, n, a, d = days.get(k, (t, t, 0, 0, 0))
    days[k] = (min(first, t), max(last, t), n + 1, a + (decision == "ask"), d + (decision == "deny"))
    if decision == "ask":
        rk = (t // 86400, rule, user, repo)
        rule_days[rk] = rule_days.get(rk, 0) + 1
    if decision == "ask":
        approver = rng.choice(users)
        detail = json.dumps({"tool": "Bash", "cwd": "/home/dev/p", "commands": [f"git push --force origin b{i % 500}"],
                             "reasons": [{"rule": rule}], "labels": [], "repositories": [repo]})
        votes = json.dumps([{"user": approver, "role": "senior", "vote": "approve", "reason": "", "time": t + 30}])
        shape = "\n".join([rule, f"git push --force origin b*", "@", repo])  # as Suggestion.shapeKey writes it
        approval_rows.append((f"req_b{i}", f"sha256:{i}", "x", detail, user, agent, sid, repo, "", "senior", 1, "used",
                              t, t + 900, votes, t + rng.randrange(5, 900), t + 40, shape))
    if len(audit_rows) >= 50_000:
        # prev_hash per row: the chain is computed above; the previous hash of each row is the one before it.
        db.executemany("INSERT INTO audit (seq, time, kind, actor, session, destructive, tool, event, prev_hash, hash) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?)", audit_rows)
        db.executemany(APPROVAL, approval_rows)
        audit_rows, approval_rows = [], []
if audit_rows:
    db.executemany("INSERT INTO audit (seq, time, kind, actor, session, destructive, tool, event, prev_hash, hash) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?)", audit_rows)
    db.executemany(APPROVAL, approval_rows)
db.executemany("INSERT INTO session_days VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", [k + v + (0, 0) for k, v in days.items()])
db.executemany("INSERT INTO rule_days VALUES (?,?,?,?,?,?)", [k + (n, 0) for k, n in rule_days.items()])
# Each row's previous hash is the hash of the row before it.
db.execute("UPDATE audit SET prev_hash = (SELECT a.hash FROM audit a WHERE a.seq = audit.seq - 1) WHERE seq > ?",
           (prev_seq,))
db.commit()
asks = db.execute("SELECT COUNT(*) FROM approvals").fetchone()[0]
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
print(f"  generated {EVENTS:,} audit events ({asks:,} asks with their requests) in {time.time() - t0:.1f} s")

server = start()
key = json.loads(urllib.request.urlopen(URL + "/v1/audit/public-key", timeout=10).read())["public_key"]
env = dict(os.environ, HOME=work, BRAKE_HOME=os.path.join(work, "admin"), BRAKE_SERVER=URL, BRAKE_TOKEN=token)
times = []
report = None
for _ in range(5):
    t = time.perf_counter()
    req = urllib.request.Request(URL + "/v1/reports?since=30d", headers={"Authorization": "Bearer " + token})
    report = json.loads(urllib.request.urlopen(req, timeout=120).read())
    times.append(time.perf_counter() - t)
t = time.perf_counter()
cli = subprocess.run([BRAKE, "report", "--since", "30d", "--format", "json"], capture_output=True, text=True, env=env,
                     cwd=work)
cli_s = time.perf_counter() - t
server.send_signal(signal.SIGTERM)
server.wait(timeout=60)
verify = subprocess.run([BRAKE, "audit", "verify", "--data-dir", data, "--key", key], capture_output=True, text=True, env=env)
median = statistics.median(times)
print(f"  GET /v1/reports?since=30d over {report['actions']:,} decisions and {report['requests']['total']:,} requests: "
      f"median {median * 1000:.0f} ms, max {max(times) * 1000:.0f} ms (5 runs); `brake report --format json` {cli_s * 1000:.0f} ms")
ok = True
if report["actions"] != EVENTS:
    print(f"FAIL the report counts {report['actions']} decisions, not {EVENTS}")
    ok = False
if cli.returncode != 0 or json.loads(cli.stdout).get("actions") != EVENTS:
    print(f"FAIL brake report: {cli.stderr[-300:]}")
    ok = False
if verify.returncode != 0:
    print(f"FAIL the generated chain does not verify: {verify.stdout[-300:]} {verify.stderr[-300:]}")
    ok = False
status = "ok  " if median < GOAL_S else "MISS"
print(f"{status} report over {EVENTS:,} audit events (median, s): {median:.2f} < {GOAL_S}")
if "--keep" in sys.argv:
    print(f"  kept {work}")
else:
    subprocess.run(["rm", "-rf", work])
if not ok or (CHECK and median >= GOAL_S):
    sys.exit(1)
