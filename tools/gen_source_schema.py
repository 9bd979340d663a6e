"""Generate the settings schema of every energy source kind for the board's page.

``GET /api/schema?source=KIND`` streams firmware/p1gen/web/schema/KIND.json as the
"source" section of its answer: importing a source module to read its OPTIONS takes
more heap than a request may (about 15 KB for a Modbus kind), so the board reads this
file instead. It is generated from the OPTIONS, and tests/web/test_web_units.py keeps
it current:

    python tools/gen_source_schema.py           # write the files
    python tools/gen_source_schema.py --check   # exit 1 when one is stale
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "firmware"))
FOLDER = os.path.join(ROOT, "firmware", "p1gen", "web", "schema")

from p1gen.app import config  # noqa: E402
from p1gen.sources import KINDS  # noqa: E402
from p1gen.web.http import option_view  # noqa: E402


def texts():
    """{file name: text}: for each kind (and "none") the "source" section of the schema."""
    kind = {"name": "kind", "kind": "str", "default": "none", "help": "where the energy data comes from",
            "secret": False, "lo": None, "hi": None, "choices": ["none"] + list(KINDS)}
    out = {}
    for name in ("none",) + tuple(KINDS):
        options = [kind] + [option_view(o) for o in config.source_options(name) if o.name != "kind"]
        out[name + ".json"] = json.dumps(options, separators=(",", ":"), ensure_ascii=True)
    return out


def stale():
    """The files that differ from what the OPTIONS say."""
    found = []
    for name, text in texts().items():
        path = os.path.join(FOLDER, name)
        if not os.path.exists(path) or open(path).read() != text:
            found.append(name)
    if os.path.isdir(FOLDER):
        found += [n for n in os.listdir(FOLDER) if n not in texts()]
    return found


def main(argv):
    if "--check" in argv:
        bad = stale()
        if bad:
            print("stale: %s (run python tools/gen_source_schema.py)" % ", ".join(bad))
            return 1
        return 0
    os.makedirs(FOLDER, exist_ok=True)
    for name, text in texts().items():
        with open(os.path.join(FOLDER, name), "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
