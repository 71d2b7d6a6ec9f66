"""Suggestions that help the team theme hundreds of points: a theme for an untagged point, from
the text of points already tagged, and groups of near-duplicates to merge. Pure functions on
(id, text) pairs, by edit distance over words (rapidfuzz); nothing here is applied: a person
accepts each suggestion.

Similarity is by rapidfuzz's word-based ratios on the words that carry meaning (a short list of
English function words is left out, so "the police should" does not make every point alike).
"""

import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

# Words too common in what people say at a meeting to tell one point from another.
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "more",
        "my",
        "need",
        "needs",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "should",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "there",
        "they",
        "this",
        "to",
        "too",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")

THEME_CUTOFF = 60
DUPLICATE_CUTOFF = 85


def _key(text: str) -> str:
    words = [w for w in _WORD.findall(text.casefold()) if w not in _FUNCTION_WORDS]
    return " ".join(words)


@dataclass(frozen=True)
class ThemeSuggestion:
    point_id: int
    theme_id: int
    score: int  # 0–100: how alike the point is to the closest tagged point or theme name
    like_text: str  # the tagged text it is most like, to show why


def suggest_themes(
    untagged: list[tuple[int, str]],
    tagged: list[tuple[str, int]],
    theme_names: dict[int, str] | None = None,
    *,
    cutoff: int = THEME_CUTOFF,
) -> list[ThemeSuggestion]:
    """For each untagged (id, text), the theme whose tagged texts (text, theme id), or whose
    name, it is most like: the closest texts vote with their scores. Points like nothing
    well enough get no suggestion. In the order of `untagged`."""
    corpus = [(text, theme_id) for text, theme_id in tagged]
    first_name = len(corpus)
    corpus += [(name, theme_id) for theme_id, name in (theme_names or {}).items()]
    keys = [_key(text) for text, _ in corpus]
    keep = [i for i, k in enumerate(keys) if k]
    is_name = [i >= first_name for i in keep]
    keys = [keys[i] for i in keep]
    corpus = [corpus[i] for i in keep]
    suggestions = []
    if not corpus:
        return suggestions
    for point_id, text in untagged:
        key = _key(text)
        if not key:
            continue
        votes: dict[int, float] = defaultdict(float)
        best: dict[int, tuple[float, str]] = {}
        for _, set_score, index in process.extract(
            key, keys, scorer=fuzz.token_set_ratio, limit=10, score_cutoff=cutoff
        ):
            # token_set_ratio calls a text 100 alike to any it contains ("police" to "police
            # knife crime"); averaging with the sorted-words ratio weighs what is not shared.
            # A theme's own name in the text is a good reason on its own.
            score = set_score
            if not is_name[index]:
                score = (set_score + fuzz.token_sort_ratio(key, keys[index])) / 2
            if score < cutoff:
                continue
            like, theme_id = corpus[index]
            votes[theme_id] += score
            if score > best.get(theme_id, (-1, ""))[0]:
                best[theme_id] = (score, like)
        if not votes:
            continue
        theme_id = max(votes, key=lambda t: (votes[t], best[t][0], -t))
        score, like = best[theme_id]
        suggestions.append(ThemeSuggestion(point_id, theme_id, round(score), like))
    return suggestions


def near_duplicate_groups(
    points: list[tuple[int, str]], *, cutoff: int = DUPLICATE_CUTOFF
) -> list[list[int]]:
    """Groups of point ids whose texts say the same thing in nearly the same words (word order
    aside), each group in the order of `points`, groups in the order of their first point.
    Alike-ness is joined up: when A is like B and B like C, A, B and C are one group."""
    keys = [_key(text) for _, text in points]
    parent = list(range(len(points)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, key in enumerate(keys):
        if not key or i + 1 >= len(keys):
            continue
        for _, _score, offset in process.extract(
            key, keys[i + 1 :], scorer=fuzz.token_sort_ratio, score_cutoff=cutoff, limit=None
        ):
            j = i + 1 + offset
            if keys[j]:
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, (point_id, _) in enumerate(points):
        groups[root(i)].append(point_id)
    return [ids for ids in groups.values() if len(ids) > 1]
