#!/usr/bin/env python3
"""The sign-off gate on real git repositories built here, through the real brake binary."""
import json, os, re, subprocess, sys, tempfile

BRAKE = sys.argv[1]
work = tempfile.mkdtemp(prefix="brake-gate-")
ENV = dict(os.environ, HOME=work, BRAKE_HOME=os.path.join(work, ".brake"), GIT_CONFIG_NOSYSTEM="1")
ENV.pop("GITHUB_ACTOR", None)
ENV.pop("BRAKE_PUSHER", None)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def sh(*args, cwd=None, env=None, check_rc=True):
    r = subprocess.run(list(args), cwd=cwd, env=env or ENV, capture_output=True, text=True)
    if check_rc and r.returncode != 0:
        raise SystemExit(f"command failed: {args}: {r.stderr}")
    return r


def key(name):
    path = os.path.join(work, f"{name}.key")
    out = sh(BRAKE, "keys", "generate", "--out", path).stdout
    return path, re.search(r"(ed25519:\S+)", out).group(1)


keys = {n: key(n) for n in ["junior", "senior", "senior2", "owner", "outsider"]}


def ssh_key(name):
    path = os.path.join(work, f"{name}-ssh")
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@laptop", "-f", path)
    return path, open(path + ".pub").read().strip()


ssh_keys = {n: ssh_key(n) for n in ["senior", "junior"]}
# Sue signs her commits with OpenPGP: her own keyring, her armored public key in the roster.
sue_gnupg = os.path.join(work, "sue-gnupg")
os.makedirs(sue_gnupg, mode=0o700)
sh("gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Sue Senior <sue@acme.io>", "ed25519", "sign", "never",
   env=dict(ENV, GNUPGHOME=sue_gnupg))
sue_pgp = sh("gpg", "--armor", "--export", "sue@acme.io", env=dict(ENV, GNUPGHOME=sue_gnupg)).stdout.strip()
repo = os.path.join(work, "repo")
os.makedirs(repo)
sh("git", "init", "-q", "-b", "main", cwd=repo)


def roster(carry=False):
    return f"""version: 1
people:
  - {{name: Jo Junior, emails: [jo@acme.io], aliases: [jo], level: junior, keys: ["{keys['junior'][1]}"]}}
  - {{name: Sam Senior, emails: [sam@acme.io], aliases: [sam], level: senior, keys: ["{keys['senior'][1]}"], signing_keys: ["{ssh_keys['senior'][1]}"]}}
  - {{name: Sue Senior, emails: [sue@acme.io], aliases: [sue], level: senior, keys: ["{keys['senior2'][1]}"], signing_keys: [{json.dumps(sue_pgp)}]}}
  - {{name: Olu Owner, emails: [olu@acme.io], aliases: [olu], level: staff, keys: ["{keys['owner'][1]}"]}}
paths:
  - {{pattern: "payments/**", owners: [olu], risk: high}}
requirements:
  ai_assisted_below: senior
  ai_assisted_role: senior
  ai_assisted_count: 1
  high_risk_role: senior
  high_risk_count: 2
  high_risk_owner: true
  unknown_provenance: ai-assisted
  human_below: none
  carry_over_identical_tree: {str(carry).lower()}
"""


open(os.path.join(repo, "team.yaml"), "w").write(roster())
sh("git", "add", "team.yaml", cwd=repo)
sh("git", "-c", "user.name=Sam Senior", "-c", "user.email=sam@acme.io", "commit", "-q", "-m", "add roster", cwd=repo)
base = sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()


def commit(author, email, msg, path="app.py", content=None):
    p = os.path.join(repo, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "a").write(content or (msg + "\n"))
    sh("git", "add", path, cwd=repo)
    sh("git", "-c", f"user.name={author}", "-c", f"user.email={email}", "commit", "-q", "-m", msg, cwd=repo)
    return sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()


def gate(rng=None):
    r = sh(BRAKE, "gate", "--range", rng or f"{base}..HEAD", "--format", "json", cwd=repo, check_rc=False)
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        return r.returncode, {"raw": r.stdout + r.stderr}


