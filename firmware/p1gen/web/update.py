"""The update over Wi-Fi (docs/update.md): /api/update/<step>, each behind a login (p1gen.web.api).

    GET  files?start=N      the running firmware's files, a page at a time:
                            {"slot", "files": [[path, size, sha256], ...], "next": N or null}
    POST begin              {"version", "bytes"}: empties the other slots, stages into one
                            -> {"token", "slot"}
    POST copy               {"token", "files": [[path, size, sha256], ...]}: unchanged files,
                            copied from the running firmware -> {"missing": [paths not copied]}
    POST file?token=&path=&size=&sha256=&offset=   the next piece of a file (the body, at
                            most MAX_BODY bytes); the last piece is checked against sha256
    POST commit             {"token", "files": n, "digest", "confirm_s"}: the staged set must
                            be the image (its listing's sha256); the boot record names it, the
                            board resets into it, on trial (p1gen.app.update)

One update at a time; it writes only into the slot it stages, never into the running one,
and each piece waits for its turn between two telegrams (p1gen.app.update.flash_turn).
Paths are relative to a slot: board.py, p1gen/..., microdot/...
"""
import binascii
import hashlib
import os

from p1gen import ticks
from p1gen.app import update as slots
from p1gen.app.aio import const, sleep_ms
from p1gen.web.http import error, reply

MAX_FILE = const(131072)
_IDLE_MS = const(30000)  # an update without a request this long gives way to a new one
_PIECE = const(2048)
_PAGE = const(12)
_RESET_MS = const(500)
TOPS = ("p1gen", "microdot")
LISTING = "files.txt"  # in the staged slot: "path size sha256" for each verified file
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

_job = []  # the update running now, at most one


class Job:
    def __init__(self, slot, version, size):
        self.token = binascii.hexlify(os.urandom(16)).decode()
        self.slot = slot
        self.version = version
        self.room = size  # bytes the host said it sends or copies, at most
        self.last_ms = ticks.ms()
        self.file = None  # [path, size, sha256, hash so far, bytes so far] of the file being uploaded


def safe_path(path):
    """A file a slot may hold: board.py, or p1gen/... or microdot/... without a way out."""
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


def _where(slot, path):
    if slot == "lib" and path == "board.py":
        return "/board.py"
    return slots.slot_dir(slot) + "/" + path


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


def _files(slot):
    out = []
    for top in TOPS:
        _walk(slots.slot_dir(slot) + "/" + top, top + "/", out)
    try:
        os.stat(_where(slot, "board.py"))
        out.append("board.py")
    except OSError:
        pass
    out.sort()
    return out


async def _hash(path):
    h = hashlib.sha256()
    buf = bytearray(_PIECE)
    size = 0
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(buf[:n] if n < _PIECE else buf)
            size += n
            await sleep_ms(0)
    return size, binascii.hexlify(h.digest()).decode()


async def _remove_tree(device, path):
    try:
        entries = list(os.ilistdir(path))
    except OSError:
        return
    for entry in entries:
        p = path + "/" + entry[0]
        if entry[1] & 0x4000:
            await _remove_tree(device, p)
        else:
            await slots.flash_turn(device, None, None)
            os.remove(p)
    os.rmdir(path)


def _makedirs(path):
    parts = path.split("/")[1:-1]
    for i in range(1, len(parts) + 1):
        try:
            os.mkdir("/" + "/".join(parts[:i]))
        except OSError:
            pass


async def _list_verified(device, job, path, size, digest):
    listing = slots.slot_dir(job.slot) + "/" + LISTING
    await slots.flash_turn(device, listing, 64)
    with open(listing, "a") as f:
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
    if step == "copy" and req.method == "POST":
        return await _copy(device, job, body)
    if step == "file" and req.method == "POST":
        return await _file(device, job, req)
    if step == "commit" and req.method == "POST":
        return await _commit(device, job, body)
    return error(404, "no such update step: see docs/update.md")


async def _listing(req):
    slot = slots.running_slot()
    names = _files(slot)
    try:
        start = int(req.args.get("start", 0))
    except ValueError:
        return error(400, "start: a number")
    out = []
    for name in names[start:start + _PAGE]:
        size, digest = await _hash(_where(slot, name))
        out.append([name, size, digest])
    more = start + _PAGE < len(names)
    return reply({"slot": slot, "files": out, "next": start + _PAGE if more else None})


