"""The update over Wi-Fi (docs/update.md): /api/update/<step>, each behind a login (p1gen.web.api).

    GET  files?start=N      the running firmware's files, a page at a time:
                            {"files": [[path, size, sha256], ...], "next": N or null}
    POST begin              {"version", "bytes", "keep"}: clears what an earlier update left,
                            checks the flash has room for ``keep`` of the ``bytes`` it will
                            be sent (those that differ from the firmware's) -> {"token"}
    POST file?token=&path=&size=&sha256=&offset=   the next piece of a file (the body, at
                            most MAX_BODY bytes) into /fw/new; the last piece is checked
                            against sha256; a file the firmware already has is not kept
    POST commit             {"token", "files": n, "digest", "remove": [paths], "confirm_s"}:
                            the files received must be the host's (the sha256 of their
                            listing); the switch list and the boot record are written and
                            the board resets: main.py moves the files in, on trial

One update at a time; nothing is written outside /fw until main.py switches, and each piece
waits for its turn between two telegrams (p1gen.app.update.flash_turn). Paths are those of
the firmware: board.py, p1gen/..., microdot/...
"""
import binascii
import hashlib
import os

from p1gen import ticks
from p1gen.app import update as slots
from p1gen.app.aio import const, sleep_ms
from p1gen.app.files import write_atomic
from p1gen.web.http import error, reply

MAX_FILE = const(131072)
_IDLE_MS = const(30000)  # an update without a request this long gives way to a new one
_PIECE = const(2048)
_PAGE = const(12)
_RESET_MS = const(500)
_PART = ".part"  # a file while it arrives
TOPS = ("p1gen", "microdot")
LISTING = "fw/received.txt"  # "path size sha256" for each file received and verified
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

_job = []  # the update running now, at most one


class Job:
    def __init__(self, version, size):
        self.token = binascii.hexlify(os.urandom(16)).decode()
        self.version = version
        self.room = size  # bytes the host said it sends, at most
        self.last_ms = ticks.ms()
        self.file = None  # [path, size, sha256, hash so far, bytes so far] of the file being uploaded


def safe_path(path):
    """A firmware file: board.py, or p1gen/... or microdot/... without a way out."""
    if type(path) is not str or len(path) > 80:
        return False
    if path == "board.py":
        return True
    parts = path.split("/")
    if len(parts) < 2 or parts[0] not in TOPS:
        return False
    for part in parts:
        if part in ("", ".", "..") or part[0] == ".":
            return False
        for c in part:
            if c not in _NAME_CHARS:
                return False
    return True


def _walk(folder, rel, out):
    try:
        entries = list(os.ilistdir(folder))
    except OSError:
        return
    for entry in entries:
        if entry[1] & 0x4000:
            _walk(folder + "/" + entry[0], rel + entry[0] + "/", out)
        else:
            out.append(rel + entry[0])


def _files():
    """The running firmware's files, sorted."""
    out = []
    for top in TOPS:
        _walk("lib/" + top, top + "/", out)
    try:
        os.stat("board.py")
        out.append("board.py")
    except OSError:
        pass
    out.sort()
    return out


async def _hash(path):
    """(size, sha256 hex) of a file; None when it is not there."""
    h = hashlib.sha256()
    buf = bytearray(_PIECE)
    size = 0
    try:
        f = open(path, "rb")
    except OSError:
        return None
    with f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(buf[:n] if n < _PIECE else buf)
            size += n
            await sleep_ms(0)
    return size, binascii.hexlify(h.digest()).decode()


async def _clear(device):
    """Remove what an earlier update left in /fw (its staged, old and switch files)."""
    for path in (slots.SWITCH, LISTING):
        try:
            os.remove(path)
        except OSError:
            pass
    for folder in (slots.NEW, slots.OLD):
        for _ in slots.remove_tree(folder):
            await slots.flash_turn(device, None, None)


def _makedirs(path):
    parts = path.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        try:
            os.mkdir("/".join(parts[:i]))
        except OSError:
            pass


async def _list_verified(device, path, size, digest):
    await slots.flash_turn(device, LISTING, 64)
    with open(LISTING, "a") as f:
        f.write("%s %d %s\n" % (path, size, digest))


async def handle(req, step, body):
    device = req.app.device
    if step == "files" and req.method == "GET":
        return await _listing(req)
    if step == "begin" and req.method == "POST":
        return await _begin(device, body)
    job = _job[0] if _job else None
    token = body.get("token") if type(body) is dict else req.args.get("token")
    if job is None or token != job.token:
        return error(409, "no such update running (it was replaced or timed out): begin again")
    job.last_ms = ticks.ms()
    if step == "file" and req.method == "POST":
        return await _file(device, job, req)
    if step == "commit" and req.method == "POST":
        return await _commit(device, job, body)
    return error(404, "no such update step: see docs/update.md")


async def _listing(req):
    names = _files()
    try:
        start = int(req.args.get("start", 0))
    except ValueError:
        return error(400, "start: a number")
    out = []
    for name in names[start:start + _PAGE]:
        size, digest = await _hash(slots.live(name)) or (0, "")
        out.append([name, size, digest])
    more = start + _PAGE < len(names)
    return reply({"files": out, "next": start + _PAGE if more else None})


