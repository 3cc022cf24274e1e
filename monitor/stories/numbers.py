"""Read the numbers of a text: ``read_numbers(text, language) -> [Number]``. Pure.

    text --scan--> numeral ("11.000", "1,5 Millionen", "1만2천", "elftausend", "пять тысяч")
         --range--> low..high ("10 bis 12 Tausend")
         --context--> qualifier ("rund", "이상") and kind ("count", "year", "money"...)
         --> Number

The figures stage keeps ``kind == "count"``; the other kinds are read so that a year, a
date or a price is never taken for a number of soldiers. The words around numbers are
``numwords``' tables, numbers written as words ``numerals``'. The scan only moves forward
and every step reads a bounded window (``_WINDOW`` characters) around one number, so any
text is read in linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from monitor.stories.numerals import HAN_DIGITS, HAN_VAGUE, KO_ORDINALS, Numerals
from monitor.stories.numwords import Grammar, grammar

LIMIT = 10**12  # no figure is this large; it also keeps the arithmetic small
_WINDOW = 48  # characters of context read on either side of a number
_MAX_DIGITS = 15

_DIGITS = re.compile(r"\d+")
_DATE_TIME = re.compile(
    r"(?P<date>\d{4}([-./])\d{1,2}\2\d{1,2}\.?|\d{1,2}([./])\d{1,2}\3(?:\d{4}|\d\d))(?!\d)"
    r"|(?P<time>\d{1,2}(?::|h|\.(?=\d\d\s?(?:uhr|h)(?![^\W\d_])))\d\d(?::\d\d)?)(?!\d)"
)
_SHORT_YEAR = re.compile(r"[-–/](\d\d)(?!\d)")  # "2024-25", "2024/25"
_SHORT_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(?!\d)")  # German "am 27.02."
_KO_ORDINAL = re.compile(rf"({'|'.join(KO_ORDINALS)})\s?번째")
# 천 and 만 with no digit before them: "천여 명" (a thousand-odd), "만 명" (ten thousand)
_KO_BARE = re.compile(r"[천만](?=여|\s?명)")
_SMALL = {"십": 10, "백": 100, "천": 1000, "十": 10, "百": 100, "千": 1000}
_BIG = {"만": 10**4, "억": 10**8, "조": 10**12, "万": 10**4, "萬": 10**4, "億": 10**8}
_BIG |= {"亿": 10**8, "兆": 10**12}
_HAN_TO_DIGITS = str.maketrans({han: str(digit) for han, digit in HAN_DIGITS.items()})
_NOT_COUNTS = ("date", "time", "ordinal")
_After = tuple[int, str | None, str | None, bool]  # end, unit kind, qualifier, counter seen
_Read = tuple[int, int, int | None]  # number words read: value, end, factor of a last scale


@dataclass(frozen=True)
class Number:
    """One number expression of a text, read by ``read_numbers`` for the figures stage."""

    value: int  # the figure; for a range, the low end
    low: int | None  # set for ranges (and equal to value), else None
    high: int | None  # set for ranges, else None
    qualifier: str | None  # "about", "more than", "at least", "up to", or None
    start: int  # span of the whole expression in the text (qualifier included)
    end: int
    # "count", or what it is instead: "year", "date", "time", "money", "percent",
    # "measure" (units and spans of time), "age", "ordinal", or "decimal" ("3.5" alone)
    kind: str
    # a counter or word for people follows it: 2천600명은, 3000人が, "2,000 Soldaten"
    people: bool = False


@dataclass(frozen=True)
class _Atom:
    """A numeral with its scale word: "11.000", "1,5 Millionen", "1만2천", "elf Tausend"."""

    start: int
    end: int
    value: int | Fraction  # a Fraction only for decimals: "1,5 Millionen"
    shape: str  # "plain" (bare digits), "grouped", "decimal", "word", "date", "time", "ordinal"
    scale: int | None = None  # the factor of a last scale word: "12 Tausend" -> 1000

    def year(self) -> bool:
        if self.shape == "year":  # the "25" of "2024-25"
            return True
        if self.shape == "word":  # "deux mille vingt-quatre"; "deux mille" is a count
            return 1900 <= self.value <= 2100 and self.value % 1000 != 0
        digits = self.shape == "plain" and self.scale is None and self.end - self.start == 4
        return digits and 1900 <= self.value <= 2100

    def day(self) -> bool:
        return self.shape == "plain" and self.scale is None and 1 <= self.value <= 31


def read_numbers(text: str, language: str | None = None) -> list[Number]:
    """Every number expression in text, in order of appearance. language ("de", "en", "ko",
    "fr", "ru", "uk", "ja", "es", "pl", "it", "nl", "pt", "tr", "zh" or None for unknown)
    decides ambiguous separators: "3.000" is 3000 in German, Spanish, Italian, Dutch,
    Portuguese, Turkish, Polish; "3.5" is 3.5 (not a count) in English. It also decides the
    number words read ("девять", "cinq mille", 二人); an unknown language reads English ones."""
    g = grammar(language)
    original, text = text, _lower(text)
    found: list[Number] = []
    pos = floor = 0
    while (t := g.token.search(text, pos)) is not None:
        atom = _atom(text, original, t.start(), g)
        if isinstance(atom, int):
            pos = max(atom, t.start() + 1)
            continue
        number = _expression(text, original, atom, floor, g)
        if number is None:
            pos = atom.end
            continue
        found.append(number)
        pos = floor = number.end
    return found


# A Korean military unit named by its number, glued to it: "528공병연대" (the 528th
# engineer regiment), "11군단" (the 11th corps), "6사단".
_UNIT_NAME = re.compile(r"[가-힣]{0,6}?(?:연대|여단|사단|군단|대대|중대|소대|부대)")


def counts(text: str, language: str | None = None) -> list[Number]:
    """Only the counts of ``read_numbers``: what the figures stage compares."""
    return [n for n in read_numbers(text, language) if n.kind == "count"]


def _lower(text: str) -> str:
    """Lower case of the same length, so that spans found in it are spans of text."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)  # "İ" -> "i̇"


