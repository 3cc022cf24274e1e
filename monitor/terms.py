"""How watch terms are written, and the text form they are searched in. Pure.

Both the text and every term are *folded* the same way (``fold``): NFKC, case folded,
German umlauts and ß spelled out (Pjöngjang = Pjoengjang), soft hyphens and zero-width
characters dropped, every run of non-letters made one space. Sentences are kept apart
by a ``|`` that no term contains, so no phrase matches across a sentence end.

After folding each literal term becomes one or more plain strings, with spaces marking
word edges, searched in ``" " + folded + " "``:

    term          written        searched as                         finds
    whole word    kursk          " kursk "                           Kursk, KURSK
    prefix        nordkorea*     " nordkorea"                        Nordkoreas, nordkoreanische
    suffix        *truppen       "truppen "                          Kampftruppen
    infix         *truppen*      "truppen"                           Truppenentsendung
    phrase        kim jong un    " kim jong un "                     Kim Jong-un
    Hangul word   러시아          " 러시아 ", " 러시아에 ", " 러시아가 " …   러시아에, 러시아가
    regex         re:\\d+ ?000    the regex, on the folded text       3 000, 3000

A Hangul word is found bare or with any common particle attached (``PARTICLES``),
since Korean particles stick to the end of a word; write ``북한*`` for a prefix.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Iterable

# Soft hyphen and zero-width characters: invisible, and they split words. Dropped.
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPELL_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_HAS_INVISIBLE = re.compile("[" + "".join(map(chr, INVISIBLE)) + "]")
_HAS_UMLAUT = re.compile("[äöüß]")  # after casefold: ß is "ss" already, Ä is ä


def _mark_ranges(first: int = 0x300, last: int = 0x17FF) -> str:
    """The combining marks (categories Mn, Mc, Me) from the Latin diacritics up to Khmer,
    as the body of a character class. ``\\w`` leaves them out, so without them the
    vowel signs of Hindi (सैनिक), Bengali, Thai or Myanmar, and the points of Hebrew and
    Arabic, would cut every word into pieces."""
    ranges: list[list[int]] = []
    for code in range(first, last + 1):
        if unicodedata.category(chr(code))[0] == "M":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


_MARKS = _mark_ranges()
# Not a letter, digit or combining mark; "_" is \w to Python, so fold replaces it first.
_NON_WORD = re.compile(f"[^\\w{_MARKS}]+")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# A sentence ends at . ! ? followed by space, but not after one letter ("N. Korea",
# "U.S. troops") nor after a number of one or two digits, which in German, Polish,
# Czech and Turkish is an ordinal ("am 3. Januar", "das 16. Sanktionspaket"); at the
# full-width 。！？ of Japanese and Chinese, which no space follows; at every line
# break; and at a bullet, which strings a digest's items together ("A • B").
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\b\w\.)(?<!\b\d\d\.)\s+|(?<=[。！？])\s*|\n+|\s*•\s*")
SENTENCE_MARK = "|"

#: Korean particles (and a few endings) a Hangul word may carry: 북한군이, 러시아에서.
PARTICLES = (
    "이",
    "가",
    "은",
    "는",
    "을",
    "를",
    "의",
    "에",
    "에서",
    "에게",
    "께",
    "와",
    "과",
    "도",
    "로",
    "으로",
    "만",
    "까지",
    "부터",
    "보다",
    "처럼",
    "이나",
    "나",
    "랑",
    "이랑",
    "과의",
    "와의",
    "에도",
    "에는",
    "에서도",
    "에서의",
    "으로의",
    "로의",
    "으로도",
    "로도",
    "이며",
    "이고",
    "이다",
    "측",
    "측은",
    "측이",
    "측의",
    "쪽",
    "발",
    "서",
)


def visible(text: str) -> str:
    """``text`` without its ``INVISIBLE`` characters. str.translate looks each character
    up in a dict, so it runs only on a text that holds one (few do)."""
    return text.translate(INVISIBLE) if _HAS_INVISIBLE.search(text) else text


def fold(text: str) -> str:
    """The matching form of a text: see the module docstring."""
    text = unicodedata.normalize("NFKC", visible(text)).casefold()
    if _HAS_UMLAUT.search(text):
        text = text.translate(_SPELL_OUT)
    if "_" in text:
        text = text.replace("_", " ")
    return _NON_WORD.sub(" ", text).strip()


def sentences(text: str) -> list[str]:
    """The sentences of a text as written, split where ``fold_text`` puts its marks."""
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


def fold_text(text: str) -> str:
    """``fold`` sentence by sentence, sentences joined by `` | ``."""
    parts = (fold(p) for p in _SENTENCE_END.split(text))
    return f" {SENTENCE_MARK} ".join(p for p in parts if p)


def is_regex(term: str) -> bool:
    return term.startswith("re:")


def term_patterns(term: str) -> tuple[str, ...]:
    """The strings searched for a literal term (several for a Hangul word)."""
    stripped = term.strip()
    body = fold(stripped.strip("*"))
    starts_open, ends_open = stripped.startswith("*"), stripped.endswith("*")
    head = "" if starts_open else " "
    if ends_open:
        return (head + body,)
    if not starts_open and _HANGUL.match(body[-1:]):
        return (head + body + " ", *(head + body + p + " " for p in PARTICLES))
    return (head + body + " ",)


def term_regex(term: str, flags: int = 0) -> re.Pattern[str]:
    """The compiled pattern of a ``re:`` term, for ``match`` and ``highlight_spans``.

    Python warns of forms whose meaning may change one day ("[[" may become a nested
    set); the warning would reach the log of every process that compiles the watch, and
    nothing the reader could act on, so it is silenced here, in the one place terms compile.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile(term[3:], flags)


