"""``python -m felles``: the same as the ``felles`` command."""

import sys

from felles.cli import main

sys.exit(main())
