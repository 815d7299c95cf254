#!/usr/bin/env python3
"""Containment end to end, as an unprivileged user this test creates (home under /home, a real git project):
`brake run -- …` lets routine work through unchanged and makes the kernel refuse what an agent must not do,
whatever route it takes (a Makefile target, a Python one-liner, a git alias, a script written earlier,
grandchildren, `cd`, symbolic links). Files are checked intact afterwards: a refusal is proven by the file, not
only by an exit code. Run as root (it creates the user):  scripts/contain-e2e.py path/to/brake"""
import json
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import time

BRAKE = os.path.abspath(sys.argv[1])
HOOK = os.path.join(os.path.dirname(BRAKE), "brake-hook")
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


if os.geteuid() != 0:
    print("SKIP: run as root (the test creates an unprivileged user)")
    sys.exit(0)

landlock = subprocess.run([BRAKE, "run", "--show"], capture_output=True, text=True).stdout
if "Landlock ABI: 0" in landlock:
    print("SKIP: this kernel has no Landlock; brake run refuses to run anything (checked below)")
    r = subprocess.run([BRAKE, "run", "--", "true"], capture_output=True, text=True)
    check(r.returncode == 70, "without Landlock nothing runs (exit 70)")
    sys.exit(1 if failures else 0)

user = "brakecnt%d" % (os.getpid() % 100000)
subprocess.run(["useradd", "-m", "-d", "/home/" + user, "-s", "/bin/bash", user], check=True)
pw = pwd.getpwnam(user)
home = pw.pw_dir
proj = home + "/proj"


