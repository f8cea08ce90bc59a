"""The reference SAEs' training text: English prose that ships with Python itself (the language
reference topics of ``pydoc_data`` and the docstrings of the standard library), so it is
offline, versioned with the interpreter, and disjoint from the probing datasets (news, wiki
facts, reviews, code-free prompts). ``drop_overlaps`` removes any paragraph that contains a
benchmark prompt verbatim, so disjointness is checked rather than assumed.
"""

from __future__ import annotations

import ast
import sysconfig
from collections.abc import Iterable, Iterator
from pathlib import Path

MIN_PARAGRAPH_CHARS = 40
MIN_PROMPT_CHARS = 24  # shorter prompts ("Yes.") would match anywhere and prove nothing


def stdlib_paragraphs() -> list[str]:
    """Paragraphs of the language reference topics, then of stdlib docstrings (sorted by module
    path), deduplicated, in a fixed order."""
    from pydoc_data.topics import topics

    texts = [topics[name] for name in sorted(topics)]
    texts += list(stdlib_docstrings(Path(sysconfig.get_paths()["stdlib"])))
    seen: set[str] = set()
    paragraphs = []
    for paragraph in split_paragraphs(texts):
        if paragraph not in seen:
            seen.add(paragraph)
            paragraphs.append(paragraph)
    return paragraphs


def stdlib_docstrings(root: Path) -> Iterator[str]:
    for path in sorted(root.rglob("*.py")):
        if any(part in {"test", "tests", "idlelib", "site-packages"} for part in path.parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                docstring = ast.get_docstring(node)
                if docstring:
                    yield docstring


def split_paragraphs(texts: Iterable[str]) -> Iterator[str]:
    for text in texts:
        for block in text.split("\n\n"):
            paragraph = " ".join(block.split())
            if len(paragraph) >= MIN_PARAGRAPH_CHARS:
                yield paragraph


def drop_overlaps(paragraphs: list[str], prompts: Iterable[str]) -> tuple[list[str], int]:
    """Paragraphs that contain no benchmark prompt (of at least ``MIN_PROMPT_CHARS``), and how
    many were dropped. Prompts are indexed by their first characters, so each paragraph is
    scanned once."""
    by_prefix: dict[str, list[str]] = {}
    for prompt in {" ".join(p.split()) for p in prompts}:
        if len(prompt) >= MIN_PROMPT_CHARS:
            by_prefix.setdefault(prompt[:MIN_PROMPT_CHARS], []).append(prompt)
    kept = [p for p in paragraphs if not contains_any(p, by_prefix)]
    return kept, len(paragraphs) - len(kept)


def contains_any(paragraph: str, by_prefix: dict[str, list[str]]) -> bool:
    width = MIN_PROMPT_CHARS
    for start in range(len(paragraph) - width + 1):
        candidates = by_prefix.get(paragraph[start : start + width])
        if candidates and any(paragraph.startswith(c, start) for c in candidates):
            return True
    return False
