"""Write docs/codes.md from compiler/codes.yaml: `python docs/regenerate.py` (with the venv's python).

The page is generated so that it cannot drift from what SARIF reports carry; tests/unit/test_codes.py fails
when the committed page is not what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's compiler, installed or not

from compiler.codes import markdown, table  # noqa: E402

PAGE = Path(__file__).resolve().parent / "codes.md"

if __name__ == "__main__":
    PAGE.write_text(markdown(table()), encoding="utf-8")
    print(f"wrote {PAGE}")
