#!/usr/bin/env python3
"""Replicas end to end: three real `brake serve` processes on one PostgreSQL (started here from Debian's binaries),
over HTTPS with a private CA, behave as one control plane.

- Replicas started together on an empty database migrate it once; they share the signing key and the first
  admin's token from files (as a Kubernetes Secret gives them).
- A request opened through one replica is approved on a second and used on a third, exactly once; a hook waiting
  on one wakes when another records the approval (a notification, not the 15 s recheck).
- A stop made on one blocks the very next hook call answered by another; lifting it on a third lets work go on.
- A circuit breaker counts destructive actions reported to different replicas together (atomic in the database).
- Checkpoints are signed once per interval for the whole cluster.
- SIGKILL of one replica in the middle of a burst of decisions, votes and stops: every acknowledged write is in
  the database, the audit chain verifies, and hooks listing both replicas carry on through the survivor.
- TLS: plain HTTP is refused on the HTTPS port; a hook that does not trust the CA fails closed; a certificate for
  another name is refused; `brake serve` refuses plain HTTP on a non-loopback address unless told.
- A team's embedded server (SQLite) moved onto PostgreSQL with `brake serve --import-sqlite`: its tokens, stop and
  waiting request work there, the chain carries on and verifies; an edited file and a second copy are refused.
"""
import json, os, re, shutil, signal, ssl, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import check, claude_payload, failures, free_port, workdir  # noqa: E402

BRAKE = os.path.abspath(sys.argv[1])
HERE = os.path.dirname(os.path.abspath(__file__))
work, proj = workdir("brake-replica-e2e-")
os.chmod(work, 0o755)

# --- PostgreSQL, from Debian's binaries
pgdir = os.path.join(work, "pg")
r = subprocess.run([os.path.join(HERE, "postgres-temp.sh"), "start", pgdir, str(os.getpid())],
                   capture_output=True, text=True)
if r.returncode == 3:
    print("SKIPPED: replica-e2e needs Debian's postgresql package: " + r.stderr.strip())
    sys.exit(0)
if r.returncode != 0:
    raise SystemExit("PostgreSQL did not start: " + r.stderr)
PG_PORT = int(r.stdout.split()[-1])
PGENV = dict(os.environ, PGPASSWORD="brake-test")
subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "brake", "-d", "postgres", "-qc",
                "CREATE DATABASE control"], check=True, env=PGENV)


def sql(q):
    return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "brake", "-d", "control", "-tAc", q],
                          capture_output=True, text=True, env=PGENV).stdout.strip()


# --- a private CA and the replicas' certificate (for 127.0.0.1 and localhost)
tls = os.path.join(work, "tls")
os.makedirs(tls)


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=tls)


openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
        "-out", "ca.pem", "-days", "2", "-subj", "/CN=Brake test CA")
