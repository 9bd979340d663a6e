"""Files on flash that a power cut must never leave half written."""
import os


def write_atomic(path, text):
    """A temporary file renamed over path: a power cut leaves the old file or the new one."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)
