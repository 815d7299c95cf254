#!/usr/bin/env python3
"""End-to-end: the approver's page in a real headless Chromium (Debian's chromium + chromium-driver, driven
with Selenium from PyPI), webhooks against a local receiver, and /metrics through a Prometheus parser.

Sign in with a token; a hook's ask appears on the pending page without a reload; approve it with a reason and
the hook's retry passes; press "Stop every agent now" and the next hook call is denied; lift it; every page
is screenshotted (also at phone width) into test-artifacts/ui/. Webhooks: a receiver that fails twice, then
accepts; signatures checked. /metrics: parsed with prometheus_client's text parser.
"""
import hashlib, hmac, http.server, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.request

from prometheus_client.parser import text_string_to_metric_families
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import api as api_at, check, claude_payload, failures, free_port, wait_http, workdir  # noqa: E402

BRAKE = os.path.abspath(sys.argv[1])
here = os.path.dirname(os.path.abspath(__file__))
shots = os.path.join(os.path.dirname(here), "test-artifacts", "ui")
shutil.rmtree(shots, ignore_errors=True)
os.makedirs(shots)
work, proj = workdir("brake-ui-e2e-")


# --- a webhook receiver: fails the first two deliveries with 500, then accepts; keeps what it got
SECRET = "s3cret-for-tests"
received, attempts = [], []


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        attempts.append(self.headers["X-Brake-Delivery"])
        if len(attempts) <= 2:
            self.send_response(500)
            self.end_headers()
            return
        ts = self.headers["X-Brake-Timestamp"]
        expected = "sha256=" + hmac.new(SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
        received.append({"event": self.headers["X-Brake-Event"], "ok": hmac.compare_digest(expected, self.headers["X-Brake-Signature"]),
                         "body": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


hook_port = free_port()
receiver = http.server.ThreadingHTTPServer(("127.0.0.1", hook_port), Receiver)
threading.Thread(target=receiver.serve_forever, daemon=True).start()

PORT = free_port()
URL = f"http://127.0.0.1:{PORT}"
data = os.path.join(work, "server")
config = os.path.join(work, "server.yaml")
with open(config, "w") as f:
    f.write(f"webhook_retries: 4\nwebhooks:\n  - url: http://127.0.0.1:{hook_port}/brake\n    secret_env: HOOK_SECRET\n")
server = subprocess.Popen([BRAKE, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{PORT}", "--config", config],
                          stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=dict(os.environ, HOOK_SECRET=SECRET))
check(wait_http(URL + "/v1/health", server), "brake serve starts with the webhook configuration")
admin = open(os.path.join(data, "admin-token")).read().strip()


def api(method, path, token, body=None):
    return api_at(URL, method, path, token, body)


sam = api("POST", "/v1/users", admin, {"name": "sam", "role": "senior"})["token"]
dev = api("POST", "/v1/users", admin, {"name": "dev", "role": "mid"})["token"]
# dev's hooks act with an agent token of dev's, and trust only answers signed with the server's key.
hooks_token = api("POST", "/v1/tokens", dev, {"scope": "agent", "label": "hooks"})["token"]
server_key = api("GET", "/v1/audit/public-key", None)["public_key"]
DEV = dict(os.environ, HOME=work, BRAKE_HOME=os.path.join(work, ".brake-dev"), BRAKE_SERVER=URL, BRAKE_TOKEN=hooks_token,
           BRAKE_SERVER_KEY=server_key, BRAKE_ASK_WAIT="0")


def hook(command, session="ui-1"):
    r = subprocess.run([BRAKE, "hook", "claude-code"], input=claude_payload(command, session, proj), capture_output=True,
                       text=True, env=DEV)
    if r.stdout.strip():
        out = json.loads(r.stdout)["hookSpecificOutput"]
        return out["permissionDecision"], out.get("permissionDecisionReason", "")
    return "allow", ""


opts = webdriver.ChromeOptions()
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"]:
    opts.add_argument(a)
opts.binary_location = shutil.which("chromium")
driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
wait = WebDriverWait(driver, 15)


def shot(name):
    driver.save_screenshot(os.path.join(shots, name + ".png"))


def unlabelled():
    """Visible form controls without a label or aria-label (keyboard and screen-reader users need one)."""
    return driver.execute_script("""
      return Array.from(document.querySelectorAll('input,select,textarea')).filter(function (e) {
        if (e.type === 'hidden') return false;
        if (e.getAttribute('aria-label')) return false;
        return !(e.id && document.querySelector('label[for="' + e.id + '"]'));
      }).map(function (e) { return e.name; });""")


try:
    # Sign in
    driver.get(URL + "/ui")
    check(driver.current_url.endswith("/ui/login"), "the page asks an anonymous visitor to sign in")
    shot("01-sign-in")
    driver.find_element(By.ID, "token").send_keys("brk_wrong_token")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    try:
        wait.until(lambda d: "not valid" in d.page_source)
        check(True, "a wrong token is refused with a clear message")
    except Exception:
        check(False, "a wrong token is refused with a clear message")
    driver.find_element(By.ID, "token").send_keys(sam)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: "Pending approvals" in d.page_source)
    cookie = driver.get_cookie("brake_session")
    check(cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict", "the session cookie is HttpOnly and SameSite=Strict")
    check(not unlabelled(), "every control on the pending page has a label")
    shot("02-pending-empty")

    # A hook's ask shows up live (no reload)
    d, reason = hook("git push --force origin main")
    rid = re.search(r"request (req_\w+)", reason).group(1)
    wait.until(lambda d: rid in d.find_element(By.ID, "pending").text)
    check(True, "the hook's request appears on the pending page without a reload")
    row = driver.find_element(By.ID, "pending").text
    check("dev" in row and "claude-code" in row and "git push --force origin main" in row and "git.force-push" in row,
          "the row shows who asks, the agent, the action and its rule")
    shot("03-pending-request")

    # Detail, approve with a reason
    driver.find_element(By.LINK_TEXT, rid).click()
    wait.until(lambda d: "Why it needs a person" in d.page_source)
    page = driver.page_source
    check("git push --force origin main" in page and "Overwrites remote history" in page, "the request page shows the command and the reasons")
    check(not unlabelled(), "every control on the request page has a label")
    shot("04-request")
    # The agent was told at once (no stall in its hook) to run `brake wait ID`; it does, while the senior decides.
    check(f"brake wait {rid}" in reason, "the ask is answered at once with the request id and `brake wait`: " + reason[-200:])
    waiter = subprocess.Popen([BRAKE, "wait", rid, "--timeout", "60"], env=DEV, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    time.sleep(1.2)
    driver.find_element(By.ID, "reason").send_keys("hotfix for the checkout outage")
    t_click = time.monotonic()
    driver.find_element(By.CSS_SELECTOR, "button[value=approve]").click()
    out, err = waiter.communicate(timeout=30)
    d, _ = hook("git push --force origin main")
    after = time.monotonic() - t_click
    check(waiter.returncode == 0 and "approved by sam" in out and "waiting for request " + rid in err,
          "brake wait printed what it waited for and returned when the senior approved on the page: " + (out + err).strip()[-300:])
    check(d == "allow" and after < 2,
          f"the agent's retry passed {after * 1000:.0f} ms after the click (goal < 2 s)")
    wait.until(lambda d: "Approved" in d.page_source)
    check("sam" in driver.page_source and "hotfix for the checkout outage" in driver.page_source, "the decision shows who approved and why")
    shot("05-request-approved")
    d, _ = hook("git push --force origin main")
    check(d == "deny", "and only once")

    # A plan's request shows its blast radius
    fixture = os.path.join(os.path.dirname(here), "Tests", "BrakeCoreTests", "Resources", "fixtures", "terraform",
                           "strata-danger-rds-replace.json")
    # dev the person asks (the server takes the actor from the token: a person's plan asks two seniors,
    # an agent's plan that loses data for good is refused outright).
    agent_plan = subprocess.run([BRAKE, "plan", fixture, "--request", "--format", "json"], capture_output=True, text=True,
                                env=DEV, cwd=proj)
    ap = json.loads(agent_plan.stdout) if agent_plan.stdout.startswith("{") else {}
    check(agent_plan.returncode == 2 and ap.get("decision") == "deny" and not ap.get("request"),
          "an agent's plan that loses data for good is denied, and no request is opened for it")
    pr = subprocess.run([BRAKE, "plan", fixture, "--actor", "human", "--request", "--format", "json"],
                        capture_output=True, text=True, env=dict(DEV, BRAKE_TOKEN=dev), cwd=proj)
    preq = json.loads(pr.stdout).get("request", "") if pr.stdout.strip() else ""
    check(preq.startswith("req_"), f"brake plan --request opens a server request ({pr.stderr.strip()[:200]})")
    driver.get(URL + "/ui/requests/" + preq)
    wait.until(lambda d: "Blast radius" in d.page_source)
    page = driver.page_source
    check("aws_db_instance.main" in page and "irrecoverable" in page and "33 %" in page,
          "the plan request page shows the blast-radius table with classes and the destroyed share")
    shot("04b-plan-request")

    # Stop everyone, see the next hook call denied, lift it
    driver.find_element(By.LINK_TEXT, "Stop").click()
    wait.until(lambda d: "Stop every agent now" in d.page_source)
    check(not unlabelled(), "every control on the stop page has a label")
    shot("06-stop")
    driver.find_element(By.ID, "all-reason").send_keys("incident 4711")
    driver.find_element(By.CSS_SELECTOR, "button.stop").click()
    wait.until(lambda d: "Stopped everything" in d.page_source)
    shot("07-stopped")
    d, reason = hook("ls", session="ui-2")
    check(d == "deny" and "incident 4711" in reason, "after pressing stop the next hook call is denied")
    driver.find_element(By.CSS_SELECTOR, "form[action$='/lift'] button").click()
    wait.until(lambda d: "Lifted the stop" in d.page_source)
    d, _ = hook("ls", session="ui-2")
    check(d == "allow", "after lifting, agents run again")

    # Keyboard: the stop button is reachable with Tab and works with Enter
    driver.get(URL + "/ui/stops")
    from selenium.webdriver.common.keys import Keys
    body = driver.find_element(By.TAG_NAME, "body")
    reached = False
    for _ in range(30):
        body.send_keys(Keys.TAB) if not reached else None
        active = driver.switch_to.active_element
        if active.tag_name == "button" and "Stop every agent" in active.text:
            reached = True
            break
        active.send_keys(Keys.TAB)
    check(reached, "the stop button is reachable by keyboard")

    # Other pages
    for name, path, text in [("08-sessions", "/ui/sessions", "ui-1"), ("09-session", "/ui/sessions/ui-1", "git push"),
                             ("10-audit", "/ui/audit", "Chain intact")]:
        driver.get(URL + path)
        wait.until(lambda d: text in d.page_source)
        check(not unlabelled(), f"{path}: shows '{text}', every control labelled")
        shot(name)
    driver.get(URL + "/ui/audit?kind=approval.approved")
    kinds = {e.text for e in driver.find_elements(By.CSS_SELECTOR, "tbody tr td:nth-child(3)")}
    check(kinds == {"approval.approved"}, f"the audit view filters by kind ({kinds})")

    # Phone width
    driver.set_window_size(390, 844)
    driver.get(URL + "/ui/stops")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    check(width <= 400, f"the stop page fits a phone screen (scroll width {width})")
    shot("12-stop-phone")
    hook("rm -rf ../other-project", session="ui-3")
    driver.get(URL + "/ui")
    shot("13-pending-phone")

    # CSRF: a form post without the page's token is refused
    req = urllib.request.Request(URL + "/ui/stops", method="POST", data=b"scope=all&reason=forged",
                                 headers={"Cookie": f"brake_session={cookie['value']}",
                                          "Content-Type": "application/x-www-form-urlencoded"})
    try:
        urllib.request.urlopen(req, timeout=5)
        check(False, "a form post without the CSRF token is refused")
    except urllib.error.HTTPError as e:
        check(e.code == 403, "a form post without the CSRF token is refused")
    check(not api("GET", "/v1/stops", admin)["stops"], "and stops nothing")

    # Role checks on the page: a mid cannot approve a senior request, and cannot see admin
    driver.set_window_size(1280, 900)
    driver.find_element(By.CSS_SELECTOR, "form[action='/ui/logout'] button").click()
    wait.until(lambda d: d.current_url.endswith("/ui/login"))
    driver.get(URL + "/ui")
    check(driver.current_url.endswith("/ui/login"), "signing out ends the session")
    mid = api("POST", "/v1/users", admin, {"name": "mo", "role": "junior"})["token"]
    driver.find_element(By.ID, "token").send_keys(mid)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: "Pending approvals" in d.page_source)
    pend = api("GET", "/v1/approvals", admin)["approvals"]
    driver.get(URL + "/ui/requests/" + pend[0]["id"])
    check("Approving needs role" in driver.page_source and not driver.find_elements(By.CSS_SELECTOR, "button[value=approve]"),
          "a junior sees why they cannot approve, and no approve button")
    driver.get(URL + "/ui/admin")
    check("needs role admin" in driver.page_source, "a junior cannot open the admin page")
    driver.find_element(By.CSS_SELECTOR, "form[action='/ui/logout'] button").click()
    wait.until(lambda d: d.current_url.endswith("/ui/login"))
    driver.find_element(By.ID, "token").send_keys(admin)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: "Pending approvals" in d.page_source)
    driver.get(URL + "/ui/admin")
    wait.until(lambda d: "Webhook deliveries" in d.page_source)
    check(not unlabelled(), "/ui/admin: every control labelled")
    check("delivered" in driver.page_source, "webhook delivery status is visible on the admin page")
    driver.find_element(By.ID, "new-name").send_keys("newbie")
    driver.find_element(By.CSS_SELECTOR, "form[action='/ui/admin/users'] button").click()
    wait.until(lambda d: "shown once" in d.page_source)
    check("brk_" in driver.page_source, "adding a user on the admin page shows their token once")
    shot("11-admin")

    # The Reports page: server-rendered charts (SVG, no script, no external assets) with their text alternatives
    driver.get(URL + "/ui/reports?since=7d")
    wait.until(lambda d: "By repository" in d.page_source)
    charts = driver.find_elements(By.CSS_SELECTOR, "svg.chart[role=img]")
    check(len(charts) == 2, f"the Reports page draws its two charts ({len(charts)})")
    named = driver.execute_script("""
      return Array.from(document.querySelectorAll('svg.chart')).map(function (s) {
        var ids = (s.getAttribute('aria-labelledby') || '').split(' ');
        return ids.map(function (i) { var e = document.getElementById(i); return e ? e.textContent : ''; }).join(' | ');
      });""")
    check(all(n.split(" | ")[0] and n.split(" | ")[1] for n in named) and any("git.force-push" in n for n in named),
          f"each chart names itself and says its numbers in words (title, desc): {named}")
    bars = driver.execute_script("return Array.from(document.querySelectorAll('svg.chart rect')).filter(function (r) {"
                                 " return r.getBoundingClientRect().width > 2; }).length")
    check(bars >= 3, f"the bars are drawn with a visible width ({bars})")
    rule_rows = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=h-rules] tbody tr")]
    check(any("git.force-push" in r for r in rule_rows), f"the table beside the chart has the same numbers: {rule_rows}")
    asks_figure = driver.find_element(By.ID, "f-asks").text
    rep = api("GET", "/v1/reports?since=7d", admin)
    check(asks_figure.startswith(f"{rep['asks']} asks"), f"the headline matches the API's report ({asks_figure} / {rep['asks']})")
    check(not unlabelled(), "/ui/reports: every control labelled")
    external = driver.execute_script("return Array.from(document.querySelectorAll('[src],link[href]')).map(function (e) {"
                                     " return e.getAttribute('src') || e.getAttribute('href'); })")
    check(not external, f"the page loads no external assets ({external})")
    shot("14-reports")
    driver.set_window_size(390, 844)
    driver.get(URL + "/ui/reports?since=7d")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    check(width <= 400, f"the Reports page fits a phone screen (scroll width {width})")
    shot("15-reports-phone")
    driver.set_window_size(1280, 900)
    driver.get(URL + "/ui/signoffs")
    check("Record sign-offs for a range" in driver.page_source and not unlabelled(), "the Sign-offs page, every control labelled")
    shot("16-signoffs")
finally:
    driver.quit()

# --- webhooks: retried, signed, Slack-compatible text
deadline = time.time() + 20
while time.time() < deadline and not any(r["event"] == "stop.lifted" for r in received):
    time.sleep(0.2)
events = [r["event"] for r in received]
check(len(attempts) >= len(received) + 2, f"the first deliveries were retried after failures ({len(attempts)} attempts, {len(received)} delivered)")
for e in ["request.created", "request.decided", "stop.created", "stop.lifted"]:
    check(e in events, f"webhook delivered: {e}")
check(all(r["ok"] for r in received), "every webhook carries a valid HMAC signature")
check(all(isinstance(r["body"].get("text"), str) and r["body"]["text"].startswith("Brake") for r in received),
      "every webhook has a Slack-compatible text")
created = next(r["body"] for r in received if r["event"] == "request.created")
check(created["request"]["id"].startswith("req_") and "/ui/requests/" in created["text"], "the request webhook has the structured request and a link")
deliveries = api("GET", "/v1/webhooks/deliveries", admin)["deliveries"]
check(any(d["status"] == "delivered" and d["attempts"] >= 2 for d in deliveries), "deliveries and their attempts are visible to admins")

# --- /metrics through a Prometheus text-format parser
try:
    urllib.request.urlopen(URL + "/metrics", timeout=5)
    check(False, "/metrics needs a token")
except urllib.error.HTTPError as e:
    check(e.code == 401, "/metrics needs a person's token")
text = urllib.request.urlopen(urllib.request.Request(URL + "/metrics", headers={"Authorization": "Bearer " + admin}),
                              timeout=5).read().decode()
families = {f.name: f for f in text_string_to_metric_families(text)}
for name in ["brake_decisions", "brake_pending_requests", "brake_approval_latency_seconds", "brake_active_stops",
             "brake_hook_call_seconds", "brake_audit_chain_length", "brake_stops_created"]:
    check(name in families, f"/metrics has {name}")
samples = [s for s in families["brake_decisions"].samples if s.name == "brake_decisions_total"]
check(any(s.labels.get("outcome") == "ask" and s.labels.get("rule") == "git.force-push" for s in samples),
      "decisions are counted by outcome and rule")
check(any(s.value >= 1 for s in families["brake_approval_latency_seconds"].samples if s.name.endswith("_count")),
      "the approval latency histogram has the approval")
check(next(s.value for s in families["brake_audit_chain_length"].samples) > 10, "the audit chain length is reported")

server.send_signal(signal.SIGTERM)
server.wait(timeout=20)
receiver.shutdown()
print(f"\nscreenshots: {shots} ({len(os.listdir(shots))} files)")
if failures:
    print(f"\n{len(failures)} FAILED")
    sys.exit(1)
print("\nall web page, webhook and metrics checks passed")
shutil.rmtree(work, ignore_errors=True)
