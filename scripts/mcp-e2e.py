#!/usr/bin/env python3
"""brake mcp end to end: the official MCP Python SDK client and server, framing edge cases, added latency."""
import asyncio, json, os, statistics, subprocess, sys, tempfile, time

BRAKE = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
try:
    from mcp import ClientSession as _  # noqa: F401
except ImportError:
    sys.exit("the MCP Python SDK is missing: run through scripts/test.sh (it installs .venv-test)")
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

work = tempfile.mkdtemp(prefix="brake-mcp-")
ENV = dict(os.environ, HOME=work, BRAKE_HOME=os.path.join(work, ".brake"))
for k in ["BRAKE_POLICY", "BRAKE_SESSION"]:
    ENV.pop(k, None)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def reset_box():
    box = os.path.join(work, "box.json")
    json.dump([{"id": i, "subject": f"message {i}"} for i in range(200)], open(box, "w"))
    return box


def count(box):
    return len(json.load(open(box)))


allow_policy = os.path.join(work, "allow.yaml")
# Mail deletions are held twice by default (a destructive tool, and a deletion of mail data); this policy lets
# both through so that only the circuit breaker and stops stand in the way.
open(allow_policy, "w").write("overrides:\n  - rule: mcp.destructive-tool\n    decision: allow\n  - rule: saas.delete\n    decision: allow\n"
                              "settings:\n  mcp_destructive_limit: 20\n")
trust_policy = os.path.join(work, "trust.yaml")
open(trust_policy, "w").write("settings:\n  mcp_trusted_servers: [mail]\n")


async def session_run(box, policy, actions):
    args = ["mcp", "--name", "mail"] + (["--policy", policy] if policy else []) + ["--", sys.executable, os.path.join(here, "mcp_fixtures", "mailbox_server.py")]
    params = StdioServerParameters(command=BRAKE, args=args, env=dict(ENV, MAILBOX=box, BRAKE_SESSION="mail-session"))
    async with stdio_client(params) as (r, w):
        async with ClientSession(r, w) as s:
            await s.initialize()
            await s.list_tools()
            return await actions(s)


async def delete_all(s, stop_after=None):
    results = []
    for i in range(200):
        if stop_after is not None and i == stop_after:
            subprocess.run([BRAKE, "stop", "--all", "--reason", "owner typed STOP"], env=ENV, check=True, capture_output=True)
        res = await s.call_tool("delete_message", {"id": i})
        results.append((res.is_error, res.content[0].text if res.content else ""))
    return results


# 1. Default policy: deletes need approval; none happens.
box = reset_box()
res = asyncio.run(session_run(box, None, delete_all))
check(all(e for e, _ in res) and count(box) == 200, "without approval none of 200 deletes happens")
check("brake approve" in res[0][1], "the refusal tells the model the request id and what to do")
check("different ways" in res[2][1] and all("stopped" in t or "stop" in t for _, t in res[3:]),
      "the rerouting watch stops the session at the third refused delete, as it does for hooks and exec")
listed = asyncio.run(session_run(box, None, lambda s: s.call_tool("list_messages", {})))
check(listed.is_error, "while the session is stopped even read-only calls are refused")
subprocess.run([BRAKE, "resume", "--session", "mail-session"], env=ENV, check=True, capture_output=True)
listed = asyncio.run(session_run(box, None, lambda s: s.call_tool("list_messages", {})))
check(not listed.is_error and len(json.loads(listed.content[0].text)) == 200, "after resume, read-only list_messages passes")

# 2. Deletes allowed but limited: the circuit breaker stops the session at the limit.
box = reset_box()
res = asyncio.run(session_run(box, allow_policy, delete_all))
done = [i for i, (e, _) in enumerate(res) if not e]
check(done == list(range(20)), "the first 20 deletes pass")
check(count(box) == 180 and all(m["id"] >= 20 for m in json.load(open(box))), "the mailbox proves nothing after the limit was deleted")
check("circuit" in res[20][1] or "more than 20" in res[20][1], "the 21st call is refused by the circuit breaker")
st = json.loads(subprocess.run([BRAKE, "status", "--format", "json"], env=ENV, capture_output=True, text=True).stdout)
check(any(s["value"] == "mail-session" for s in st["stops"]), "the session is stopped with a notice for the human (brake status)")
subprocess.run([BRAKE, "resume", "--all"], env=ENV, check=True, capture_output=True)

