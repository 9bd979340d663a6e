"""`p1gen repl`: the board's MicroPython REPL through mpremote, for diagnostics.

Connecting interrupts the running firmware (Ctrl-C), as any REPL does; press
Ctrl-D in the REPL to soft-reset and run it again, Ctrl-] to leave.
"""
import subprocess

from p1host import paths
from p1host.board_link import find_port
from p1host.errors import CommandError


def add_arguments(parser):
    parser.description = __doc__.split("\n\n", 1)[1].strip()
    parser.add_argument("--port", default="auto",
                        help="the board's USB serial port (default: auto, the first Raspberry Pi USB device)")


def run(args):
    port = find_port(args.port)
    _check_free(port)
    try:
        mpremote = paths.tool("mpremote")
    except FileNotFoundError as e:
        raise CommandError(str(e))
    print("REPL of the board at %s: Ctrl-C stops the firmware, Ctrl-D restarts it, Ctrl-] leaves" % port, flush=True)
    code = subprocess.call([mpremote, "connect", port, "repl"])
    if code != 0:
        raise CommandError("mpremote ended with status %d on %s" % (code, port))
    return 0


def _check_free(port):
    """Open and close the port first, so a busy or missing port gets one clear line."""
    import serial

    try:
        serial.serial_for_url(port, exclusive=True).close()
    except (serial.SerialException, OSError) as e:
        raise CommandError("cannot open %s: %s (is another program such as Thonny, `p1gen monitor` or "
                           "`mpremote` using it?)" % (port, e.strerror or "busy or not a serial port"))
