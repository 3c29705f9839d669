"""`python -m bot` is the same as `dars`."""

import sys

from bot.cli import main

sys.exit(main())