async def _begin(device, body):
    if type(body) is not dict or type(body.get("version")) is not str or type(body.get("bytes")) is not int:
        return error(400, "send {\"version\": text, \"bytes\": what will be sent}")
    job = _job[0] if _job else None
    if job is not None and ticks.diff(ticks.ms(), job.last_ms) < _IDLE_MS:
        return error(409, "another update is running: try again once it is done")
    if slots.record().get("state", "ok") != "ok":
        return error(409, "the running firmware is on trial until it confirms itself (%d s after its boot): "
                          "try again then" % slots.record().get("confirm_s", slots.CONFIRM_S))
    _job[:] = []
    await _clear(device)
    _makedirs(slots.NEW + "/x")
    stat = os.statvfs(".")
    free = stat[0] * stat[3]
    keep = body.get("keep", body["bytes"])  # of what is sent, the files the firmware does not have yet
    need = (keep if type(keep) is int else body["bytes"]) + 8 * stat[0]  # the lists, the record, folders
    if need > free:
        return error(507, "not enough flash for the update: it needs %d KB, %d KB are free (update over USB)" % (
            need // 1024, free // 1024))
    job = Job(body["version"], body["bytes"])
    _job.append(job)
    return reply({"token": job.token})


def _spend(job, size):
    """Count ``size`` bytes against the room the update asked for; False when it is used up."""
    if size > job.room:
        return False
    job.room -= size
    return True


async def _file(device, job, req):
    args = req.args
    path = args.get("path")
    try:
        size = int(args.get("size"))
        offset = int(args.get("offset"))
    except (TypeError, ValueError):
        return error(400, "size and offset: numbers")
    digest = args.get("sha256")
    if not safe_path(path) or type(digest) is not str or len(digest) != 64:
        return error(400, "path: not a firmware file (board.py, p1gen/..., microdot/...)")
    if size > MAX_FILE:
        return error(413, "a firmware file is at most %d bytes" % MAX_FILE)
    data = req.body or b""
    target = slots.NEW + "/" + path
    current = job.file
    if offset == 0:
        if not _spend(job, size):
            return error(413, "more bytes than the update said it has")
        stat = os.statvfs(".")
        if size + 2 * stat[0] > stat[0] * stat[3]:
            return error(507, "not enough flash for %s: %d KB free (update over USB)" % (
                path, stat[0] * stat[3] // 1024))
        current = job.file = [path, size, digest, hashlib.sha256(), 0]
        _makedirs(target)
    elif current is None or current[0] != path or current[4] != offset:
        return error(409, "expected %s" % ("a file from offset 0" if current is None else
                                           "%s from offset %d" % (current[0], current[4])))
    if offset + len(data) > size:
        job.file = None
        return error(413, "%s: more than its %d bytes" % (path, size))
    await slots.flash_turn(device, target, len(data))
    try:
        with open(target + _PART, "ab" if offset else "wb") as f:
            f.write(data)
    except OSError as e:
        job.file = None
        return error(507, "%s not written (%s): is the flash full? (update over USB)" % (path, e))
    current[3].update(data)
    current[4] += len(data)
    if current[4] < size:
        return reply({"have": current[4]})
    job.file = None
    await slots.flash_turn(device, None, None)
    if binascii.hexlify(current[3].digest()).decode() != digest:
        os.remove(target + _PART)
        return error(400, "%s: its sha256 does not match: not kept" % path)
    if await _hash(slots.live(path)) == (size, digest):  # the firmware has it already
        os.remove(target + _PART)
    else:
        os.rename(target + _PART, target)  # only whole, checked files are ever under their name
    await _list_verified(device, path, size, digest)
    return reply({"have": size})


async def _commit(device, job, body):
    if job.file is not None:
        return error(400, "%s: only %d of its %d bytes arrived" % (job.file[0], job.file[4], job.file[1]))
    confirm_s = body.get("confirm_s", slots.CONFIRM_S)
    if type(confirm_s) is not int or not 2 <= confirm_s <= 600:
        return error(400, "confirm_s: 2 to 600 seconds")
    h = hashlib.sha256()
    count = 0
    try:
        with open(LISTING, "rb") as f:
            while True:
                line = f.readline()
                if not line:
                    break
                h.update(line)
                count += 1
    except OSError:
        pass
    if count != body.get("files") or binascii.hexlify(h.digest()).decode() != body.get("digest"):
        return error(400, "the staged files are not the image (%d files verified, %s expected): nothing "
                          "switched" % (count, body.get("files")))
    removed = body.get("remove") or []
    if type(removed) is not list or not all(safe_path(p) for p in removed):
        return error(400, "remove: a list of firmware files")
    staged = []
    _walk(slots.NEW, "", staged)
    staged = [p for p in staged if not p.endswith(_PART)]
    lines = ["%s %s\n" % ("replace" if _exists(slots.live(p)) else "add", p) for p in staged]
    lines += ["remove %s\n" % p for p in removed if _exists(slots.live(p)) and p not in staged]
    if not lines:
        _job[:] = []
        return reply({"switched": 0})
    import p1gen

    await slots.flash_turn(device, slots.SWITCH, 64 * len(lines))
    write_atomic(slots.SWITCH, lambda f: [f.write(line) for line in lines])
    rec = slots.record()
    rec.update(state="switch", version=job.version, previous_version=p1gen.__version__, tries=0,
               confirm_s=confirm_s, error=None, result="switching to %s" % job.version)
    await slots.flash_turn(device, slots.BOOT, 256)
    slots.save(rec)  # from here main.py moves the files in at the next boot
    _job[:] = []
    import asyncio

    asyncio.create_task(_reset_soon(device, job.version))
    return reply({"switched": len(lines), "reset_in_ms": _RESET_MS})


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


async def _reset_soon(device, version):
    """After the answer has gone out: the supervisor resets the board into the new firmware."""
    await sleep_ms(_RESET_MS)
    sup = device.tasks["telegram"].supervisor
    if sup is not None:
        sup.reason = "update to %s" % version
    else:
        device.board.reset()
