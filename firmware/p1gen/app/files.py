"""Files on flash that a power cut must never leave half written."""
import os


def write_atomic(path, content):
    """A temporary file renamed over path: a power cut leaves the old file or the new one.
    ``content`` is the text, or a function that writes it to the open file (in pieces)."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        if callable(content):
            content(f)
        else:
            f.write(content)
    os.rename(tmp, path)