def _key(phrase: str) -> str:
    return "_".join(phrase.split())


def _expression(text: str, original: str, a: _Atom, floor: int, g: Grammar) -> Number | None:
    """The expression around numeral a (text is lower-cased, original is not): range,
    qualifier and kind; None if it is no figure."""
    rev = text[max(floor, a.start - _WINDOW) : a.start][::-1]
    back, prefix, qualifier, opened = _before(rev, a, g)
    atoms = _range(text, original, a, g, opened > 0)
    start = a.start - (opened if len(atoms) == 2 and opened else back)
    q = atoms[-1].end
    end, unit, after, counted = _after(text, original, atoms, g)
    if end == q and q < len(text) and text[q].isalpha() and ord(text[q]) < 0x1100:
        return None  # glued to letters: "5G", "3D" are names, not figures
    if end == q and _UNIT_NAME.match(text, q, q + _WINDOW):
        return None  # "528공병연대", "11군단": a unit's number, not a count of its men
    kind = _kind(atoms, prefix, unit)
    dated = (kind == "year" and prefix != "year") or (kind == "date" and prefix == "month")
    people = counted or bool(g.people.match(text, end, end + _WINDOW))
    if dated and people:
        kind = "count"  # "2000 Soldaten", "March 30 soldiers": what follows is counted
    low, high = int(atoms[0].value), int(atoms[-1].value)
    if high >= LIMIT:
        return None
    pair = len(atoms) == 2
    return Number(low, low if pair else None, high if pair else None, qualifier or after, start,
                  end, kind, people)  # fmt: skip


def _before(rev: str, a: _Atom, g: Grammar) -> tuple[int, str | None, str | None, int]:
    """What precedes numeral a, read in rev (the text before it, reversed): a kind word
    ("$", "aged", "Feb."), then a qualifier ("mehr als"), then a range opener ("zwischen").
    Returns how far back the first two reach, their meanings, and how far the opener does."""
    back, prefix, qualifier = 0, None, None
    m = g.prefix.match(rev)
    k = g.kinds.get(_key(m["w"][::-1])) if m else None
    # "Feb. 27" is a date, "in March 3,000 troops" is not; "in 2024" is a year
    if m and k and (a.day() if k == "month" else a.year() if k == "year" else True):
        back, prefix = m.end(), k
    m = g.before.match(rev, back)
    if m and (k := g.qualifiers.get(_key(m["w"][::-1]))):
        back, qualifier = m.end(), k
    m = g.opener.match(rev, back)
    return back, prefix, qualifier, m.end() if m else 0


def _thousands_left_out(a: _Atom, b: _Atom) -> bool:
    """ "11 to 12,000", "20 bis 25.000": bare digits, then a round count of thousands of
    the same size (within three times), so the first end's thousands go unsaid."""
    if a.shape != "plain" or a.scale is not None or b.shape != "grouped":
        return False
    low, high = int(a.value), int(b.value)
    return 0 < low < 1000 and high % 1000 == 0 and low * 1000 <= high <= low * 3000


