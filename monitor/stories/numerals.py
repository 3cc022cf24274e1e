"""Numbers written as words, per language, for ``numbers``: "девять", "cinq mille", "duemila".

A ``Numerals`` says which words are numbers and how they join. Written apart (English,
French, Spanish, Portuguese, Russian, Ukrainian, Polish, Turkish), each word is checked
against the word before it: units, teens, tens and hundreds add up, a word for hundred and
the scale words of ``numwords`` ("тысяч", "mil") multiply. Glued into one word (German
"dreitausend", Dutch "vijfduizend", Italian "duemila"), the word is read part by part and a
scale word may follow apart ("drei Millionen"). A table is a string, "2 два две; 3 три":
each value, then its forms (case forms too: "девяти", "dziewięciu"). Words for one are
articles as well ("un", "одна", "bir"): they are numbers only inside a larger one ("vingt
et un", "одна тысяча"). Korean ordinals and Han numerals (二人, 两千名) are here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

APOSTROPHES = "'’ʼ"  # Ukrainian writes п'ять with any of them


def _values(table: str) -> dict[str, int]:
    """ "2 два две; 3 три" -> {"два": 2, "две": 2, "три": 3}, each "'" in every spelling."""
    out: dict[str, int] = {}
    for entry in table.split(";"):
        value, *forms = entry.split()
        for form in forms:
            out |= {form.replace("'", a): int(value) for a in APOSTROPHES}
    return out


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


@dataclass(frozen=True)
class Numerals:
    """How one language writes numbers as words: ``numwords.grammar`` compiles it into the
    ``Grammar`` that ``numbers`` reads with."""

    values: dict[str, int]  # 1 to 999 on their own; glued: the parts, 0 for a glue ("und")
    hundred: frozenset[str] = frozenset()  # multiply by 100: "two hundred", "deux cents"
    ones: dict[str, Fraction] = field(default_factory=dict)  # only before a scale: "a"
    alone: frozenset[str] = frozenset()  # scale words that are a number alone: "тысячу"
    qualified: frozenset[str] = frozenset()  # ... after a qualifier only: "около тысячи"
    names: frozenset[str] = frozenset()  # ... not before a capital: "bin Selman", "Mil Mi-8"
    vague: frozenset[str] = frozenset()  # make a number next to them vague: "birkaç bin"
    ands: dict[str, frozenset[str]] = field(default_factory=dict)  # "and" -> what it follows
    phrases: dict[str, int] = field(default_factory=dict)  # several words, one value
    teens_after: frozenset[int] = frozenset()  # tens a teen follows: soixante-dix = 60 + 10
    ten_units: bool = False  # a unit follows ten: "dix-sept", "on beş"
    glued: bool = False  # one word: "zweihundertfünfundzwanzigtausend"
    tens_first: bool = False  # glued tens before units: "ventitré" (not "dreiundzwanzig")
    inner: str = ""  # characters inside a word: п'ять


# fmt: off
NUMERALS: dict[str, Numerals] = {
    "en": Numerals(
        _values("1 one; 2 two; 3 three; 4 four; 5 five; 6 six; 7 seven; 8 eight; 9 nine; 10 ten; "
                "11 eleven; 12 twelve; 13 thirteen; 14 fourteen; 15 fifteen; 16 sixteen; "
                "17 seventeen; 18 eighteen; 19 nineteen; 20 twenty; 30 thirty; 40 forty; "
                "50 fifty; 60 sixty; 70 seventy; 80 eighty; 90 ninety"),
        hundred=_set("hundred"), ones={"a": Fraction(1)},
        alone=_set("hundred thousand million billion"), ands={"and": _set("hundred scale")},
        vague=_set("several few"),  # "several hundred", "a few thousand"
    ),
    "de": Numerals(
        _values("1 ein eins; 2 zwei zwo; 3 drei; 4 vier; 5 fünf; 6 sechs; 7 sieben; 8 acht; "
                "9 neun; 10 zehn; 11 elf; 12 zwölf; 16 sechzehn; 17 siebzehn; 20 zwanzig; "
                "30 dreißig dreissig; 40 vierzig; 50 fünfzig; 60 sechzig; 70 siebzig; 80 achtzig; "
                "90 neunzig; 100 hundert; 1000 tausend; 0 und"),
        ones=dict.fromkeys(_set("eine einen einem einer"), Fraction(1)), glued=True,
        vague=_set("mehrere einige paar wenige etliche"),  # "einige tausend"
    ),
    "nl": Numerals(
        _values("1 een; 2 twee; 3 drie; 4 vier; 5 vijf; 6 zes; 7 zeven; 8 acht; 9 negen; "
                "10 tien; 11 elf; 12 twaalf; 13 dertien; 14 veertien; 15 vijftien; 16 zestien; "
                "17 zeventien; 18 achttien; 19 negentien; 20 twintig; 30 dertig; 40 veertig; "
                "50 vijftig; 60 zestig; 70 zeventig; 80 tachtig; 90 negentig; 100 honderd; "
                "1000 duizend; 0 en ën"),
        glued=True, vague=_set("paar enkele"),
    ),
    "it": Numerals(  # "vent", "trent": the elided tens of ventotto, trentuno
        _values("1 uno; 2 due; 3 tre tré; 4 quattro; 5 cinque; 6 sei; 7 sette; 8 otto; 9 nove; "
                "10 dieci; 11 undici; 12 dodici; 13 tredici; 14 quattordici; 15 quindici; "
                "16 sedici; 17 diciassette; 18 diciotto; 19 diciannove; 20 venti vent; "
                "30 trenta trent; 40 quaranta quarant; 50 cinquanta cinquant; 60 sessanta sessant; "
                "70 settanta settant; 80 ottanta ottant; 90 novanta novant; 100 cento; "
                "1000 mille mila"),
        ones=dict.fromkeys(_set("un una"), Fraction(1)), glued=True, tens_first=True,
        vague=_set("alcune alcuni"),
    ),
    "fr": Numerals(
        _values("1 un une; 2 deux; 3 trois; 4 quatre; 5 cinq; 6 six; 7 sept; 8 huit; 9 neuf; "
                "10 dix; 11 onze; 12 douze; 13 treize; 14 quatorze; 15 quinze; 16 seize; "
                "20 vingt; 30 trente; 40 quarante; 50 cinquante; 60 soixante"),
        phrases={"quatre_vingt": 80, "quatre_vingts": 80}, hundred=_set("cent cents"),
        alone=_set("cent mille"), ands={"et": _set("tens")}, teens_after=frozenset({60, 80}),
        ten_units=True, vague=_set("quelques plusieurs"),
    ),
    "es": Numerals(
        _values("1 uno una un; 2 dos; 3 tres; 4 cuatro; 5 cinco; 6 seis; 7 siete; 8 ocho; "
                "9 nueve; 10 diez; 11 once; 12 doce; 13 trece; 14 catorce; 15 quince; "
                "16 dieciséis dieciseis; 17 diecisiete; 18 dieciocho; 19 diecinueve; 20 veinte; "
                "21 veintiuno veintiuna veintiún; 22 veintidós veintidos; "
                "23 veintitrés veintitres; 24 veinticuatro; 25 veinticinco; "
                "26 veintiséis veintiseis; 27 veintisiete; 28 veintiocho; 29 veintinueve; "
                "30 treinta; 40 cuarenta; 50 cincuenta; "
                "60 sesenta; 70 setenta; 80 ochenta; 90 noventa; 100 cien ciento; "
                "200 doscientos doscientas; 300 trescientos trescientas; "
                "400 cuatrocientos cuatrocientas; 500 quinientos quinientas; "
                "600 seiscientos seiscientas; 700 setecientos setecientas; "
                "800 ochocientos ochocientas; 900 novecientos novecientas"),
        alone=_set("mil mil_millones"), names=_set("mil"), ands={"y": _set("tens")},
        vague=_set("varios varias algunos algunas pocos"),
    ),
    "pt": Numerals(
        _values("1 um uma; 2 dois duas; 3 três; 4 quatro; 5 cinco; 6 seis; 7 sete; 8 oito; "
                "9 nove; 10 dez; 11 onze; 12 doze; 13 treze; 14 catorze quatorze; 15 quinze; "
                "16 dezesseis dezasseis; 17 dezessete dezassete; 18 dezoito; 19 dezenove dezanove; "
                "20 vinte; 30 trinta; 40 quarenta; 50 cinquenta; 60 sessenta; 70 setenta; "
                "80 oitenta; 90 noventa; 100 cem cento; 200 duzentos duzentas; "
                "300 trezentos trezentas; 400 quatrocentos quatrocentas; "
                "500 quinhentos quinhentas; 600 seiscentos seiscentas; "
                "700 setecentos setecentas; 800 oitocentos oitocentas; 900 novecentos novecentas"),
        alone=_set("mil mil_milhões"), names=_set("mil"), ands={"e": _set("tens hundred scale")},
        vague=_set("vários várias alguns algumas poucos"),
    ),
    "ru": Numerals(  # "семью" is also "family": left out
        _values("1 один одна одно одну одного одной одним одном; 2 два две двух двум двумя "
                "двое двоих; 3 три трёх трех трём трем тремя трое троих; 4 четыре четырёх "
                "четырех четырём четырем четырьмя четверо четверых; 5 пять пяти пятью пятеро "
                "пятерых; 6 шесть шести шестью шестеро шестерых; 7 семь семи семеро семерых; "
                "8 восемь восьми восемью восьмью восьмеро восьмерых; 9 девять девяти девятью "
                "девятеро девятерых; 10 десять десяти десятью десятеро десятерых; "
                "11 одиннадцать одиннадцати; 12 двенадцать двенадцати; 13 тринадцать тринадцати; "
                "14 четырнадцать четырнадцати; 15 пятнадцать пятнадцати; 16 шестнадцать "
                "шестнадцати; 17 семнадцать семнадцати; 18 восемнадцать восемнадцати; "
                "19 девятнадцать девятнадцати; 20 двадцать двадцати; 30 тридцать тридцати; "
                "40 сорок сорока; 50 пятьдесят пятидесяти; 60 шестьдесят шестидесяти; "
                "70 семьдесят семидесяти; 80 восемьдесят восьмидесяти; 90 девяносто девяноста; "
                "100 сто ста; 200 двести двухсот двумстам; 300 триста трёхсот трехсот; "
                "400 четыреста четырёхсот четырехсот; 500 пятьсот пятисот; 600 шестьсот шестисот; "
                "700 семьсот семисот; 800 восемьсот восьмисот; 900 девятьсот девятисот"),
        ones=dict.fromkeys(_set("полтора полторы полутора"), Fraction(3, 2)),
        alone=_set("тысяча тысячу тысячей тысячью тысяче миллион миллиона миллиард миллиарда"),
        qualified=_set("тысячи"),  # "около тысячи" is a thousand, "тысячи солдат" thousands
        vague=_set("несколько нескольких"),
    ),
    "uk": Numerals(
        _values("1 один одна одне одну одного однієї одній одним; 2 два дві двох двом двома "
                "двоє двоїх; 3 три трьох трьом трьома троє; 4 чотири чотирьох чотирьом чотирма "
                "четверо; 5 п'ять п'яти п'ятьох п'ятьма п'ятеро; 6 шість шести шістьох шістьма "
                "шестеро; 7 сім семи сімох сьома семеро; 8 вісім восьми вісьмох вісьма восьмеро; "
                "9 дев'ять дев'яти дев'ятьох дев'ятьма дев'ятеро; 10 десять десяти десятьох "
                "десятьма десятеро; 11 одинадцять одинадцяти; 12 дванадцять дванадцяти; "
                "13 тринадцять тринадцяти; 14 чотирнадцять чотирнадцяти; 15 п'ятнадцять "
                "п'ятнадцяти; 16 шістнадцять шістнадцяти; 17 сімнадцять сімнадцяти; "
                "18 вісімнадцять вісімнадцяти; 19 дев'ятнадцять дев'ятнадцяти; 20 двадцять "
                "двадцяти; 30 тридцять тридцяти; 40 сорок сорока; 50 п'ятдесят п'ятдесяти; "
                "60 шістдесят шістдесяти; 70 сімдесят сімдесяти; 80 вісімдесят вісімдесяти; "
                "90 дев'яносто дев'яноста; 100 сто ста; 200 двісті двохсот; 300 триста трьохсот; "
                "400 чотириста чотирьохсот; 500 п'ятсот п'ятисот; 600 шістсот шестисот; "
                "700 сімсот семисот; 800 вісімсот восьмисот; 900 дев'ятсот дев'ятисот"),
        ones=dict.fromkeys(_set("півтора півтори"), Fraction(3, 2)),
        alone=_set("тисяча тисячу тисячею мільйон мільйона мільярд мільярда"),
        qualified=_set("тисячі"), inner=APOSTROPHES, vague=_set("кілька декілька кількох"),
    ),
    "pl": Numerals(
        _values("1 jeden jedna jedno jednego jedną; 2 dwa dwie dwóch dwoma dwaj dwu dwoje; "
                "3 trzy trzech trzema trzej troje; 4 cztery czterech czterema czterej czworo; "
                "5 pięć pięciu pięcioma pięcioro; 6 sześć sześciu sześcioma; 7 siedem siedmiu "
                "siedmioma; 8 osiem ośmiu ośmioma; 9 dziewięć dziewięciu dziewięcioma; "
                "10 dziesięć dziesięciu dziesięcioma; 11 jedenaście jedenastu; 12 dwanaście "
                "dwunastu; 13 trzynaście trzynastu; 14 czternaście czternastu; 15 piętnaście "
                "piętnastu; 16 szesnaście szesnastu; 17 siedemnaście siedemnastu; 18 osiemnaście "
                "osiemnastu; 19 dziewiętnaście dziewiętnastu; 20 dwadzieścia dwudziestu; "
                "30 trzydzieści trzydziestu; 40 czterdzieści czterdziestu; 50 pięćdziesiąt "
                "pięćdziesięciu; 60 sześćdziesiąt sześćdziesięciu; 70 siedemdziesiąt "
                "siedemdziesięciu; 80 osiemdziesiąt osiemdziesięciu; 90 dziewięćdziesiąt "
                "dziewięćdziesięciu; 100 sto stu; 200 dwieście dwustu; 300 trzysta trzystu; "
                "400 czterysta czterystu; 500 pięćset pięciuset; 600 sześćset sześciuset; "
                "700 siedemset siedmiuset; 800 osiemset ośmiuset; 900 dziewięćset dziewięciuset"),
        ones=dict.fromkeys(_set("półtora półtorej"), Fraction(3, 2)),
        alone=_set("tysiąc tysiąca tysiącem tysiącu milion miliona miliard miliarda"),
        vague=_set("kilka kilku"),
    ),
    "tr": Numerals(  # "yüz" is a face too: a hundred only with a unit or a scale
        _values("1 bir; 2 iki; 3 üç; 4 dört; 5 beş; 6 altı; 7 yedi; 8 sekiz; 9 dokuz; 10 on; "
                "20 yirmi; 30 otuz; 40 kırk; 50 elli; 60 altmış; 70 yetmiş; 80 seksen; 90 doksan"),
        hundred=_set("yüz"), ones={"yüz": Fraction(100)}, alone=_set("bin bine binden"),
        names=_set("bin"), vague=_set("birkaç binlerce yüzlerce onlarca milyonlarca"),
        ten_units=True,
    ),
}
KO_ORDINALS = {"첫": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8,
               "아홉": 9, "열": 10}
HAN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
              "两": 2, "兩": 2}
HAN_UNITS = "十百千万萬億亿"  # where a Han numeral may start, with HAN_DIGITS
HAN_VAGUE = "数數几幾何上成第好"  # 数千人 and 几百名 are vague, 上千人 too; 第二 is an ordinal
# fmt: on
