"""The web chat page shows a web address the business sent (media sent as a link) as a
link that opens in a new tab; every other word stays text, never markup."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from adapters.webchat import page

FAKE_DOM = """
class Node { constructor(tag) { this.tag = tag; this.children = []; } append(c) {
  this.children.push(c); } }
const document = { createElement: (tag) => new Node(tag) };
"""


def rendered(text: str, targets: dict[str, object] | None = None) -> list[object]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    # linked() with what it uses before it: the address's pattern and its trimming.
    found = re.search(
        r"  const ADDRESS = .*?  function linked\(div, text, targets\) \{.*?\n  \}\n", page(), re.S
    )
    assert found, "the page has no linked()"
    script = (
        FAKE_DOM
        + found.group(0)
        + f"const div = new Node('div'); linked(div, {json.dumps(text)}, {json.dumps(targets)});"
        + "console.log(JSON.stringify(div.children.map((c) => typeof c === 'string' ? c :"
        + " [c.tag, c.href, c.textContent, c.target, c.rel])));"
    )
    done = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def test_a_link_opens_in_a_new_tab_and_the_rest_is_text() -> None:
    url = "https://shop.example.com/a.pdf?x=1&y=<2>"
    parts = rendered(f"Invoice\n{url} thanks")
    link = ["a", "https://shop.example.com/a.pdf?x=1&y=", "https://shop.example.com/a.pdf?x=1&y="]
    assert parts == [
        "Invoice\n",
        [*link, "_blank", "noopener noreferrer nofollow"],
        "<2> thanks",
    ]


def test_only_web_addresses_become_links() -> None:
    hostile = 'javascript:alert(1) <img src=x onerror=alert(1)> data:text/html,"x"'
    assert rendered(hostile) == [hostile]
    assert rendered("no links here") == ["no links here"]
