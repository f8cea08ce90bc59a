"""The protocol journeys: list the protocol files with their hashes, show one in full."""

from __future__ import annotations

from typing import Any

from benchmark.protocols.protocol import available_protocols, load_protocol


def list_protocols() -> list[dict[str, str]]:
    return [
        {
            "name": p.name,
            "version": str(p.version),
            "hash": p.content_hash(),
            "description": p.description,
        }
        for p in (load_protocol(name) for name in available_protocols())
    ]


def protocol_body(name: str) -> dict[str, Any]:
    """The validated protocol with its content hash first."""
    protocol = load_protocol(name)
    return {"hash": protocol.content_hash(), **protocol.model_dump(mode="json")}
