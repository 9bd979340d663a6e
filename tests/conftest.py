import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# the MicroPython-compatible test modules import their helpers by plain name
sys.path.insert(0, os.path.join(HERE, "mp"))