async def _begin(device, body):
    if type(body) is not dict or type(body.get("version")) is not str or type(body.get("bytes")) is not int:
        return error(400, "send {\"version\": text, \"bytes\": the image's size}")
    job = _job[0] if _job else None
    if job is not None and ticks.diff(ticks.ms(), job.last_ms) < _IDLE_MS:
        return error(409, "another update is running: try again once it is done")
    if not slots.status()["confirmed"]:
        return error(409, "the running firmware is on trial until it confirms itself (%d s after its boot): "
                          "try again then" % slots.record().get("confirm_s", slots.CONFIRM_S))
    running = slots.running_slot()
    _job[:] = []
    for slot in ("lib", "a", "b"):  # only the running firmware is kept: the flash holds two
        if slot != running:
            for top in TOPS:
                await _remove_tree(device, slots.slot_dir(slot) + "/" + top)
            if slot != "lib":
                await _remove_tree(device, slots.slot_dir(slot))
    target = "b" if running == "a" else "a"
    _makedirs(slots.slot_dir(target) + "/x")
    stat = os.statvfs("/")
    free = stat[0] * stat[3]
    need = body["bytes"] + 16 * stat[0]  # a block a file or so; the boot record, the listing
    if need > free:
        return error(507, "not enough flash for the new firmware: it needs %d KB, %d KB are free" % (
            need // 1024, free // 1024))
    job = Job(target, body["version"], body["bytes"])
    _job.append(job)
    return reply({"token": job.token, "slot": target})


def _entry(item):
    """(path, size, sha256) of a listed file, or None."""
    if type(item) is not list or len(item) != 3:
        return None
    path, size, digest = item
    if not safe_path(path) or type(size) is not int or not 0 <= size <= MAX_FILE or type(digest) is not str:
        return None
    return path, size, digest


def _spend(job, size):
    """Count ``size`` bytes against the room the update asked for; False when it is used up."""
    if size > job.room:
        return False
    job.room -= size
    return True


async def _copy(device, job, body):
    items = body.get("files")
    if type(items) is not list:
        return error(400, "files: a list of [path, size, sha256]")
    running = slots.running_slot()
    missing = []
    buf = bytearray(_PIECE)
    for item in items:
        entry = _entry(item)
        if entry is None:
            return error(400, "files: %r is not [path, size, sha256] of a firmware file" % (item,))
        path, size, digest = entry
        if not _spend(job, size):
            return error(413, "more bytes than the update said it has")
        target = _where(job.slot, path)
        _makedirs(target)
        h = hashlib.sha256()
        try:
            with open(_where(running, path), "rb") as src, open(target, "wb") as dst:
                while True:
                    n = src.readinto(buf)
                    if not n:
                        break
                    piece = buf[:n] if n < _PIECE else buf
                    h.update(piece)
                    await slots.flash_turn(device, target, n)
                    dst.write(piece)
        except OSError:
            missing.append(path)
            continue
        if binascii.hexlify(h.digest()).decode() != digest:
            os.remove(target)
            missing.append(path)
            continue
        await _list_verified(device, job, path, size, digest)
    return reply({"missing": missing})


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
    target = _where(job.slot, path)
    current = job.file
    if offset == 0:
        if not _spend(job, size):
            return error(413, "more bytes than the update said it has")
        current = job.file = [path, size, digest, hashlib.sha256(), 0]
        _makedirs(target)
    elif current is None or current[0] != path or current[4] != offset:
        return error(409, "expected %s" % ("a file from offset 0" if current is None else
                                           "%s from offset %d" % (current[0], current[4])))
    if offset + len(data) > size:
        job.file = None
        return error(413, "%s: more than its %d bytes" % (path, size))
    await slots.flash_turn(device, target, len(data))
    with open(target, "ab" if offset else "wb") as f:
        f.write(data)
    current[3].update(data)
    current[4] += len(data)
    if current[4] < size:
        return reply({"have": current[4]})
    job.file = None
    if binascii.hexlify(current[3].digest()).decode() != digest:
        os.remove(target)
        return error(400, "%s: its sha256 does not match: not kept" % path)
    await _list_verified(device, job, path, size, digest)
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
        with open(slots.slot_dir(job.slot) + "/" + LISTING, "rb") as f:
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
    import p1gen

    rec = {"slot": job.slot, "previous": slots.running_slot(), "version": job.version,
           "previous_version": p1gen.__version__, "confirmed": False, "tries": 0, "confirm_s": confirm_s,
           "result": "on trial: %s until it confirms itself" % job.version, "error": None}
    await slots.flash_turn(device, slots.BOOT, 256)
    slots.save(rec)
    _job[:] = []
    import asyncio

    asyncio.create_task(_reset_soon(device, job.version))
    return reply({"slot": job.slot, "reset_in_ms": _RESET_MS})


async def _reset_soon(device, version):
    """After the answer has gone out: the supervisor resets the board into the new firmware."""
    await sleep_ms(_RESET_MS)
    sup = device.tasks["telegram"].supervisor
    if sup is not None:
        sup.reason = "update to %s" % version
    else:
        device.board.reset()