def _range(text: str, original: str, a: _Atom, g: Grammar, opened: bool) -> list[_Atom]:
    """[a], or [low, high] for "10 bis 12", "zwischen 10 und 12", "1만∼1만2천", "2024-25"."""
    if a.year() and (y := _SHORT_YEAR.match(text, a.end)) and int(y[1]) > a.value % 100:
        return [a, _Atom(y.start() + 1, y.end(), a.value - a.value % 100 + int(y[1]), "year")]
    if a.shape in _NOT_COUNTS:
        return [a]
    c = g.to.match(text, a.end, a.end + _WINDOW)
    if c is None and opened:  # "and" joins a range only after "between", "zwischen"
        c = g.ands.match(text, a.end, a.end + _WINDOW)
    b = _atom(text, original, c.end(), g) if c and c.end() < len(text) else None
    if not isinstance(b, _Atom) or b.shape in _NOT_COUNTS:
        return [a]
    low, scale = a.value, a.scale
    if scale is None and b.scale and low < b.value / b.scale:
        low, scale = low * b.scale, b.scale  # "10 bis 12 Tausend": both ends are thousands
    elif _thousands_left_out(a, b):
        low, scale = low * 1000, 1000  # "11 to 12,000": the thousands said once, at the end
    return [_Atom(a.start, a.end, low, a.shape, scale), b] if low <= b.value else [a]


def _after(text: str, original: str, atoms: list[_Atom], g: Grammar) -> _After:
    """What follows the numerals: a unit, suffix or month ("km", "세", "Februar") that
    gives the kind, or else a glued qualifier, a counter and a qualifier ("여 명 이상")."""
    q = atoms[-1].end
    u = g.unit.match(text, q, q + _WINDOW)
    k = g.kinds.get(_key(u[u.lastgroup or "s"])) if u else None
    if u and k and (k != "month" or all(x.day() for x in atoms)):
        return u.end(), k, None, False
    plain = len(atoms) == 1 and atoms[0].shape == "plain"
    if plain and g.dot_ordinal and g.dot_ordinal.match(original, q, q + _WINDOW):
        return q + 1, "ordinal", None, False  # matched in the original: it needs the case
    t = g.tail.match(text, q, q + _WINDOW)
    if t is None or t.end() == q:
        return q, None, None, False
    qualifier = g.qualifiers.get(_key(t["g"] or t["t"] or ""))
    if t["c"] is None and t["t"] is None:  # "20여 년" is a span of time, "20여 명" a count
        r = t.end() + (text[t.end() : t.end() + 1] == " ")
        u = g.unit.match(text, r, r + _WINDOW)
        if u and (k := g.kinds.get(_key(u[u.lastgroup or "s"]))):
            return u.end(), k, qualifier, False
    return t.end(), None, qualifier, t["c"] is not None


def _kind(atoms: list[_Atom], prefix: str | None, unit: str | None) -> str:
    first = atoms[0]
    if first.shape in _NOT_COUNTS:
        return "time" if unit == "time" else first.shape
    if unit == "years" and prefix != "age":  # "2025년", "2024 года" are years, "3 Jahre" a span
        return "year" if all(x.year() for x in atoms) else "measure"
    kind = prefix if prefix == "age" else unit or prefix  # "aged 24 years" is an age
    if kind:
        return "date" if kind == "month" else kind
    if all(x.year() for x in atoms):
        return "year"
    if any((x.shape == "decimal" and x.scale is None) or x.value.denominator > 1 for x in atoms):
        return "decimal"
    return "count"


