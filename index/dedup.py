"""Near-duplicate groups: datasketch MinHash signatures, banded LSH in numpy.

Copies of one story (syndicated, or translated and lightly rewritten, like
the sample archive's 000 and 002) share word pairs once words are stemmed and
stopwords dropped. Each article gets a datasketch MinHash signature of those
pairs (128 permutations). Candidates are found by LSH banding (64 bands of 2
values, the scheme of datasketch's ``MinHashLSH(params=(64, 2))``), done with
numpy over the whole signature matrix: datasketch's own index costs 7.6 s to
fill with 25k articles and 7 s to load from its 55 MB pickle, this one
milliseconds. An article joins the group of its most similar *earlier*
article (by id) whose estimated Jaccard similarity reaches the threshold; a
group's id is the id of its first article.

The signatures and groups are kept beside the index (``dups.pickle``), so an
update only places the articles that changed.

numpy and datasketch (which loads SciPy) are imported by the functions that
use them, so importing ``index`` stays quick for commands that only search.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import zlib
from collections.abc import Callable, Iterable
from functools import lru_cache
from itertools import filterfalse
from pathlib import Path
from typing import TYPE_CHECKING

from .analysis import WORD_PATTERN, Stemmer, protected_words, stopwords

if TYPE_CHECKING:
    import numpy as np

# Confirms a MinHash candidate: accept(later_id, earlier_id).
Accept = Callable[[str, str], bool]

NUM_PERM = 128
SEED = 1
BANDS = 64  # of NUM_PERM // BANDS == 2 values: a pair at 0.1 is found half the time, at 0.2 93 %
# Measured on the sample archive: 000/002 score 0.117, other seed pairs at most
# 0.039. See docs/BENCHMARKS.md for what thresholds do on 25k articles.
DEFAULT_THRESHOLD = 0.1
MAX_WORDS = 3000
MAX_BUCKET = 200  # a band value shared by more articles than this says nothing
PAIR_CHUNK = 262144  # candidate pairs compared at once (2 x 128 MB of signature rows)
DUPS_FILE = "dups.pickle"


class _WordHashes(dict):
    """word → its CRC32, computed once."""

    def __missing__(self, word: str) -> int:
        h = self[word] = zlib.crc32(word.encode("utf-8"))
        return h


# A pure function's memory: the hash of a word never changes.
_word_hashes = _WordHashes()


@lru_cache(maxsize=1)
def _permuter():
    """An empty MinHash whose permutations every signature copies."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=int)


def content_stems(text: str, stemmer: Stemmer) -> list[str]:
    """The text's stemmed words in order, stopwords left out."""
    skip = stopwords()
    words = WORD_PATTERN.findall(text.lower(), 0)[:MAX_WORDS]
    return list(map(stemmer.terms.__getitem__, filterfalse(skip.__contains__, words)))


def pair_hashes(stems: list[str]) -> list[int]:
    """Sorted unique 32-bit hashes of consecutive stem pairs (the stem if only one)."""
    import numpy as np

    hashes = np.array(list(map(_word_hashes.__getitem__, stems)), dtype=np.uint64)
    if len(hashes) > 1:
        hashes = (hashes[:-1] * 0x9E3779B1) ^ hashes[1:]
    return np.unique(hashes & 0xFFFFFFFF).tolist()


def shingles(text: str, stemmer: Stemmer) -> list[int]:
    """32-bit hashes of the text's content-stem pairs (its stem if it has one)."""
    return pair_hashes(content_stems(text, stemmer))


def signature(text: str, stemmer: Stemmer) -> np.ndarray | None:
    """The MinHash hash values of a text, or None if it has no content words."""
    return minhash_of(shingles(text, stemmer))


def minhash_of(values: list[int]) -> np.ndarray | None:
    """The MinHash hash values of shingle hashes, or None if there are none."""
    import numpy as np

    if not values:
        return None
    minhash = _permuter().copy()
    minhash.update_batch(values)
    return np.ascontiguousarray(minhash.hashvalues, dtype=np.uint32)


