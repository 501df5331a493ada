"""The dashboard describes its figures; it claims no causes (issue 11).

The methodology disclaims causal readings (a gap between judges or between represented
and unrepresented cases is a description), so no page may say that a judge "matters" or
speak of a "representation effect". Every page kind is rendered from a hand-built release
and its main content searched for causal wording; the public methodology is one of them.
"Because" is left out: the methodology uses it for why a counting rule was chosen.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from test_web_pinned_links import PAGES, client  # noqa: F401 - the shared two-release app

CAUSAL = re.compile(r"\b(effects?|impacts?|caus(?:e|es|ed|ing)|matters?|drives?)\b", re.I)


@pytest.mark.parametrize("path", PAGES)
def test_no_page_claims_a_cause(client: TestClient, path: str) -> None:  # noqa: F811
    html = client.get(path).text
    main = html.split("<main>", 1)[1].split("</main>", 1)[0]
    text = re.sub(r"<script[^>]*>.*?</script>", " ", main, flags=re.S)
    found = sorted({m.group(0).lower() for m in CAUSAL.finditer(text)})
    assert found == [], f"{path}: causal wording {found}"
