"""How the activation banks key a prompt: the sha256 of its UTF-8 text."""

from __future__ import annotations

import hashlib


def prompt_digest(prompt: str) -> bytes:
    return hashlib.sha256(prompt.encode("utf-8")).digest()
