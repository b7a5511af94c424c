"""`python -m stylegram ...`: the same command line as the `stylegram` script."""

import sys

from .cli import main

sys.exit(main())
