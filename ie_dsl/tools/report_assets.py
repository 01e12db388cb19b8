"""The fixed CSS and JavaScript of the HTML report (`report.py` adds per-type colours).

They live as files beside the code, `assets/report.css` and `assets/report.js` (package
data: they travel in the wheel), and are inlined into every page. The script reads the
JSON block `#iedsl-data` described in `report.py`, filters documents and statements (the
search box, the type boxes, the rule list), renders the matching documents a page at a time
(`data.page`), the document index a chunk at a time, and each claim cluster with a few of
its statements and a "show all N" button. It builds every element with textContent, never
innerHTML, so document text is never parsed as HTML. A link `a[data-go="D I"]` selects
statement I of document D, turning to its page.
"""

from __future__ import annotations

from importlib.resources import files

_ASSETS = files("ie_dsl") / "assets"
BASE_CSS = (_ASSETS / "report.css").read_text(encoding="utf-8")
SCRIPT = (_ASSETS / "report.js").read_text(encoding="utf-8")
