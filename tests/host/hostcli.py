"""Running the `p1gen` command as a user would, and checking its errors."""
import subprocess
import sys


def p1gen(*argv, timeout=300, **kwargs):
    """Run `p1gen ARGV...` (this interpreter's package); return the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "p1host"] + [str(a) for a in argv], capture_output=True,
                          text=True, timeout=timeout, **kwargs)


def one_line_error(proc, command):
    """The command failed with exactly one line on stderr, naming the command; return that line."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("p1gen %s: " % command), lines[0]
    return lines[0]
