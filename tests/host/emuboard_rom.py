"""The boot ROM of an emulated Pico W, run by the MicroPython unix port.

It does what the rp2 port does at power-up: mount the flash (littlefs2 on a
block device; here a file of the same size, P1GEN_FLASH) at /, make it the
current directory, set sys.path to ('', '.frozen', '/lib'), then run /main.py
in friendly-REPL mode. `micropython -i` drops into the REPL afterwards, where
mpremote finds it; machine.soft_reset() ends the process, and the test harness
(emuboard.py) starts it again behind a new pty: the board's reset. Its UART is file
descriptor 9, opened by the launcher (P1GEN_UART=fd:9): the flash is all the
emulated board sees of a file system.
"""
import os
import sys
import vfs

_BLOCK = 4096


class FileFlash:
    """A littlefs block device (extended interface) backed by one host file."""

    def __init__(self, path):
        self.file = open(path, "r+b")
        self.file.seek(0, 2)
        self.blocks = self.file.tell() // _BLOCK

    def readblocks(self, block, buf, offset=0):
        self.file.seek(block * _BLOCK + offset)
        self.file.readinto(buf)

    def writeblocks(self, block, buf, offset=None):
        if offset is None:
            self.ioctl(6, block)
            offset = 0
        self.file.seek(block * _BLOCK + offset)
        self.file.write(buf)
        self.file.flush()

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.blocks
        if op == 5:  # block size
            return _BLOCK
        if op == 6:  # erase
            self.file.seek(arg * _BLOCK)
            self.file.write(b"\xff" * _BLOCK)
            return 0
        return 0


def _mount():
    flash = FileFlash(os.getenv("P1GEN_FLASH"))
    try:
        fs = vfs.VfsLfs2(flash)
    except OSError:
        vfs.VfsLfs2.mkfs(flash)
        fs = vfs.VfsLfs2(flash)
    vfs.umount("/")
    vfs.mount(fs, "/")
    os.chdir("/")
    sys.path[:] = ["", ".frozen", "/lib"]


def _run_main():
    try:
        open("main.py").close()
    except OSError:
        return
    try:
        exec(open("main.py").read(), {"__name__": "__main__"})
    except KeyboardInterrupt:
        print("KeyboardInterrupt")
    except SystemExit:  # the firmware asked for a reset (the unix port has no machine.reset): the
        # process ends (machine.soft_reset() would leave it at the REPL while -i is in force)
        os.system("kill -9 $PPID")  # the unix port has no os.kill: the shell's parent is this process
    except Exception as e:
        sys.print_exception(e)


_mount()
del FileFlash, _mount
if not os.getenv("P1GEN_ROM_MOUNT_ONLY"):  # set by the tests to read the flash
    _run_main()
del _run_main
