#!/usr/bin/env python3
"""Load end to end: `brake serve` under connections that do nothing and requests that wait.

- 20,000 idle connections (opened and left silent) do not stop a hook's call from being answered.
- 300 hooks waiting for a person (long-polls on `POST /v1/judge`) cost the server < 5 % of a core, and a
  decision wakes its waiter at once (a notification, not polling).
"""
import json, os, resource, socket, subprocess, sys, threading, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import api as api_at, check, claude_payload, failures, free_port, wait_http, workdir  # noqa: E402

BRAKE = os.path.abspath(sys.argv[1])
IDLE = 20_000
WAITERS = 300
work, proj = workdir("brake-load-e2e-")
# Every process may hold at most its descriptor limit; the idle connections are spread over helper processes.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server inherits it
PER_HELPER = min(10_000, hard - 200)

PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
data = os.path.join(work, "server")
config = os.path.join(work, "server.yaml")
open(config, "w").write("idle_timeout_seconds: 120\nmax_wait_seconds: 60\n")
server = subprocess.Popen([BRAKE, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{PORT}", "--config", config],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if not wait_http(URL + "/v1/health", server):
    raise SystemExit("brake serve did not start")
admin = open(os.path.join(data, "admin-token")).read().strip()


def api(method, path, token, body=None):
    return api_at(URL, method, path, token, body)


sam_token = api("POST", "/v1/users", admin, {"name": "sam", "role": "senior"})["token"]
dev = api("POST", "/v1/users", admin, {"name": "dev", "role": "mid"})["token"]
agent = api("POST", "/v1/tokens", dev, {"scope": "agent", "label": "hooks"})["token"]
key = api("GET", "/v1/audit/public-key", None)["public_key"]
hook_env = dict(os.environ, HOME=os.path.join(work, "home"), BRAKE_HOME=os.path.join(work, "home", ".brake"),
                BRAKE_SERVER=URL, BRAKE_TOKEN=agent, BRAKE_SERVER_KEY=key, BRAKE_ASK_WAIT="0")


os.makedirs(hook_env["HOME"], exist_ok=True)


def hook(command, session="load"):
    start = time.monotonic()
    r = subprocess.run([BRAKE, "hook", "claude-code"], input=claude_payload(command, session, proj),
                       capture_output=True, text=True, env=hook_env, timeout=60)
    return r, time.monotonic() - start


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- 20,000 idle connections, more than the server has descriptors for
helpers, opened = [], 0
while opened < IDLE:
    n = min(PER_HELPER, IDLE - opened)
    h = subprocess.Popen([sys.executable, "-c", f"""
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, ({hard}, {hard}))
conns = []
for _ in range({n}):
    try:
        conns.append(socket.create_connection(("127.0.0.1", {PORT}), timeout=10))
    except OSError:
        break
print(len(conns), flush=True)
time.sleep(600)
"""], stdout=subprocess.PIPE, text=True)
    helpers.append(h)
    opened += int(h.stdout.readline() or 0) or n
time.sleep(1)
r, secs = hook("git status")
last = json.loads(open(os.path.join(hook_env["BRAKE_HOME"], "audit.jsonl")).read().splitlines()[-1])
check(r.returncode == 0 and "deny" not in r.stdout and secs < 5 and "unreachable" not in last.get("note", ""),
      f"with {IDLE:,} idle connections opened (the server's descriptor limit: {hard:,}), a hook's call is judged and "
      f"answered ({secs:.2f} s)")
if r.returncode != 0 or "deny" in r.stdout:
    print("   hook answered:", r.returncode, r.stdout[:300], r.stderr[:300])
check(server.poll() is None, "...and the server is still running")
for h in helpers:
    h.kill()
    h.wait()
for _ in range(100):  # the server closes its side of them
    try:
        if urllib.request.urlopen(URL + "/v1/health", timeout=2).status == 200:
            break
    except OSError:
        time.sleep(0.2)

# --- 300 hooks waiting for a person
results = {}


def waiter(i):
    body = {"agent": "claude-code", "session": f"wait-{i}", "tool": "Bash", "wait": 55,
            "actions": [{"kind": "shell", "command": f"git push --force origin feature-{i}"}],
            "context": {"cwd": proj, "home": os.path.join(work, "home")}, "nonce": f"load-nonce-{i:016d}"}
    req = urllib.request.Request(URL + "/v1/judge", data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + agent, "Content-Type": "application/json"})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=90) as resp:
            results[i] = (json.load(resp), time.monotonic() - start, time.monotonic())
    except Exception as e:  # noqa: BLE001
        results[i] = ({"error": str(e)}, time.monotonic() - start, time.monotonic())


threads = [threading.Thread(target=waiter, args=(i,), daemon=True) for i in range(WAITERS)]
for t in threads:
    t.start()
    time.sleep(0.005)
deadline = time.monotonic() + 30
pending = []
while time.monotonic() < deadline:
    pending = api("GET", "/v1/approvals?status=pending&limit=1000", sam_token)["approvals"]
    if len(pending) >= WAITERS:
        break
    time.sleep(0.2)
check(len(pending) >= WAITERS, f"{WAITERS} hooks wait on {len(pending)} open requests")
time.sleep(1)
c0, t0 = cpu_seconds(server.pid), time.monotonic()
time.sleep(16)  # a whole recheck period (15 s): every waiter looks at its request once meanwhile
c1, t1 = cpu_seconds(server.pid), time.monotonic()
share = (c1 - c0) / (t1 - t0)
check(share < 0.05, f"{WAITERS} waiting long-polls cost the server {share * 100:.1f} % of a core (< 5 %)")
one = next(a for a in pending if a["session"] == "wait-7")
decided = time.monotonic()
api("POST", f"/v1/approvals/{one['id']}/approve", sam_token, {"reason": "load test"})
threads[7].join(timeout=10)
answer, _, finished = results.get(7, ({}, 0, 0))
check(answer.get("decision") == "allow" and finished - decided < 1,
      f"an approval wakes its waiting hook at once ({(finished - decided) * 1000:.0f} ms), which runs the action")
check(len([i for i in results if i != 7]) == 0, "...and only that one: the other hooks still wait")

server.kill()  # 299 hooks still wait; a graceful stop would wait for them
server.wait(timeout=20)
if failures:
    print(f"\n{len(failures)} FAILED")
    sys.exit(1)
print("\nall load checks passed")
