"""Place one test call to the running hotline with SIPp (see scripts/test-call, hotline/rehearsal/call.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hotline.rehearsal.call import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
