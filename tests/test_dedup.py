"""Near-duplicate grouping against a brute-force reference, in small and large chunks."""

from __future__ import annotations

import numpy as np
import pytest

from index import dedup
from index.dedup import NUM_PERM, DuplicateGroups


def planted(seed: int, rows: int = 300) -> dict[str, np.ndarray]:
    """Random signatures, a third of them copying some bands of an earlier one
    (a share of 4 to 64 of the 64 bands: similarity 0.06 to 1)."""
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 2**32, size=(rows, NUM_PERM), dtype=np.uint32)
    for row in rng.choice(np.arange(1, rows), size=rows // 3, replace=False):
        original = rng.integers(0, row)
        bands = rng.choice(dedup.BANDS, size=rng.integers(4, dedup.BANDS + 1), replace=False)
        for band in bands:
            matrix[row, 2 * band : 2 * band + 2] = matrix[original, 2 * band : 2 * band + 2]
    return {f"a{n:04d}": matrix[n] for n in range(rows)}


def reference(signatures: dict[str, np.ndarray], threshold: float) -> dict[str, str]:
    """Each article, in id order, joins the group of its most similar earlier article at
    or above the threshold (the lower id on ties)."""
    ids = sorted(signatures)
    groups = {i: i for i in ids}
    for n, later in enumerate(ids):
        similar = [((signatures[later] == signatures[e]).mean(), e) for e in ids[:n]]
        for similarity, earlier in sorted(similar, key=lambda x: (-x[0], x[1])):
            if similarity < threshold:
                break
            groups[later] = groups[earlier]
            break
    return groups


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("chunk", [5, dedup.PAIR_CHUNK])
def test_groups_match_the_brute_force_reference(seed, chunk, monkeypatch):
    monkeypatch.setattr(dedup, "PAIR_CHUNK", chunk)
    signatures = planted(seed)
    grouped = DuplicateGroups.from_signatures(signatures, threshold=0.1).groups
    assert grouped == reference(signatures, 0.1)
    assert sum(1 for i, g in grouped.items() if i != g) > 50


@pytest.mark.parametrize("seed", [1, 2])
def test_band_neighbours_are_the_rows_sharing_a_band(seed):
    signatures = planted(seed)
    matrix = np.stack(list(signatures.values()))
    rng = np.random.default_rng(seed)
    # Half of them new (random), half copying bands of rows in the matrix.
    wanted = [*matrix[rng.choice(len(matrix), 20)], *planted(seed + 10, 20).values()]
    bands = dedup._bands(matrix)
    for signature, near in zip(wanted, dedup.band_neighbours(matrix, wanted), strict=True):
        expected = np.flatnonzero((bands == dedup._bands(signature[None, :])).any(axis=1))
        assert near.tolist() == expected.tolist()
    assert sum(len(near) for near in dedup.band_neighbours(matrix, wanted)) > 20