def signoff(who, rev="HEAD", extra=()):
    return sh(BRAKE, "signoff", rev, "--key", keys[who][0], *extra, cwd=repo, check_rc=False)


ai = "feat: checkout retries\n\nCo-authored-by: Claude Opus 4.5 <noreply@anthropic.com>"
c1 = commit("Jo Junior", "jo@acme.io", ai)
rc, g = gate()
check(rc == 1 and g["commits"][-1]["provenance"] == "ai-assisted", "a junior's commit with a Claude co-author fails the gate")
check(any("Co-authored-by" in e for e in g["commits"][-1]["evidence"]), "...and the evidence is shown")
check(signoff("senior").returncode == 0, "brake signoff by a senior")
rc, g = gate()
check(rc == 0, "a senior's sign-off makes it pass")

sh("git", "-c", "user.name=Jo Junior", "-c", "user.email=jo@acme.io", "commit", "-q", "--amend", "-m", ai + "\n\nfixup", cwd=repo)
rc, g = gate()
check(rc == 1, "amending the commit makes it fail again")

signoff("junior")
rc, g = gate()
check(rc == 1 and any("own change" in p for c in g["commits"] for p in c["problems"]), "the author signing their own change fails, and is reported as such")

# A key that is not in the roster.
other_roster = os.path.join(work, "other.yaml")
open(other_roster, "w").write(roster().replace(keys["senior"][1], keys["outsider"][1]))
r = signoff("outsider", extra=("--roster", other_roster))
check(r.returncode == 0, "a sign-off made with a key the real roster does not list")
rc, g = gate()
check(rc == 1 and any("unknown key" in p for c in g["commits"] for p in c["problems"]), "a key that is not in the roster fails")

# A tampered envelope: change the commit inside the signed payload, keep the signature.
signoff("senior")
head = sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()
note = sh("git", "notes", "--ref=brake-signoffs", "show", head, cwd=repo).stdout.strip().split("\n")
import base64
env = json.loads(note[-1])
stmt = json.loads(base64.b64decode(env["payload"]))
stmt["predicate"]["comment"] = "tampered"
env["payload"] = base64.b64encode(json.dumps(stmt).encode()).decode()
note[-1] = json.dumps(env)
sh("git", "-c", "user.name=Mallory", "-c", "user.email=m@evil.io", "notes", "--ref=brake-signoffs", "add", "-f", "-m", "\n".join(note), head, cwd=repo)
rc, g = gate()
check(rc == 1 and any("bad signature" in p for c in g["commits"] for p in c["problems"]), "a tampered envelope fails")
sh("git", "-c", "user.name=T", "-c", "user.email=t@t", "notes", "--ref=brake-signoffs", "remove", head, cwd=repo)
signoff("senior")
check(gate()[0] == 0, "a fresh valid sign-off passes again")

# Two seniors, one an owner, on a high-risk path.
sh("git", "update-ref", "refs/heads/main", head, cwd=repo)
hr = commit("Jo Junior", "jo@acme.io", ai, path="payments/charge.py")
signoff("senior", hr)
rc, g = gate(f"{head}..HEAD")
check(rc == 1 and any("owner" in m for m in g["commits"][-1]["missing"]), "a high-risk path with one senior fails (needs two, one an owner)")
signoff("senior2", hr)
rc, g = gate(f"{head}..HEAD")
check(rc == 1, "...two seniors but no owner still fails")
signoff("owner", hr)
rc, g = gate(f"{head}..HEAD")
check(rc == 0, "...with the owner's sign-off it passes")

# Tree-identical rebase: a new commit with the same tree (message reworded).
sh("git", "-c", "user.name=Jo Junior", "-c", "user.email=jo@acme.io", "commit", "-q", "--amend", "-m", ai + "\n\nreworded", cwd=repo)
rc, g = gate(f"{head}..HEAD")
check(rc == 1, "a tree-identical rewrite fails when the policy does not carry sign-offs over")
open(os.path.join(repo, "carry.yaml"), "w").write(roster(carry=True))
r = sh(BRAKE, "gate", "--range", f"{head}..HEAD", "--roster", os.path.join(repo, "carry.yaml"), cwd=repo, check_rc=False)
check(r.returncode == 0, "...and passes when the policy allows carry-over")