# 3. brake stop mid-run stops the very next call.
box = reset_box()
res = asyncio.run(session_run(box, allow_policy, lambda s: delete_all(s, stop_after=10)))
check([e for e, _ in res[:10]] == [False] * 10 and res[10][0] and "STOP" in res[10][1], "a brake stop mid-run refuses the very next call")
check(count(box) == 190, "...and nothing after it is deleted")
subprocess.run([BRAKE, "resume", "--all"], env=ENV, check=True, capture_output=True)

# 3b. A server whose annotations lie: purge_message is marked read-only and deletes. Its claim lowers nothing,
#     whatever the server says; only a policy layer that may loosen can name the server as trusted.
box = reset_box()
res = asyncio.run(session_run(box, None, lambda s: s.call_tool("purge_message", {"id": 7})))
check(res.is_error and count(box) == 200, "a deleting tool marked readOnlyHint is still held (the mailbox keeps all 200)")
subprocess.run([BRAKE, "resume", "--all"], env=ENV, check=True, capture_output=True)
res = asyncio.run(session_run(box, None, lambda s: s.call_tool("tidy_mailbox", {"query": "older_than:1y"})))
check(res.is_error and count(box) == 200,
      "a calmly named tool whose description says it deletes, given a query, is held as a bulk deletion")
subprocess.run([BRAKE, "resume", "--all"], env=ENV, check=True, capture_output=True)
res = asyncio.run(session_run(box, trust_policy, lambda s: s.call_tool("purge_message", {"id": 7})))
check(not res.is_error and count(box) == 199, "with the server named in mcp_trusted_servers its annotation is believed")
subprocess.run([BRAKE, "resume", "--all"], env=ENV, check=True, capture_output=True)

# 4. Framing with a raw server.
def raw(lines, extra=()):
    p = subprocess.Popen([BRAKE, "mcp", "--name", "raw", *extra, "--", sys.executable, os.path.join(here, "mcp_fixtures", "raw_server.py")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=ENV, text=True, encoding="utf-8")
    out, _ = p.communicate("".join(l + "\n" for l in lines), timeout=60)
    return p.returncode, [json.loads(l) for l in out.splitlines() if l.strip()]

big = "ünïcødé ✓ 😀 " * 80000
rc, out = raw([json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
               json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": big}}}, ensure_ascii=False)])
echo = [o for o in out if o.get("id") == 2]
check(echo and echo[0]["result"]["content"][0]["text"] == big, f"a {len(big.encode())}-byte unicode message passes intact")
rc, out = raw([json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
               json.dumps([{"jsonrpc": "2.0", "id": 10, "method": "ping"}, {"jsonrpc": "2.0", "id": 11, "method": "ping"},
                           {"jsonrpc": "2.0", "id": 12, "method": "tools/call", "params": {"name": "wipe", "arguments": {}}},
                           {"jsonrpc": "2.0", "method": "notifications/progress", "params": {}}])])
ids = sorted(o["id"] for o in out if isinstance(o, dict) and o.get("id") in (10, 11, 12))
check(ids == [10, 11, 12], "a batch: pings forwarded and answered out of order, the destructive call refused in place")
check(any(o.get("id") == 12 and o["result"]["isError"] for o in out), "...the refusal is an isError tools/call result")
rc, out = raw([json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "crash", "arguments": {}}})])
check(any(o.get("id") == 7 and "error" in o for o in out), "a server that dies mid-call: the pending call gets a JSON-RPC error, no hang")
rc, out = raw(["not json at all", json.dumps({"jsonrpc": "2.0", "id": 3, "method": "ping"})])
check(any(o.get("error", {}).get("code") == -32700 for o in out) and any(o.get("id") == 3 and "result" in o for o in out),
      "lines that are not JSON reach the server unchanged (it answers with its own parse error)")

