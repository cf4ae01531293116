"""The documentation stands on its own: every relative link of the README and docs/ names a file
(and heading) of this repository, and none points outside it, where a fresh clone has nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)
_OUTSIDE = re.compile(r"\.\./shared|DESIGN\.md|DOMAIN\.md")


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    for heading in _HEADING.findall(re.sub(r"```.*?```", "", markdown, flags=re.DOTALL)):
        text = heading.replace("`", "").lower()
        anchors.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return anchors


def _links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [t for t in _LINK.findall(text) if not re.match(r"^[a-z]+:", t)]


def _resolves(document: Path, target: str) -> bool:
    file_part, _, anchor = target.partition("#")
    linked = (document.parent / file_part).resolve() if file_part else document
    if not linked.is_relative_to(ROOT) or not linked.exists():
        return False
    return not anchor or linked.suffix != ".md" or anchor in _anchors(linked.read_text(encoding="utf-8"))


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_name_files_and_headings_of_the_repository(document: Path) -> None:
    broken = [target for target in _links(document) if not _resolves(document, target)]
    assert not broken, f"{document.name}: links to nothing in this repository: {broken}"


def test_a_link_outside_the_repository_or_to_a_missing_heading_is_broken() -> None:
    readme = ROOT / "README.md"
    assert _resolves(readme, "docs/api.md#errors")
    assert not _resolves(readme, "../shared/DESIGN.md")
    assert not _resolves(readme, "docs/api.md#no-such-heading")
    assert not _resolves(readme, "docs/no-such-file.md")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_document_sends_the_reader_outside_the_repository(document: Path) -> None:
    found = _OUTSIDE.findall(document.read_text(encoding="utf-8"))
    assert not found, f"{document.name} refers to notes that are not in the repository: {found}"


def test_the_contract_is_linked_from_the_readme() -> None:
    assert "docs/api.md" in _links(ROOT / "README.md")


def test_the_anchor_rule_reads_headings_as_github_does() -> None:
    anchors = _anchors("# Partners: intake queue and outcomes\n## Office and signed-XML channels\n")
    assert anchors == {"partners-intake-queue-and-outcomes", "office-and-signed-xml-channels"}