def as_user(script, cwd=proj, confined=True):
    """Runs a bash script as the user, through `brake run` when confined."""
    env = {"HOME": home, "PATH": "/usr/local/bin:/usr/bin:/bin", "USER": user, "LANG": "C.UTF-8"}
    cmd = [BRAKE, "run", "--", "bash", "-c", script] if confined else ["bash", "-c", script]
    return subprocess.run(
        ["setpriv", "--reuid", str(pw.pw_uid), "--regid", str(pw.pw_gid), "--init-groups", "--"] + cmd,
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


try:
    setup = as_user(
        f"""set -e
        mkdir -p ~/.ssh ~/.aws ~/.brake ~/.claude ~/.cache {proj}
        echo PRIVATE-KEY > ~/.ssh/id_ed25519 && echo public > ~/.ssh/id_ed25519.pub
        echo SECRET-AWS > ~/.aws/credentials && echo '[default]' > ~/.aws/config
        echo 'server: https://brake.example' > ~/.brake/settings.yaml
        echo '{{"hooks":{{}}}}' > ~/.claude/settings.json
        cd {proj} && git init -q && git config user.email a@b && git config user.name a
        mkdir -p .claude && echo '{{"hooks":{{"PreToolUse":[]}}}}' > .claude/settings.json
        printf 'import unittest\\nclass T(unittest.TestCase):\\n    def test_ok(self):\\n        self.assertEqual(1 + 1, 2)\\n' > test_app.py
        printf 'build:\\n\\tmkdir -p dist && cp test_app.py dist/\\ntidy:\\n\\trm -rf ~/.brake ~/.ssh\\n' > Makefile
        printf '#!/bin/sh\\nrm -f .claude/settings.json ~/.claude/settings.json\\n' > tidy.sh && chmod +x tidy.sh
        git add -A && git commit -qm init
        """,
        cwd=home,
        confined=False,
    )
    check(setup.returncode == 0, "the user's home, credentials and project are set up " + setup.stderr.strip())

    # Routine work: unchanged.
    r = as_user(
        """set -e
        echo 'def f(): return 1' > app.py && sed -i 's/1/2/' app.py && grep -q 2 app.py
        mkdir -p src/pkg && echo x > src/pkg/new.txt
        git add -A && git commit -qm 'work' && git log --oneline | head -1
        python3 -m unittest -q test_app 2>&1
        make -s build && test -f dist/test_app.py
        echo c > ~/.cache/tool.cache && echo t > /tmp/brake-contain-$USER.tmp && rm /tmp/brake-contain-$USER.tmp
        cat ~/.aws/config ~/.ssh/id_ed25519.pub >/dev/null
        (cd src && cd pkg && cat new.txt)
        echo done
        """
    )
    check(r.returncode == 0 and r.stdout.strip().endswith("done"),
          "routine work under containment: edit, create, git add/commit, a test suite, a build, caches, temp "
          + r.stderr.strip()[-300:])

    def intact():
        return (
            open(home + "/.ssh/id_ed25519").read().strip() == "PRIVATE-KEY"
            and open(home + "/.brake/settings.yaml").read().startswith("server:")
            and open(home + "/.claude/settings.json").read().startswith("{")
            and os.path.exists(proj + "/.claude/settings.json")
        )

    attacks = [
        ("a Makefile target removing ~/.brake and ~/.ssh", "make tidy"),
        ("a Python one-liner reading ~/.aws/credentials",
         "python3 -c \"print(open('" + home + "/.aws/credentials').read())\""),
        ("a Python one-liner writing Brake's settings",
         "python3 -c \"open('" + home + "/.brake/settings.yaml','w').write('server: http://evil')\""),
        ("a git alias (git -c) deleting ~/.ssh", "git -c alias.x='!rm -rf ~/.ssh' x"),
        ("a script written earlier removing the agent's hook configuration", "./tidy.sh"),
        ("a grandchild reading the private key", "bash -c 'sh -c \"cat ~/.ssh/id_ed25519\"'"),
        ("a cd into the credential store, then a read", "cd ~/.aws && cat credentials"),
        ("a symbolic link into the credential store", "ln -sf ~/.aws/credentials c && cat c"),
        ("a symbolic link to Brake's settings, written through", "ln -sf ~/.brake/settings.yaml s && echo x > s"),
        ("git's hooks in the project", "echo 'rm -rf ~' > .git/hooks/post-commit && chmod +x .git/hooks/post-commit"),
        ("git's own configuration", "git config core.hooksPath /tmp/evil"),
    ]
    for what, script in attacks:
        r = as_user(script)
        out = r.stdout + r.stderr
        leaked = "PRIVATE-KEY" in out or "SECRET-AWS" in out
        refused = any(m in out for m in ("Permission denied", "Read-only file system", "Operation not permitted", "Device or resource busy"))
        check(r.returncode != 0 and refused and not leaked and intact(), what + " is refused by the kernel")
    r = as_user("python3 -c \"open('" + home + "/.brake/settings.yaml','w').write('x')\"")
    check("Brake's containment refused writing " + home + "/.brake/settings.yaml" in r.stderr,
          "the refusal is explained on stderr: " + r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "(none)")
    r = as_user("cat ~/.aws/credentials")
    check("Brake's containment refused reading " + home + "/.aws/credentials" in r.stderr, "...and a refused read too")
    r = as_user("cat /etc/shadow")
    check("Brake's containment" not in r.stderr, "a file's own permissions are not blamed on the containment")
    r = as_user("exit 7")
    check(r.returncode == 7, "the command's exit status is kept")
    # The agent itself confined (for agents whose hooks cannot rewrite a command): its own state is writable,
    # its hook settings, Brake's files and the credential stores are not, for everything it runs.
    agent_env = {"HOME": home, "PATH": "/usr/local/bin:/usr/bin:/bin", "USER": user, "LANG": "C.UTF-8"}
    def as_agent(script):
        return subprocess.run(
            ["setpriv", "--reuid", str(pw.pw_uid), "--regid", str(pw.pw_gid), "--init-groups", "--",
             BRAKE, "run", "--profile", "agent", "--", "bash", "-c", script],
            cwd=proj, env=agent_env, capture_output=True, text=True, timeout=60)
    r = as_agent("mkdir -p ~/.claude/projects && echo turn >> ~/.claude/projects/s.jsonl && echo x > app2.py && echo ok")
    check(r.returncode == 0 and r.stdout.strip() == "ok",
          "under --profile agent, the agent writes its own session state and the project " + r.stderr.strip()[-200:])
    for what, script in [("its hook settings", "echo x > ~/.claude/settings.json"),
                         ("Brake's settings", "echo x > ~/.brake/settings.yaml"),
                         ("a command it runs reading credentials", "bash -c 'cat ~/.aws/credentials'")]:
        r = as_agent(script)
        check(r.returncode != 0 and "SECRET-AWS" not in r.stdout and intact(),
              "under --profile agent, " + what + " is refused " + r.stderr.strip()[-120:])
    # TCP connect limited to the ports a profile lists (Landlock ABI 4+; off by default).
    if "Landlock ABI: " in landlock and int(re.search(r"Landlock ABI: (\d+)", landlock).group(1)) >= 4:
        import socket
        listeners = [socket.socket(), socket.socket()]
        for s in listeners:
            s.bind(("127.0.0.1", 0))
            s.listen()
        pa, pb = (s.getsockname()[1] for s in listeners)
        pol = "/tmp/brake-contain-net-%d.yaml" % os.getpid()
        with open(pol, "w") as f:
            f.write("containment:\n  profiles:\n    web:\n      connect: [%d]\n" % pa)
        os.chmod(pol, 0o644)
        probe = ("import socket,sys\nfor p in sys.argv[1:]:\n    s=socket.socket()\n    try:\n"
                 "        s.connect(('127.0.0.1',int(p))); print(p,'ok')\n"
                 "    except OSError as e: print(p,e.errno)\n")
        env = {"HOME": home, "PATH": "/usr/local/bin:/usr/bin:/bin", "USER": user, "LANG": "C.UTF-8"}
        def net(profile_args):
            return subprocess.run(
                ["setpriv", "--reuid", str(pw.pw_uid), "--regid", str(pw.pw_gid), "--init-groups", "--",
                 BRAKE, "run", "--policy", pol] + profile_args + ["--", "python3", "-c", probe, str(pa), str(pb)],
                cwd=proj, env=env, capture_output=True, text=True, timeout=60)
        r = net(["--profile", "web"])
        check(r.returncode == 0 and r.stdout.split() == [str(pa), "ok", str(pb), "13"],
              "a profile listing port %d lets the command connect there and nowhere else (EACCES): %s %s"
              % (pa, r.stdout.strip(), r.stderr.strip()[-200:]))
        r = net([])
        check(r.stdout.split() == [str(pa), "ok", str(pb), "ok"], "the standard profile leaves TCP alone: " + r.stdout.strip())
        os.remove(pol)
        for s in listeners:
            s.close()
    else:
        print("SKIP: this kernel's Landlock has no network rules (ABI < 4)")
    # Error output to a file (supervised, like a pipe, but the test waits only for the command): a background job
    # that keeps stderr open must not hold up the command's end.
    errfile = "/tmp/brake-contain-bg-%d.err" % os.getpid()
    with open(errfile, "w") as ef:
        t0 = time.time()
        rc = subprocess.run(
            ["setpriv", "--reuid", str(pw.pw_uid), "--regid", str(pw.pw_gid), "--init-groups", "--",
             BRAKE, "run", "--", "bash", "-c", "(sleep 5 >&2 &) ; echo started >&2"],
            cwd=proj, env={"HOME": home, "PATH": "/usr/bin:/bin"}, stdout=subprocess.DEVNULL, stderr=ef,
            timeout=60).returncode
        took = time.time() - t0
    check(rc == 0 and took < 4 and "started" in open(errfile).read(),
          "a background job holding stderr does not hold up the command's end (%.1f s)" % took)
    os.remove(errfile)
    check(not os.path.exists(proj + "/.git/hooks/post-commit"), "no hook was planted")
    check("hooksPath" not in open(proj + "/.git/config").read(), "git's configuration is unchanged")

    # The same attacks without containment do reach the files (the test would notice a broken setup).
    r = as_user("cat ~/.aws/credentials", confined=False)
    check("SECRET-AWS" in r.stdout, "unconfined, the same read works (the check is real)")

    # Claude Code's shell prefix: every shell command the agent runs (its Bash tool, its hooks) goes through
    # `brake-hook shell`, which asks the user's guard service for the confinement. Claude runs
    # `PREFIX 'source SNAPSHOT || true && eval CMD < /dev/null && pwd -P >| CWDFILE'` (its bash provider).
    user_env = {"HOME": home, "PATH": "/usr/local/bin:/usr/bin:/bin", "USER": user, "LANG": "C.UTF-8",
                "SHELL": "/bin/bash"}
    setpriv = ["setpriv", "--reuid", str(pw.pw_uid), "--regid", str(pw.pw_gid), "--init-groups", "--"]
    r = subprocess.run(setpriv + [BRAKE, "install", "claude-code", "--project", "--contain", "--command", BRAKE],
                       cwd=proj, env=user_env, capture_output=True, text=True, timeout=60)
    settings = json.load(open(proj + "/.claude/settings.json"))
    prefix = settings.get("env", {}).get("CLAUDE_CODE_SHELL_PREFIX", "")
    check(r.returncode == 0 and "brake-hook" in prefix and prefix.endswith(" shell"),
          "brake install claude-code --contain sets Claude's shell prefix: " + prefix + r.stderr.strip()[-200:])
    daemon = subprocess.Popen(setpriv + [BRAKE, "daemon"], cwd=home, env=user_env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        if os.path.exists(home + "/.brake/guard.sock"):
            break
        time.sleep(0.05)
    snapshot = home + "/.claude/shell-snapshots/snapshot-bash.sh"
    subprocess.run(setpriv + ["bash", "-c", f"mkdir -p {os.path.dirname(snapshot)} && echo 'alias ll=\"ls -l\"' > {snapshot}"],
                   env=user_env, check=True)

    def as_claude(cmd, stdin=None):
        """One Bash tool call the way Claude Code runs it with the prefix set; returns (result, final cwd)."""
        cwdfile = "/tmp/claude-%d-cwd" % os.getpid()
        full = f"source {shlex.quote(snapshot)} || true && eval {shlex.quote(cmd)} < /dev/null && pwd -P >| {cwdfile}"
        r = subprocess.run(setpriv + ["bash", "-c", prefix + " " + shlex.quote(full)], cwd=proj, env=user_env,
                           input=stdin, capture_output=True, text=True, timeout=120)
        final = open(cwdfile).read().strip() if os.path.exists(cwdfile) else ""
        if os.path.exists(cwdfile):
            os.remove(cwdfile)
        return r, final

    try:
        r, final = as_claude("echo 'x = 1' > made.py && git add -A && git commit -qm prefix && "
                             "python3 -m unittest -q test_app 2>&1 && make -s build && cd src && echo done")
        check(r.returncode == 0 and "done" in r.stdout and final == proj + "/src",
              "through the prefix, routine work runs unchanged and `cd` carries over to the next command: "
              + final + " " + r.stderr.strip()[-300:])
        for what, script in attacks[:5]:
            r, _ = as_claude(script)
            out = r.stdout + r.stderr
            refused = any(m in out for m in ("Permission denied", "Read-only file system", "Operation not permitted"))
            check(r.returncode != 0 and refused and "SECRET-AWS" not in out and intact(),
                  "through Claude's shell prefix, " + what + " is refused by the kernel")
        r, _ = as_claude(f"python3 -c \"open('{home}/.brake/settings.yaml','w').write('x')\"")
        check("Brake's containment refused writing " + home + "/.brake/settings.yaml" in r.stderr,
              "...explained on stderr")
        # An ask the person answers in Claude's own prompt: the hook records what the command may touch, and the
        # prefix grants exactly that to exactly that command's run, once; nothing else outside the project.
        subprocess.run(setpriv + ["bash", "-c", "mkdir -p ~/old-data2 ~/keep2 && echo 1 > ~/old-data2/a && echo 2 > ~/keep2/b"],
                       env=user_env, check=True)
        r, _ = as_claude("rm -rf ~/old-data2")
        check(r.returncode != 0 and os.path.exists(home + "/old-data2"),
              "through the prefix, a delete outside the project that no one approved is refused by the kernel")
        payload = json.dumps({"session_id": "c2", "cwd": proj, "hook_event_name": "PreToolUse", "tool_name": "Bash",
                              "tool_input": {"command": "rm -rf ~/old-data2"}, "tool_use_id": "t2"})
        h = subprocess.run(setpriv + [HOOK, "claude-code"], cwd=proj, env=user_env, input=payload,
                           capture_output=True, text=True, timeout=60)
        asked = h.returncode == 0 and '"permissionDecision":"ask"' in h.stdout
        check(asked, "the hook asks the person about deleting ~/old-data2: " + h.stdout.strip()[-200:] + h.stderr.strip()[-200:])
        r, _ = as_claude("rm -rf ~/old-data2")
        check(r.returncode == 0 and not os.path.exists(home + "/old-data2"),
              "once the person said yes in Claude's prompt, the prefix runs the delete with the access it covered "
              + r.stderr.strip()[-200:])
        r, _ = as_claude("echo x > ~/keep2/b")
        check(r.returncode != 0 and open(home + "/keep2/b").read().strip() == "2",
              "...and nothing else outside the project is writable")
        # Claude runs its hooks through the prefix too: the hook still answers, through the guard service.
        for command, expect in (("git status", "allow"), ("rm -rf ~", "deny")):
            payload = json.dumps({"session_id": "c1", "cwd": proj, "hook_event_name": "PreToolUse",
                                  "tool_name": "Bash", "tool_input": {"command": command}, "tool_use_id": "t"})
            r = subprocess.run(setpriv + ["bash", "-c", prefix + " " + shlex.quote(shlex.quote(HOOK) + " claude-code")],
                               cwd=proj, env=user_env, input=payload, capture_output=True, text=True, timeout=60)
            got = "deny" if ('"deny"' in r.stdout or r.returncode == 2) else ("allow" if r.returncode == 0 else "crash")
            check(got == expect, f"a hook run through the prefix still answers: {command!r} → {got} {r.stderr.strip()[-200:]}")
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
    # Without the guard service the prefix still confines (brake run computes the confinement itself).
    r, _ = as_claude("cat ~/.aws/credentials")
    check(r.returncode != 0 and "SECRET-AWS" not in r.stdout + r.stderr,
          "without the guard service, the prefix still confines: " + r.stderr.strip()[-200:])

    # brake exec confines an agent's command too, and an approved one gets exactly the access its approval covered.
    def exec_as_user(argv):
        return subprocess.run(setpriv + [BRAKE, "exec", "--"] + argv, cwd=proj, env=user_env,
                              capture_output=True, text=True, timeout=120)

    r = exec_as_user(["git", "status", "--short"])
    check(r.returncode == 0, "brake exec: routine work runs confined " + r.stderr.strip()[-200:])
    # The path comes from a file the command reads: no analysis of the command line can know it.
    with open(proj + "/target.txt", "w") as f:
        f.write(home + "/.brake/settings.yaml\n")
    sneaky = "open(open('target.txt').read().strip(), 'w').write('x')"
    r = exec_as_user(["python3", "-c", sneaky])
    check(r.returncode != 0 and "Brake's containment refused writing" in r.stderr and intact(),
          "brake exec: a write to Brake's settings the analysis could not see is refused by the kernel "
          + r.stderr.strip()[-200:])
    subprocess.run(setpriv + ["bash", "-c", "mkdir -p ~/old-data ~/keep && echo 1 > ~/old-data/a && echo 2 > ~/keep/b"],
                   env=user_env, check=True)
    r = exec_as_user(["rm", "-rf", home + "/old-data"])
    m = re.search(r"brake approve ([A-Za-z0-9_-]+)", r.stderr)
    check(r.returncode == 75 and m is not None, "brake exec: deleting outside the project needs approval")
    if m:
        a = subprocess.run(setpriv + [BRAKE, "approve", m.group(1)], cwd=proj, env=user_env,
                           capture_output=True, text=True, timeout=60)
        r = exec_as_user(["rm", "-rf", home + "/old-data"])
        check(a.returncode == 0 and r.returncode == 0 and not os.path.exists(home + "/old-data"),
              "brake exec: once approved, the delete runs with the access its approval covered "
              + (a.stdout + a.stderr).strip()[-200:] + " / " + r.stderr.strip()[-200:])
        r = exec_as_user(["python3", "-c", "open('" + home + "/keep/b', 'w').write('x')"])
        check(r.returncode != 0 and open(home + "/keep/b").read().strip() == "2",
              "brake exec: ...and nothing else outside the project is writable")

    # Overhead, for the README: the confinement alone and through `brake run`.
    args = []
    for line in landlock.splitlines():
        kind, _, path = line.partition("\t")
        flag = {"writable": "--write", "unreadable": "--deny-read", "read-only": "--read-only"}.get(kind)
        if flag:
            args += [flag, path]

    def per_call(cmd, n=100):
        t = time.perf_counter()
        for _ in range(n):
            subprocess.run(cmd, check=True)
        return (time.perf_counter() - t) / n * 1000

    base = per_call(["/bin/true"])
    hook = per_call([HOOK, "contain"] + args + ["--", "/bin/true"])
    run = per_call([BRAKE, "run", "--", "/bin/true"], 30)
    print(f"   overhead: /bin/true {base:.2f} ms; brake-hook contain -- true {hook:.2f} ms (+{hook - base:.2f}); "
          f"brake run -- true {run:.2f} ms (+{run - base:.2f})")
finally:
    subprocess.run(["userdel", "-r", user], capture_output=True)
    shutil.rmtree(home, ignore_errors=True)

print("all containment checks passed" if failures == 0 else f"{failures} containment check(s) FAILED")
sys.exit(1 if failures else 0)
