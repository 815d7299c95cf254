"""Helpers shared by the end-to-end scripts that talk to `brake serve`."""
import json, os, socket, subprocess, tempfile, time, urllib.request

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def workdir(prefix):
    """A temporary directory with an initialised git project in it: (work, project)."""
    work = tempfile.mkdtemp(prefix=prefix)
    proj = os.path.join(work, "project")
    os.makedirs(proj)
    subprocess.run(["git", "init", "-q", proj], check=True)
    return work, proj


def wait_http(url, proc=None, tries=200):
    for _ in range(tries):
        try:
            urllib.request.urlopen(url, timeout=1)
            return True
        except Exception:
            if proc is not None and proc.poll() is not None:
                return False
            time.sleep(0.05)
    return False


def api(base, method, path, token, body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def claude_payload(command, session, cwd):
    return json.dumps({"session_id": session, "cwd": cwd, "hook_event_name": "PreToolUse", "tool_name": "Bash",
                       "tool_input": {"command": command}, "tool_use_id": "t1", "permission_mode": "default"})
