"""JSON over HTTP, the one way the host tools talk to a board's web API (`p1gen status`,
provision's wait for the first telegram, the demo, the benchmarks and tests)."""
import json
import urllib.error
import urllib.request


class WebError(RuntimeError):
    """A request that gave no usable answer, in one line. ``status``: the HTTP status (None when
    nothing answered); ``detail``: what the answer or the network said."""

    def __init__(self, message, status=None, detail=""):
        super().__init__(message)
        self.status = status
        self.detail = detail


def call(url, body=None, timeout=5, headers=None, method=None):
    """(answer, response headers) of one request whose answer is JSON; ``body`` (a JSON value)
    is sent as JSON, by POST unless ``method`` says otherwise."""
    headers = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as res:
            text, answer_headers = res.read(1 << 20), res.headers
    except urllib.error.HTTPError as e:
        detail = _error_text(e)
        raise WebError("%s answered HTTP %d: %s" % (url, e.code, detail), e.code, detail)
    except urllib.error.URLError as e:
        why = getattr(e.reason, "strerror", None) or str(e.reason)
        raise WebError("cannot reach %s: %s" % (url, why))
    except OSError as e:  # a timeout or a reset while reading
        raise WebError("cannot reach %s: %s" % (url, e.strerror or e))
    try:
        return json.loads(text.decode("utf-8")), answer_headers
    except ValueError:
        raise WebError("%s did not answer with JSON" % url, 200)


def get(url, timeout=5, headers=None):
    """The JSON answer of ``GET url``."""
    return call(url, timeout=timeout, headers=headers)[0]


def get_json(port, path, timeout=5):
    """The JSON answer of ``GET http://127.0.0.1:port/path`` (a firmware under the unix port)."""
    return get("http://127.0.0.1:%d%s" % (port, path), timeout)


def _error_text(e):
    """What an error answer says: the API's "error" (or "errors"), else the HTTP reason."""
    try:
        body = json.loads(e.read(4096).decode("utf-8"))
        if type(body) is dict:
            return str(body.get("error") or body.get("errors") or body)
    except (ValueError, OSError):
        pass
    return e.reason or "error"
