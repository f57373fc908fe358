"""Fusion of dense and lexical scores, on hand-computed examples and against brute force."""
from __future__ import annotations

import numpy as np
import pytest

from qa.answer.fusion import DEFAULT_FUSION, Fusion, candidates, hybrid_search, normalise, ranks
from qa.store.faiss_store import FaissStore
from qa.store.lexical import LexicalIndex


def test_ranks_share_the_best_rank_on_ties():
    np.testing.assert_array_equal(ranks(np.array([0.2, 0.9, 0.2, 0.5])), [3, 1, 3, 2])
    assert ranks(np.array([])).size == 0


def test_rrf_by_hand():
    # dense ranks 1,2,3; lexical ranks 3,1,2 -> 1/(k+r_dense) + 1/(k+r_lexical) with k = 1
    fused = Fusion("rrf", k=1)(np.array([0.9, 0.5, 0.1]), np.array([0.0, 7.0, 3.0]))
    np.testing.assert_allclose(fused, [1 / 2 + 1 / 4, 1 / 3 + 1 / 2, 1 / 4 + 1 / 3])


def test_convex_minmax_by_hand():
    fused = Fusion("convex", weight=0.25, normalise="minmax")(np.array([0.2, 0.6, 1.0]), np.array([4.0, 0.0, 2.0]))
    # dense -> 0, .5, 1; lexical -> 1, 0, .5
    np.testing.assert_allclose(fused, [0.75, 0.125, 0.625])


def test_normalisations():
    np.testing.assert_allclose(normalise(np.array([1.0, 3.0]), "zscore", cosine=False), [-1, 1])
    np.testing.assert_allclose(normalise(np.array([0.5, -0.1]), "max", cosine=True), [0.5, -0.1])
    np.testing.assert_allclose(normalise(np.array([2.0, 8.0]), "max", cosine=False), [0.25, 1])
    assert not normalise(np.array([3.0, 3.0]), "minmax", cosine=False).any()  # constant: no information


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "borda"}, "rrf, convex"),
    ({"normalise": "log"}, "minmax"),
    ({"weight": 1.5}, "between 0 and 1"),
])
def test_bad_settings_say_what_is_allowed(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Fusion(**kwargs)


def _toy(n=40, dim=16, seed=3):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    texts = [" ".join(rng.choice(words, size=5)) + f" item{i}" for i in range(n)]
    ids = np.arange(100, 100 + 2 * n, 2, dtype=np.int64)  # ids with gaps, as after removals
    index = FaissStore.empty(dim)
    index.add(ids, vectors)
    return vectors, texts, ids, index, LexicalIndex.build(texts)


def test_candidates_carry_exact_scores_for_both_halves():
    vectors, texts, ids, index, lexical = _toy()
    q = vectors[5] + 0.1 * vectors[9]
    q /= np.linalg.norm(q)
    pool = candidates(q, "golf hotel item7", index, lexical, ids, depth=5)
    brute_dense = vectors @ q
    brute_lexical = lexical.scores("golf hotel item7")
    row = {int(i): r for r, i in enumerate(ids)}
    for pid, dense, lex in zip(pool.ids, pool.dense, pool.lexical):
        assert dense == pytest.approx(brute_dense[row[int(pid)]], abs=1e-5)
        assert lex == pytest.approx(brute_lexical[row[int(pid)]], rel=1e-6)
    # The union: the dense top 5 and the lexical top 5 are all there.
    dense_top = {int(ids[r]) for r in np.argsort(-brute_dense)[:5]}
    lexical_top = {int(ids[r]) for r in lexical.top("golf hotel item7", 5)[0]}
    assert dense_top | lexical_top == set(pool.ids.tolist())
    assert int(ids[7]) in set(pool.ids.tolist())  # found by its unique word only


def test_hybrid_ranking_matches_brute_force_fusion():
    vectors, texts, ids, index, lexical = _toy()
    q = vectors[11]
    fusion = Fusion("convex", weight=0.5, normalise="minmax")
    ranked = hybrid_search(q, "alpha bravo", index, lexical, ids, depth=len(ids), fusion=fusion)
    brute = fusion(vectors @ q, lexical.scores("alpha bravo"))
    expected = ids[np.lexsort((ids, -(vectors @ q), -brute))]
    np.testing.assert_array_equal(ranked.ids, expected)
    assert np.all(np.diff(ranked.fused) <= 1e-12)


def test_a_query_with_no_known_word_falls_back_to_dense_order():
    vectors, texts, ids, index, lexical = _toy()
    ranked = hybrid_search(vectors[3], "zulu", index, lexical, ids, depth=10, fusion=DEFAULT_FUSION)
    assert ranked.ids[0] == ids[3]
    np.testing.assert_array_equal(ranked.ids, ranked.ids[np.argsort(-ranked.dense, kind="stable")])


def test_mismatched_rows_and_ids_are_refused():
    vectors, texts, ids, index, lexical = _toy()
    with pytest.raises(ValueError, match="rebuild the index"):
        candidates(vectors[0], "alpha", index, lexical, ids + 1, depth=5)
