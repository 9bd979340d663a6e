"""Files on flash that a power cut must never leave half written."""
import os

# called as on_write(path, nbytes) before each write: boards/host models a flash erase with it
# (the supervisor sets it from the board; None on a real board)
on_write = None


def write_atomic(path, text):
    """A temporary file renamed over path: a power cut leaves the old file or the new one."""
    if on_write is not None:
        on_write(path, len(text))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)
