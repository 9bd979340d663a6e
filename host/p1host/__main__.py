import sys

from p1host.cli import main

sys.exit(main())
