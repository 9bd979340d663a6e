"""Run test modules under the MicroPython unix port (pytest runs the same files on CPython).

    MICROPYPATH=firmware:boards/host:tests/mp micropython tests/mp/run.py test_telegram ...

Runs every top-level ``test_*`` function of each module, prints one line per
failure and a closing line "N passed, N failed"; exits 1 on any failure.
"""
import sys


def main(names):
    passed = failed = 0
    for name in names:
        if name.endswith(".py"):
            name = name.rsplit("/", 1)[-1][:-3]
        module = __import__(name)
        for attr in sorted(dir(module)):
            if not attr.startswith("test_"):
                continue
            fn = getattr(module, attr)
            if not callable(fn):
                continue
            try:
                fn()
                passed += 1
            except Exception as e:
                failed += 1
                print("FAIL %s.%s" % (name, attr))
                sys.print_exception(e)
    print("%d passed, %d failed" % (passed, failed))
    return failed


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1:]) else 0)