def _bands(matrix: np.ndarray) -> np.ndarray:
    import numpy as np

    # Two 32-bit values side by side read as one 64-bit band key.
    return np.ascontiguousarray(matrix, dtype=np.uint32).view(np.uint64)


def _band_pairs(band: np.ndarray) -> np.ndarray:
    """later * rows + earlier for every two rows with the same value in one band.

    Buckets of one size are handled together, so numpy does the work.
    """
    import numpy as np

    rows = len(band)
    order = np.argsort(band, kind="stable")
    keys = band[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, rows])
    found = [np.zeros(0, dtype=np.int64)]
    for size in np.unique(sizes[(sizes > 1) & (sizes <= MAX_BUCKET)]).tolist():
        first = starts[sizes == size]
        members = np.sort(order[first[:, None] + np.arange(size)], axis=1).astype(np.int64)
        earlier, later = np.triu_indices(size, 1)
        found.append((members[:, later] * rows + members[:, earlier]).ravel())
    return np.concatenate(found)


def band_neighbours(matrix: np.ndarray, signatures: list[np.ndarray]) -> list[np.ndarray]:
    """For each signature, the rows of ``matrix`` sharing at least one band with it, in order.

    No band is sorted: the low 16 bits of every band value are looked up in a
    table of the wanted values' low bits (one pass over the matrix), and only
    the rows that pass are matched to the wanted values in full. Placing 250
    articles among 250k took 1.6 s sorting each band.
    """
    import numpy as np

    bands = _bands(matrix)
    wanted = _bands(np.stack(signatures))
    table = np.zeros((BANDS, 1 << 16), dtype=bool)
    table[np.arange(BANDS), wanted & 0xFFFF] = True
    rows, band = np.nonzero(table[np.arange(BANDS), (bands & 0xFFFF).astype(np.uint16)])
    which, entry = _match_bands(wanted, band, bands[rows, band])
    found = rows[entry]
    by_signature = np.argsort(which, kind="stable")
    which, found = which[by_signature], found[by_signature]
    edges = np.searchsorted(which, np.arange(len(signatures) + 1))
    return [np.unique(found[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _match_bands(wanted: np.ndarray, band: np.ndarray, values: np.ndarray):
    """(signature, entry) pairs where ``values[entry]`` in ``band[entry]`` is that
    signature's value in that band; matched through one sorted array of them."""
    import numpy as np

    salt = np.arange(BANDS, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    keys = (wanted ^ salt).ravel()  # signature n, band b at n * BANDS + b
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    probe = values ^ salt[band]
    lows = sorted_keys.searchsorted(probe)
    counts = sorted_keys.searchsorted(probe, side="right") - lows
    entry = np.repeat(np.arange(len(probe)), counts)
    starts = np.repeat(lows - np.cumsum(counts) + counts, counts)
    flat = order[starts + np.arange(len(entry))]
    which, wanted_band = np.divmod(flat, BANDS)
    exact = (wanted_band == band[entry]) & (wanted[which, wanted_band] == values[entry])
    return which[exact], entry[exact]


def analysis_key(protected: dict[str, str] | None = None) -> str:
    """What signatures depend on besides the text: reuse one only under the same key."""
    protected = protected_words() if protected is None else protected
    settings = (NUM_PERM, SEED, MAX_WORDS, sorted(protected.items()), sorted(stopwords()))
    return hashlib.blake2b(repr(settings).encode("utf-8"), digest_size=16).hexdigest()


def joined(groups: dict[str, str]) -> int:
    """How many articles of {id: group} joined another article's group."""
    return sum(1 for article_id, group in groups.items() if group != article_id)


class DuplicateGroups:
    """Signatures and group ids of the indexed articles."""

    analysis_key: str | None = None  # of the signatures (``analysis_key``), once known

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, analysis_key: str | None = None):
        import numpy as np

        self.threshold = threshold
        self.analysis_key = analysis_key
        self.ids: list[str] = []
        self.matrix = np.zeros((0, NUM_PERM), dtype=np.uint32)
        self.groups: dict[str, str] = {}

    @classmethod
    def from_signatures(
        cls,
        signatures: dict,
        threshold: float = DEFAULT_THRESHOLD,
        analysis_key: str | None = None,
        accept: Accept | None = None,
    ) -> DuplicateGroups:
        """Group every article at once, in id order (a full rebuild).

        ``accept(later_id, earlier_id)`` confirms a candidate (``stories.Stories.is_copy``).
        """
        import numpy as np

        ids = sorted(signatures)
        signed = [i for i in ids if signatures[i] is not None]
        matrix = np.stack([signatures[i] for i in signed]) if signed else None
        return cls.from_rows(ids, signed, matrix, threshold, analysis_key, accept)

    @classmethod
    def from_rows(
        cls,
        ids: list[str],
        signed: list[str],
        matrix: np.ndarray | None,
        threshold: float = DEFAULT_THRESHOLD,
        analysis_key: str | None = None,
        accept: Accept | None = None,
    ) -> DuplicateGroups:
        """``from_signatures`` of every article ``ids`` (sorted), ``signed`` of them
        (sorted) with their signatures the rows of ``matrix`` (a rebuild's, made in bulk)."""
        groups = cls(threshold, analysis_key)
        groups.groups = {i: i for i in ids}
        groups.ids = list(signed)
        if groups.ids:
            groups.matrix = matrix
        for later, choices in groups._similar_earlier().items():
            # Join the group of the most similar earlier article that is a copy
            # (any member, not only the first: two copies of one text that each
            # copy a third belong together). ``accept`` keeps the chains to copies.
            for earlier in choices:
                if accept is None or accept(groups.ids[later], groups.ids[earlier]):
                    groups.groups[groups.ids[later]] = groups.groups[groups.ids[earlier]]
                    break
        return groups

    def _candidate_pairs(self) -> np.ndarray:
        """later * rows + earlier of every two rows sharing a band, once each.

        Made a few bands at a time, so memory stays bounded when an archive
        has many copies (a 250k-article archive of ten copies each: 41 million pairs).
        """
        import numpy as np

        bands = _bands(self.matrix).T
        return np.unique(
            np.concatenate(
                [
                    np.unique(np.concatenate([_band_pairs(band) for band in bands[i : i + 8]]))
                    for i in range(0, len(bands), 8)
                ]
            )
        )

    def _similar_earlier(self) -> dict[int, list[int]]:
        """Row → earlier rows at or above the threshold, most similar first, in row order.

        The candidate pairs are compared a chunk at a time (bounded memory).
        """
        import numpy as np

        pairs = self._candidate_pairs()
        if not len(pairs):
            return {}
        later, earlier = np.divmod(pairs, len(self.matrix))
        del pairs
        similarity = np.empty(len(later))
        for i in range(0, len(later), PAIR_CHUNK):
            j = i + PAIR_CHUNK
            same = self.matrix[later[i:j]] == self.matrix[earlier[i:j]]
            similarity[i:j] = same.mean(axis=1)
        keep = similarity >= self.threshold
        later, earlier, similarity = later[keep], earlier[keep], similarity[keep]
        order = np.lexsort((earlier, -similarity, later))
        found: dict[int, list[int]] = {}
        for j, i in zip(later[order].tolist(), earlier[order].tolist(), strict=True):
            found.setdefault(j, []).append(i)
        return found

    def _best_copy(self, values, matrix, ids, near=None, accept=None, article=None):
        """(similarity, row) of the most similar accepted article sharing a band, at or
        above the threshold, or (0.0, -1).

        ``near``: the rows sharing a band with ``values``, when the caller knows them.
        """
        import numpy as np

        if not len(matrix):
            return 0.0, -1
        if near is None:
            near = np.flatnonzero((_bands(matrix) == _bands(values[None, :])).any(axis=1))
        if not len(near):
            return 0.0, -1
        similarity = (matrix[near] == values).mean(axis=1)
        for best in np.argsort(-similarity, kind="stable").tolist():
            if similarity[best] < self.threshold:
                break
            if accept is None or accept(article, ids[int(near[best])]):
                return float(similarity[best]), int(near[best])
        return 0.0, -1

    def place(
        self, articles: list[tuple[str, np.ndarray | None]], accept: Accept | None = None
    ) -> dict[str, str]:
        """Put new or changed articles in the group of their most similar accepted copy.

        Each may join a group already there or one started earlier in this
        call; return {id: group}.
        """
        import numpy as np

        self.remove([article_id for article_id, _ in articles])
        signed = [values for _, values in articles if values is not None]
        near = iter(band_neighbours(self.matrix, signed) if signed else [])
        # The rows placed so far in this call, filled as they come.
        new_rows = np.empty((len(signed), NUM_PERM), dtype=np.uint32)
        new_ids, placed = [], {}
        for article_id, values in articles:
            group = article_id
            if values is not None:
                n = len(new_ids)
                old = self._best_copy(values, self.matrix, self.ids, next(near), accept, article_id)
                new = self._best_copy(values, new_rows[:n], new_ids, None, accept, article_id)
                if max(old[0], new[0]) >= self.threshold:
                    copy = self.ids[old[1]] if old[0] >= new[0] else new_ids[new[1]]
                    group = self.groups[copy]
                new_ids.append(article_id)
                new_rows[n] = values
            self.groups[article_id] = placed[article_id] = group
        if new_ids:
            self.ids.extend(new_ids)
            self.matrix = np.vstack([self.matrix, new_rows])
        return placed

    def replace(
        self,
        signed: list[tuple[str, np.ndarray | None]],
        deleted: Iterable[str],
        accept: Accept | None = None,
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Forget ``deleted`` and place the changed articles ``signed`` (id, signature).

        Returns {id: group} of the placed articles, and {id: group} of the
        articles regrouped because their group's first article left or changed:
        the rest of such a group follows its lowest remaining id.
        """
        # The members of the groups a changed article leads (only those are regrouped).
        changed = {article_id for article_id, _ in signed}
        members: dict[str, set[str]] = {}
        for article_id, group in self.groups.items():
            if group in changed:
                members.setdefault(group, set()).add(article_id)
        self.remove(deleted)
        # A changed article is judged afresh: the rest of a group it led follows
        # its lowest remaining id first, so the article may join them again or not.
        regrouped = {}
        for article_id in changed:
            followers = members.get(article_id, set()) - changed
            if followers:
                leader = min(followers)
                for follower in followers:
                    self.groups[follower] = regrouped[follower] = leader
        placed = self.place(signed, accept)
        return placed, regrouped

    def remove(self, article_ids: Iterable[str]) -> None:
        """Forget articles (a group keeps its first article's id as its label)."""
        gone = {i for i in article_ids if self.groups.pop(i, None) is not None}
        if gone:
            keep = [n for n, i in enumerate(self.ids) if i not in gone]
            if len(keep) < len(self.ids):
                self.ids = [self.ids[n] for n in keep]
                self.matrix = self.matrix[keep]

    def save(self, gen_dir: str | os.PathLike) -> None:
        """Write the groups beside the index (atomically)."""
        path = Path(gen_dir) / DUPS_FILE
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)

    @classmethod
    def load(cls, gen_dir: str | os.PathLike) -> DuplicateGroups:
        """Read the groups kept beside an index (empty if there are none)."""
        try:
            with open(Path(gen_dir) / DUPS_FILE, "rb") as f:
                return pickle.load(f)
        except FileNotFoundError:
            return cls()