def _atom(text: str, original: str, p: int, g: Grammar) -> _Atom | int:
    """The numeral at p, or the position to read on from when there is none."""
    m = _DIGITS.match(text, p)
    if m is None:
        return _word_atom(text, original, p, g)
    left = text[max(0, p - 2) : p]
    if left[-1:].isalpha() and ord(left[-1]) < 0x1100:
        return m.end()  # A320, G7: a name
    if left[-1:] == "-" and left[:1].isalpha() and left[0] not in _SMALL and left[0] not in _BIG:
        return m.end()  # F-16, KN-23, COVID-19 (but 2천-3천 is a range)
    if d := _DATE_TIME.match(text, p, p + 20):
        return _Atom(p, d.end(), int(m[0][:4]), "date" if d["date"] else "time")
    d = _SHORT_DATE.match(text, p, p + 8) if "." not in g.decimals else None
    if d and int(d[1]) <= 31 and 1 <= int(d[2]) <= 12:
        return _Atom(p, d.end(), int(d[1]), "date")
    digits, q, n = m[0], m.end(), len(text)
    if len(digits) > _MAX_DIGITS:
        return q
    sep, shape = "", "plain"
    if len(digits) <= 3:  # "3,000", "3.000", "3 000": groups of three after one to three
        while q < n and text[q] in g.groups and (not sep or text[q] == sep):
            group = _DIGITS.match(text, q + 1)
            if group is None or group.end() - group.start() != 3:
                break
            sep, q, digits = text[q], group.end(), digits + group[0]
            if len(digits) > _MAX_DIGITS:
                return q
        shape = "grouped" if sep else shape
    value: int | Fraction = int(digits)
    if q < n and text[q] in g.decimals and text[q] != sep:
        frac = _DIGITS.match(text, q + 1)
        if frac and frac.end() - frac.start() <= 9:
            value += Fraction(int(frac[0]), 10 ** len(frac[0]))
            shape, q = "decimal", frac.end()
    scale = None
    if g.code in ("ko", "ja", "zh", "") and q < n and (text[q] in _SMALL or text[q] in _BIG):
        value, q, scale = _cjk(text, q, value)
        shape = "grouped" if shape == "plain" else shape
        if left == "만 " and text[p - 3 : p - 2] in ("", " ") and value < 10**4:
            return _Atom(p - 2, q, value + 10**4, "grouped", None)  # "만 2천 명": 12,000
    elif (s := g.scale.match(text, q, q + _WINDOW)) and (f := g.scales.get(_key(s["w"]))):
        value, scale, q = value * f, f, s.end()
        # "3 bin 500 asker", "2 тысячи 500 солдат": the hundreds after the thousands
        if f == 1000 and g.code in _HUNDREDS_AFTER and (h := _HUNDREDS.match(text, q)):
            value, scale, q = value + int(h[1]), None, h.end()
    return _Atom(p, q, value, shape, scale)


def _cjk(text: str, q: int, value: int | Fraction | None) -> tuple[int | Fraction, int, int | None]:
    """1만2천 = 12,000, 2천700 = 2,700, 3억5천만 = 350,000,000: digits before 십/백/천 add
    up to a section, and each 만 or 억 (万, 億) multiplies the section before it."""
    total: int | Fraction = 0
    section: int | Fraction = 0
    cur: int | Fraction | None = value
    big = small = LIMIT  # units only fall: 억 then 만, 천 then 백; "1천1천" is two numbers
    units, n, mark = "", len(text), -1
    while q < n and total < LIMIT:
        ch = text[q]
        if _SMALL.get(ch, small) < small:
            small = _SMALL[ch]
            section += (1 if cur is None else cur) * small
            cur = None
        elif _BIG.get(ch, big) < big:
            big, small = _BIG[ch], LIMIT
            total += ((section + (cur or 0)) or 1) * big
            section, cur = 0, None
        elif cur is None and (m := _DIGITS.match(text, q)) and m.end() - q <= 4:
            cur, q, mark = int(m[0]), m.end(), q
            continue
        else:
            if mark >= 0 and (ch in _SMALL or ch in _BIG):
                q, cur = mark, None  # "1천1천": the second 1천 is a number of its own
            elif ch == " " and cur is None and units[-1:] in _BIG and _lower_after(text, q + 1):
                q += 1  # "1만 1천 명", "1万 1000人": the lower units go on after a space
                continue
            break
        units, q, mark = units + ch, q + 1, -1
    simple = len(units) == 1 and cur is None  # "2만" scales like "2 Tausend"; "1만2천" not
    return total + section + (cur or 0), q, (_SMALL | _BIG)[units] if simple else None


_HUNDREDS_AFTER = {"tr", "ru", "uk", "pl", ""}  # languages that say "3 thousand 500"
_HUNDREDS = re.compile(r" (\d{3})(?![\d.,:/-]|\s*(?:%|\w*-))")


def _lower_after(text: str, p: int) -> bool:
    """Digits at p that go on a number whose 만 or 万 came before a space: followed by a
    smaller unit (1만 1천) or by a counter for people (1万 1000人), not a year (1만 2025년)."""
    m = _DIGITS.match(text, p)
    if m is None or m.end() - p > 4:
        return False
    return text[m.end() : m.end() + 1] in (*_SMALL, *_PEOPLE)


