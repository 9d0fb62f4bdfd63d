"""``python -m exoreason`` and the ``exoreason`` command.

The command line's modules are imported inside ``main`` so that Ctrl-C while they load is one
line, not a traceback.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("exoreason: interrupted\n")
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()
