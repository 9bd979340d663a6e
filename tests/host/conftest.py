import json
import os
import sys

import pytest

from p1host import runner

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from emuboard import EmuBoard  # noqa: E402


@pytest.fixture
def write_config(tmp_path):
    def write(values, name="my.json"):
        path = tmp_path / name
        path.write_text(json.dumps(values) if not isinstance(values, str) else values)
        return str(path)

    return write


@pytest.fixture
def emu_board(tmp_path):
    """A factory of emulated boards (started); every one is stopped at the end."""
    boards = []

    def make(**kwargs):
        workdir = tmp_path / ("board%d" % len(boards))
        workdir.mkdir()
        board = EmuBoard(str(workdir), **kwargs).start()
        boards.append(board)
        return board

    yield make
    for board in boards:
        board.stop()


@pytest.fixture
def web_port():
    return runner.free_port()
