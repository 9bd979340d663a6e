"""Every firmware and board file compiles with mpy-cross (mpy v6.3, as on the board)
and pyright with the MicroPython rp2 Pico W stubs reports no error."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import check_firmware  # noqa: E402


def test_mpy_cross_compiles_every_firmware_file():
    files = check_firmware.firmware_files()
    assert len(files) > 10
    assert check_firmware.compile_all(files) == []


def test_pyright_reports_no_error_against_the_pico_w_stubs():
    errors, report = check_firmware.pyright()
    assert errors == 0, report
