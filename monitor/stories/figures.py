"""Entry text -> ``Figure`` records: the counts a hit reports, what they count, and who
said so. Pure; the words come from the watch's ``[figures]`` table.

    sentence | numbers.counts | kind words, unit words, sources (Lexicon, folded text)
             | each kind word binds to its nearest count | source nearest in the sentence,
               else the entry's headline source, else its first | Figure

A count becomes a figure only when a kind word stands within ``REACH`` words of it (each
kind word serves the count nearest to it, so "4,000 of the 11,000 were killed" reads one
figure, not two), or, with the watch's ``default_kind``, when a word for people follows
it ("11,000 troops"). Years, dates, money, measures and ages are not counts
(``numbers``), so "170 mm guns" and "a 24-year-old soldier" give nothing.
"""

from __future__ import annotations

import re
from dataclasses import replace

from monitor.match import Lexicon
from monitor.records import Figure
from monitor.stories.numbers import Number, counts
from monitor.stories.spec import FigureSpec
from monitor.terms import fold, sentences

#: Words between two counts that make the first a part of the second ("4,000 of the
#: 11,000"), and words after a count that make it the whole of the next ("1만1천여명
#: 가운데 4천여명"), folded. Grammar, not topic: the same for every watch.
PART_OF = {
    tuple(p.split())
    for p in (
        "of",
        "of the",
        "out of",
        "out of the",
        "von",
        "von den",
        "der",
        "von insgesamt",
        "des",
        "de",
        "de los",
        "des",
        "sur",
        "sur les",
        "di",
        "dei",
        "degli",
        "su",
        "z",
        "ze",
        "spośród",
        "из",
        "із",
        "з",
        "dos",
        "das",
        "de las",
    )
}
#: Words beside a count that make it a rate ("92 soldiers a day", "하루 평균 92명꼴로"),
#: folded: a rate is no figure of the story. Grammar, not topic, like ``PART_OF``.
RATE_AFTER = tuple(
    tuple(p.split())
    for p in (
        *("a day", "per day", "each day", "every day", "daily", "per week"),
        *("pro tag", "am tag", "taeglich", "pro woche", "в день", "в сутки", "в неделю"),
        *("на день", "за добу", "щодня", "на тиждень", "par jour", "par semaine"),
        *("al dia", "por dia", "al giorno", "dziennie", "na dobe", "gunde", "per dag"),
    )
)
RATE_BEFORE = tuple(
    tuple(p.split())
    for p in ("하루 평균", "일평균", "하루에", "매일", "daily", "taeglich", "ежедневно", "щодня")
)
RATE_REACH = 3  # words between a count and the words that make it a rate
#: Words that make a count the size of each of several groups ("two or three transfers,
#: each of 1,500 to 3,000", "je 1500 bis 3000 Soldaten", "1500～3000人ずつ", "3천명씩"):
#: a size per unit, not a figure. Folded; glued ones are looked for inside the words.
EACH_AFTER = tuple(
    tuple(p.split())
    for p in ("each", "apiece", "chacun", "chacune", "cada uno", "ciascuno", "kazdy")
)
EACH_BEFORE = tuple(
    tuple(p.split())
    for p in ("each of", "je", "jeweils", "по", "de a", "groups of", "gruppen von je")
)
EACH_GLUED = ("씩", "ずつ")
NOUN_FIRST = {"ko", "ja", "zh"}  # headlines write the kind before the count: 사망 300명
WHOLE_OF = {tuple(p.split()) for p in ("가운데", "중", "중에서", "중에", "のうち", "うち")}
REACH = 6  # words between a count and the word that says what it counts
# A part and its whole ("4,000 of the 11,000 soldiers sent last year were killed") are
# followed by the whole's description before the word that says what the part counts.
PART_REACH = 10
COUNTED_TROOPS = 100  # a count with only a counter for people is troops from here up
UNIT_REACH = 3  # words between a count and the word for people after it
MODIFIER_REACH = 2  # words between a count and the kind word a modifier yields to
MIN_VALUE = 2  # "one soldier" is a story, not a figure
UNCOUNTED = " uncounted"  # the kind of ``uncounted`` words; no watch kind has a space
# A sentence is read up to here. Real ones are far shorter; a hostile feed's summary of
# 100,000 characters without a full stop would otherwise cost seconds per entry, since
# each count and clause boundary is placed among the words before it.
MAX_SENTENCE = 1000
# A comma, semicolon, colon, dash or bracket between a count and a kind word makes the
# word this many words farther: in "15,000 were sent, about 4,700 were killed or
# wounded" the 4,700 are the killed or wounded, though "sent" stands nearer to them.
CLAUSE_COST = 3
_CUT = re.compile(r"[,;:](?=\s|$)|\s[-–—]\s|[…()、，；]")
# The word before a name that makes it the audience, not the source: "told lawmakers".
AUDIENCE = {
    *("told", "tells", "telling", "briefed", "briefing", "informed", "unterrichtete"),
    *("asks", "asked", "urges", "urged", "bittet", "bat", "просит", "попросил", "просить"),
}
# A Korean name with "to" on it is the one addressed: "국방부에 제안" (proposed to the
# defence ministry), but "국방부에 따르면" is according to it.
AUDIENCE_KOREAN = ("에", "에게", "께")
# Words that make the name beside them the one speaking: "..., President Zelensky said",
# "sagte Selenskyj", "according to the NIS", "국정원에 따르면". Folded; a name with one of
# SAID within SPEECH_REACH words of it, or after one of ACCORDING, speaks, and in a sentence where a
# name speaks, its figures are the speaker's, not those of a nearer name that acts
# ("Ukrainian forces have captured two ..., President Zelensky said").
SAID = {
    *("said", "says", "say", "stated", "announced", "reported", "claimed", "added"),
    *("sagte", "sagt", "erklaerte", "erklaert", "teilte", "berichtete", "meldete"),
    *("заявил", "заявила", "заявили", "сообщил", "сообщила", "сообщили", "сказал"),
    *("заявив", "повідомив", "повідомила", "повідомили", "сказав"),
    *("affirme", "indique", "declare", "afirmo", "dijo", "declaro", "informo"),
    *("detto", "dichiarato", "powiedzial", "oswiadczyl", "poinformowal", "zei", "meldde"),
}
ACCORDING = {
    *("according", "laut", "angaben", "zufolge", "selon", "segun", "secondo", "wedlug"),
    *("словам", "данным", "даними", "думку", "slovam"),
}
AFTER_KOREAN = {"따르면", "의하면"}  # "국정원에 따르면": the particle stays on the name
SPEECH_REACH = 2
# A headline's speaker after its last colon or dash ("...: NIS", "... – Pentagon"), in
# at most this many words.
_TAIL = re.compile(r":\s|\s[-–—]\s")
TAIL_WORDS = 4


