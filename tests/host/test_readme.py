"""The README a newcomer follows: its generated reference is current, its example config is
accepted by the board's validator, every command, option and link it shows exists."""
import json
import os
import re
import subprocess
import sys

import pytest
from hostcli import p1gen

from p1gen import sources
from p1gen.app import config
from p1host import cli, paths

README = os.path.join(paths.ROOT, "README.md")
TOOL = os.path.join(paths.ROOT, "tools", "gen_config_reference.py")
MY_DOCS = ("README.md", "docs/hardware.md", "docs/troubleshooting.md")


def read(rel):
    with open(os.path.join(paths.ROOT, rel), encoding="utf-8") as f:
        return f.read()


def test_the_configuration_reference_is_current():
    proc = subprocess.run([sys.executable, TOOL, "--check", README], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_the_reference_names_every_option_of_every_section():
    text = read("README.md")
    block = text[text.index("<!-- BEGIN config reference"):text.index("<!-- END config reference")]
    sections = config.fixed_sections()
    assert {name for name, _ in sections} >= {"wifi", "p1", "app", "control", "telegram", "web"}
    every = [o for _, opts in sections for o in opts]
    every += [o for kind in sources.KINDS for o in config.source_options(kind) if o.name != "kind"]
    every += [o for opts in config.policy_options().values() for o in opts]
    for o in every:
        assert "| `%s` |" % o.name in block, o.name
    for kind in sources.KINDS:
        assert '`"kind": "%s"`' % kind in block
    assert "secret: never shown by the API" in block


def test_the_check_notices_a_stale_reference(tmp_path):
    stale = tmp_path / "README.md"
    stale.write_text(read("README.md").replace("| `fuse_a` |", "| `fuse` |"))
    proc = subprocess.run([sys.executable, TOOL, "--check", str(stale)], capture_output=True, text=True)
    assert proc.returncode == 1 and "stale" in proc.stderr
    assert subprocess.run([sys.executable, TOOL, "--write", str(stale)]).returncode == 0
    assert stale.read_text() == read("README.md")


def test_the_example_config_is_valid_on_the_board():
    examples = re.findall(r"```json\n(.*?)```", read("README.md"), re.S)
    assert examples
    for text in examples:
        _, errors = config.validate(json.loads(text))
        assert errors == [], errors


def code(text):
    """What the text shows as code: `spans` and the lines of ``` blocks."""
    return re.findall(r"`([^`\n]+)`", text) + re.findall(r"```\w*\n(.*?)```", text, re.S)


def commands_shown(text):
    return {m for snippet in code(text) for m in re.findall(r"(?:^|[\s/])p1gen ([a-z][a-z-]+)", snippet, re.M)}


def test_every_command_shown_exists_and_has_help():
    registered = {name for name, _, _, _ in cli.COMMANDS}
    shown = set()
    for rel in MY_DOCS:
        shown |= commands_shown(read(rel))
    assert shown >= {"provision", "status", "monitor", "repl", "demo"}
    assert shown <= registered, shown - registered
    parser = cli.build_parser()
    available = set(parser._subparsers._group_actions[0].choices)
    assert shown <= available, shown - available


@pytest.mark.parametrize("command", [c for c, _, _, _ in cli.COMMANDS])
def test_help_everywhere(command):
    proc = p1gen(command, "--help", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: p1gen %s" % command)


def test_every_option_shown_in_the_command_table_exists():
    table = [line for line in read("README.md").splitlines() if line.startswith("| `p1gen ")]
    assert len(table) >= 8
    for line in table:
        command = line.split("`")[1].split()[1]
        helptext = p1gen(command, "--help", timeout=60).stdout
        for option in re.findall(r"(--[a-z-]+)", line.split("|")[1]):
            assert option in helptext, (command, option)


def test_the_make_targets_shown_exist():
    makefile = read("Makefile")
    shown = {m for snippet in code(read("README.md")) for m in re.findall(r"(?:^|\s)make (\w+)", snippet, re.M)}
    assert shown >= {"demo", "test"}
    for target in shown:
        assert re.search(r"^%s:" % target, makefile, re.M), target


@pytest.mark.parametrize("rel", MY_DOCS)
def test_links_and_anchors_resolve(rel):
    folder = os.path.dirname(os.path.join(paths.ROOT, rel))
    for target in re.findall(r"\]\(([^)]+)\)", read(rel)):
        if target.startswith("http"):
            continue
        path, _, anchor = target.partition("#")
        full = os.path.normpath(os.path.join(folder, path)) if path else os.path.join(paths.ROOT, rel)
        assert os.path.exists(full), (rel, target)
        if anchor and full.endswith(".md"):
            with open(full, encoding="utf-8") as f:
                headings = [re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
                            for h in re.findall(r"^#+ (.*)$", f.read(), re.M)]
            assert anchor in headings, (rel, target, headings)