_PEOPLE = ("명", "人", "名")


def _word_atom(text: str, original: str, p: int, g: Grammar) -> _Atom | int:
    """Number words: "eleven thousand", "elftausend", "пять тысяч", "duemila", "두 번째", 二人."""
    if g.code in ("ja", "zh"):
        return _han(text, p, g)
    m = g.word.match(text, p)
    if m is None:
        return p + 1
    if m.end() - p > 60:
        return m.end()
    if g.code in ("ko", "") and (k := _KO_ORDINAL.match(text, p, p + 12)):
        return _Atom(p, k.end(), KO_ORDINALS[k[1]], "ordinal")
    if g.code in ("ko", "") and (k := _KO_BARE.match(text, p)):  # 천여 명, 만 명
        return _Atom(p, k.end(), (_SMALL | _BIG)[k[0]], "word")
    n = g.numerals
    if n is None:
        return m.end()
    found = _glued(text, m, g, n) if n.glued else _apart(text, original, p, g, n)
    if found is None:
        return m.end()
    value, q, scale = found
    before = text[max(0, p - _WINDOW) : p].split()
    after = g.next_word.match(text, q, q + _WINDOW)
    if (before and before[-1] in n.vague) or (after and after[1] in n.vague):
        return q  # "several hundred", "birkaç bin" (a few thousand), "on binlerce"
    hyphen = after and text[q] == "-" and after[1] not in n.values and after[1] not in g.starts
    if hyphen and not g.unit.match(text, q, q + _WINDOW):
        return q  # a part of a word: "twenty-first", "two-thirds", "vingt-deuxième"
    return _Atom(p, q, value, "word", scale)


def _glued(text: str, m: re.Match[str], g: Grammar, n: Numerals) -> _Read | None:
    """A number glued into one word, then a scale word apart: "elftausend", "vijfduizend",
    "duemila", "elf Tausend", "due milioni". A word for one needs the scale: "eine Million"."""
    word, q = m[0], m.end()
    read = _compound(word, n, g.parts)
    if read is None and word not in n.ones:
        return None
    value, scale = read or (n.ones[word], None)
    if (s := g.scale.match(text, q, q + _WINDOW)) and (f := g.scales.get(_key(s["w"]))):
        value, scale, q = value * f, f, s.end()
    elif value < 2:
        return None
    return int(value), q, scale


def _compound(
    word: str, n: Numerals, parts: dict[str, tuple[str, ...]]
) -> tuple[int, int | None] | None:
    """A number word, zweihundertfünfundzwanzigtausend = 225,000, and the factor of a last
    "tausend". Each part is checked against the part before it, so that "Elfen" or "Achtung"
    are no numbers. German and Dutch put units first (fünfundzwanzig, vijfentwintig),
    Italian tens (venticinque)."""
    total = group = i = 0
    prev = ""
    while i < len(word):
        part = next((x for x in parts.get(word[i], ()) if word.startswith(x, i)), "")
        if not part:
            return None
        v, i = n.values[part], i + len(part)
        if v == 0:  # the "und" of einundzwanzig
            ok, kind = prev == "unit", "glue"
        elif v == 100:
            ok, group, kind = prev in ("", "unit", "thousand"), (group or 1) * 100, "hundred"
        elif v == 1000:  # one "tausend" a word
            ok, kind = prev not in ("glue", "thousand") and not total, "thousand"
            total, group = (group or 1) * 1000, 0
        else:
            ok = prev in ("", "hundred", "thousand")
            if v < 10:
                ok = ok or (n.tens_first and prev == "tens")
            elif v == 10 and not n.tens_first:  # dreizehn = drei + zehn
                ok = ok or prev == "unit"
            else:  # einundzwanzig = ein + und + zwanzig
                ok = ok or (prev == "glue" and v >= 20)
            group, kind = group + v, _role(v)
        if not ok:
            return None
        prev = kind
    return None if prev in ("", "glue") else (total + group, 1000 if prev == "thousand" else None)


