"""``python -m ssl_studio`` runs the command line (see cli.py)."""

import sys

from ssl_studio.cli import main

if __name__ == "__main__":
    sys.exit(main())
