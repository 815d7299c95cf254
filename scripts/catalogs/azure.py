#!/usr/bin/env python3
"""Generates Sources/BrakeCore/Catalogs/AzureCatalog.swift: every command of the Azure CLI's built-in modules,
read statically from the azure-cli wheel on PyPI (the `command_group(...)` blocks of each module's commands
and the `@register_command("…")` of its generated aaz commands), each with its class.

    python3 scripts/catalogs/azure.py WHEEL_OR_DIR [OUT]
    (pip download --no-deps azure-cli==VERSION gives the wheel; nothing is imported or run from it)
"""
import ast
import os
import re
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from classify import catalog_lines, classify, write_swift  # noqa: E402

COMMAND_METHODS = re.compile(r"^(?!command_group)[a-z_]*command[a-z_]*$")
LOCAL_GROUPS = {"login", "logout", "account", "config", "configure", "extension", "cloud", "find", "feedback",
                "interactive", "version", "upgrade", "self-test", "survey", "bicep", "init"}


def commands_in(source, name):
    try:
        tree = ast.parse(source.lstrip("\ufeff"), name)
    except SyntaxError:
        return
    if "register_command" in source:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for d in node.decorator_list:
                    if isinstance(d, ast.Call) and getattr(d.func, "id", getattr(d.func, "attr", "")) == "register_command":
                        if d.args and isinstance(d.args[0], ast.Constant) and isinstance(d.args[0].value, str):
                            yield d.args[0].value
    yield from groups_in(tree)


def groups_in(tree, group=None):
    """Commands of `with self.command_group('…') as g:` blocks, each credited to its innermost group."""
    for node in ast.iter_child_nodes(tree):
        inner_group = group
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if (isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "command_group" and call.args
                        and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
                    inner_group = call.args[0].value
        if isinstance(node, ast.Call) and group is not None and COMMAND_METHODS.match(getattr(node.func, "attr", "")):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                yield (group + " " + node.args[0].value).strip()
        yield from groups_in(node, inner_group)


def files(path):
    if os.path.isdir(path):
        for d, _, names in os.walk(path):
            for n in names:
                if n.endswith(".py"):
                    p = os.path.join(d, n)
                    yield p, open(p, encoding="utf-8", errors="replace").read()
    else:
        with zipfile.ZipFile(path) as z:
            for n in z.namelist():
                if n.startswith("azure/cli/command_modules/") and n.endswith(".py") and "/tests/" not in n:
                    yield n, z.read(n).decode("utf-8", "replace")


def build(path):
    version = "?"
    m = re.search(r"azure_cli-([0-9.]+)-", os.path.basename(path))
    if m:
        version = m.group(1)
    groups = {"": {}}
    for name, text in files(path):
        if "/tests/" in name or ("command_group" not in text and "register_command" not in text):
            continue
        for command in commands_in(text, name):
            words = command.split()
            if not words:
                continue
            for k in range(1, len(words)):
                groups.setdefault(" ".join(words[:k]), {})
            leaves = groups.setdefault(" ".join(words[:-1]), {})
            if words[-1] in leaves:
                continue
            leaves[words[-1]] = "r" if words[0] in LOCAL_GROUPS else classify(words[0], words[-1], words[:-1])
    # A group name is never also a leaf of its parent (az keeps them apart).
    for g in list(groups):
        if not g:
            continue
        parent, _, leaf = g.rpartition(" ")
        groups.get(parent, {}).pop(leaf, None)
    return "azure-cli " + version, groups


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: azure.py WHEEL_OR_DIR [OUT]")
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "../../Sources/BrakeCore/Catalogs/AzureCatalog.swift")
    source, groups = build(sys.argv[1])
    lines = catalog_lines(groups)
    write_swift(out, "azure", source, lines, "Every Azure CLI command group (before |) and command (after it), with its class.")
    print("azure: %s: %d groups, %d commands -> %s" % (source, len(lines), sum(len(v) for v in groups.values()), out))


if __name__ == "__main__":
    main()
