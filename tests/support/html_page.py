"""Check a generated report page the way a browser would need it, with the standard library only.

No browser is installed here, and CI would have to install Debian's chromium (~300 MB) to render two charts.
What a headless browser would catch for these pages is checkable structurally: the HTML parses, nothing is
loaded from elsewhere (no script, no link, no src/href to a URL), and every inline SVG is well-formed XML in the
SVG namespace with a viewBox (xml.etree raises on any malformed tag or attribute).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

SVG_NS = "http://www.w3.org/2000/svg"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value and re.match(r"^[a-z]+:|^//", value):
                self.external.append(f"<{tag} {name}={value}>")


def check_page(text: str) -> list[ET.Element]:
    """Assert that ``text`` is a self-contained page; return its parsed inline SVG elements."""
    assert text.startswith("<!DOCTYPE html>")
    page = _Page()
    page.feed(text)
    page.close()
    assert "script" not in page.tags
    assert "link" not in page.tags
    assert "iframe" not in page.tags
    assert page.external == []
    found = re.findall(r"<svg\b.*?</svg>", text, flags=re.DOTALL)
    svgs = [ET.fromstring(svg) for svg in found]  # noqa: S314 - a page our own code generated, in a test
    assert svgs, "no inline SVG chart"
    for svg in svgs:
        assert svg.tag == f"{{{SVG_NS}}}svg"
        assert len(svg.get("viewBox", "").split()) == 4
        assert len(list(svg.iter())) > 2  # not an empty chart
    return svgs