def _apart(text: str, original: str, p: int, g: Grammar, n: Numerals) -> _Read | None:
    """Number words written apart, each checked against the word before it: "two hundred
    and fifty", "vingt et un", "две тысячи пятьсот", "beş bin". A scale word alone is a
    number where its form says one thousand ("тысячу", "mil"), not where it says thousands
    ("тысячи"; but "около тысячи" is about a thousand)."""
    total: int | Fraction = 0
    group: int | Fraction = 0
    prev, last, top, joined, lone = "", 0, LIMIT, False, ""
    words, end, scale = 0, p, None
    m: re.Match[str] | None = g.word.match(text, p)
    at, stop, word = p, m.end() if m else p, m[0] if m else ""
    while m is not None:
        # "k" multiplies digits only: "6K troops", but "a K-pop star"
        s = g.scale.match(text, at, at + _WINDOW) if word in g.starts and word != "k" else None
        f = g.scales.get(_key(s["w"])) if s else None
        phrase = g.phrase.match(text, at, at + _WINDOW) if g.phrase else None
        v = n.phrases[_key(phrase[0].replace("-", " "))] if phrase else n.values.get(word)
        stop = phrase.end() if phrase else stop
        if s and f:
            key = _key(s["w"])
            if prev == "":
                alone = key in n.alone or (key in n.qualified and _qualified(text, p, g))
                ok, lone = alone, key
            else:
                ok = prev != "scale" and f < top
            if not ok:
                break
            total, group, top, prev, stop = total + (group or 1) * f, 0, f, "scale", s.end()
        elif prev == "" and word in n.ones:
            group, prev = n.ones[word], "one"
        elif word in n.ands and not joined and prev in n.ands[word]:
            joined = True  # "and" counts only with a number after it
        elif word in n.hundred and (
            prev in ("unit", "teen")
            or (prev == "one" and group == 1)
            or (not prev and word in n.alone)
        ):
            group, prev, f = (group or 1) * 100, "hundred", 100
        elif v is not None and _follows(prev, v, last, n):
            group, last, prev = group + v, v, _role(v)
        else:
            break
        if prev != "one" and not (joined and word in n.ands):
            words, end, scale, joined = words + 1, stop, f, False
        m = g.next_word.match(text, stop, stop + _WINDOW)
        if m is not None:
            at, stop, word = m.start(1), m.end(1), m[1]
    value = total + group
    if words == 0 or value < 2 or int(value) != value:
        return None
    nxt = g.next_word.match(text, end, end + _WINDOW)
    if words == 1 and lone in n.names and nxt and original[nxt.start(1)].isupper():
        return None  # "Muhammed bin Selman", "Mil Mi-8": a name
    return int(value), end, scale


def _follows(prev: str, v: int, last: int, n: Numerals) -> bool:
    """Whether a number word of value v may follow prev, the role of the word before it
    (of value last): "twenty-five", "dix-sept", "on beş", "soixante-dix", "двести пять"."""
    if v >= 100:  # двести, doscientos: a hundreds word starts a group
        return prev in ("", "scale")
    if prev in ("", "hundred", "scale"):
        return True
    if v < 10:
        return (prev == "tens" and last % 10 == 0) or (
            prev == "teen" and last == 10 and n.ten_units
        )
    return v < 20 and prev == "tens" and last in n.teens_after


def _role(v: int) -> str:
    return "unit" if v < 10 else "teen" if v < 20 else "tens" if v < 100 else "hundred"


def _qualified(text: str, p: int, g: Grammar) -> bool:
    """Whether a qualifier ends just before p: "около тысячи" is a thousand, "тысячи" not."""
    m = g.before.match(text[max(0, p - _WINDOW) : p][::-1])
    return bool(m and g.qualifiers.get(_key(m["w"][::-1])))


def _han(text: str, p: int, g: Grammar) -> _Atom | int:
    """Han numerals before a counter, read as ``_cjk`` reads 1万2千: 二人, 九名, 两千名. Never
    after 数 or 几 ("several") or 第 (an ordinal), never before anything but a counter, so
    that dates (十二月, 二〇二四年) and words stay out."""
    q, n = p, min(len(text), p + 12)
    while q < n and (text[q] in HAN_DIGITS or text[q] in _SMALL or text[q] in _BIG):
        q += 1
    t = g.tail.match(text, q, q + _WINDOW)
    run = text[p:q].translate(_HAN_TO_DIGITS)
    if (p and text[p - 1] in HAN_VAGUE) or t is None or t["c"] is None or run[0] in _BIG:
        return q  # 万人 is "everyone" as often as ten thousand
    d = _DIGITS.match(run)
    if d and len(d[0]) > 1:
        return q  # 二三人: "two or three"
    value, end, _scale = _cjk(run, d.end() if d else 0, int(d[0]) if d else None)
    return q if end < len(run) or value < 2 else _Atom(p, q, int(value), "word")