# A human-only change by a junior needs nothing.
human = commit("Jo Junior", "jo@acme.io", "docs: fix typo", path="README.md")
rc, g = gate(f"{human}~1..{human}")
check(rc == 0 and g["commits"][0]["provenance"] == "human", "a human-only change by a junior passes with no sign-off")
aider = commit("Jo Junior (aider)", "jo@acme.io", "aider: refactor", path="app.py")
rc, g = gate(f"{aider}~1..{aider}")
check(rc == 1 and g["commits"][0]["provenance"] == "ai-assisted", "aider's author suffix marks the change AI-assisted")

# The roster comes from the protected base, never from the commits being judged.
roster_base = sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()
forged = roster().replace(f'level: senior, keys: ["{keys["senior"][1]}"]',
                          f'level: senior, keys: ["{keys["senior"][1]}", "{keys["junior"][1]}"]')
open(os.path.join(repo, "team.yaml"), "w").write(forged)
sh("git", "add", "team.yaml", cwd=repo)
sh("git", "-c", "user.name=Jo Junior", "-c", "user.email=jo@acme.io", "commit", "-q", "-m", "roster: fix sam's keys", cwd=repo)
roster_commit = sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()
ai = commit("Jo Junior", "jo@acme.io", "feat: checkout rewrite\n\nCo-authored-by: Claude <noreply@anthropic.com>", path="checkout.py")
signoff("junior", rev=roster_commit)
signoff("junior", rev=ai)
rc, g = gate(f"{roster_base}..HEAD")
by = {c["commit"]: c for c in g.get("commits", [])}
check(roster_base[:12] in g.get("roster", ""),
      "the gate names the roster it used: the one at the base of the range")
check(rc == 1 and not by.get(ai, {}).get("passed", True),
      "a junior's key added to a senior's entry inside the judged range signs nothing: the AI-assisted commit fails")
check(not by.get(roster_commit, {}).get("passed", True)
      and any("roster" in r["why"] for r in by.get(roster_commit, {}).get("requirements", [])),
      "a roster change needs the base roster's high-risk sign-offs")
signoff("senior", rev=roster_commit)
signoff("senior2", rev=roster_commit)
rc, g = gate(f"{roster_base}..{roster_commit}")
check(rc == 0, "with two seniors of the base roster signing it, the roster change passes")
sh("git", "reset", "-q", "--hard", roster_base, cwd=repo)

# The pre-push hook.
r = sh(BRAKE, "install", "git-hooks", cwd=repo, env=dict(ENV, PATH="/usr/bin:/bin"), check_rc=False)
check(r.returncode == 64 and "build directory" in r.stderr, "brake install git-hooks refuses to write a build directory into the hook")
r = sh(BRAKE, "install", "git-hooks", "--command", BRAKE, cwd=repo, check_rc=False)
check(r.returncode == 0 and os.access(os.path.join(repo, ".git/hooks/pre-push"), os.X_OK), "brake install git-hooks writes an executable pre-push hook")
origin = os.path.join(work, "origin.git")
sh("git", "init", "-q", "--bare", origin)
sh("git", "remote", "add", "origin", origin, cwd=repo)
r = sh("git", "push", "origin", "HEAD:refs/heads/main", cwd=repo, check_rc=False)
check(r.returncode != 0, "pushing unsigned AI-assisted commits to main is refused by the hook")
r = sh("git", "push", "origin", "HEAD:refs/heads/feature/x", cwd=repo, check_rc=False)
check(r.returncode == 0, "pushing to a feature branch is not gated")

# The documented generic CI step, and the GitHub Actions example runs exactly that step.
step = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "ci", "gate-step.sh")
env = dict(ENV, BRAKE=BRAKE, BASE=human + "~1", HEAD=human)
r = sh("sh", step, cwd=repo, env=env, check_rc=False)
check(r.returncode == 0 and "PASS" in r.stdout, "examples/ci/gate-step.sh passes a signed-off range")
env = dict(ENV, BRAKE=BRAKE, BASE=aider + "~1", HEAD=aider)
r = sh("sh", step, cwd=repo, env=env, check_rc=False)
check(r.returncode == 1 and "brake signoff" in r.stdout, "examples/ci/gate-step.sh fails an unsigned range and says how to fix it")
workflow = open(os.path.join(os.path.dirname(step), "github-actions-gate.yml")).read()
check("examples/ci/gate-step.sh" in workflow and "fetch-depth: 0" in workflow, "the GitHub Actions example runs the same step with full history")

