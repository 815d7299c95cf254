#!/usr/bin/env python3
"""The deployment files in deploy/ hold what they promise, and the configuration they carry runs.

    scripts/deploy-check.py BRAKE

- Kubernetes (rendered with `kubectl kustomize`): a Deployment of at least 2 replicas, readiness and liveness on
  /v1/health over HTTPS, not root, read-only root file system, no privilege escalation; a PodDisruptionBudget
  selecting the same pods that keeps one up; a Service; every Secret key the pods use is in secret.example.yaml.
- The ConfigMap's server.yaml, run for real: the Secret's files made (a signing key and admin token from `brake
  serve`, a certificate from a private CA), BRAKE_DATABASE_URL pointing at a PostgreSQL started here, and `brake
  serve` with exactly that configuration answers the readiness probe over HTTPS and accepts the admin token; when
  the database stops, the probe says 503 (the replica leaves the Service).
- systemd: `systemd-analyze verify` accepts the unit; it runs as its own user with the hardening options; its
  server.yaml parses.
- The container definition builds `brake` and runs it as a non-root user with the same arguments.
"""
import json, os, re, shutil, ssl, subprocess, sys, tempfile, time, urllib.error, urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import check, failures, free_port  # noqa: E402

BRAKE = os.path.abspath(sys.argv[1])
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEPLOY = os.path.join(ROOT, "deploy")
work = tempfile.mkdtemp(prefix="brake-deploy-check-")
os.chmod(work, 0o755)

# --- Kubernetes
rendered = subprocess.run(["kubectl", "kustomize", os.path.join(DEPLOY, "kubernetes")], capture_output=True, text=True)
check(rendered.returncode == 0, "kubectl kustomize renders deploy/kubernetes: " + rendered.stderr[-200:])
docs = {d["kind"]: d for d in yaml.safe_load_all(rendered.stdout) if d}
dep, pdb, svc, cm = docs.get("Deployment"), docs.get("PodDisruptionBudget"), docs.get("Service"), docs.get("ConfigMap")
check(dep is not None and pdb is not None and svc is not None and cm is not None,
      "a Deployment, a PodDisruptionBudget, a Service and a ConfigMap")
spec = dep["spec"]
pod = spec["template"]["spec"]
c = pod["containers"][0]
check(spec["replicas"] >= 2, f"the Deployment runs {spec['replicas']} replicas (at least 2)")
check(spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, "a rollout never takes a replica away first")
for probe in ["readinessProbe", "livenessProbe"]:
    g = c[probe]["httpGet"]
    check(g["path"] == "/v1/health" and g["scheme"] == "HTTPS", f"{probe} is GET /v1/health over HTTPS")
check(pod["securityContext"]["runAsNonRoot"] is True and c["securityContext"]["readOnlyRootFilesystem"] is True
      and c["securityContext"]["allowPrivilegeEscalation"] is False and c["securityContext"]["capabilities"]["drop"] == ["ALL"],
      "the pods run as a non-root user, read-only, without privileges")
labels = spec["template"]["metadata"]["labels"]
check(all(labels.get(k) == v for k, v in pdb["spec"]["selector"]["matchLabels"].items()) and pdb["spec"]["minAvailable"] >= 1,
      "the PodDisruptionBudget selects the Deployment's pods and keeps at least one")
check(all(labels.get(k) == v for k, v in svc["spec"]["selector"].items()), "the Service selects them")
example = yaml.safe_load(open(os.path.join(DEPLOY, "kubernetes", "secret.example.yaml")))
keys = set(example["stringData"])
used = {e["valueFrom"]["secretKeyRef"]["key"] for e in c.get("env", []) if "valueFrom" in e}
server_yaml = cm["data"]["server.yaml"]
used |= {os.path.basename(p) for p in re.findall(r"/etc/brake/secrets/([\w.\-]+)", server_yaml)}
used |= set(re.findall(r"/etc/brake/secrets/([\w.\-]+)", example["stringData"]["database-url"]))
check(used <= keys, f"every Secret key the pods read is in secret.example.yaml (missing: {sorted(used - keys)})")
check("--config" in c["args"] and "/etc/brake/server.yaml" in c["args"], "the container reads the ConfigMap's server.yaml")

# --- the ConfigMap's configuration, run for real
pgdir = os.path.join(work, "pg")
r = subprocess.run([os.path.join(HERE, "postgres-temp.sh"), "start", pgdir, str(os.getpid())], capture_output=True, text=True)
if r.returncode == 3:
    print("SKIPPED (the live run): needs Debian's postgresql package")
