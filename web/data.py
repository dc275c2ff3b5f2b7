"""Data bundles in the browser: bytes from the JS loader (network or IndexedDB) into a Dataset.

`web/data-loader.mjs` fetches, checks and stores the bundle; here its bytes are
checked again by `bundles.dataset_from_bytes` (size, sha256, contents). A stored
copy refused here is dropped and downloaded once more.
"""

from __future__ import annotations

from dataclasses import dataclass

import js

from mnist_sorter.bundles import BundleError, Dataset, dataset_from_bytes


@dataclass(frozen=True)
class LoadedData:
    """A checked dataset, where it came from, and anything the user should know."""

    dataset: Dataset
    source: str  # "cache" or "network"
    note: str


async def manifest() -> dict:
    """Return the parsed data/manifest.json (fetched once by the JS loader)."""
    return (await js.mnistSorterData.manifest).to_py()


async def bundle_names() -> list[str]:
    return [entry["name"] for entry in (await manifest())["bundles"]]


async def load_dataset(name: str) -> LoadedData:
    """Return the named bundle as a checked Dataset; raise BundleError or JS errors on failure."""
    entries = {entry["name"]: entry for entry in (await manifest())["bundles"]}
    if name not in entries:
        raise BundleError(f"no data bundle named {name!r}; available: {', '.join(entries)}")
    for attempt in range(2):
        loaded = await js.mnistSorterData.bundle(name)
        try:
            dataset = dataset_from_bytes(loaded.buffer.to_bytes(), entries[name])
        except BundleError:
            await js.mnistSorterData.discard(name)
            if loaded.source != "cache" or attempt == 1:
                raise
            continue
        note = str(loaded.note or "")
        if attempt == 1:
            note = ("The stored copy of the data was damaged; it was dropped and downloaded again. "
                    + note).strip()
        return LoadedData(dataset, str(loaded.source), note)
    raise AssertionError("unreachable")
