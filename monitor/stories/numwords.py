"""The words around numbers, per language, for ``numbers``; ``grammar()`` compiles them.

A ``Lang`` says how digits are grouped ("3.000" or "3,000"), which scale words multiply
("tausend", "тыс."), which qualifiers bound a figure ("rund", "이상"), which words give a
number another kind than a count ("km", "Prozent", "세") and which people words make it
a count ("Soldaten", "명"). A table is a string of phrases split on spaces; "_" joins the
words of one phrase ("more_than") and matches any run of spaces. Unknown languages (None)
read the union of every table. Numbers written as words are ``numerals``' tables.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from monitor.stories.numerals import HAN_DIGITS, HAN_UNITS, NUMERALS, Numerals


@dataclass(frozen=True)
class Lang:
    groups: str = ","  # characters that group thousands ("3,000"); a space is one too
    decimals: str = "."  # decimal marks ("1,5 Millionen")
    scales: dict[int, str] = field(default_factory=dict)  # factor -> words after a numeral
    before: dict[str, str] = field(default_factory=dict)  # qualifier -> phrases before it
    after: dict[str, str] = field(default_factory=dict)  # qualifier -> phrases after it
    glued: str = ""  # qualifiers glued to the numeral: 4천여, 1万余
    prefixes: dict[str, str] = field(default_factory=dict)  # kind -> phrases before ("$")
    units: dict[str, str] = field(default_factory=dict)  # kind -> words after ("km", "%")
    suffixes: dict[str, str] = field(default_factory=dict)  # kind -> glued after ("2nd")
    months: str = ""  # after a day number: "27 February", "27. Februar", "27 de febrero"
    people: str = ""  # what a count counts; makes "2000 Soldaten" a count, not a year
    counters: str = ""  # CJK counters, part of the expression: 1만 명, 3000人
    to: str = ""  # range connectors: "10 bis 12"
    openers: str = ""  # open a range that ``ands`` close: "zwischen 10 und 12"
    ands: str = ""
    dot_ordinals: str = ""  # German "2. Weltkrieg": nouns after an ordinal dot


def _de(months: str) -> str:
    """Spanish and Portuguese say "27 de febrero": each month with and without "de"."""
    return " ".join(f"de_{m} {m}" for m in months.split())


# fmt: off
COMMON = Lang(
    groups="\u00a0\u202f", decimals="",  # a no-break space groups digits in every language
    after={"more than": "+"}, prefixes={"money": "$ us$ € £ ¥ ₩ ₽ ₴ usd eur"},
    units={"percent": "% ％ pct", "money": "$ € £ ¥ ₩ ₽ ₴ usd eur",
           "measure": "mm cm km kg km² km/h ha °c °f kt mw kw ㎜ ㎞ ㎏"},
    suffixes={"measure": "°c °f"}, to="- – — ‒ − ~ ∼ 〜 ～",
)

LANGS: dict[str, Lang] = {
    "en": Lang(
        # "6K troops"; "38 hundred" (said for 3,800)
        scales={10**2: "hundred", 10**3: "thousand k", 10**6: "million mn", 10**9: "billion bn"},
        before={"about": "about around roughly some an_estimated estimated approximately "
                "approx. nearly almost close_to",
                "more than": "more_than over upwards_of in_excess_of well_over",
                "at least": "at_least no_fewer_than no_less_than a_minimum_of",
                # every upper bound reads as "up to": "less than 3,000" is not 3,000 or more
                "up to": "up_to as_many_as at_most no_more_than fewer_than less_than under"},
        after={"more than": "or_more -plus", "about": "or_so"},
        prefixes={"age": "aged age", "year": "in since in_the_year", "month": "jan. jan "
                  "january feb. feb february mar. march apr. apr april may june jun. jun july "
                  "jul. jul aug. aug august sept. sep. sept sep september oct. oct october "
                  "nov. nov november dec. dec december"},
        units={"money": "dollars dollar euros euro pounds yen won yuan rubles roubles",
               "percent": "percent per_cent", "years": "years year",
               "measure": "millimetres millimeters metres meters kilometres kilometers miles "
               "mile tonnes tons kilograms kilos hectares acres feet ft inches mph knots "
               "kilotons degrees days weeks months hours minutes day week month hour minute times "
               "waves rounds batches",
               "age": "year-old years-old years_old year_old", "time": "a.m. p.m. o'clock"},
        suffixes={"ordinal": "st nd rd th", "time": "am pm", "years": "s"},  # the 1990s
        months="january february march april may june july august september october "
        "november december",
        people="soldiers soldier troops servicemen personnel men fighters people workers "
        "recruits conscripts mercenaries casualties killed wounded dead prisoners",
        to="to", openers="between from", ands="and",
    ),
    "de": Lang(
        groups=". ", decimals=",", to="bis", openers="zwischen von", ands="und",
        scales={10**3: "tausend tsd. tsd", 10**6: "million millionen mio. mio",
                10**9: "milliarde milliarden mrd. mrd"},
        before={"about": "rund etwa ca. circa zirka ungefähr knapp fast beinahe annähernd "
                "schätzungsweise um_die an_die",
                "more than": "mehr_als über gut weit_über",  # "gut 3.000": a bit more than
                "at least": "mindestens wenigstens zumindest",
                "up to": "bis_zu höchstens maximal weniger_als unter"},
        after={"more than": "und_mehr oder_mehr"},
        prefixes={"age": "im_alter_von", "year": "im_jahr im_jahre jahr seit"},
        units={"money": "euro dollar us-dollar rubel won yen yuan pfund franken",
               "percent": "prozent", "years": "jahre jahren", "time": "uhr",
               "measure": "millimeter kilometer kilometern meter metern kilogramm kilo tonnen "
               "hektar quadratkilometer meilen grad kilotonnen tage tagen wochen monate "
               "monaten stunden minuten tag monat woche stunde wellen runden etappen",
               "age": "jahre_alt jährige jährigen jähriger jähriges jährig"},
        months="januar jan. februar feb. märz april apr. mai juni juli august aug. september "
        "sept. sep. oktober okt. november nov. dezember dez.",
        people="soldaten soldat truppen mann kämpfer menschen personen militärs streitkräfte "
        "arbeiter tote verletzte gefangene rekruten söldner",
        dot_ordinals="weltkrieg mal platz armee korps division brigade jahrhundert liga runde "
        "stelle quartal",
    ),
    "ko": Lang(
        before={"about": "약 대략 거의 어림잡아", "at least": "최소 최소한 적어도",
                "up to": "최대 무려"},
        glued="여",  # 4천여 명 is "4,000-odd", a little over 4,000: read as "more than"
        after={"more than": "이상 넘는 넘게 넘어 남짓 초과", "about": "가량 정도 안팎 내외 쯤",
               "up to": "이하 미만"},
        prefixes={"ordinal": "제", "time": "오전 오후 새벽"},
        units={"money": "달러 원 유로 위안 엔 루블", "percent": "퍼센트 프로",
               "measure": "킬로미터 킬로그램 밀리 미터 톤"},
        # 20대 is "in their twenties" (an age), 2025년 a year, 3년 three years
        suffixes={"age": "세 살 대", "date": "월 일", "time": "시 분", "years": "년",
                  # counters of things, not people: 3척 (ships), 2발 (rounds), 3개 (items)
                  "measure": "개월 일간 주간 년간 시간 주일 척 발 문 곳 차례 회 개 기",
                  "ordinal": "번째 차"},
        people="명 병력 군인 병사 장병 군", counters="명",
    ),
    "ja": Lang(
        before={"about": "約 およそ 推定 ほぼ 概ね", "more than": "超",
                "at least": "少なくとも 最低", "up to": "最大"},
        glued="余 多", to="から", people="人 名 兵 兵士 部隊 人員", counters="人 名",
        after={"more than": "以上 余り あまり 超 超え", "about": "前後 程度 ほど 規模 ばかり",
               "up to": "以下 未満"},
        prefixes={"ordinal": "第", "time": "午前 午後"},
        units={"money": "ドル 円 ユーロ ウォン ルーブル", "percent": "パーセント",
               "measure": "キロ キロメートル メートル トン ミリ"},
        suffixes={"age": "歳 才", "date": "月 日", "time": "時 分", "years": "年",
                  "measure": "か月 カ月 ヶ月 時間 日間 週間 年間 か国 カ国 ヶ国 か所 カ所 回",
                  "ordinal": "番目 回目 度目"},
    ),
    "zh": Lang(
        before={"about": "约 大约 近 将近 大概", "more than": "超过 逾 超",
                "at least": "至少 最少", "up to": "最多 多达 高达"},
        glued="余 多", to="至 到", people="人 名 士兵 军人 兵 官兵", counters="人 名",
        after={"more than": "以上", "about": "左右 上下", "up to": "以下"},
        prefixes={"ordinal": "第", "time": "上午 下午"},
        units={"money": "美元 元 欧元 人民币 卢布 韩元", "measure": "公里 吨 毫米 公斤"},
        suffixes={"age": "岁", "date": "月 日 号", "time": "点 时", "years": "年",
                  "measure": "个月 小时 天 国 个国家 次"},
    ),
    "ru": Lang(
        groups=" .", decimals=",.", to="до", openers="от между", ands="и",
        scales={10**3: "тыс. тыс тысяч тысячи тысяча тысячу тысячах тысячами тысячам тысячей "
                "тысяче тысячью",
                10**6: "млн. млн миллион миллиона миллионов",
                10**9: "млрд. млрд миллиард миллиарда миллиардов"},
        before={"about": "около примерно порядка почти приблизительно",
                "more than": "более больше свыше более_чем больше_чем",
                "at least": "не_менее не_меньше по_меньшей_мере как_минимум минимум",
                "up to": "до не_более менее меньше максимум"},
        after={"more than": "с_лишним"}, prefixes={"age": "в_возрасте"},
        units={"money": "долларов доллара доллар рублей рубля рубль руб. евро юаней",
               "percent": "процентов процента процент", "years": "лет года году год",
               "measure": "км мм кг тонн тонны километров километра метров гектаров дней "
               "дня суток недель недели месяцев месяца часов часа минут минуты раз раза этапа "
               "этапах волнами волны",
               "age": "летний летнего летняя летних летние летнем летним летней летнему "
               "летнюю летними",
               # "двадцать пятого февраля" is a date, not twenty
               "ordinal": "первого второго третьего четвертого четвёртого пятого шестого "
               "седьмого восьмого девятого"},
        suffixes={"ordinal": "-й -я -е -го -му -м -х -ю -ой -ый -ий"},
        months="января февраля марта апреля мая июня июля августа сентября октября ноября "
        "декабря",
        people="человек солдат военных военнослужащих бойцов солдаты военнослужащие наемников "
        "наёмников",
    ),
    "uk": Lang(
        groups=" .", decimals=",.", to="до", openers="від між", ands="і та й",
        scales={10**3: "тис. тис тисяч тисячі тисяча тисячу тисячах тисячами тисячам тисячею",
                10**6: "млн. млн мільйон мільйона мільйонів",
                10**9: "млрд. млрд мільярд мільярда мільярдів"},
        before={"about": "близько приблизно майже орієнтовно",
                "more than": "понад більше_ніж більше",
                "at least": "щонайменше не_менше принаймні мінімум",
                "up to": "до не_більше менше максимум"},
        prefixes={"age": "у_віці віком"},
        units={"money": "доларів долара долар гривень гривні грн євро рублів",
               "percent": "відсотків відсотка відсоток відсотки", "years": "років роки рік року",
               "measure": "км мм кг тонн кілометрів метрів гектарів днів дні доби діб тижнів "
               "тижні місяців місяці годин години хвилин хвилини рази разів етапи етапах "
               "хвилями хвилі",
               "age": "річний річного річна річних річні річному річним річної"},
        suffixes={"ordinal": "-й -я -е -го -му -м -х -ю -ї -ий -ій"},
        months="січня лютого березня квітня травня червня липня серпня вересня жовтня "
        "листопада грудня",
        people="осіб людей солдатів військових бійців військовослужбовців вояків солдат",
    ),
    "fr": Lang(
        groups=" .", decimals=",", to="à", openers="entre de", ands="et",
        scales={10**3: "mille millier milliers", 10**6: "million millions",
                10**9: "milliard milliards"},
        before={"about": "environ près_de près_d' près_d’ quelque autour_de approximativement "
                "presque quasiment",
                "more than": "plus_de au-delà_de plus_d' plus_d’",  # plus d'un millier
                "at least": "au_moins pas_moins_de",
                "up to": "jusqu'à jusqu’à moins_de"},
        after={"more than": "et_plus ou_plus"},
        prefixes={"age": "âgé_de âgée_de âgés_de âgées_de", "year": "en depuis"},
        units={"money": "euros euro dollars dollar", "percent": "pour_cent", "time": "h",
               "measure": "kilomètres kilomètre mètres tonnes hectares jours semaines mois "
               "heures minutes fois vagues", "years": "ans années"},
        suffixes={"ordinal": "e er re ère ème eme"},
        months="janvier février mars avril mai juin juillet août septembre octobre novembre "
        "décembre",
        people="soldats militaires hommes combattants personnes troupes",
    ),
    "es": Lang(
        groups=". ", decimals=",", to="a al", openers="entre de del", ands="y",
        scales={10**3: "mil millar", 10**6: "millón millones", 10**9: "mil_millones"},
        before={"about": "unos unas cerca_de alrededor_de aproximadamente casi en_torno_a",
                "more than": "más_de", "at least": "al_menos por_lo_menos como_mínimo",
                "up to": "hasta menos_de"},
        after={"more than": "o_más y_más"}, suffixes={"ordinal": "º ª .º .ª"},
        units={"money": "dólares dólar euros euro", "percent": "por_ciento", "years": "años",
               "measure": "kilómetros metros toneladas hectáreas días semanas meses horas "
               "veces oleadas tandas"},
        months=_de("enero febrero marzo abril mayo junio julio agosto septiembre setiembre "
                   "octubre noviembre diciembre"),
        people="soldados militares efectivos tropas hombres combatientes personas",
    ),
    "pt": Lang(
        groups=". ", decimals=",", to="a", openers="entre de", ands="e",
        scales={10**3: "mil milhar", 10**6: "milhão milhões",
                10**9: "bilhão bilhões mil_milhões"},
        before={"about": "cerca_de aproximadamente quase por_volta_de uns umas",
                "more than": "mais_de", "at least": "pelo_menos no_mínimo",
                "up to": "até menos_de"},
        after={"more than": "ou_mais"}, suffixes={"ordinal": "º ª"},
        units={"money": "dólares dólar euros reais", "percent": "por_cento", "years": "anos",
               "measure": "quilômetros quilómetros metros toneladas hectares dias semanas "
               "meses horas vezes"},
        months=_de("janeiro fevereiro março abril maio junho julho agosto setembro outubro "
                   "novembro dezembro"),
        people="soldados militares tropas homens combatentes pessoas efetivos",
    ),
    "it": Lang(
        groups=". ", decimals=",", to="a", openers="tra fra", ands="e",
        scales={10**3: "mila mille migliaio", 10**6: "milione milioni",
                10**9: "miliardo miliardi"},
        before={"about": "circa quasi approssimativamente", "more than": "oltre più_di",
                "at least": "almeno", "up to": "fino_a meno_di"},
        units={"money": "euro dollari dollaro", "percent": "per_cento", "years": "anni",
               "measure": "chilometri metri tonnellate ettari giorni settimane mesi ore volte"},
        suffixes={"ordinal": "° º ª"},
        months="gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre "
        "novembre dicembre",
        people="soldati militari uomini truppe persone combattenti",
    ),
    "nl": Lang(
        groups=". ", decimals=",", to="tot", openers="tussen van", ands="en",
        scales={10**3: "duizend", 10**6: "miljoen", 10**9: "miljard"},
        before={"about": "ongeveer circa ca. zo'n zo’n rond bijna ruwweg",
                "more than": "ruim meer_dan", "at least": "minstens ten_minste minimaal",
                "up to": "tot tot_wel maximaal minder_dan"},
        units={"money": "euro dollar", "percent": "procent", "years": "jaar", "time": "uur",
               "measure": "kilometer meter ton hectare dagen weken maanden keer"},
        suffixes={"ordinal": "e ste de"},
        months="januari februari maart april mei juni juli augustus september oktober "
        "november december",
        people="soldaten militairen troepen manschappen mensen strijders",
    ),
    "tr": Lang(
        groups=". ", decimals=",", people="asker askeri askerin kişi kişilik personel",
        # Turkish glues case endings: "10 binden fazla", "10.000'den fazla"
        scales={10**3: "bin binden bini bine", 10**6: "milyon milyondan", 10**9: "milyar"},
        before={"about": "yaklaşık tahminen neredeyse", "at least": "en_az",
                "up to": "en_fazla"},
        after={"more than": "fazla 'den_fazla 'dan_fazla ’den_fazla ’dan_fazla 'ten_fazla "
               "'tan_fazla aşkın üzerinde", "about": "civarında"},
        prefixes={"percent": "% yüzde"},
        units={"money": "dolar avro euro lira", "years": "yıl", "age": "yaşında yaşındaki",
               "measure": "kilometre metre ton hektar gün hafta ay saat kez defa sefer seferde"},
        months="ocak şubat mart nisan mayıs haziran temmuz ağustos eylül ekim kasım aralık",
    ),
    "pl": Lang(
        groups=". ", decimals=",", to="do", openers="od między", ands="a i",
        scales={10**3: "tys. tys tysięcy tysiące tysiąc tysiąca tysiącem tysiącu tysiącach "
                "tysiącami", 10**6: "mln. mln milionów miliony milion miliona",
                10**9: "mld. mld miliardów miliardy miliard miliarda"},
        before={"about": "ok. około blisko prawie mniej_więcej", "more than": "ponad więcej_niż",
                "at least": "co_najmniej przynajmniej", "up to": "do maksymalnie mniej_niż"},
        units={"money": "dolarów dolary euro złotych zł", "percent": "procent proc. procentów",
               "measure": "kilometrów metrów ton hektarów dni doby tygodni tygodnie miesięcy "
               "miesiące godzin godziny razy turach tury",
               "years": "lat lata roku", "age": "letni letniego letnia"},
        months="stycznia lutego marca kwietnia maja czerwca lipca sierpnia września "
        "października listopada grudnia",
        people="żołnierzy żołnierze wojskowych osób ludzi",
    ),
}
# fmt: on


@dataclass(frozen=True)
class Grammar:
    """One language's tables compiled. ``prefix``, ``before`` and ``opener`` match the text
    before a number reversed, so that each is one anchored match."""

    code: str  # the language; "" reads every language
    groups: str
    decimals: str
    scales: dict[str, int]  # what a matched phrase means: a factor, a kind, a qualifier
    kinds: dict[str, str]
    qualifiers: dict[str, str]
    scale: re.Pattern[str]
    unit: re.Pattern[str]  # after a number: glued suffix, unit word or month
    tail: re.Pattern[str]  # after a number: glued qualifier, counter, qualifier
    people: re.Pattern[str]
    to: re.Pattern[str]
    ands: re.Pattern[str]
    prefix: re.Pattern[str]
    before: re.Pattern[str]
    opener: re.Pattern[str]
    dot_ordinal: re.Pattern[str] | None
    token: re.Pattern[str]  # where a number may start: digits, and words or Han numerals
    numerals: Numerals | None  # number words; unknown languages read English ones
    word: re.Pattern[str]  # one word ("п'ять"), and the next one, apart or hyphenated
    next_word: re.Pattern[str]
    phrase: re.Pattern[str] | None  # the numerals' phrases: "quatre-vingts"
    starts: frozenset[str]  # first words of scale phrases ("тыс" of "тыс.")
    parts: dict[str, tuple[str, ...]]  # glued numerals' parts by first letter, longest first


_AHEAD = r"(?![^\W\d_])"  # no letter follows


def _latin(ch: str) -> bool:
    """Latin, Greek and Cyrillic words end at a non-letter; Han and kana glue to neighbours."""
    return ch.isalpha() and ord(ch) < 0x1100


def _alt(phrases: Iterable[str], *, reverse: bool = False) -> str:
    """One alternation, longest phrase first, word-bounded where the script needs it.

    Every branch starts with a literal, which lets the regex engine skip a branch on its
    first character: the patterns are matched case-sensitively against lower-cased text.
    """
    bounded: list[str] = []
    glued: list[str] = []
    for phrase in sorted(set(phrases), key=len, reverse=True):
        words = phrase.split("_")
        if reverse:
            words = [w[::-1] for w in reversed(words)]
        body = r"\s+".join(re.escape(w) for w in words)
        if reverse:  # read backwards, a phrase must start a word: Korean 요약 is not 약
            hangul = "\uac00" <= phrase[0] <= "\ud7a3"
            glued.append(body + (_AHEAD if _latin(phrase[0]) or hangul else ""))
        else:  # no boundary after Korean: particles follow a unit or counter (명이, 이상의)
            body += _AHEAD if _latin(phrase[-1]) else ""
            (bounded if _latin(phrase[0]) else glued).append(body)
    out = [rf"(?<![^\W\d_])(?:{'|'.join(bounded)})"] if bounded else []
    return "|".join(out + glued) or "(?!)"


@functools.cache
def grammar(language: str | None) -> Grammar:
    """The compiled grammar of a language code ("de", "de-AT"); None or an unknown code
    reads the tables of every language."""
    code = (language or "").lower().replace("_", "-").split("-")[0]
    code = code if code in LANGS else ""
    langs = [COMMON, *([LANGS[code]] if code else LANGS.values())]

    def words(name: str) -> list[str]:
        """The phrases of one field, for every language read."""
        fields = [getattr(lang, name) for lang in langs]
        tables = [t for f in fields for t in ([f] if isinstance(f, str) else f.values())]
        return [p.lower() for t in tables for p in t.split()]

    def named(name: str) -> dict[str, Any]:
        items = [i for lang in langs for i in getattr(lang, name).items()]
        return {p.lower(): meaning for meaning, table in items for p in table.split()}

    def alt(name: str, reverse: bool = False) -> str:
        return _alt(words(name), reverse=reverse)

    to, nouns = words("to"), words("dot_ordinals")
    num = NUMERALS.get(code or "en")
    inner = re.escape(num.inner) if num and num.inner else ""
    word = rf"[^\W\d_]+(?:[{inner}][^\W\d_]+)*" if inner else r"[^\W\d_]+"
    phrases = [p.replace("_", r"[\s-]+") for p in num.phrases] if num else []
    parts: dict[str, list[str]] = {}
    for part in sorted(num.values if num and num.glued else (), key=len, reverse=True):
        parts.setdefault(part[0], []).append(part)
    kinds = named("prefixes") | named("units") | named("suffixes")
    kinds |= dict.fromkeys(words("months"), "month") | dict.fromkeys(nouns, "ordinal")
    return Grammar(
        code=code,
        groups="".join(sorted({c for lang in langs for c in lang.groups})),
        decimals="".join(lang.decimals for lang in langs),
        scales=named("scales"),
        kinds=kinds,
        qualifiers=named("before") | named("after") | dict.fromkeys(words("glued"), "more than"),
        scale=re.compile(rf"(?:\s*|-)(?P<w>{alt('scales')})"),  # "12 thousand", "12-thousand"
        unit=re.compile(rf"(?P<s>{alt('suffixes')})|[\s-]*(?P<u>{alt('units')})"
                        rf"|\.?\s*(?P<m>{alt('months')})"),
        tail=re.compile(rf"(?P<g>{alt('glued')})?(?:\s*(?P<c>{alt('counters')}))?"
                        rf"(?:\s*(?:[이가]\s*)?(?P<t>{alt('after')}))?"),
        # up to two words between: "2000 North Korean troops"; possessive, so no backtracking
        people=re.compile(rf"(?:[\s-]+[^\W\d_]++){{0,2}}?[\s-]*(?:{alt('people')})"),
        to=re.compile(rf"\s*(?:{_alt(p for p in to if not _latin(p[0]))})\s*"
                      rf"|\s+(?:{_alt(p for p in to if _latin(p[0]))})\s+"),
        ands=re.compile(rf"\s+(?:{alt('ands')})\s+"),
        prefix=re.compile(rf"\s*(?P<w>{alt('prefixes', True)})"),
        before=re.compile(rf"\s*(?P<w>{alt('before', True)})"),
        opener=re.compile(rf"\s*(?P<w>{alt('openers', True)})"),
        # "2. ukrainische Armee", "2. Weltkrieg"; a capital after "3000." starts a sentence
        dot_ordinal=re.compile(rf"\.\s+(?:(?=[a-zäöüß])|(?i:{_alt(nouns)}))") if nouns else None,
        token=re.compile(rf"\d+|[{''.join(HAN_DIGITS)}{HAN_UNITS}]" if code in ("ja", "zh")
                         else r"\d+|[^\W\d_]+"),
        numerals=num, word=re.compile(word), next_word=re.compile(rf"(?:\s+|\s*-\s*)({word})"),
        phrase=re.compile(rf"(?:{'|'.join(phrases)}){_AHEAD}") if phrases else None,
        starts=frozenset(m[0] for p in named("scales") if (m := re.match(r"[^\W\d_]+", p))),
        parts={letter: tuple(group) for letter, group in parts.items()},
    )  # fmt: skip
