"""Files on flash that a power cut must never leave half written."""
import os

# called as on_write(path, nbytes) before each write: boards/host models a flash erase with it
# (the supervisor sets it from the board; None on a real board)
on_write = None


def write_atomic(path, content):
    """A temporary file renamed over path: a power cut leaves the old file or the new one.
    ``content`` is the text, or a function that writes it to the open file (in pieces)."""
    if on_write is not None:
        on_write(path, -1 if callable(content) else len(content))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        if callable(content):
            content(f)
        else:
            f.write(content)
    os.rename(tmp, path)
