"""Load benchmark for the rooms system: `python -m bench crowd|capacity|bigroom|quiet`.

Every run starts a private stack on loopback ports, measures it, and writes its figures to
bench/results/ as JSON and PNG.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The benchmark drives the real system through the end-to-end harness in tests/, which
# imports the server packages by their top-level names: both need the repository root.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