# Who wrote it: git's author is whatever the committer typed; only a signature with a key the base roster lists
# for that person makes the claim count (SSH signatures, checked by git against the roster's keys alone).
start = sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()


def commit_as(email, msg, path, signing=None, env_extra=None):
    p = os.path.join(repo, path)
    open(p, "a").write(msg + "\n")
    sh("git", "add", path, cwd=repo)
    args = ["git", "-c", "user.name=Someone", "-c", f"user.email={email}"]
    if signing:
        args += ["-c", "gpg.format=ssh", "-c", f"user.signingkey={signing}", "commit", "-S"]
    else:
        args += ["commit"]
    sh(*args, "-q", "-m", msg + "\n\nCo-authored-by: Claude <noreply@anthropic.com>", cwd=repo,
       env=dict(ENV, **(env_extra or {})))
    return sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()


forged_author = commit_as("jo@acme.io", "feat: as sam", "forged.py",
                          env_extra={"GIT_AUTHOR_EMAIL": "sam@acme.io", "GIT_COMMITTER_EMAIL": "sam@acme.io"})
rc, g = gate(f"{start}..{forged_author}")
c = g.get("commits", [{}])[0]
check(rc == 1 and c.get("author", {}).get("authenticated") is False and "senior" in " ".join(c.get("missing", [])),
      "a junior's AI-assisted commit claiming a senior author, unsigned, still needs the senior sign-off: "
      + c.get("author", {}).get("why", str(g))[:160])
wrong_key = commit_as("sam@acme.io", "feat: signed by jo's key", "wrong.py", signing=ssh_keys["junior"][0])
rc, g = gate(f"{forged_author}..{wrong_key}")
c = g.get("commits", [{}])[0]
check(rc == 1 and c.get("author", {}).get("authenticated") is False,
      "...signed with a key the base roster does not list for that senior, it still needs the sign-off")
own = commit_as("sam@acme.io", "feat: sam's own", "own.py", signing=ssh_keys["senior"][0])
rc, g = gate(f"{wrong_key}..{own}")
c = g.get("commits", [{}])[0]
check(rc == 0 and c.get("author", {}).get("authenticated") is True and c.get("author", {}).get("level") == "senior",
      "a senior's AI-assisted commit signed with their registered key needs no sign-off: "
      + c.get("author", {}).get("why", str(g))[:160])
def commit_pgp(email, msg, path):
    open(os.path.join(repo, path), "a").write(msg + "\n")
    sh("git", "add", path, cwd=repo)
    sh("git", "-c", "user.name=Someone", "-c", f"user.email={email}", "-c", "gpg.format=openpgp",
       "-c", "user.signingkey=sue@acme.io", "commit", "-S", "-q", "-m",
       msg + "\n\nCo-authored-by: Claude <noreply@anthropic.com>", cwd=repo, env=dict(ENV, GNUPGHOME=sue_gnupg))
    return sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()


sue_own = commit_pgp("sue@acme.io", "feat: sue's own, OpenPGP-signed", "sue.py")
rc, g = gate(f"{own}..{sue_own}")
c = g.get("commits", [{}])[0]
check(rc == 0 and c.get("author", {}).get("authenticated") is True,
      "a senior's AI-assisted commit signed with the OpenPGP key the roster lists for her needs no sign-off: "
      + c.get("author", {}).get("why", str(g))[:160])
sue_as_sam = commit_pgp("sam@acme.io", "feat: sam's name, sue's key", "sam2.py")
rc, g = gate(f"{sue_own}..{sue_as_sam}")
c = g.get("commits", [{}])[0]
check(rc == 1 and c.get("author", {}).get("authenticated") is False and "Sue Senior" in c.get("author", {}).get("why", "")
      .replace("sue@acme.io", "Sue Senior"),
      "...her key on a commit claiming another senior proves nothing about him: " + c.get("author", {}).get("why", "")[:160])