class FigureReader:
    """A watch's ``[figures]`` table, compiled once: ``read(title, summary, ...)``."""

    def __init__(self, spec: FigureSpec) -> None:
        self.spec = spec
        # Words for what the watch does not count bind like kind words, last in order.
        kinds = spec.kinds + (((UNCOUNTED, spec.uncounted),) if spec.uncounted else ())
        self._kinds = Lexicon(kinds)
        self._order = {kind: n for n, (kind, _terms) in enumerate(kinds)}
        self._sources = Lexicon(spec.sources)
        self._units = Lexicon([("unit", spec.units)])
        self._unnamed = Lexicon([("unnamed", spec.unnamed)]) if spec.unnamed else None
        self._support = Lexicon([("support", spec.support)]) if spec.support else None
        self._others = Lexicon([("others", spec.others)]) if spec.others else None

    def sources(self, text: str) -> list[str]:
        """The sources a text names, in order of first mention."""
        folded = fold(text)
        found = self._named(folded, folded.split())
        return list(dict.fromkeys(label for _a, _b, label in found))

    def _named(self, folded: str, words: list[str]) -> list[tuple[int, int, str]]:
        """The sources a folded text names, as (first word, after the last, label): the
        outermost matches, possessors left out (``_speakers``)."""
        return self._speakers(_outermost(self._sources.find(folded)), words)

    def _first_speaker(self, text: str) -> str | None:
        """The first source a text names that speaks (``SAID``), else the first it names:
        the source of a figure whose own sentence names none."""
        folded = fold(text)
        words = folded.split()
        found = self._named(folded, words)
        return min(_speaking(found, words))[2] if found else None

    def _speakers(
        self, found: list[tuple[int, int, str]], words: list[str]
    ) -> list[tuple[int, int, str]]:
        """Drop a name that only says whose the next one is: in "Putins Sicherheitsratschef
        Schoigu" or "Putin's security council chief" the source is the chief, not Putin.

        A name is a possessor when a genitive "s" follows it (``fold`` splits "Putin's"
        into "putin s") or ends it, the name without that "s" being the same source
        ("putins", not "nis": in "NIS, JCS" the comma folds away, and both stay), and
        another source of a different label starts right after it. Names glued to the
        next without that "s" ("쇼이구 "김정은 결정"", Chinese without spaces) stay."""
        starts = {first: label for first, _last, label in found}

        def owner(first: int, last: int, label: str) -> bool:
            if last < len(words) and words[last] == "s":
                after = starts.get(last + 1)
            elif last - first == 1 and words[first].endswith("s"):
                stem = words[first][:-1]
                if not any(lab == label for _a, _b, lab in self._sources.find(stem)):
                    return False
                after = starts.get(last)
            else:
                return False
            return after is not None and after != label

        return [f for f in found if not owner(*f)]

    def speaker(self, title: str) -> str | None:
        """The source a headline names after its last colon or dash, in a few words:
        "Kim Jong Un to send 6,000 military workers to Kursk: Shoigu" is Shoigu's."""
        tail = _TAIL.split(title)[-1]
        if tail == title or len(tail.split()) > TAIL_WORDS:
            return None
        named = self.sources(tail)
        return named[0] if len(named) == 1 else None

    def lead(self, title: str) -> str | None:
        """The source a headline speaks for: the one named after its last colon or dash,
        else the first it names, not an audience ("spy chief tells lawmakers ..." is the
        spy agency's)."""
        trailing = self.speaker(title)
        if trailing is not None:
            return trailing
        folded = fold(title)
        words = folded.split()
        for first, last, label in self._named(folded, words):
            if not _addressed(first, last, words):
                return label
        return None

    def read(
        self, title: str, summary: str, content: str = "", language: str | None = None
    ) -> list[Figure]:
        """Every figure of an entry, each (kind, value, source) once, title first."""
        return [f for f in self.read_all(title, summary, content, language) if f.kind != UNCOUNTED]

    def read_all(
        self, title: str, summary: str, content: str = "", language: str | None = None
    ) -> list[Figure]:
        """``read``, and the counts of what the watch does not count (kind ``UNCOUNTED``):
        no figures, but the same 18 deserters in two articles say they tell one event."""
        fallback = self._first_speaker(title) or self._first_speaker(summary)
        found: dict[tuple[str, int, str | None], Figure] = {}
        guessed: set[tuple[str, int, str | None]] = set()
        speaker = self.speaker(title)
        for field, text in (("title", title), ("summary", summary), ("content", content)):
            for whole in _rejoined(sentences(text)):
                sentence = whole[:MAX_SENTENCE]
                for figure, guess in self._sentence(sentence, field, language, fallback):
                    if field == "title" and speaker is not None:
                        figure = replace(figure, source=speaker, cited=True)
                    key = (figure.kind, figure.value, figure.source)
                    if key not in found and guess:
                        guessed.add(key)
                    elif not guess:
                        guessed.discard(key)
                    found.setdefault(key, figure)
        # "Two POWs ... the two soldiers": a count whose kind is only guessed from a word
        # for people is the same people as that count with a kind word elsewhere.
        said = {(k, v) for k, v, src in found if (k, v, src) not in guessed}
        return [
            f
            for key, f in found.items()
            if key not in guessed or not any(v == f.value and k != f.kind for k, v in said)
        ]

    def _sentence(
        self, sentence: str, field: str, language: str | None, fallback: str | None
    ) -> list[tuple[Figure, bool]]:
        """The sentence's figures, each with whether its kind is only the default one
        guessed from a word for people beside it."""
        numbers = [n for n in counts(sentence, language) if n.value >= MIN_VALUE]
        if not numbers:
            return []
        folded = fold(sentence)
        spans = [_words(sentence, n) for n in numbers]
        words = folded.split()
        wholes = _wholes(words, spans)
        cuts = [_words_before(sentence, m.start()) for m in _CUT.finditer(sentence)]
        kinds = self._bind(folded, spans, wholes, language, cuts)
        units = [first for first, _last, _label in self._units.find(folded)]
        others = [first for first, _l, _x in self._others.find(folded)] if self._others else []
        support = [(a, b) for a, b, _l in self._support.find(folded)] if self._support else []
        # "ukrainischer Geheimdienst" is HUR, though "Geheimdienst" alone is the NIS
        sources = [f for f in self._named(folded, words) if not _addressed(f[0], f[1], words)]
        # "Intelligence estimates put the deployment at 10,000": the headline's source
        # is not the one of a figure its sentence says is nobody's in particular
        if self._unnamed is not None and self._unnamed.find(folded):
            fallback = None
        figures = []
        for index, number in enumerate(numbers):
            span = spans[index]
            if _rate(words, span) or _each(words, span):
                continue  # "92 soldiers a day", "1,500 each": a rate or a size per unit
            kind = kinds.get(index)
            near_unit = any(span[0] <= u <= span[1] + UNIT_REACH for u in units)
            # A counter for people glued to it (2천600명은, 3000人が) counts as such a word
            # for a count of troops; a few people so counted (장성 3명, 幹部2人) are rarely
            # the soldiers sent.
            if number.people and (kind is not None or number.value >= COUNTED_TROOPS):
                near_unit = True
            # "60,000 Russian soldiers": the count is of another side's people
            if any(span[1] <= o <= span[1] + 1 for o in others):
                continue
            guess = kind is None and near_unit and index not in wholes
            # "4,000 of the 11,000 were killed": the 11,000 are the ones who were sent
            if index in wholes or (kind is None and near_unit):
                kind = self.spec.default_kind
            if kind in self.spec.needs_unit and not near_unit and index not in wholes:
                continue  # "sent 200 artillery systems": sent, but not people
            if kind is None:
                continue
            if kind in self.spec.fighters_only and any(
                _distance(s, span) <= REACH for s in support
            ):
                kind = self.spec.default_kind or kind  # "6,000 more builders" were sent
            near = _nearest(_speaking(sources, words), span)
            source = near or fallback
            figures.append(
                (
                    Figure(
                        kind=kind,
                        value=number.value,
                        low=number.low,
                        high=number.high,
                        qualifier=number.qualifier,
                        source=source,
                        sentence=sentence.strip(),
                        field=field,
                        cited=near is not None,
                    ),
                    guess,
                )
            )
        return figures

    def _bind(
        self,
        folded: str,
        spans: list[tuple[int, int]],
        wholes: dict[int, int],
        language: str | None = None,
        cuts: list[int] | None = None,
    ) -> dict[int, str]:
        """Kind words to counts, one to one, nearest pairs first: in "100 soldiers
        killed, 1,000 wounded" each count gets its own word. A word inside a longer one
        ("killed" in "killed or wounded") or inside a count ("more" in "more than 3,000")
        does not count on its own. At equal distance a word after the count wins, then
        the kind written first. A word across a clause boundary (``cuts``) stands
        ``CLAUSE_COST`` farther, and a word of a kind that ``outranks`` the others takes
        a count of its own clause first."""
        words = _outermost(self._kinds.find(folded))
        if language not in NOUN_FIRST:  # there a count and its word share one token
            words = [w for w in words if not any(_inside((w[0], w[1]), sp) for sp in spans)]
        # "the additional deployment at 1,000", "추가 파병 1천 명": a modifier's word right
        # before the default kind's joins it into one word of the modifier's kind
        joined: list[tuple[int, int, str]] = []
        for a, b, kind in words:
            before = joined[-1] if joined else None
            if (
                before is not None
                and kind == self.spec.default_kind
                and before[1] == a
                and before[2] in self.spec.modifiers
            ):
                joined[-1] = (before[0], b, before[2])
            else:
                joined.append((a, b, kind))
        words = joined
        # A part and its whole are one place in the sentence, and only the part takes a kind.
        reach = list(spans)
        parts = set(wholes.values())
        for whole, part in wholes.items():
            reach[part] = (
                min(spans[part][0], spans[whole][0]),
                max(spans[part][1], spans[whole][1]),
            )
        # At equal distance the count written first chooses first, and it takes the word
        # on the side its language prefers: after the count in "300 killed", "300 Tote";
        # before it in "사망 300명", "死者600人" (Korean writes "100명 사망" too, so the
        # next count then takes the word after it).
        before_wins = language in NOUN_FIRST
        cuts = cuts or []

        def apart(a: tuple[int, int], b: tuple[int, int]) -> int:
            low, high = (a[1], b[0]) if a[0] < b[0] else (b[1], a[0])
            return sum(low <= c <= high for c in cuts)

        # "4,100 more wounded": a modifier's word yields to another kind's word beside the
        # count in its clause (not to the default kind's: "3,000 more were sent" are more)
        modifiers = self.spec.modifiers
        strong = [
            (first, last)
            for first, last, kind in words
            if kind not in modifiers and kind != self.spec.default_kind
        ]

        def yields(kind: str, span: tuple[int, int]) -> bool:
            return kind in modifiers and any(
                _distance(w, span) <= MODIFIER_REACH and apart(w, span) == 0 for w in strong
            )

        pairs = sorted(
            (
                not (kind in self.spec.outranks and apart((first, last), span) == 0),
                yields(kind, span),
                _distance((first, last), span) + CLAUSE_COST * min(1, apart((first, last), span)),
                n,
                (first < span[0]) != before_wins,
                self._order[kind],
                w,
                n,
            )
            for w, (first, last, kind) in enumerate(words)
            for n, span in enumerate(reach)
            if n not in wholes
            and _distance((first, last), span) <= (PART_REACH if n in parts else REACH)
            # the whole was sent, so a word for sending is said of it, not of the part
            and not (n in parts and kind == self.spec.default_kind)
        )
        bound: dict[int, str] = {}
        used: set[int] = set()
        for *_rank, w, n in pairs:
            if w not in used and n not in bound:
                bound[n] = words[w][2]
                used.add(w)
        return bound