else:
    pg_port = int(r.stdout.split()[-1])
    env = dict(os.environ, PGPASSWORD="brake-test")
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(pg_port), "-U", "brake", "-d", "postgres", "-qc",
                    "CREATE DATABASE brake"], check=True, env=env)
    secrets = os.path.join(work, "etc-brake", "secrets")
    os.makedirs(secrets)

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=secrets)

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "2", "-subj", "/CN=deploy-check CA")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tls.key", "-out",
            "tls.csr", "-subj", "/CN=brake")
    open(os.path.join(secrets, "ext"), "w").write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tls.crt",
            "-days", "2", "-extfile", "ext")
    for flag, name in [("--new-signing-key", "signing-key"), ("--new-admin-token", "admin-token")]:
        open(os.path.join(secrets, name), "w").write(
            subprocess.run([BRAKE, "serve", flag], capture_output=True, text=True, check=True).stdout)
    open(os.path.join(secrets, "database-password"), "w").write("brake-test\n")
    config = os.path.join(work, "server.yaml")
    open(config, "w").write(server_yaml.replace("/etc/brake/secrets", secrets))
    port = free_port()
    p = subprocess.Popen([BRAKE, "serve", "--data-dir", os.path.join(work, "data"), "--listen", f"127.0.0.1:{port}",
                          "--config", config], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=dict(os.environ, BRAKE_DATABASE_URL=f"postgres://brake@127.0.0.1:{pg_port}/brake?sslmode=disable"))
    ctx = ssl.create_default_context(cafile=os.path.join(secrets, "ca.pem"))

    def health():
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{port}/v1/health", timeout=3, context=ctx) as resp:
                return resp.status
        except urllib.error.HTTPError as e:
            return e.code
        except Exception:
            return None

    status = None
    for _ in range(200):
        status = health()
        if status is not None or p.poll() is not None:
            break
        time.sleep(0.05)
    check(status == 200, f"brake serve with the ConfigMap's configuration answers the readiness probe over HTTPS ({status})"
          + ("" if status else ": " + (p.stdout.read() if p.poll() is not None else "")))
    admin = open(os.path.join(secrets, "admin-token")).read().strip()
    req = urllib.request.Request(f"https://127.0.0.1:{port}/v1/me", headers={"Authorization": "Bearer " + admin})
    try:
        me = json.loads(urllib.request.urlopen(req, timeout=5, context=ctx).read())
    except Exception as e:
        me = {"error": str(e)}
    check(me.get("name") == "admin", "the first admin's token from the Secret works")
    subprocess.run([os.path.join(HERE, "postgres-temp.sh"), "stop", pgdir])
    time.sleep(0.5)
    check(health() == 503, "with the database gone the readiness probe answers 503 (the replica leaves the Service)")
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()

# --- systemd
unit = open(os.path.join(DEPLOY, "systemd", "brake-server.service")).read()
local_unit = os.path.join(work, "brake-server.service")
open(local_unit, "w").write(unit.replace("/usr/local/bin/brake", BRAKE))
if shutil.which("systemd-analyze"):
    r = subprocess.run(["systemd-analyze", "verify", local_unit], capture_output=True, text=True)
    problems = [l for l in (r.stdout + r.stderr).splitlines() if "brake-server.service" in l]
    check(not problems, "systemd-analyze verify accepts the unit: " + " | ".join(problems)[-300:])
else:
    print("SKIPPED (systemd-analyze): not installed")
for option in ["User=brake", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "LoadCredential=signing-key",
               "LoadCredential=db-password", "StateDirectory=brake-server", "CapabilityBoundingSet="]:
    check(option in unit, f"the unit has {option}")
sys_cfg = yaml.safe_load(open(os.path.join(DEPLOY, "systemd", "server.yaml")))
check(all(v.startswith("/run/credentials/brake-server.service/") for k, v in sys_cfg.items() if k.endswith(("_file", "tls_cert", "tls_key"))),
      "the unit's server.yaml reads every secret from systemd's credentials directory")
check(sys_cfg["database"].startswith("postgres://") and ":" not in sys_cfg["database"].split("@")[0][len("postgres://"):],
      "...and carries no password in its database URL")

# --- the container
cf = open(os.path.join(DEPLOY, "container", "Containerfile")).read()
check("swift build -c release --product brake" in cf and re.search(r"^USER 10001", cf, re.M) is not None
      and '"serve", "--data-dir", "/var/lib/brake"' in cf and "EXPOSE 8377" in cf,
      "the Containerfile builds brake and runs `brake serve` as user 10001 on port 8377")
check(c["image"].split(":")[0].endswith("/brake") and pod["securityContext"]["runAsUser"] == 10001,
      "the Deployment runs that image as the same user")

shutil.rmtree(work, ignore_errors=True)
if failures:
    print(f"\n{len(failures)} check(s) failed")
    sys.exit(1)
print("\ndeploy-check: all checks passed")
