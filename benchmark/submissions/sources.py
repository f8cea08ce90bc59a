"""Where a submission's SAE weights come from, and the local SAELens folder that holds them.

A SOURCE on the command line is one of:

- a folder (``cfg.json`` + ``sae_weights.safetensors``);
- ``hf://ORG/NAME[/PATH][@REVISION]``: a folder of a Hugging Face Hub model repository;
- ``release:RELEASE/SAE_ID``: an SAE of a SAELens pretrained release, which SAELens's directory
  maps to a Hub repository and folder.

Hub folders are fetched with ``huggingface_hub`` (only the two files), so they come from its
cache when it holds them and the Hub is unreachable. A manifest records a Hub source at the
commit it was fetched at, and the weights' sha256 beside it.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from benchmark.saes.cfg import CFG_FILE, WEIGHTS_FILE
from benchmark.submissions.checks import SubmissionError
from benchmark.submissions.manifest import SAESource

HUB_PREFIX = "hf://"
RELEASE_PREFIX = "release:"


def parse_source(text: str) -> SAESource:
    """The manifest's ``sae`` entry for a command-line SOURCE (a folder stays as given)."""
    if text.startswith(HUB_PREFIX):
        return parse_hub(text.removeprefix(HUB_PREFIX), text)
    if text.startswith(RELEASE_PREFIX):
        release, _, sae_id = text.removeprefix(RELEASE_PREFIX).partition("/")
        if not release or not sae_id:
            raise SubmissionError(f"{text}: a release source is release:RELEASE/SAE_ID")
        return SAESource(release=release, sae_id=sae_id)
    return SAESource(folder=text)


def parse_hub(spec: str, text: str) -> SAESource:
    location, at, revision = spec.partition("@")
    parts = [part for part in location.split("/") if part]
    if len(parts) < 2 or any(part in (".", "..") for part in parts) or (at and not revision):
        raise SubmissionError(f"{text}: a Hub source is hf://ORG/NAME[/PATH][@REVISION]")
    path = "/".join(parts[2:]) or None
    return SAESource(hub="/".join(parts[:2]), path=path, revision=revision or None)


def source_text(source: SAESource) -> str:
    """The SOURCE that names ``source`` (the inverse of ``parse_source``)."""
    if source.hub is not None:
        location = "/".join(part for part in (source.hub, source.path) if part)
        return f"{HUB_PREFIX}{location}" + (f"@{source.revision}" if source.revision else "")
    if source.release is not None:
        return f"{RELEASE_PREFIX}{source.release}/{source.sae_id}"
    return str(source.folder)


def hub_folder(source: SAESource) -> Path:
    """The local folder of a Hub or release source, fetching its two files when they are not
    cached; an unknown repository, folder or revision is one line."""
    if source.release is not None:
        source = release_source(source)
    assert source.hub is not None
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    prefix = f"{source.path}/" if source.path else ""
    try:
        snapshot = snapshot_download(
            source.hub,
            revision=source.revision,
            allow_patterns=[prefix + CFG_FILE, prefix + WEIGHTS_FILE],
        )
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as error:
        raise SubmissionError(
            f"{source_text(source)}: cannot fetch it ({' '.join(str(error).split())})"
        ) from error
    folder = Path(snapshot) / (source.path or "")
    if not (folder / CFG_FILE).is_file():
        raise SubmissionError(f"{source_text(source)}: no {CFG_FILE} in that folder")
    return folder


def release_source(source: SAESource) -> SAESource:
    """A SAELens release's SAE as the Hub folder its directory names. Releases that SAELens
    converts at load (Gemma Scope's ``params.npz``, dictionary-learning checkpoints, ...) hold
    no SAELens folder, so they are refused with what to do instead."""
    from sae_lens.loading.pretrained_saes_directory import get_pretrained_saes_directory

    releases = get_pretrained_saes_directory()
    lookup = releases.get(str(source.release))
    text = source_text(source)
    if lookup is None:
        raise SubmissionError(f"{text}: SAELens knows no release {source.release!r}")
    if source.sae_id not in lookup.saes_map:
        raise SubmissionError(f"{text}: release {source.release!r} has no SAE {source.sae_id!r}")
    if lookup.conversion_func is not None:
        raise SubmissionError(
            f"{text}: SAELens converts this release at load ({lookup.conversion_func}); save "
            "it as a folder (SAE.from_pretrained(...).save_model(FOLDER)) and submit that"
        )
    return SAESource(hub=lookup.repo_id, path=lookup.saes_map[str(source.sae_id)])


def pinned(source: SAESource, folder: Path) -> SAESource:
    """A Hub source recorded at the commit ``folder`` (a snapshot of it) was fetched at."""
    if source.hub is None or source.revision is not None:
        return source
    snapshot = folder
    for _ in PurePosixPath(source.path or "").parts:
        snapshot = snapshot.parent
    return source.model_copy(update={"revision": snapshot.name})