_LAST_WORD = re.compile(r"(?:^|\s)([^\W\d_]{1,4})\.$")


def _abbreviation(end: str) -> bool:
    """Whether a part ends in a short word and a full stop, as abbreviations do in any
    Latin or Cyrillic script: "Feb.", "Rep.", "ca.", "Płn.", "г." (not "NIS.", "Kursk.")."""
    found = _LAST_WORD.search(end)
    if found is None:
        return False
    word = found[1]
    return (len(word) <= 3 and word.islower()) or (
        len(word) >= 2 and word[0].isupper() and word[1:].islower()
    )


def _rejoined(parts: list[str]) -> list[str]:
    """Sentences again, where a split fell after an abbreviation ("Feb. 27 (Yonhap)",
    "Rep. Lee"): a day or a name is not the start of a figure. Only the end of each part
    is looked at, and the parts of a sentence are joined once: a hostile text of
    100,000 characters of "Feb. " costs as much as any other text of its length."""
    groups: list[list[str]] = []
    for part in parts:
        if groups and _abbreviation(groups[-1][-1][-16:].rstrip()[-8:]):
            groups[-1].append(part)
        else:
            groups.append([part])
    return [g[0] if len(g) == 1 else " ".join(p.strip() for p in g) for g in groups]


def _rate(words: list[str], span: tuple[int, int]) -> bool:
    """Whether the count at ``span`` is a rate: "92 soldiers a day", "하루 평균 92명꼴로"."""
    first, last = span
    if any("꼴" in w for w in words[first:last]):
        return True
    after = words[last : last + RATE_REACH + 2]
    before = words[max(0, first - RATE_REACH) : first]
    return _holds(after, RATE_AFTER) or _holds(before, RATE_BEFORE)