def term_problem(term: str) -> str | None:
    """Why a term cannot be used, or None. Regular expressions must compile, both as
    ``match`` runs them and as ``highlight_spans`` does (ignoring case), and must not
    match empty text: such a pattern is found in every entry."""
    if is_regex(term):
        try:
            regex = term_regex(term)
            term_regex(term, re.IGNORECASE)
        except re.error as exc:
            return f"invalid regular expression: {exc}"
        except OverflowError as exc:  # a{4294967296}: a repeat count beyond re's limit
            return f"invalid regular expression: {exc}"
        except (RecursionError, MemoryError):  # re's parser recurses once per group
            return "invalid regular expression: nested too deeply"
        if regex.match("") is not None:
            return "matches empty text, so every entry would have it; make a part required"
        return None
    if not fold(term.strip("* ")):
        return "empty term (nothing left once punctuation is removed)"
    if "*" in term.strip().strip("*"):
        return "'*' may only stand at the start or the end of a term"
    return None


_WORD = re.compile(f"(?:[^\\W_]|[{_MARKS}])+")  # a word as fold keeps it


def highlight_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where in the original ``text`` the given terms stand, as merged (start, end) pairs.

    Runs of consecutive words are folded and tested the way the matcher tests the whole
    text, so a span covers what a reader sees ("Nordkoreas", "북한군이", "Kim Jong-un").
    """
    words = [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(text)]
    spans: list[tuple[int, int]] = []
    for term in terms:
        if is_regex(term):
            regex = term_regex(term, re.IGNORECASE)
            spans += [(m.start(), m.end()) for m in regex.finditer(text) if m.end() > m.start()]
            continue
        for pattern in term_patterns(term):
            size = len(pattern.split())
            for i in range(len(words) - size + 1):
                window = words[i : i + size]
                if pattern in " " + " ".join(w[2] for w in window) + " ":
                    spans.append((window[0][0], window[-1][1]))
    return merge_spans(spans)


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Character spans in order, overlapping and touching ones made one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, terms: list[str], width: int = 240, mark: str = "**") -> str:
    """A window of ``text`` around the first matched term, matched words marked."""
    spans = highlight_spans(text, terms)
    start = 0
    if spans and len(text) > width:
        start = max(0, min(spans[0][0] - width // 4, len(text) - width))
        while start > 0 and not text[start - 1].isspace():
            start -= 1
    end = min(len(text), start + width)
    out, last = [], start
    for a, b in spans:
        if a < start or b > end:
            continue
        out += [text[last:a], mark, text[a:b], mark]
        last = b
    out.append(text[last:end])
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else "")


# Short function words that say nothing about what a headline is about.
_SHORT_WORDS = frozenset(
    "the a an of to in on for and or with at by from as is are was says said "  # noqa: SIM905
    "der die das den dem des ein eine und oder mit von zu im am auf für nach bei aus "
    "sich ist sind wird werden".split()
)


def title_words(title: str) -> frozenset[str]:
    """The words of a headline that say what it is about (short function words dropped)."""
    return frozenset(w for w in fold(title).split() if w not in _SHORT_WORDS and len(w) > 1)


def same_story(a: str, b: str) -> bool:
    """Whether two headlines likely tell the same story: most words of the shorter shared.

    A cheap stand-in for clustering; it finds the same wire story retold by outlets in
    one language, not translations.
    """
    words_a, words_b = title_words(a), title_words(b)
    shared = len(words_a & words_b)
    return shared >= 3 and shared / max(1, min(len(words_a), len(words_b))) >= 0.5


def checked_terms(
    value: object, at: str, problems: list[str], *, allow_empty: bool = True
) -> tuple[str, ...]:
    """A list of terms from a watch file: the usable ones, each problem added to
    ``problems`` as ``at: 'term': why`` (watch groups, entities, figure words share it)."""
    from monitor.settings import shown  # settings imports nothing of ours but the version

    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        problems.append(f"{at}: expected a list of strings")
        return ()
    if not value and not allow_empty:
        problems.append(f"{at}: expected at least one term")
    good: list[str] = []
    for term in value:
        problem = term_problem(term)
        if problem:
            problems.append(f"{at}: {shown(term)}: {problem}")
        else:
            good.append(term)
    return tuple(good)
