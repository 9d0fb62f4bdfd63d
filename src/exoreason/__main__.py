"""``python -m exoreason``: the command line."""

from .cli import main

main()