fake = os.path.join(work, "fake-verifier")
open(fake, "w").write("#!/bin/sh\necho 'Good \"git\" signature for sam@acme.io'\nexit 0\n")
os.chmod(fake, 0o755)
sh("git", "config", "gpg.ssh.program", fake, cwd=repo)
rc, g = gate(f"{forged_author}..{wrong_key}")
check(rc == 1 and g.get("commits", [{}])[0].get("author", {}).get("authenticated") is False,
      "a verifier configured in the repository cannot vouch for a signature (the gate pins ssh-keygen)")
sh("git", "config", "--unset", "gpg.ssh.program", cwd=repo)
r = sh(BRAKE, "gate", "--range", f"{start}..{forged_author}", cwd=repo, check_rc=False)
check("author: claims Sam Senior but is not signed" in r.stdout, "the text report says which identity counted and why")
r = sh(BRAKE, "keys", "ssh", ssh_keys["senior"][0] + ".pub", check_rc=False)
check(r.returncode == 0 and ssh_keys["senior"][1].rsplit(" ", 1)[0] in r.stdout and "gpg.format ssh" in r.stdout,
      "brake keys ssh prints the roster line and git's signing settings")
sh("git", "reset", "-q", "--hard", start, cwd=repo)

# Provenance from Brake's own record: the hook, run after each tool call (Claude Code's PostToolUse), records the
# blob of every file an agent's tool wrote and the commit an agent's `git commit` made. Trailers say nothing here.
def post_tool(tool, tool_input, env=None):
    payload = json.dumps({"session_id": "agent-s1", "cwd": repo, "hook_event_name": "PostToolUse", "tool_name": tool,
                          "tool_input": tool_input, "tool_response": {"success": True}, "tool_use_id": "t"})
    return subprocess.run([BRAKE, "hook", "claude-code"], input=payload, cwd=repo, env=env or ENV,
                          capture_output=True, text=True)


def by_commit(rng):
    rc, g = gate(rng)
    return {c["commit"]: c for c in g.get("commits", [])}


prov_base = sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()
agent_text = "def checkout(cart):\n    return sum(i.price for i in cart)\n"
open(os.path.join(repo, "feature.py"), "w").write(agent_text)
r = post_tool("Write", {"file_path": os.path.join(repo, "feature.py"), "content": agent_text})
check(r.returncode == 0 and r.stdout == "", "the post-tool hook records what the Write tool wrote, and says nothing")
open(os.path.join(repo, "helper.py"), "w").write("def helper():\n    return 42\n")  # written by the agent's shell
sh("git", "add", "feature.py", "helper.py", cwd=repo)
sh("git", "-c", "user.name=Jo Junior", "-c", "user.email=jo@acme.io", "commit", "-q", "-m", "add checkout", cwd=repo)
r = post_tool("Bash", {"command": "git add -A && git commit -m 'add checkout'"})
agent_commit = sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()
c = by_commit(f"{prov_base}..HEAD").get(agent_commit, {})
check(c.get("provenance") == "ai-assisted" and any("recorded: claude-code session agent-s1 made this commit" in e
                                                    for e in c.get("evidence", [])) and c.get("agent_share") == 1,
      "an agent's commit without any trailer is AI-assisted, with the recorded session as evidence: "
      + str(c.get("evidence")))
# A person re-commits the same change by hand, without trailers.
sh("git", "reset", "-q", "--soft", prov_base, cwd=repo)
sh("git", "-c", "user.name=Jo Junior", "-c", "user.email=jo@acme.io", "commit", "-q", "-m", "checkout, by hand", cwd=repo)
recommit = sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()
c = by_commit(f"{prov_base}..HEAD").get(recommit, {})
check(c.get("provenance") == "ai-assisted" and any("wrote feature.py" in e for e in c.get("evidence", [])),
      "...re-committed by a person without trailers, it is still AI-assisted")
