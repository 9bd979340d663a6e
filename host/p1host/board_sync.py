"""Make the board hold exactly an image: list what it has (size and SHA-256 of every managed
file), plan what to write and remove, check the flash has room, apply the plan. Files outside
/lib/p1gen, /lib/microdot and /fw (what updates over Wi-Fi leave) other than /main.py, /board.py
and /config.json are never touched."""
import ast
import hashlib

from p1host.errors import CommandError

MANAGED_DIRS = ("/lib/p1gen", "/lib/microdot", "/fw")  # /fw: what updates over Wi-Fi staged (docs/update.md)
CONFIG_PATH = "/config.json"
FLASH_MARGIN = 4 * 4096  # littlefs metadata and the temporary config file

# Run on the board: one line per managed file, repr((path, size, sha256 hex or None)).
_LIST_FILES = """
import os
try:
    import hashlib, binascii
except ImportError:
    hashlib = None
def _p1_hash(p):
    if hashlib is None:
        return None
    h = hashlib.sha256()
    b = bytearray(512)
    with open(p, 'rb') as f:
        while True:
            n = f.readinto(b)
            if not n:
                break
            h.update(b[:n])
    return binascii.hexlify(h.digest()).decode()
def _p1_walk(d):
    try:
        entries = list(os.ilistdir(d))
    except OSError:
        return
    for e in entries:
        p = d + '/' + e[0]
        if e[1] & 0x4000:
            _p1_walk(p)
        else:
            print(repr((p, os.stat(p)[6], _p1_hash(p))))
for _p1_d in %r:
    _p1_walk(_p1_d)
for _p1_f in %r:
    try:
        print(repr((_p1_f, os.stat(_p1_f)[6], _p1_hash(_p1_f))))
    except OSError:
        pass
"""


def list_board_files(board):
    """{path: (size, sha256 hex or None)} of the managed files on the board."""
    code = _LIST_FILES % (MANAGED_DIRS, ("/main.py", "/board.py", CONFIG_PATH))
    found = {}
    for line in board.exec(code, timeout=60).splitlines():
        if line.strip():
            path, size, digest = ast.literal_eval(line.strip())
            found[path] = (size, digest)
    return found


class Plan:
    """What to write and what to remove so the board holds exactly ``files``."""

    def __init__(self, files, on_board, managed=MANAGED_DIRS):
        """managed: the prefixes of the paths the plan may remove."""
        self.files = files
        self.on_board = on_board
        self.writes = [p for p in sorted(files) if on_board.get(p, (None, None))[1] != _sha256(files[p])]
        self.removals = sorted(p for p in on_board if p not in files and p.startswith(managed))
        self.unchanged = len(files) - len(self.writes)

    def summary(self):
        size = sum(len(self.files[p]) for p in self.writes)
        return "%d file%s to write (%d KB), %d unchanged, %d to remove" % (
            len(self.writes), "" if len(self.writes) == 1 else "s", (size + 1023) // 1024, self.unchanged,
            len(self.removals))

    def extra_bytes(self, block):
        """Flash the plan needs beyond what it frees, in whole blocks."""
        def blocks(n):
            return (n + block - 1) // block * block

        grow = sum(blocks(len(self.files[p])) - blocks(self.on_board.get(p, (0, None))[0]) for p in self.writes)
        return grow - sum(blocks(self.on_board[p][0]) for p in self.removals) + FLASH_MARGIN


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def check_flash(plan, info):
    """Refuse a plan the board's flash (its BoardInfo's statvfs) has no room for."""
    block, _, _, free_blocks = info.statvfs[:4]
    need, free = plan.extra_bytes(block), block * free_blocks
    if need > free:
        raise CommandError("not enough flash: the firmware needs %d KB more, the board has %d KB free (remove "
                           "your own files with `mpremote fs rm`, or erase the flash: see README, Install and "
                           "flash)" % ((need + 1023) // 1024, free // 1024))


def apply_plan(board, plan):
    from mpremote.transport import TransportExecError

    made = set()
    for path in plan.removals:
        board.exec("import os\nos.remove(%r)" % path)
    for path in plan.writes:
        parts = path.split("/")[:-1]
        for i in range(2, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in made:
                board.exec("import os\ntry:\n os.mkdir(%r)\nexcept OSError:\n pass" % d)
                made.add(d)
        try:
            if path == CONFIG_PATH:
                _write_config(board, plan.files[path])
            else:
                board.write_file(path, plan.files[path])
        except (TransportExecError, OSError) as e:
            why = str(e).strip().splitlines()
            raise CommandError("writing %s failed: %s" % (path, why[-1] if why else e))
        print("  wrote %s" % path)


def _write_config(board, data):
    """Temp file + rename, so a power cut leaves the old or the new config, never half of one."""
    tmp = CONFIG_PATH + ".new"
    board.write_file(tmp, data)
    board.exec("import os\ntry:\n os.remove(%r)\nexcept OSError:\n pass\ntry:\n os.rename(%r, %r)\n"
               "except OSError:\n pass\nos.rename(%r, %r)" % (CONFIG_PATH + ".bak", CONFIG_PATH,
                                                           CONFIG_PATH + ".bak", tmp, CONFIG_PATH))
