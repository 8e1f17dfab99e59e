"""`python -m selfplay ...` is the `selfplay` command (and what `accelerate launch -m selfplay` runs)."""

import sys

from selfplay.cli import main

if __name__ == "__main__":
    sys.exit(main())