# Squashed with a human commit.
open(os.path.join(repo, "notes.md"), "w").write("# Notes\n\nWritten by a person.\n")
sh("git", "add", "notes.md", cwd=repo)
sh("git", "-c", "user.name=Jo Junior", "-c", "user.email=jo@acme.io", "commit", "-q", "-m", "notes", cwd=repo)
sh("git", "reset", "-q", "--soft", prov_base, cwd=repo)
sh("git", "-c", "user.name=Jo Junior", "-c", "user.email=jo@acme.io", "commit", "-q", "-m", "checkout and notes", cwd=repo)
squashed = sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()
c = by_commit(f"{prov_base}..HEAD").get(squashed, {})
share = c.get("agent_share") or 0
check(c.get("provenance") == "ai-assisted" and 0 < share < 1,
      f"...squashed with a human commit, it is still AI-assisted, {share:.0%} of the added lines an agent's")
# Rebased onto a new base.
sh("git", "checkout", "-q", "-b", "newbase", prov_base, cwd=repo)
open(os.path.join(repo, "other.txt"), "w").write("elsewhere\n")
sh("git", "add", "other.txt", cwd=repo)
sh("git", "-c", "user.name=Sam Senior", "-c", "user.email=sam@acme.io", "commit", "-q", "-m", "meanwhile", cwd=repo)
new_base = sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()
sh("git", "checkout", "-q", "-B", "rebased", squashed, cwd=repo)
sh("git", "-c", "user.name=Jo Junior", "-c", "user.email=jo@acme.io", "rebase", "-q", new_base, cwd=repo)
rebased = sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()
c = by_commit(f"{new_base}..HEAD").get(rebased, {})
check(rebased != squashed and c.get("provenance") == "ai-assisted", "...rebased onto a new base, it is still AI-assisted")
# A purely human commit is not.
open(os.path.join(repo, "human.md"), "w").write("a person's words\n")
sh("git", "add", "human.md", cwd=repo)
sh("git", "-c", "user.name=Jo Junior", "-c", "user.email=jo@acme.io", "commit", "-q", "-m", "docs", cwd=repo)
human_only = sh("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()
c = by_commit(f"{rebased}..HEAD").get(human_only, {})
check(c.get("provenance") == "human" and c.get("agent_share") == 0, "a purely human commit is not")
# For a CI runner without this machine's record: the records travel as notes.
r = sh(BRAKE, "provenance", "export", f"{new_base}..HEAD", cwd=repo, check_rc=False)
ci_env = dict(ENV, BRAKE_HOME=os.path.join(work, "ci-runner"))
r2 = subprocess.run([BRAKE, "gate", "--range", f"{new_base}..HEAD", "--format", "json"], cwd=repo, env=ci_env,
                    capture_output=True, text=True)
ci = {x["commit"]: x for x in json.loads(r2.stdout).get("commits", [])} if r2.stdout.startswith("{") else {}
check(r.returncode == 0 and "1 commit" in r.stdout and ci.get(rebased, {}).get("provenance") == "ai-assisted"
      and ci.get(human_only, {}).get("provenance") == "human",
      "brake provenance export attaches the records as notes; a runner without the record reads them: " + r.stdout.strip())
sh("git", "notes", "--ref=brake-provenance", "prune", cwd=repo, check_rc=False)
sh("git", "update-ref", "-d", "refs/notes/brake-provenance", cwd=repo, check_rc=False)
sh("git", "checkout", "-q", "main", cwd=repo)
sh("git", "reset", "-q", "--hard", prov_base, cwd=repo)

# The oversight report on a repository with a known history: the recorded share, not the declared one; commits whose
# message says nothing of AI while the record shows an agent wrote them are listed; change failure by provenance.
rrepo = os.path.join(work, "report-repo")
os.makedirs(rrepo)
sh("git", "init", "-q", "-b", "main", cwd=rrepo)


def rcommit(email, msg, path, content):
    with open(os.path.join(rrepo, path), "a") as f:
        f.write(content)
    sh("git", "add", "-A", cwd=rrepo)
    sh("git", "-c", f"user.name={email.split('@')[0]}", "-c", f"user.email={email}", "commit", "-q", "-m", msg,
       cwd=rrepo)
    return sh("git", "rev-parse", "HEAD", cwd=rrepo).stdout.strip()


r0 = rcommit("sam@acme.io", "add roster", "team.yaml", roster())
r1 = rcommit("jo@acme.io", "init", "README.md", "hello\n")
report_text = "def report(rows):\n    return len(rows)\n\n\ndef total(rows):\n    return sum(rows)\n"
open(os.path.join(rrepo, "report.py"), "w").write(report_text)
payload = json.dumps({"session_id": "agent-r1", "cwd": rrepo, "hook_event_name": "PostToolUse", "tool_name": "Write",
                      "tool_input": {"file_path": os.path.join(rrepo, "report.py"), "content": report_text}})
subprocess.run([BRAKE, "hook", "claude-code"], input=payload, cwd=rrepo, env=ENV, capture_output=True, text=True)
r2 = rcommit("jo@acme.io", "add report", "report.py", "")  # by hand, no trailer: the record says an agent wrote it
r3 = rcommit("jo@acme.io", "docs", "docs.md", "one\ntwo\n")
r4 = rcommit("jo@acme.io", "more docs\n\nCo-authored-by: Claude <noreply@anthropic.com>", "docs.md", "three\n")
sh("git", "-c", "user.name=sam", "-c", "user.email=sam@acme.io", "revert", "--no-edit", r2, cwd=rrepo)
r6 = rcommit("sam@acme.io", f"fix the docs\n\nFixes: {r3[:10]}", "docs.md", "four\n")
sh(BRAKE, "signoff", r4, "--key", keys["senior"][0], cwd=rrepo, check_rc=False)
r = sh(BRAKE, "report", "--since", "7d", "--format", "json", cwd=rrepo, check_rc=False)
rep = json.loads(r.stdout)["commits"] if r.stdout.startswith("{") else {}
check(r.returncode == 0 and rep.get("total") == 7 and rep.get("ai_assisted") == 2
      and rep.get("ai_assisted_declared") == 1 and rep.get("ai_assisted_recorded") == 1,
      "brake report: 7 commits, 2 AI-assisted — 1 declared, 1 only in Brake's record " + r.stderr.strip()[-200:]
      + str({k: rep.get(k) for k in ("total", "ai_assisted", "ai_assisted_declared", "ai_assisted_recorded")}))
und = rep.get("undeclared_ai", [])
check([u.get("sha") for u in und] == [r2] and any("agent-r1" in e for e in und[0].get("evidence", [])),
      "...the commit whose message says nothing of AI while the record shows an agent wrote it is listed: " + str(und))
check(rep.get("lines", {}).get("agent") == 6, "...agents wrote 6 of the added lines: " + str(rep.get("lines")))
cf = rep.get("change_failure", {})
check(cf.get("ai_assisted") == {"commits": 2, "failed": 1, "rate": 0.5}
      and cf.get("human") == {"commits": 5, "failed": 1, "rate": 0.2},
      "...change failure: the reverted AI-assisted commit and the fixed human one: " + str(cf))
check(rep.get("needing_signoff") == 3 and rep.get("signed_off") == 1,
      "...sign-off coverage: the junior's two AI-assisted commits and the roster change need one, one has it: "
      + str((rep.get("needing_signoff"), rep.get("signed_off"))))
r = sh(BRAKE, "report", "--since", "7d", "--format", "csv", cwd=rrepo, check_rc=False)
rows = r.stdout.strip().splitlines()
row2 = next((x for x in rows if x.startswith(r2)), "")
check(len(rows) == 8 and rows[0].startswith("sha,time,author,declared,recorded")
      and ",human,true,true," in row2 and row2.endswith(",true"),
      "brake report --format csv: a line per commit (the undeclared agent commit: human, recorded, failed) " + row2)
r = sh(BRAKE, "report", "--since", "7d", cwd=rrepo, check_rc=False)
check(r.returncode == 0 and "AI-assisted: 2" in r.stdout and r2[:12] in r.stdout, "the text report says the same")
r = sh(BRAKE, "report", "--since", "week", cwd=rrepo, check_rc=False)
check(r.returncode == 64 and "7d or 30d" in r.stderr, "a malformed period is a usage error (64)")

r = sh(BRAKE, "gate", "--range", "nosuchref..HEAD", cwd=repo, check_rc=False)
check(r.returncode == 65 and "range" in r.stderr, "a bad range is a clear error (65)")
print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