for name, san in [("server", "DNS:localhost,IP:127.0.0.1"), ("other", "DNS:elsewhere.example")]:
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{name}.key",
            "-out", f"{name}.csr", "-subj", f"/CN={name}")
    open(os.path.join(tls, f"{name}.ext"), "w").write(
        f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
CA = os.path.join(tls, "ca.pem")
CTX = ssl.create_default_context(cafile=CA)

# --- the shared secrets, as an operator makes them
secrets = os.path.join(work, "secrets")
os.makedirs(secrets)
for flag, name in [("--new-signing-key", "signing-key"), ("--new-admin-token", "admin-token")]:
    out = subprocess.run([BRAKE, "serve", flag], capture_output=True, text=True, check=True).stdout
    open(os.path.join(secrets, name), "w").write(out)
open(os.path.join(secrets, "db-password"), "w").write("brake-test\n")
ADMIN = open(os.path.join(secrets, "admin-token")).read().strip()
config = os.path.join(work, "server.yaml")
open(config, "w").write(f"""database: postgres://brake@127.0.0.1:{PG_PORT}/control?sslmode=disable
database_password_file: {secrets}/db-password
signing_key_file: {secrets}/signing-key
admin_token_file: {secrets}/admin-token
tls_cert: {tls}/server.pem
tls_key: {tls}/server.key
checkpoint_interval_seconds: 2
breakers:
  - name: burst
    limit: 6
    window_minutes: 10
    scope: session
    lift_role: senior
""")

PORTS = [free_port() for _ in range(3)]
URLS = [f"https://127.0.0.1:{p}" for p in PORTS]
procs = {}


def start(i):
    data = os.path.join(work, f"replica-{i}")
    p = subprocess.Popen([BRAKE, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{PORTS[i]}", "--config", config],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs[i] = p
    return p


def call(i, method, path, token, body=None, timeout=10):
    req = urllib.request.Request(URLS[i] + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(req, timeout=timeout, context=CTX) as r:
        return json.loads(r.read())


def healthy(i, tries=300):
    for _ in range(tries):
        try:
            return call(i, "GET", "/v1/health", None, timeout=1).get("ok") is True
        except Exception:
            if procs[i].poll() is not None:
                return False
            time.sleep(0.05)
    return False


# --- three replicas started together on the empty database
for i in range(3):
    start(i)
up = [healthy(i) for i in range(3)]
if not all(up):
    for i, p in procs.items():
        if p.poll() is not None:
            print(f"replica {i}: " + p.stdout.read())
    raise SystemExit("the replicas did not start")
check(sql("SELECT count(*) FROM brake_migrations") == "1" and sql("SELECT count(*) FROM users") == "1",
      "three replicas started together migrate the database once and make one first admin")
keys = {call(i, "GET", "/v1/audit/public-key", None)["public_key"] for i in range(3)}
check(len(keys) == 1, "every replica signs with the shared key")
check(all(call(i, "GET", "/v1/me", ADMIN)["name"] == "admin" for i in range(3)),
      "the admin token from the secret works on every replica")
KEY = keys.pop()

sam = call(0, "POST", "/v1/users", ADMIN, {"name": "sam", "role": "senior"})["token"]
dev = call(1, "POST", "/v1/users", ADMIN, {"name": "dev", "role": "mid"})["token"]
agent = call(2, "POST", "/v1/tokens", dev, {"scope": "agent", "label": "hooks"})["token"]


def hook_env(servers, ca=CA, **extra):
    home = tempfile.mkdtemp(prefix="home-", dir=work)
    e = dict(os.environ, HOME=home, BRAKE_HOME=os.path.join(home, ".brake"), BRAKE_SERVER=",".join(servers),
             BRAKE_TOKEN=agent, BRAKE_SERVER_KEY=KEY, BRAKE_ASK_WAIT="0")
    for k in ["BRAKE_POLICY", "BRAKE_CA_FILE", "BRAKE_ALLOW_PLAIN_HTTP"]:
        e.pop(k, None)
    if ca:
        e["BRAKE_CA_FILE"] = ca
    e.update(extra)
    return e


def hook(command, env, session="s1", extra=()):
    t = time.monotonic()
    r = subprocess.run([BRAKE, "hook", "claude-code", *extra], input=claude_payload(command, session, proj),
                       capture_output=True, text=True, env=env, timeout=60)
    ms = (time.monotonic() - t) * 1000
    if r.returncode == 2:
        return "deny", r.stderr, ms
    if r.stdout.strip():
        out = json.loads(r.stdout)["hookSpecificOutput"]
        return out["permissionDecision"], out.get("permissionDecisionReason", ""), ms
    return ("allow" if r.returncode == 0 else f"exit {r.returncode}"), r.stderr, ms


ON = [hook_env([URLS[i]]) for i in range(3)]

# --- a request opened on A, approved on B, used on C — exactly once
ASK = "git push --force origin main"
d, reason, _ = hook(ASK, ON[0])
m = re.search(r"request (req_\w+)", reason)
check(d == "deny" and m is not None, "a hook's ask through replica A opens a request")
rid = m.group(1) if m else "req_none"
a = call(1, "POST", f"/v1/approvals/{rid}/approve", sam, {"reason": "ok"})
check(a.get("status") == "approved", "a senior approves it on replica B")
d, _, _ = hook(ASK, ON[2])
check(d == "allow", "the identical retry through replica C passes")
d, reason, _ = hook(ASK, ON[0])
check(d == "deny" and rid not in reason, "a second retry through A does not (the approval was used once)")
used = sql(f"SELECT count(*) FROM audit WHERE kind = 'approval.used' AND event LIKE '%{rid}%'")
check(used == "1", f"the audit log holds one use of {rid} ({used})")

# --- a hook waiting on A wakes when C records the approval
W = "git push --force origin release"
d, reason, _ = hook(W, ON[0], session="s-wait")
wid = re.search(r"request (req_\w+)", reason).group(1)
result = {}
t = threading.Thread(target=lambda: result.update(out=hook(W, ON[0], session="s-wait", extra=("--wait", "30"))))
t.start()
time.sleep(1.0)
approved_at = time.monotonic()
call(2, "POST", f"/v1/approvals/{wid}/approve", sam, {"reason": "ok"})
t.join()
woke = time.monotonic() - approved_at
check(result["out"][0] == "allow" and woke < 3,
      f"a hook waiting on replica A passes {woke:.2f} s after replica C records the approval (notification, not the 15 s recheck)")

# --- a stop made on B blocks the very next call answered by C; lifting it on A lets work go on
stop = call(1, "POST", "/v1/stops", sam, {"scope": "user", "value": "dev", "reason": "incident"})
d, reason, _ = hook("ls -la", ON[2], session="s-stop")
check(d == "deny" and "incident" in reason, "a stop made on replica B blocks the next hook call answered by C")
call(0, "POST", f"/v1/stops/{stop['id']}/lift", sam, {"reason": "over"})
d, _, _ = hook("ls -la", ON[1], session="s-stop")
check(d == "allow", "lifted on replica A, the next call through B passes")

# --- the breaker counts across replicas
outcomes = []
lock = threading.Lock()


def destructive(i, n):
    o = call(i % 3, "POST", "/v1/decisions", agent,
             {"decision": "allow", "agent": "claude-code", "session": "s-breaker", "tool": "Bash",
              "action": f"rm -f build/{n}.o", "effects": ["fs.delete"]})
    with lock:
        outcomes.append(o["decision"])


threads = [threading.Thread(target=destructive, args=(n, n)) for n in range(12)]
[t.start() for t in threads]
[t.join() for t in threads]
check(outcomes.count("allow") == 6 and outcomes.count("deny") == 6,
      f"12 destructive actions at once over three replicas: exactly the breaker's 6 pass ({outcomes.count('allow')})")
check(sql("SELECT count(*) FROM stops WHERE created_by = 'circuit-breaker'") == "1", "...and it trips one stop")

# --- one checkpoint per interval for the cluster, while events keep moving the head (with nothing new, nothing
# is signed): reports go to the three replicas in turn for 9 s
since = int(time.time()) + 1
end = time.monotonic() + 9
n = 0
while time.monotonic() < end:
    call(n % 3, "POST", "/v1/decisions", agent,
         {"decision": "allow", "agent": "claude-code", "session": "s-checkpoints", "tool": "Bash", "action": "ls"})
    n += 1
    time.sleep(0.2)
times = [int(t) for t in sql(f"SELECT time FROM checkpoints WHERE time >= {since} ORDER BY time").split()]
gaps = [b - a for a, b in zip(times, times[1:])]
check(len(times) >= 3 and gaps and min(gaps) >= 2,
      f"three replicas signed one checkpoint per 2 s interval for the cluster while events came in: "
      f"{len(times)} over 9 s, {gaps} s apart")

# --- SIGKILL of replica A in the middle of a write burst
acked = {"decisions": [], "votes": [], "stops": []}
pending = []
for n in range(8):
    d, reason, _ = hook(f"git push --force origin burst-{n}", ON[1], session=f"s-burst-{n}")
    mm = re.search(r"request (req_\w+)", reason)
    if mm:
        pending.append(mm.group(1))
check(len(pending) == 8, "eight requests are waiting before the burst")
stop_flag = threading.Event()


def burst(worker):
    n = 0
    while not stop_flag.is_set():
        i = (worker + n) % 2  # replicas A and B
        n += 1
        try:
            if n % 7 == 0 and pending:
                rid2 = pending.pop()
                o = call(i, "POST", f"/v1/approvals/{rid2}/approve", sam, {"reason": "burst"}, timeout=5)
                acked["votes"].append(rid2)
            elif n % 11 == 0:
                o = call(i, "POST", "/v1/stops", sam, {"scope": "session", "value": f"burst-{worker}-{n}",
                                                       "reason": "burst"}, timeout=5)
                acked["stops"].append(o["id"])
            else:
                o = call(i, "POST", "/v1/decisions", agent,
                         {"decision": "allow", "agent": "claude-code", "session": f"s-burst-w{worker}",
                          "tool": "Bash", "action": f"echo {worker}-{n}"}, timeout=5)
                acked["decisions"].append(int(o["seq"]))
        except Exception:
            pass  # not acknowledged: it may or may not have been written


workers = [threading.Thread(target=burst, args=(w,)) for w in range(6)]
[t.start() for t in workers]
time.sleep(1.5)
procs[0].send_signal(signal.SIGKILL)
procs[0].wait()
time.sleep(1.5)
stop_flag.set()
[t.join() for t in workers]
check(len(acked["decisions"]) > 100, f"the burst wrote through both replicas ({len(acked['decisions'])} decisions acknowledged)")
seqs = set(int(x) for x in sql("SELECT seq FROM audit WHERE kind = 'decision' AND session LIKE 's-burst-w%'").split())
check(set(acked["decisions"]) <= seqs, f"every acknowledged decision is in the audit log ({len(set(acked['decisions']) - seqs)} missing)")
approved = set(sql("SELECT id FROM approvals WHERE status = 'approved'").split())
check(set(acked["votes"]) <= approved and len(acked["votes"]) > 0,
      f"every acknowledged approval is recorded ({len(acked['votes'])} acknowledged)")
stops = set(sql("SELECT id FROM stops").split())
check(set(acked["stops"]) <= stops and len(acked["stops"]) > 0, f"every acknowledged stop is recorded ({len(acked['stops'])})")
total = int(sql("SELECT count(*) FROM audit"))
contiguous = sql("SELECT count(*) = max(seq) AND min(seq) = 1 FROM audit")
check(contiguous == "t", f"the audit log is one gap-free sequence of {total} events")
v = call(1, "GET", "/v1/audit/verify", ADMIN)
check(v.get("ok") is True, "the chain verifies on a survivor after the kill: " + json.dumps(v)[:300])
r = subprocess.run([BRAKE, "audit", "verify"], capture_output=True, text=True,
                   env=dict(hook_env([URLS[2]]), BRAKE_TOKEN=ADMIN))
check(r.returncode == 0, "brake audit verify (downloads and checks the chain and its checkpoints): " + (r.stdout + r.stderr)[-300:])

FAILOVER = hook_env([URLS[0], URLS[1]])
d, _, ms = hook("ls -la", FAILOVER, session="s-after")
d2, _, _ = hook("git push --force origin after-kill", FAILOVER, session="s-after")
check(d == "allow" and d2 == "deny", f"hooks listing A (killed) and B carry on through B ({ms:.0f} ms)")
check(sql("SELECT count(*) FROM audit WHERE kind = 'decision' AND session = 's-after'") == "2", "...and their decisions reach the audit log")
DEAD = hook_env([URLS[0]])
d, reason, _ = hook("git push --force origin nowhere", DEAD, session="s-dead")
check(d == "deny", "with no replica answering, a risky action is refused (fails closed)")
# A's replacement starts on the same database and joins.
start(0)
check(healthy(0), "a replacement for A starts on the same database")
check(call(0, "GET", "/v1/me", sam)["name"] == "sam", "...and serves the cluster's users")

# --- TLS
try:
    urllib.request.urlopen(f"http://127.0.0.1:{PORTS[1]}/v1/health", timeout=3)
    plain = True
except Exception:
    plain = False
check(not plain, "plain HTTP to a replica's HTTPS port gets no answer")
d, reason, _ = hook("git push --force origin untrusted", hook_env([URLS[1]], ca=None), session="s-untrusted")
check(d == "deny", "a hook that does not trust the server's CA (system roots only) fails closed: " + reason[-160:])
other_port = free_port()
bad = subprocess.Popen([BRAKE, "serve", "--data-dir", os.path.join(work, "other"), "--listen", f"127.0.0.1:{other_port}",
                        "--tls-cert", os.path.join(tls, "other.pem"), "--tls-key", os.path.join(tls, "other.key")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1.5)
r = subprocess.run([BRAKE, "whoami"], capture_output=True, text=True,
                   env=dict(hook_env([f"https://127.0.0.1:{other_port}"]), BRAKE_TOKEN=ADMIN))
check(r.returncode != 0 and ("certificate" in r.stderr.lower() or "hostname" in r.stderr.lower()),
      "a certificate the CA issued for another name is refused: " + r.stderr.strip()[-200:])
bad.kill()
r = subprocess.run([BRAKE, "serve", "--data-dir", os.path.join(work, "plain"), "--listen", f"0.0.0.0:{free_port()}"],
                   capture_output=True, text=True, timeout=30)
check(r.returncode != 0 and "plain HTTP" in r.stderr and "--tls-cert" in r.stderr,
      "brake serve refuses plain HTTP on a non-loopback address: " + r.stderr.strip()[-200:])
r = subprocess.run([BRAKE, "whoami"], capture_output=True, text=True,
                   env=dict(hook_env(["http://192.0.2.1:8377"], ca=None), BRAKE_TOKEN=ADMIN))
check(r.returncode != 0 and "plain HTTP" in r.stderr, "a client refuses plain HTTP to another host")
r = subprocess.run([BRAKE, "serve", "--database", f"postgres://brake:secret@127.0.0.1:{PG_PORT}/control"],
                   capture_output=True, text=True, timeout=30)
check(r.returncode != 0 and "password" in r.stderr and "--database-password-file" in r.stderr,
      "a password on the command line is refused with where to put it instead")

# --- a team's embedded server moved onto PostgreSQL: brake serve --import-sqlite
emb = os.path.join(work, "embedded")
E_PORT = free_port()
E_URL = f"http://127.0.0.1:{E_PORT}"


def ecall(method, path, token, body=None, url=None):
    req = urllib.request.Request((url or E_URL) + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def serve_plain(args, url):
    p = subprocess.Popen([BRAKE, "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/v1/health", timeout=1)
            return p
        except Exception:
            if p.poll() is not None:
                raise SystemExit("brake serve did not start: " + p.stdout.read())
            time.sleep(0.05)
    raise SystemExit("brake serve did not answer")


embedded = serve_plain(["--data-dir", emb, "--listen", f"127.0.0.1:{E_PORT}"], E_URL)
e_admin = open(os.path.join(emb, "admin-token")).read().strip()
e_kim = ecall("POST", "/v1/users", e_admin, {"name": "kim", "role": "senior"})["token"]
e_dev = ecall("POST", "/v1/users", e_admin, {"name": "dev", "role": "mid"})["token"]
e_agent = ecall("POST", "/v1/tokens", e_dev, {"scope": "agent", "label": "hooks"})["token"]
e_key = ecall("GET", "/v1/audit/public-key", e_admin)["public_key"]
E_HOOK = hook_env([E_URL], ca=None, BRAKE_TOKEN=e_agent, BRAKE_SERVER_KEY=e_key)
for n in range(5):
    hook(f"make test-{n}", E_HOOK, session="s-emb")
d, reason, _ = hook("git push --force origin main", E_HOOK, session="s-emb")
m = re.search(r"request (req_\w+)", reason)
e_rid = m.group(1) if m else ""
ecall("POST", "/v1/stops", e_kim, {"scope": "session", "value": "s-frozen", "reason": "frozen for the audit"})
sqlite_file = os.path.join(emb, "brake.sqlite")
check(d == "deny" and e_rid and os.path.exists(sqlite_file),
      "an embedded server on SQLite holds people, an agent's decisions, a waiting request and a stop")
for db in ["imported", "tampered"]:
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "brake", "-d", "postgres", "-qc",
                    f"CREATE DATABASE {db}"], check=True, env=PGENV)


def import_into(db, file):
    return subprocess.run([BRAKE, "serve", "--import-sqlite", file,
                           "--database", f"postgres://brake@127.0.0.1:{PG_PORT}/{db}?sslmode=disable",
                           "--database-password-file", os.path.join(secrets, "db-password")],
                          capture_output=True, text=True, timeout=120)


def public_tables(db):
    return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "brake", "-d", db, "-tAc",
                           "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"],
                          capture_output=True, text=True, env=PGENV).stdout.strip()


# While the embedded server runs, its file is not copied (what it wrote afterwards would be lost), nor is a second
# server started on it.
r = import_into("imported", sqlite_file)
check(r.returncode == 65 and "another brake serve is running" in r.stderr and public_tables("imported") == "0",
      "the file of a running server is not copied: " + r.stderr.strip()[-140:])
r = subprocess.run([BRAKE, "serve", "--data-dir", emb, "--listen", f"127.0.0.1:{free_port()}"],
                   capture_output=True, text=True, timeout=60)
check(r.returncode != 0 and "another brake serve is running" in r.stderr,
      "...and a second server on the same SQLite file is refused")
embedded.terminate()
embedded.wait(timeout=30)

# An edited event in a copy of the file: the copy is refused and writes nothing.
os.makedirs(os.path.join(work, "tampered"))
tampered = os.path.join(work, "tampered", "brake.sqlite")
shutil.copy(sqlite_file, tampered)
shutil.copy(os.path.join(emb, "audit-signing-key"), os.path.join(work, "tampered"))
subprocess.run(["sqlite3", tampered, "UPDATE audit SET event = replace(event, 'make test-2', 'make test-9') WHERE seq ="
                " (SELECT min(seq) FROM audit WHERE event LIKE '%make test-2%')"], check=True)
r = import_into("tampered", tampered)
users_there = public_tables("tampered")
check(r.returncode == 65 and "does not verify" in r.stderr and users_there == "0",
      f"an edited audit log is not copied (exit {r.returncode}, {users_there} tables written): " + r.stderr.strip()[-160:])
r = import_into("imported", sqlite_file)
check(r.returncode == 0 and "verifies there" in r.stdout,
      "brake serve --import-sqlite copies it and verifies the chain: " + (r.stdout + r.stderr).strip()[-300:])
imported_events = int(re.search(r"verifies there: (\d+) events", r.stdout).group(1)) if r.returncode == 0 else 0
# Table by table, every row of the file is in PostgreSQL, value for value.
differ = []
for table in subprocess.run(["sqlite3", sqlite_file, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT"
                             " LIKE 'sqlite_%' AND name != 'grdb_migrations'"], capture_output=True, text=True,
                            check=True).stdout.split():
    cols = [c.split("|")[1] for c in subprocess.run(["sqlite3", sqlite_file, f"PRAGMA table_info({table})"],
                                                    capture_output=True, text=True, check=True).stdout.split("\n") if c]
    select = ", ".join(f'"{c}"' for c in cols)
    mine = json.loads(subprocess.run(["sqlite3", "-json", sqlite_file, f'SELECT {select} FROM "{table}"'],
                                     capture_output=True, text=True, check=True).stdout or "[]")
    theirs = json.loads(subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "brake", "-d", "imported", "-tAc",
         f'SELECT COALESCE(json_agg(t), \'[]\') FROM (SELECT {select} FROM "{table}") t'],
        capture_output=True, text=True, env=PGENV, check=True).stdout)
    if sorted(json.dumps(x, sort_keys=True) for x in mine) != sorted(json.dumps(x, sort_keys=True) for x in theirs) \
            or not mine and table in ("users", "tokens", "audit", "approvals", "stops", "checkpoints"):
        differ.append(table)
check(not differ, f"every table's rows are in PostgreSQL value for value (differing or empty: {differ})")
I_PORT = free_port()
I_URL = f"http://127.0.0.1:{I_PORT}"
i_config = os.path.join(work, "imported.yaml")
open(i_config, "w").write(f"""database: postgres://brake@127.0.0.1:{PG_PORT}/imported?sslmode=disable
database_password_file: {secrets}/db-password
signing_key_file: {emb}/audit-signing-key
""")
moved = serve_plain(["--data-dir", os.path.join(work, "moved"), "--listen", f"127.0.0.1:{I_PORT}", "--config", i_config],
                    I_URL)
I_HOOK = hook_env([I_URL], ca=None, BRAKE_TOKEN=e_agent, BRAKE_SERVER_KEY=e_key)
check(ecall("GET", "/v1/me", e_admin, url=I_URL)["name"] == "admin" and
      ecall("GET", "/v1/me", e_agent, url=I_URL)["name"] == "dev",
      "on PostgreSQL the embedded server's admin and agent tokens still work")
d, reason, _ = hook("ls", I_HOOK, session="s-frozen")
check(d == "deny" and "frozen for the audit" in reason, "...its stop still blocks the session")
a = ecall("POST", f"/v1/approvals/{e_rid}/approve", e_kim, {"reason": "ok"}, url=I_URL)
d, _, _ = hook("git push --force origin main", I_HOOK, session="s-emb")
check(a.get("status") == "approved" and d == "allow",
      "...the request the agent was waiting on is approved there and its retry passes")
moved.terminate()
moved.wait(timeout=30)
moved = serve_plain(["--data-dir", os.path.join(work, "moved"), "--listen", f"127.0.0.1:{I_PORT}", "--config", i_config],
                    I_URL)
v = ecall("GET", "/v1/audit/verify", e_admin, url=I_URL)
check(v.get("ok") is True and v.get("length", 0) > imported_events > 0 and v.get("checkpoints_verified", 0) >= 2,
      f"the chain carries on from the copied head and verifies, with the embedded server's checkpoint and the new "
      f"one ({imported_events} events copied, {v.get('length')} now, {v.get('checkpoints_verified')} checkpoints)")
moved.terminate()
moved.wait(timeout=30)
r = import_into("imported", sqlite_file)
check(r.returncode == 65 and "already holds a control plane" in r.stderr,
      "a second copy into the database in use is refused: " + r.stderr.strip()[-160:])

for p in procs.values():
    p.terminate()
for p in procs.values():
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
subprocess.run([os.path.join(HERE, "postgres-temp.sh"), "stop", pgdir])
if failures:
    print(f"\n{len(failures)} check(s) failed")
    sys.exit(1)
shutil.rmtree(work, ignore_errors=True)
print("\nreplica-e2e: all checks passed")