# 4b. The server runs confined (Landlock): it cannot write Brake's files or read credential stores.
os.makedirs(os.path.join(work, ".brake"), exist_ok=True)
os.makedirs(os.path.join(work, ".aws"), exist_ok=True)
open(os.path.join(work, ".aws", "credentials"), "w").write("[default]\naws_secret_access_key = SECRET\n")
ENV["RAW_TRY_ESCAPE"] = "1"
rc, out = raw([json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})])
escape = next((o["result"].get("escape", {}) for o in out if o.get("id") == 1), {})
check(escape.get("write_brake") not in (None, "done") and not os.path.exists(os.path.join(work, ".brake", "escape.txt")),
      f"the MCP server cannot write Brake's files ({escape.get('write_brake')})")
check(escape.get("read_aws") not in (None, "done"), f"...nor read ~/.aws/credentials ({escape.get('read_aws')})")
rc, out = raw([json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})], extra=("--no-contain",))
escape = next((o["result"].get("escape", {}) for o in out if o.get("id") == 1), {})
check(escape.get("read_aws") == "done", "with --no-contain it can (the check is real)")
os.remove(os.path.join(work, ".brake", "escape.txt")) if os.path.exists(os.path.join(work, ".brake", "escape.txt")) else None
del ENV["RAW_TRY_ESCAPE"]

# 5. Added latency per allowed tools/call: proxy vs direct, same raw server, 300 sequential calls each.
def latency(cmd):
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=ENV, text=True, bufsize=1)
    p.stdin.write(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "tools/list"}) + "\n"); p.stdin.flush(); p.stdout.readline()
    xs = []
    for i in range(1, 301):
        t = time.perf_counter()
        p.stdin.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "hi"}}}) + "\n")
        p.stdin.flush()
        p.stdout.readline()
        xs.append(time.perf_counter() - t)
    p.stdin.close(); p.wait()
    return statistics.median(xs) * 1e6

direct = latency([sys.executable, os.path.join(here, "mcp_fixtures", "raw_server.py")])
proxied = latency([BRAKE, "mcp", "--name", "raw", "--", sys.executable, os.path.join(here, "mcp_fixtures", "raw_server.py")])
print(f"     median per tools/call: direct {direct:.0f} µs, through brake mcp {proxied:.0f} µs, added {proxied - direct:.0f} µs")

# 6. Streamable HTTP mode: brake mcp --listen … --upstream … in front of the SDK's HTTP server.
import re, socket, urllib.request
from mcp.client.streamable_http import streamable_http_client


def free_port():
    sk = socket.socket()
    sk.bind(("127.0.0.1", 0))
    p = sk.getsockname()[1]
    sk.close()
    return p


