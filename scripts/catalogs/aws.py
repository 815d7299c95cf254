#!/usr/bin/env python3
"""Generates Sources/BrakeCore/Catalogs/AWSCatalog.swift: every service and operation the AWS CLI exposes
(botocore's service models plus the CLI's own customizations such as `s3 rm` and `cloudformation deploy`),
each with the class of what it does (see classify.py).

    python3 scripts/catalogs/aws.py [OUT]       # needs awscli (and its botocore) importable

The versions used are written into the output; scripts/catalogs/check.py regenerates and compares.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from classify import catalog_lines, classify, write_swift  # noqa: E402


# The AWS CLI v2's own commands that v1 (the CLI on PyPI) lacks, from the v2 command reference
# (https://awscli.amazonaws.com/v2/documentation/api/latest/reference/index.html).
V2_CUSTOMIZATIONS = {
    ("logs", "tail"): "r", ("logs", "start-live-tail"): "r", ("sso", "login"): "r", ("sso", "logout"): "r",
    ("configure", "sso"): "r", ("configure", "sso-session"): "r", ("configure", "export-credentials"): "r",
    ("configure", "list-profiles"): "r", ("configure", "import"): "r", ("ec2-instance-connect", "ssh"): "x",
    ("ec2-instance-connect", "open-tunnel"): "x", ("ddb", "select"): "r", ("ddb", "put"): "m",
    ("ecr", "get-login-password"): "r", ("eks", "get-token"): "r", ("eks", "update-kubeconfig"): "r",
    ("login", "login"): "r", ("cloudformation", "package"): "r", ("s3", "ls"): "r", ("s3", "presign"): "r",
}


def build():
    import awscli
    import botocore
    from awscli.clidriver import create_clidriver

    driver = create_clidriver()
    groups = {}
    for service, cmd in driver._get_command_table().items():
        try:
            table = cmd._get_command_table() if hasattr(cmd, "_get_command_table") else cmd.subcommand_table
        except Exception:
            table = getattr(cmd, "subcommand_table", {}) or {}
        leaves = {}
        for op, sub in table.items():
            leaves[op] = "r" if op == "wait" else classify(service, op)
        # Customizations (s3, configure, deploy …) classified by name like every other operation, with the
        # CLI's data-moving commands judged by their arguments in the engine.
        groups[service] = leaves
    for (service, op), cls in V2_CUSTOMIZATIONS.items():
        groups.setdefault(service, {}).setdefault(op, cls)
    source = "awscli %s, botocore %s" % (awscli.__version__, botocore.__version__)
    return source, catalog_lines(groups)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "../../Sources/BrakeCore/Catalogs/AWSCatalog.swift")
    source, lines = build()
    write_swift(out, "aws", source, lines, "Every AWS CLI service (a group) and operation (a leaf), with its class.")
    print("aws: %s: %d services, %d operations -> %s" % (source, len(lines), sum(l.count(" ") + 1 for l in lines), out))


if __name__ == "__main__":
    main()
