"""A running board's update API over HTTP (p1gen/web/update.py on the board; docs/update.md):
log in, list its firmware's files, send the ones that change, switch. Used by `p1gen provision --host`."""
import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request

from p1host import webapi
from p1host.errors import CommandError

PIECE = 4096  # the board's largest request body (p1gen.web.http.MAX_BODY)
FIRMWARE_DIRS = ("p1gen/", "microdot/")


class BoardHttp:
    """A login to the board at ``base`` (http://host[:port]); every call raises CommandError."""

    def __init__(self, base, password, timeout=10):
        self.base = base
        self.timeout = timeout
        self.sent = 0  # bytes of request bodies sent, the files' pieces and the JSON
        if not password:
            raise CommandError("an update over Wi-Fi needs the board's web password: put it in the config's "
                               "web.password or in the environment variable P1GEN_PASSWORD")
        try:
            _, headers = webapi.call(base + "/api/login", {"password": password}, timeout)
        except webapi.WebError as e:
            if e.status in (401, 403, 429):
                raise CommandError("login to %s failed: %s; nothing was written" % (base, e.detail))
            raise CommandError("%s (is the board on the network? see docs/troubleshooting.md)" % e)
        self.cookie = headers.get("Set-Cookie", "").split(";", 1)[0]

    def call(self, path, body=None, method=None):
        if body is not None:
            self.sent += len(json.dumps(body))
        try:
            return webapi.call(self.base + path, body, self.timeout, {"Cookie": self.cookie}, method)[0]
        except webapi.WebError as e:
            raise CommandError(str(e))

    def running_files(self):
        """{firmware path: (size, sha256)} of the firmware the board runs."""
        found, start = {}, 0
        while start is not None:
            page = self.call("/api/update/files?start=%d" % start)
            for path, size, digest in page["files"]:
                found[path] = (size, digest)
            start = page["next"]
        return found

    def upload(self, token, path, data):
        """Send one file in pieces; the board checks the last against its sha256."""
        digest = hashlib.sha256(data).hexdigest()
        offset = 0
        while True:
            piece = data[offset:offset + PIECE]
            query = urllib.parse.urlencode({"token": token, "path": path, "size": len(data), "sha256": digest,
                                            "offset": offset})
            self.post_raw("/api/update/file?" + query, piece)
            offset += len(piece)
            if offset >= len(data):
                return

    def post_raw(self, path, data):
        request = urllib.request.Request(self.base + path, data=data, method="POST", headers={
            "Cookie": self.cookie, "Content-Type": "application/octet-stream"})
        self.sent += len(data)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as res:
                return json.loads(res.read())
        except urllib.error.HTTPError as e:
            raise CommandError("%s answered HTTP %d: %s" % (self.base + path.split("?")[0], e.code,
                                                             webapi._error_text(e)))
        except OSError as e:
            raise CommandError("cannot reach %s: %s" % (self.base, getattr(e, "reason", None) or e))


def send(board, files, send_paths, changed, removals, version, confirm_s):
    """Send ``send_paths`` of ``files`` ({firmware path: bytes}), of which the board keeps the
    ``changed`` ones, and switch the board to them with ``removals`` removed; return what the
    board answered to the switch."""
    sent = sorted(send_paths)
    token = board.call("/api/update/begin", {"version": version, "bytes": sum(len(files[p]) for p in sent),
                                             "keep": sum(len(files[p]) for p in changed)})["token"]
    listing = []  # the board's list of what it received, line by line
    for path in sent:
        board.upload(token, path, files[path])
        listing.append("%s %d %s\n" % (path, len(files[path]), hashlib.sha256(files[path]).hexdigest()))
    return board.call("/api/update/commit", {"token": token, "files": len(listing), "remove": sorted(removals),
                                             "digest": hashlib.sha256("".join(listing).encode()).hexdigest(),
                                             "confirm_s": confirm_s})


def firmware_files(image):
    """{firmware path: bytes} from a board image {board path: bytes}: board.py, p1gen/...,
    microdot/...; not main.py (the fixed bootloader) nor the config (the board keeps its own)."""
    out = {}
    for path, data in image.items():
        if path == "/board.py":
            out["board.py"] = data
        elif path.startswith("/lib/"):
            out[path[len("/lib/"):]] = data
    return out
