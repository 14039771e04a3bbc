"""The README is the front page: short, and every link of it reaches a page or a heading that exists.

``make docs`` (mkdocs build --strict) checks the links of the pages under docs/; the README is not one of
them (it is GitHub's front page), so its links are checked here, with GitHub's heading anchors.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# The front page's budget (issue 12, item 4): what it is, the two commands, a short deploy, a map.
MAX_README_LINES = 200
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+)$")


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, each space a hyphen."""
    text = re.sub(r"`|\*\*", "", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors_of(page: Path) -> set[str]:
    anchors, in_code = set(), False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (match := HEADING.match(line)):
            anchors.add(github_anchor(match.group(1)))
    return anchors


def relative_links(page: Path) -> list[str]:
    return [link for link in LINK.findall(page.read_text()) if not re.match(r"[a-z]+:", link)]


def nav_pages(nav: list[Any]) -> list[str]:
    pages: list[str] = []
    for entry in nav:
        for value in entry.values() if isinstance(entry, dict) else [entry]:
            pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_the_readme_stays_a_front_page_of_at_most_200_lines() -> None:
    lines = len(README.read_text().splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines: move the detail to a page under docs/"


def test_every_relative_link_of_the_readme_reaches_a_file_and_its_heading() -> None:
    broken = []
    for link in relative_links(README):
        path, _, anchor = link.partition("#")
        target = ROOT / path if path else README
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and anchor not in anchors_of(target):
            broken.append(f"{link}: no heading with that anchor in {path or 'README.md'}")
    assert not broken, broken


def test_the_readme_maps_every_page_of_the_site() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    linked = {link.partition("#")[0] for link in relative_links(README)}
    missing = [page for page in nav_pages(config["nav"]) if page != "index.md" and f"docs/{page}" not in linked]
    assert not missing, f"pages of mkdocs.yml's nav the README does not link: {missing}"
