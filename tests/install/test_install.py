"""p1gen installed as a user installs it, without the simulator extras: the wheel that
`python -m build` makes (from its sdist) in one fresh virtual environment, and the README's
checkout path, `pip install -e .`, in another. In each, every user command starts, the
simulator's commands name the extra they need in one line, and `p1gen provision --dry-run`
works against the emulated board. Each environment is made once for the whole module."""
import json
import os
import re
import subprocess
import sys
import zipfile

import pytest
from dsmr_parser import telegram_specifications
from dsmr_parser.parsers import TelegramParser

import p1gen
from p1host import cli, paths, runner

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "host"))

from emuboard import EmuBoard  # noqa: E402

pytestmark = pytest.mark.slow  # two fresh environments installed from PyPI (pip's cache): about a minute

USER_COMMANDS = [name for name, _, _, extra in cli.COMMANDS if extra is None]
SIM_COMMANDS = [name for name, _, _, extra in cli.COMMANDS if extra == cli.SIM]
# pip's notices about this machine's own index settings, not about p1gen
PIP_CONFIG_NOTICE = re.compile(r"^WARNING: Location '.*' is ignored")


def run(argv, timeout=600, text=True, **kwargs):
    return subprocess.run([str(a) for a in argv], capture_output=True, text=text, timeout=timeout, **kwargs)


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The sdist and the wheel built from it, as `python -m build` makes them (with the hatchling of
    the test extras rather than one downloaded into a fresh build environment each time)."""
    out = tmp_path_factory.mktemp("dist")
    proc = run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, paths.ROOT])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list(out.glob("p1gen-*.whl"))
    sdists = list(out.glob("p1gen-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, os.listdir(out)
    return wheels[0]


class Installed:
    """A fresh virtual environment with p1gen and its base dependencies only."""

    def __init__(self, folder, how):
        self.folder = folder
        self.how = how
        self.bin = os.path.join(folder, "bin")
        self.python = os.path.join(self.bin, "python")
        self.env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        self.env.update(PATH=self.bin + os.pathsep + os.environ.get("PATH", ""),
                        XDG_CACHE_HOME=os.path.join(folder, "cache"))
        # an installed p1gen caches what it compiles in the user's cache folder: here the test's,
        # sharing the checkout's compiled files (the same sources compile to the same bytes)
        os.makedirs(os.path.join(folder, "cache", "p1gen"))
        os.makedirs(os.path.join(paths.BUILD, "mpy"), exist_ok=True)
        os.symlink(os.path.join(paths.BUILD, "mpy"), os.path.join(folder, "cache", "p1gen", "mpy"))
        self.install_output = ""

    def install(self, *what):
        # a venv without pip of its own; this interpreter's pip installs into it (pip >= 22.3)
        made = run([sys.executable, "-m", "venv", "--without-pip", self.folder])
        assert made.returncode == 0, made.stderr
        proc = run([sys.executable, "-m", "pip", "--python", self.python, "install", *what])
        self.install_output = proc.stdout + proc.stderr
        assert proc.returncode == 0, self.install_output
        return self

    def p1gen(self, *argv, timeout=120, text=True, env=None):
        return run([os.path.join(self.bin, "p1gen"), *argv], timeout=timeout, text=text,
                   env=dict(self.env, **(env or {})), cwd=self.folder)


@pytest.fixture(scope="module", params=["wheel", "editable"])
def installed(request, dist, tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("venv-" + request.param))
    if request.param == "wheel":
        return Installed(folder, "wheel").install(str(dist))
    return Installed(folder, "editable").install("-e", paths.ROOT)


def one_line_error(proc, command):
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("p1gen %s: " % command), proc.stderr
    return lines[0]


def test_the_wheel_holds_the_firmware_the_boards_and_the_host_tools(dist):
    names = set(zipfile.ZipFile(dist).namelist())
    expected = {"p1host/firmware/main.py"}
    for top, prefix in (("firmware/p1gen", "p1gen"), ("host/p1host", "p1host"), ("boards", "p1host/boards")):
        for folder, dirs, files in os.walk(os.path.join(paths.ROOT, top)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            rel = os.path.relpath(folder, os.path.join(paths.ROOT, top))
            expected |= {"/".join(p for p in (prefix, rel, f) if p != ".") for f in files if not f.endswith(".pyc")}
    assert "p1gen/web/index.html" in expected and "p1host/boards/pico_w/board.py" in expected
    assert expected <= names, sorted(expected - names)
    # nothing else at the top of site-packages (no stray main.py, no tests)
    assert {n.split("/")[0] for n in names} == {"p1gen", "p1host", "p1gen-%s.dist-info" % p1gen.__version__}


def test_the_install_says_nothing_to_worry_about(installed):
    # pip's own WARNING/DEPRECATION/ERROR lines, and what it passes on from the build backend
    # (Python warnings such as setuptools' "BuildBackendWarning: Editable installation", framed by "!!")
    worrying = [line for line in installed.install_output.splitlines()
                if re.search(r"^\s*(WARNING|DEPRECATION|ERROR)\b|Warning\b|^\s*!!", line)
                and not PIP_CONFIG_NOTICE.search(line.strip())]
    assert worrying == [], installed.install_output


def test_no_simulator_is_installed(installed):
    for module in ("numpy", "pymodbus", "pvlib", "micropython_unix"):
        proc = run([installed.python, "-c", "import %s" % module], env=installed.env)
        assert proc.returncode == 1 and "ModuleNotFoundError" in proc.stderr, module


def test_one_version_everywhere(installed):
    proc = installed.p1gen("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == "p1gen %s" % p1gen.__version__
    meta = run([installed.python, "-c", "import importlib.metadata as m; print(m.version('p1gen'))"],
               env=installed.env)
    assert meta.stdout.strip() == p1gen.__version__


def test_every_command_is_listed_and_every_user_command_has_help(installed):
    listed = installed.p1gen("--help")
    assert listed.returncode == 0
    for name in USER_COMMANDS + SIM_COMMANDS:
        assert re.search(r"^\s+%s\b" % name, listed.stdout, re.M), name
    text = " ".join(listed.stdout.split())
    for name, _, help_text, extra in cli.COMMANDS:  # the listing says what the simulator's commands need
        if extra:
            assert "%s %s [needs pip install 'p1gen[%s]']" % (name, help_text, extra) in text, listed.stdout
    for name in USER_COMMANDS:
        proc = installed.p1gen(name, "--help")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("usage: p1gen %s" % name)


@pytest.mark.parametrize("argv", [(), ("--help",)])
def test_the_simulator_commands_name_their_extra_in_one_line(installed, argv):
    for name in SIM_COMMANDS:
        line = one_line_error(installed.p1gen(name, *argv), name)
        assert "pip install 'p1gen[sim]'" in line and "numpy" in line, line


def test_telegram_is_one_the_board_would_send(installed):
    proc = installed.p1gen("telegram", "--current", "16,2,-3", "--profile", "dsmr5", text=False)
    assert proc.returncode == 0, proc.stderr
    parser = TelegramParser(telegram_specifications.V5, apply_checksum_validation=True)
    parsed = parser.parse(proc.stdout.decode("ascii"), throw_ex=True)
    assert parsed.P1_MESSAGE_HEADER.value == "50"


def test_the_serial_commands_name_a_missing_port(installed, tmp_path):
    nowhere = str(tmp_path / "ttyUSB9")
    assert "cannot open %s" % nowhere in one_line_error(installed.p1gen("monitor", "--port", nowhere), "monitor")
    assert "no board found at %s" % nowhere in one_line_error(installed.p1gen("repl", "--port", nowhere), "repl")


def test_status_and_discover_run(installed):
    url = "http://127.0.0.1:%d" % runner.free_port()
    assert "cannot reach %s/api/status" % url in one_line_error(installed.p1gen("status", url), "status")
    closed = str(runner.free_port())
    proc = installed.p1gen("discover", "--hosts", "127.0.0.1", "--modbus-ports", closed, "--http-port", closed,
                           "--timeout-ms", "300")
    assert proc.returncode == 0 and proc.stdout.strip() == "nothing found on 1 addresses", proc.stdout + proc.stderr


def test_provision_dry_run_against_the_emulated_board(installed, tmp_path):
    config = tmp_path / "my.json"
    config.write_text('{"telegram": {"profile": "dsmr5"}, "web": {"port": %d}}' % runner.free_port())
    workdir = tmp_path / "board"
    workdir.mkdir()
    with EmuBoard(str(workdir)) as board:
        proc = installed.p1gen("provision", "--port", board.port, "--config", config, "--dry-run")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "p1gen %s for host; the board has no p1gen yet" % p1gen.__version__ in proc.stdout
        for path in ("/main.py", "/board.py", "/config.json", "/lib/p1gen/telegram/crc.mpy",
                     "/lib/p1gen/web/index.html", "/lib/microdot/microdot.mpy"):
            assert "  would write %s\n" % path in proc.stdout, (path, proc.stdout)
        assert board.files() == {}  # a dry run writes nothing


def test_provision_over_usb_then_an_update_over_wifi_from_the_install(installed, tmp_path):
    """What a user does with the installed tool: flash a board over USB, later update it over
    Wi-Fi; the dry run finds the firmware the install put there whole, file by file."""
    from otaboard import PASSWORD, config

    web_port = runner.free_port()
    cfg = tmp_path / "my.json"
    cfg.write_text(json.dumps(config(web_port)))
    workdir = tmp_path / "board"
    workdir.mkdir()
    with EmuBoard(str(workdir)) as board:
        proc = installed.p1gen("provision", "--port", board.port, "--config", cfg, "--wait", "60", timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        proc = installed.p1gen("provision", "--host", "127.0.0.1:%d" % web_port, "--dry-run",
                               env={"P1GEN_PASSWORD": PASSWORD})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "the board runs p1gen %s" % p1gen.__version__ in proc.stdout, proc.stdout
        assert "0 files to write" in proc.stdout, proc.stdout
