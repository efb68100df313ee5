"""The generated tables of docs/designs.md match the declarations (read only: never writes).

``python3 dev.py regen`` rewrites them (it runs ``docs/generate.py --write``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "docs" / "generate.py"


def test_designs_doc_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("tdxlab_docs_generate", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    text = module.DOC.read_text(encoding="utf-8")
    assert module.refreshed(text) == text, "docs/designs.md is out of date: run `python3 dev.py regen`"