def wait_port(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


box = reset_box()
up_port, proxy_port = free_port(), free_port()
upstream = subprocess.Popen([sys.executable, os.path.join(here, "mcp_fixtures", "mailbox_server.py")],
                            env=dict(ENV, MAILBOX=box, MCP_PORT=str(up_port)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
proxy = subprocess.Popen([BRAKE, "mcp", "--name", "mail", "--listen", f"127.0.0.1:{proxy_port}",
                          "--upstream", f"http://127.0.0.1:{up_port}/mcp"],
                         env=dict(ENV, BRAKE_SESSION="http-session"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
check(wait_port(up_port) and wait_port(proxy_port), "HTTP mode: the SDK's server and brake mcp --listen are up")


async def http_run(actions):
    async with streamable_http_client(f"http://127.0.0.1:{proxy_port}/mcp") as streams:
        r, w = streams[0], streams[1]
        async with ClientSession(r, w) as sess:
            await sess.initialize()
            tools = await sess.list_tools()
            return tools, await actions(sess)


async def five_deletes(sess):
    out = []
    for i in range(5):
        res = await sess.call_tool("delete_message", {"id": i})
        out.append((res.is_error, res.content[0].text if res.content else ""))
    listed = await sess.call_tool("list_messages", {})
    return out, listed


tools, (results, listed) = asyncio.run(http_run(five_deletes))
check({t.name for t in tools.tools} == {"list_messages", "delete_message", "purge_message", "tidy_mailbox"}, "HTTP mode: tools/list passes through")
check(all(e for e, _ in results) and count(box) == 200, "HTTP mode: deletes without approval are refused, nothing deleted")
check(listed.is_error and "different ways" in results[2][1], "HTTP mode: the third refused delete stops the session (rerouting watch)")
subprocess.run([BRAKE, "resume", "--session", "http-session"], env=ENV, check=True, capture_output=True)


async def list_only(sess):
    return await sess.call_tool("list_messages", {})


_, listed = asyncio.run(http_run(list_only))
check(not listed.is_error, "HTTP mode: after resume a read-only tool passes")
rid = re.search(r"brake approve (\w+)", results[0][1])
check(rid is not None, "HTTP mode: the refusal names the request to approve")
subprocess.run([BRAKE, "approve", rid.group(1) if rid else "x"], env=ENV, capture_output=True)


async def one_delete(sess):
    res = await sess.call_tool("delete_message", {"id": 0})
    return res.is_error


_, err = asyncio.run(http_run(one_delete))
check(not err and count(box) == 199, "HTTP mode: after approval the identical call goes through once")
subprocess.run([BRAKE, "stop", "--all", "--reason", "owner typed STOP"], env=ENV, check=True, capture_output=True)


async def list_after_stop(sess):
    res = await sess.call_tool("list_messages", {})
    return res.is_error, res.content[0].text if res.content else ""


_, (err, text) = asyncio.run(http_run(list_after_stop))
check(err and "owner typed STOP" in text, "HTTP mode: a stop refuses the very next call")
subprocess.run([BRAKE, "resume", "--all"], env=ENV, capture_output=True)
proxy.terminate()
upstream.terminate()
proxy.wait(timeout=10)
upstream.wait(timeout=10)

# HTTP mode: added latency per allowed tools/call, keep-alive client, 300 sequential calls, proxy vs direct.
raw_port, raw_proxy_port = free_port(), free_port()
raw = subprocess.Popen([sys.executable, os.path.join(here, "mcp_fixtures", "raw_http_server.py"), str(raw_port)])
raw_proxy = subprocess.Popen([BRAKE, "mcp", "--name", "raw", "--listen", f"127.0.0.1:{raw_proxy_port}",
                              "--upstream", f"http://127.0.0.1:{raw_port}/mcp"], env=ENV,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wait_port(raw_port) and wait_port(raw_proxy_port)


def http_latency(port):
    """Median round trip of one keep-alive connection (one write per request, TCP_NODELAY: no Nagle stalls)."""
    sk = socket.create_connection(("127.0.0.1", port))
    sk.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "hi"}}})
    req = (f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           f"Accept: application/json, text/event-stream\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode()
    samples, data = [], b""
    for i in range(330):
        t = time.perf_counter()
        sk.sendall(req)
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += sk.recv(65536)
        head, _, rest = buf.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        while len(rest) < length:
            rest += sk.recv(65536)
        data = rest[:length]
        if i >= 30:
            samples.append((time.perf_counter() - t) * 1e6)
    sk.close()
    ok = json.loads(data)["result"]["isError"] is False
    return statistics.median(samples), ok


direct_http, ok1 = http_latency(raw_port)
proxied_http, ok2 = http_latency(raw_proxy_port)
check(ok1 and ok2, "HTTP mode: allowed calls pass through the proxy")
print(f"     HTTP mode median per tools/call: direct {direct_http:.0f} µs, through brake mcp {proxied_http:.0f} µs, added {proxied_http - direct_http:.0f} µs")
raw_proxy.terminate()
raw.terminate()

print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