def _addressed(first: int, last: int, words: list[str]) -> bool:
    """Whether the name at words[first:last] is the audience, not the source: "told
    lawmakers", "asks the defence ministry", "국방부에 제안"."""
    if first and words[first - 1] in AUDIENCE:
        return True
    end = words[last - 1] if last else ""
    korean = end.endswith(AUDIENCE_KOREAN) and "\uac00" <= end[-1] <= "\ud7a3"
    return korean and not AFTER_KOREAN.intersection(words[last : last + 1])


def _each(words: list[str], span: tuple[int, int]) -> bool:
    """Whether the count at ``span`` is the size of each of several groups (``EACH_*``)."""
    first, last = span
    if any(g in w for w in words[first : last + 1] for g in EACH_GLUED):
        return True
    after = words[last : last + RATE_REACH]
    before = words[max(0, first - 2) : first]
    return _holds(after, EACH_AFTER) or _holds(before, EACH_BEFORE)


def _holds(window: list[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return any(tuple(window[i : i + len(p)]) == p for p in phrases for i in range(len(window)))


def _wholes(words: list[str], spans: list[tuple[int, int]]) -> dict[int, int]:
    """Counts that are the whole of which a neighbouring count is a part ("4,000 of the
    11,000", "1만1천여명 가운데 4천여명"), as {whole: part}: a kind word said of either
    belongs to the part, and the whole is what was sent."""
    wholes = {}
    for i in range(len(spans) - 1):
        between = tuple(words[spans[i][1] : spans[i + 1][0]])
        if between in PART_OF:  # the part first: "4,000 of the 11,000"
            wholes[i + 1] = i
        elif between in WHOLE_OF:  # the whole first: "1만1천여명 가운데 4천여명"
            wholes[i] = i + 1
    return wholes


def _outermost(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Drop every match that lies inside a longer one; the rest in their order.

    One sweep by start (longest first): a match ending no later than the farthest end
    seen so far lies inside an earlier, longer match, unless it is that match's very
    span (two labels for the same words both stay)."""
    order = sorted(range(len(found)), key=lambda i: (found[i][0], -found[i][1]))
    keep: set[int] = set()
    reach, reach_span = -1, (-1, -1)
    for i in order:
        first, last, _label = found[i]
        if last <= reach and reach_span != (first, last):
            continue
        keep.add(i)
        if last > reach:
            reach, reach_span = last, (first, last)
    return [f for i, f in enumerate(found) if i in keep]


def _inside(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return b[0] <= a[0] and a[1] <= b[1]


def _words_before(sentence: str, offset: int) -> int:
    """How many words of ``fold(sentence)`` stand before character ``offset``."""
    return len(fold(sentence[:offset]).split())


def _words(sentence: str, number: Number) -> tuple[int, int]:
    """The words of ``fold(sentence)`` a number spans: (first, after the last)."""
    first = _words_before(sentence, number.start)
    if first and sentence[number.start - 1 : number.start].isalnum():
        first -= 1  # glued to the word before it: "派遣された約1万1000人" is one word
    return first, first + max(1, len(fold(sentence[number.start : number.end]).split()))


def _speaking(found: list[tuple[int, int, str]], words: list[str]) -> list[tuple[int, int, str]]:
    """The names of ``found`` that speak (see ``SAID``), or all of them if none does."""
    speaking = [
        f
        for f in found
        if any(w in SAID for w in words[f[1] : f[1] + SPEECH_REACH])
        or any(w in ACCORDING for w in words[max(0, f[0] - SPEECH_REACH) : f[0]])
        # "..., sagte Selenskyj", "заявил Зеленский в воскресенье": a verb before the name
        # at the end of its sentence ("said Putin had moved 11,000" is Putin acting)
        or (
            len(words) - f[1] <= SPEECH_REACH
            and any(w in SAID for w in words[max(0, f[0] - SPEECH_REACH) : f[0]])
        )
        or bool(AFTER_KOREAN.intersection(words[f[1] : f[1] + 1]))
    ]
    return speaking or found


def _distance(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Words between two spans; 0 when they touch or overlap."""
    return max(0, b[0] - a[1], a[0] - b[1])


def _nearest(found: list[tuple[int, int, str]], span: tuple[int, int]) -> str | None:
    if not found:
        return None
    # Overlapping names ("국방부" in "미 국방부"): the longer one says more.
    return min(found, key=lambda f: (_distance((f[0], f[1]), span), f[0] - f[1], f[0]))[2]
