"""stories.numbers as truth tables, one per language, and as properties of any text.

A row is a text and what is read from it, one "kind value[-high][ qualifier]" per number,
joined by " | " ("" when nothing is read).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitor.stories.numbers import LIMIT, Number, counts, read_numbers

NBSP, NNBSP = "\u00a0", "\u202f"
LANGUAGES = [None, "de", "en", "ko", "fr", "ru", "uk", "ja", "es", "pl", "it", "nl", "pt", "tr"]
LANGUAGES += ["zh"]
KINDS = {"count", "year", "date", "time", "money", "percent", "measure", "age", "ordinal"}
KINDS |= {"decimal"}
QUALIFIERS = {None, "about", "more than", "at least", "up to"}


def _show(n: Number) -> str:
    high = "" if n.high is None else f"-{n.high}"
    return f"{n.kind} {n.value}{high}" + (f" {n.qualifier}" if n.qualifier else "")


def _read(text: str, language: str | None) -> str:
    return " | ".join(_show(n) for n in read_numbers(text, language))


EN = [
    ("12-thousand troops", "count 12000"),  # a hyphen before the scale word
    ("38-hundred killed or wounded", "count 3800"),
    ("5 hundred soldiers", "count 500"),
    ("3,000 soldiers", "count 3000"),
    ("11,000 North Korean troops", "count 11000"),
    ("1,500", "count 1500"),
    ("4000", "count 4000"),
    ("12.000", "decimal 12"),  # the dot is a decimal mark in English
    ("3.5", "decimal 3"),
    (f"6{NBSP}000", "count 6000"),
    (f"6{NNBSP}000", "count 6000"),
    ("6 000", "count 6 | count 0"),  # English does not group with a plain space
    ("1.5 million", "count 1500000"),
    ("eleven thousand", "count 11000"),
    ("three thousand", "count 3000"),
    ("a thousand", "count 1000"),
    ("11 thousand", "count 11000"),
    ("two hundred and fifty", "count 250"),
    ("twenty-five", "count 25"),
    ("hundreds of soldiers", ""),
    ("thousands of troops", ""),
    ("tens of thousands", ""),
    ("one of them", ""),
    ("about 3,000", "count 3000 about"),
    ("around 3,000", "count 3000 about"),
    ("roughly 3,000", "count 3000 about"),
    ("some 3,000", "count 3000 about"),
    ("an estimated 12,000", "count 12000 about"),
    ("approximately 3,000", "count 3000 about"),
    ("nearly 3,000", "count 3000 about"),
    ("more than 10,000", "count 10000 more than"),
    ("over 10,000", "count 10000 more than"),
    ("upwards of 10,000", "count 10000 more than"),
    ("in excess of 10,000", "count 10000 more than"),
    ("10,000 or more", "count 10000 more than"),
    ("10,000-plus", "count 10000 more than"),
    ("10,000+", "count 10000 more than"),
    ("at least 3,000", "count 3000 at least"),
    ("up to 12,000", "count 12000 up to"),
    ("as many as 12,000", "count 12000 up to"),
    ("10,000 to 12,000", "count 10000-12000"),
    ("11 to 12,000", "count 11000-12000"),  # "around 11 to 12,000": thousands said once
    ("aged 20 to 25", "age 20-25"),
    ("between 10,000 and 12,000", "count 10000-12000"),
    ("10,000-12,000", "count 10000-12000"),
    ("10-12 thousand", "count 10000-12000"),
    ("two to three thousand", "count 2000-3000"),
    ("about 10,000 to 12,000 troops", "count 10000-12000 about"),
    ("12,000 to 10,000", "count 12000 | count 10000"),  # falling: no range
    ("2024", "year 2024"),
    ("in 2025", "year 2025"),
    ("1999", "year 1999"),
    ("2101", "count 2101"),
    ("2000 soldiers", "count 2000"),
    ("2022-2024", "year 2022-2024"),
    ("the 2024-25 campaign", "year 2024-2025"),
    ("in the 1990s", "year 1990"),
    ("In 2024 soldiers crossed", "year 2024"),  # "in" says year before any people word
    ("from 3,000 to 11,000", "count 3000-11000"),  # a change reads as a range
    ("Feb. 27", "date 27"),
    ("February 27, 2025", "date 27 | year 2025"),
    ("27 February", "date 27"),
    ("in March 3,000 troops", "count 3000"),
    ("2025-02-27", "date 2025"),
    ("27.02.2025", "date 27"),
    ("10:30", "time 10"),
    ("10 a.m.", "time 10"),
    ("10am", "time 10"),
    ("$500", "money 500"),
    ("US$500", "money 500"),
    ("500 dollars", "money 500"),
    ("€3,000", "money 3000"),
    ("$1.5 billion", "money 1500000000"),
    ("30%", "percent 30"),
    ("30 percent", "percent 30"),
    ("170 mm", "measure 170"),
    ("170-mm", "measure 170"),
    ("170mm", "measure 170"),
    ("240 km", "measure 240"),
    ("3 km", "measure 3"),
    ("3 days", "measure 3"),
    # waves and rounds of a deployment are no people
    ("in two waves", "measure 2"),
    ("in 3 rounds", "measure 3"),
    ("a three-day visit", "measure 3"),
    ("aged 24", "age 24"),
    ("24-year-old", "age 24"),
    ("24 years old", "age 24"),
    ("3 years", "measure 3"),
    ("2nd", "ordinal 2"),
    ("21st", "ordinal 21"),
    ("F-16 jets", ""),
    ("KN-23", ""),
    ("A320", ""),
    ("5G", ""),
    ("COVID-19", ""),
    ("0 casualties", "count 0"),
]

DE = [
    ("in zwei Wellen", "measure 2"),
    ("3.000", "count 3000"),
    ("11.000 Soldaten", "count 11000"),
    ("12.000", "count 12000"),
    ("1.500", "count 1500"),
    ("4000", "count 4000"),
    ("12 000", "count 12000"),
    (f"6{NBSP}000", "count 6000"),
    (f"6{NNBSP}000", "count 6000"),
    ("1,5 Millionen", "count 1500000"),
    ("2,5 Mio.", "count 2500000"),
    ("3,5", "decimal 3"),
    ("elftausend", "count 11000"),
    ("dreitausend", "count 3000"),
    ("zweitausend", "count 2000"),
    ("zehntausend", "count 10000"),
    ("Zwölftausend", "count 12000"),
    ("zweihundertfünfundzwanzigtausend", "count 225000"),
    ("dreihundertdreizehn", "count 313"),
    ("tausendzweitausend", ""),
    ("einundzwanzig", "count 21"),
    ("tausend", "count 1000"),
    ("elf Tausend", "count 11000"),
    ("eine Million", "count 1000000"),
    ("drei Millionen", "count 3000000"),
    ("Tausende Soldaten", ""),
    ("Zehntausende", ""),
    ("Hunderte", ""),
    ("ein Soldat", ""),
    ("Elfen und Achtung", ""),
    ("rund 4000", "count 4000 about"),
    ("etwa 3000", "count 3000 about"),
    ("ca. 3.000", "count 3000 about"),
    ("ungefähr 3.000", "count 3000 about"),
    ("knapp 3.000", "count 3000 about"),
    ("gut 3.000", "count 3000 more than"),
    ("mehr als 10.000", "count 10000 more than"),
    ("über 10.000", "count 10000 more than"),
    ("Über 10.000", "count 10000 more than"),
    ("mindestens 3.000", "count 3000 at least"),
    ("bis zu 12.000", "count 12000 up to"),
    ("rund dreitausend Soldaten", "count 3000 about"),
    ("10.000 bis 12.000", "count 10000-12000"),
    ("zwischen 10.000 und 12.000", "count 10000-12000"),
    ("10.000-12.000", "count 10000-12000"),
    ("10 bis 12 Tausend", "count 10000-12000"),
    ("20 bis 25.000", "count 20000-25000"),  # the thousands said once
    ("100 bis 25.000", "count 100-25000"),  # not of one size: both as written
    ("2024", "year 2024"),
    ("im Jahr 2024", "year 2024"),
    ("im Jahr 2000 Soldaten", "year 2000"),
    ("2000 Soldaten", "count 2000"),
    ("2000 nordkoreanische Soldaten", "count 2000"),
    ("27. Februar", "date 27"),
    ("2. Februar", "date 2"),
    ("27.02.2025", "date 27"),
    ("am 27.02.", "date 27"),
    ("10:30 Uhr", "time 10"),
    ("10.30 Uhr", "time 10"),
    ("10 Uhr", "time 10"),
    ("5 Mrd. Euro", "money 5000000000"),
    ("500 Euro", "money 500"),
    ("30 Prozent", "percent 30"),
    ("30 %", "percent 30"),
    ("50 Kilometer", "measure 50"),
    ("170 mm", "measure 170"),
    ("3 Jahre", "measure 3"),
    ("24 Jahre alt", "age 24"),
    ("der 24-Jährige", "age 24"),
    ("im Alter von 24 Jahren", "age 24"),
    ("2. Weltkrieg", "ordinal 2"),
    ("die 3. ukrainische Brigade", "ordinal 3"),
    ("Es kamen 12.000. Danach", "count 12000"),
]

KO = [
    # the lower units after a space: one number, not two
    ("1만 1천 명", "count 11000"),
    ("1만 1천여 명", "count 11000 more than"),
    ("1만 2천∼1만 3천 명", "count 12000-13000"),
    ("1만 2025년", "count 10000 | year 2025"),
    ("북한군 만 2천 명", "count 12000"),  # 만 without a 1 before it
    ("수만 2천", "count 2000"),  # 수만 (tens of thousands) is no number
    ("묘역 400여 기", "measure 400 more than"),  # graves counted
    # a unit named by its number is no count of its men
    ("528공병연대", ""),
    ("11군단", ""),
    ("6사단", ""),
    ("3천명 부대", "count 3000"),
    ("3천 명", "count 3000"),
    ("1만1천여 명", "count 11000 more than"),
    ("1만 명 이상", "count 10000 more than"),
    ("4천여", "count 4000 more than"),
    ("1만∼1만2천 명", "count 10000-12000"),
    ("1만~1만2천", "count 10000-12000"),
    ("1~2만 명", "count 10000-20000"),
    ("1만2천", "count 12000"),
    ("2천700여 명", "count 2700 more than"),
    ("100여 명", "count 100 more than"),
    ("수천 명", ""),
    ("공병 천여 명", "count 1000 more than"),  # 천 and 만 with no digit before them
    ("파병군 만여 명이", "count 10000 more than"),
    ("만 명", "count 10000"),
    ("북한군만 명단", ""),  # 만 "only" ends a word; 명단 is a list
    ("약 1만 명", "count 10000 about"),
    ("약1만 명", "count 10000 about"),
    ("요약 3", "count 3"),  # 요약 (summary) ends in 약, but is no qualifier
    ("최소 1만 명", "count 10000 at least"),
    ("적어도 3천 명", "count 3000 at least"),
    ("최대 1만2천 명", "count 12000 up to"),
    ("1만 명이 넘는", "count 10000 more than"),
    ("1만 명가량", "count 10000 about"),
    ("3,000명", "count 3000"),
    ("2000명", "count 2000"),
    ("1억2천만", "count 120000000"),
    ("1천1천", "count 1000 | count 1000"),  # units only fall within one number
    ("20여 년", "measure 20 more than"),
    ("2025년", "year 2025"),
    ("3년", "measure 3"),
    ("2월 27일", "date 2 | date 27"),
    ("오전 10시", "time 10"),
    ("500만 달러", "money 5000000"),
    ("30%", "percent 30"),
    ("240km", "measure 240"),
    ("24세", "age 24"),
    ("20대", "age 20"),
    ("제2", "ordinal 2"),
    ("두 번째", "ordinal 2"),
    ("2번째", "ordinal 2"),
]

JA = [
    ("1万2千人", "count 12000"),
    ("3000人", "count 3000"),
    ("約1万人", "count 10000 about"),
    ("1万人以上", "count 10000 more than"),
    ("1万人余り", "count 10000 more than"),
    ("1万余人", "count 10000 more than"),
    ("最大1万2千人", "count 12000 up to"),
    ("1万～1万2千人", "count 10000-12000"),
    ("2000人", "count 2000"),
    ("数千人", ""),
    ("2025年2月27日", "year 2025 | date 2 | date 27"),
    ("24歳", "age 24"),
    ("第2", "ordinal 2"),
    ("500万ドル", "money 5000000"),
]

ZH = [
    ("约1.2万名士兵", "count 12000 about"),
    ("1万余名", "count 10000 more than"),
    ("1万多名", "count 10000 more than"),
    ("至少3000名", "count 3000 at least"),
    ("3000人", "count 3000"),
    ("1万至1.2万名", "count 10000-12000"),
    ("2025年", "year 2025"),
    ("2月27日", "date 2 | date 27"),
]

RU = [
    ("2 тысячи 500 солдат", "count 2500"),
    ("о 20-летнем бойце", "age 20"),  # the age in the prepositional case
    ("11 тысяч", "count 11000"),
    ("3 тыс.", "count 3000"),
    ("2.5 тыс.", "count 2500"),
    ("2,5 тыс.", "count 2500"),
    ("около 3000", "count 3000 about"),
    ("примерно 3000", "count 3000 about"),
    ("более 10 000", "count 10000 more than"),
    (f"более 10{NBSP}000", "count 10000 more than"),
    ("свыше 10 000", "count 10000 more than"),
    ("не менее 3000", "count 3000 at least"),
    ("до 12 тысяч", "count 12000 up to"),
    ("от 10 до 12 тысяч", "count 10000-12000"),
    ("10 000 человек", "count 10000"),
    ("2000 человек", "count 2000"),
    ("2024 года", "year 2024"),
    ("3 года", "measure 3"),
    ("27 февраля", "date 27"),
    ("30%", "percent 30"),
    ("500 долларов", "money 500"),
    ("24-летний", "age 24"),
    ("2-й", "ordinal 2"),
    ("тысячи солдат", ""),
    ("Су-27", ""),
]

UK = [
    ("понад 11 тисяч", "count 11000 more than"),
    ("11 тисяч", "count 11000"),
    ("близько 3 тис.", "count 3000 about"),
    ("щонайменше 3000", "count 3000 at least"),
    ("до 12 тисяч", "count 12000 up to"),
    ("від 10 до 12 тисяч", "count 10000-12000"),
    ("11 000 військових", "count 11000"),
    ("27 лютого", "date 27"),
    ("2024 року", "year 2024"),
]

FR = [
    ("3 000", "count 3000"),
    (f"6{NBSP}000", "count 6000"),
    (f"6{NNBSP}000", "count 6000"),
    ("11 000 soldats", "count 11000"),
    ("environ 4 000", "count 4000 about"),
    ("près de 4 000", "count 4000 about"),
    ("plus de 10 000", "count 10000 more than"),
    ("au moins 3 000", "count 3000 at least"),
    ("jusqu'à 12 000", "count 12000 up to"),
    ("10 000 à 12 000", "count 10000-12000"),
    ("entre 10 000 et 12 000", "count 10000-12000"),
    ("1,5 million", "count 1500000"),
    ("2000 soldats", "count 2000"),
    ("2024", "year 2024"),
    ("27 février", "date 27"),
    ("30 %", "percent 30"),
    ("2e", "ordinal 2"),
    ("24 ans", "measure 24"),
    ("des milliers de soldats", ""),
]

ES = [
    ("3.000", "count 3000"),
    ("11.000 soldados", "count 11000"),
    ("unos 4.000", "count 4000 about"),
    ("cerca de 3.000", "count 3000 about"),
    ("más de 10.000", "count 10000 more than"),
    ("11 mil", "count 11000"),
    ("al menos 3.000", "count 3000 at least"),
    ("hasta 12.000", "count 12000 up to"),
    ("entre 10.000 y 12.000", "count 10000-12000"),
    ("de 10.000 a 12.000", "count 10000-12000"),
    ("1,5 millones", "count 1500000"),
    ("27 de febrero", "date 27"),
    ("30 por ciento", "percent 30"),
    ("2º", "ordinal 2"),
    ("miles de soldados", ""),
]

PL = [
    ("11 tys.", "count 11000"),
    ("ok. 3 tys.", "count 3000 about"),
    ("około 3 tys.", "count 3000 about"),
    ("ponad 10 tys.", "count 10000 more than"),
    ("co najmniej 3 tys.", "count 3000 at least"),
    ("od 10 do 12 tys.", "count 10000-12000"),
    ("12 000 żołnierzy", "count 12000"),
    ("3.000", "count 3000"),
    ("2000 żołnierzy", "count 2000"),
    ("27 lutego", "date 27"),
]

IT = [
    ("circa 3.000", "count 3000 about"),
    ("oltre 10.000", "count 10000 more than"),
    ("11 mila soldati", "count 11000"),
    ("almeno 3.000", "count 3000 at least"),
    ("fino a 12.000", "count 12000 up to"),
    ("tra 10.000 e 12.000", "count 10000-12000"),
    ("27 febbraio", "date 27"),
    ("migliaia di soldati", ""),
]

NL = [
    ("ruim 10.000", "count 10000 more than"),
    ("ongeveer 3.000", "count 3000 about"),
    ("circa 3.000", "count 3000 about"),
    ("meer dan 10.000", "count 10000 more than"),
    ("11.000 soldaten", "count 11000"),
    ("11 duizend", "count 11000"),
    ("tussen 10.000 en 12.000", "count 10000-12000"),
    ("27 februari", "date 27"),
    ("duizenden soldaten", ""),
]

PT = [
    ("cerca de 3 mil", "count 3000 about"),
    ("mais de 10 mil", "count 10000 more than"),
    ("11 mil soldados", "count 11000"),
    ("pelo menos 3.000", "count 3000 at least"),
    ("até 12 mil", "count 12000 up to"),
    ("entre 10 mil e 12 mil", "count 10000-12000"),
    ("27 de fevereiro", "date 27"),
]

TR = [
    ("yaklaşık 3 bin", "count 3000 about"),
    ("11 bin asker", "count 11000"),
    ("10.000'den fazla asker", "count 10000 more than"),
    ("10 binden fazla", "count 10000 more than"),
    ("en az 3 bin", "count 3000 at least"),
    ("12.000", "count 12000"),
    ("3 milyon", "count 3000000"),
    ("2000 asker", "count 2000"),
    ("%30", "percent 30"),
    ("27 Şubat", "date 27"),
]

UNKNOWN = [
    ("3.000", "count 3000"),
    ("3,000", "count 3000"),
    ("3.5", "decimal 3"),
    ("1,5", "decimal 1"),
    ("about 3,000", "count 3000 about"),
    ("rund 4000", "count 4000 about"),
    ("1만 명", "count 10000"),
    ("2024", "year 2024"),
]


# Numbers written as words, a table per language: the figure a word says, and what is no
# figure (a vague plural, an article, an ordinal, a year, a span of time, an idiom).
NUMBER_WORDS = {
    "en": [
        ("6K troops", "count 6000"),
        ("6k", "count 6000"),
        ("11,000-strong contingent", "count 11000"),
        ("a thousand troops", "count 1000"),
        ("two to three hundred", "count 200-300"),
        ("about two thousand", "count 2000 about"),
        ("nine soldiers", "count 9"),
        ("ninety-nine", "count 99"),
        ("dozens of soldiers", ""),
        ("several hundred casualties", ""),
        ("a few thousand", ""),
        ("twenty-first century", ""),
        ("two-thirds", ""),
        ("a K-pop star", ""),
        ("a thousand times", "measure 1000"),
    ],
    "de": [
        ("einige tausend Soldaten", ""),
        ("ein paar tausend", ""),
        ("mehrere hundert", ""),
        ("zweitausendvierundzwanzig", "year 2024"),
        ("eins", ""),
    ],
    "ru": [
        ("девять военнослужащих", "count 9"),
        ("девяти человек", "count 9"),
        ("девятерых", "count 9"),
        ("двое пленных", "count 2"),
        ("пять тысяч военных", "count 5000"),
        ("тысячу саперов", "count 1000"),
        ("тысяча", "count 1000"),
        ("две тысячи", "count 2000"),
        ("полторы тысячи", "count 1500"),
        ("одна тысяча", "count 1000"),
        ("около тысячи", "count 1000 about"),
        ("более чем трех тысячах", "count 3000 more than"),
        ("двести пятьдесят", "count 250"),
        ("тысяча двести", "count 1200"),
        ("от двух до трёх тысяч", "count 2000-3000"),
        ("пять-шесть тысяч", "count 5000-6000"),
        ("двадцать одна тысяча", "count 21000"),
        ("несколько тысяч", ""),
        ("тысячи солдат", ""),
        ("одна из", ""),
        ("один", ""),
        ("девятый", ""),
        ("полторы", ""),
        ("пять лет", "measure 5"),
        ("два дня", "measure 2"),
        ("тысячу раз", "measure 1000"),
        ("пять тысяч рублей", "money 5000"),
        ("двадцать четвертого февраля", "ordinal 20"),
        ("в две тысячи двадцать четвертом году", "year 2020"),
    ],
    "uk": [
        ("дев'ять", "count 9"),
        ("дев’ятеро з них", "count 9"),
        ("двоє бійців", "count 2"),
        ("тисячу саперів", "count 1000"),
        ("п'ять тисяч військових", "count 5000"),
        ("п’ять тисяч", "count 5000"),
        ("близько тисячі військових", "count 1000 about"),
        ("понад три тисячі", "count 3000 more than"),
        ("півтори тисячі", "count 1500"),
        ("тисячі саперів", ""),
        ("кілька тисяч", ""),
        ("один із військових", ""),
        ("сім'я", ""),
        ("три місяці", "measure 3"),
    ],
    "pl": [
        ("dziewięć", "count 9"),
        ("dziewięciu żołnierzy", "count 9"),
        ("dwóch", "count 2"),
        ("tysiąc", "count 1000"),
        ("pięć tysięcy", "count 5000"),
        ("dwa tysiące", "count 2000"),
        ("około tysiąca", "count 1000 about"),
        ("półtora tysiąca", "count 1500"),
        ("dwieście", "count 200"),
        ("kilka tysięcy", ""),
        ("tysiące żołnierzy", ""),
        ("tysięcy", ""),
        ("jeden z nich", ""),
        ("w dwóch turach", "measure 2"),
        ("dwa tygodnie", "measure 2"),
    ],
    "fr": [
        ("deux prisonniers", "count 2"),
        ("deux mille", "count 2000"),
        ("mille soldats", "count 1000"),
        ("cinq mille", "count 5000"),
        ("dix-sept", "count 17"),
        ("vingt et un", "count 21"),
        ("soixante-dix-sept", "count 77"),
        ("quatre-vingts soldats", "count 80"),
        ("quatre-vingt-dix-neuf", "count 99"),
        ("deux cents", "count 200"),
        ("plus d'un millier de soldats", "count 1000 more than"),
        ("entre deux et trois mille", "count 2000-3000"),
        ("un soldat", ""),
        ("deuxième", ""),
        ("vingt-deuxième", ""),
        ("des milliers de soldats", ""),
        ("quelques milliers", ""),
        ("mille fois", "measure 1000"),
        ("deux mille vingt-quatre", "year 2024"),
        ("en deux mille vingt-quatre", "year 2024"),
        ("cinq ans", "measure 5"),
    ],
    "es": [
        ("dos soldados", "count 2"),
        ("mil", "count 1000"),
        ("dos mil", "count 2000"),
        ("cinco mil", "count 5000"),
        ("treinta y dos", "count 32"),
        ("veintidós", "count 22"),
        ("doscientos cincuenta", "count 250"),
        ("mil quinientos", "count 1500"),
        ("un millón", "count 1000000"),
        ("unos mil", "count 1000 about"),
        ("uno de ellos", ""),
        ("miles de soldados", ""),
        ("helicópteros Mil Mi-8", ""),
        ("varios miles", ""),
        ("mil veces", "measure 1000"),
        ("dos mil veinticuatro", "year 2024"),
    ],
    "pt": [
        ("dois soldados", "count 2"),
        ("mil soldados", "count 1000"),
        ("mais de mil soldados", "count 1000 more than"),
        ("cinco mil", "count 5000"),
        ("cinco mil e trezentos", "count 5300"),
        ("vinte e dois", "count 22"),
        ("duzentos e cinquenta", "count 250"),
        ("entre dois e três mil", "count 2000-3000"),
        ("um soldado", ""),
        ("milhares de soldados", ""),
        ("alguns milhares", ""),
        ("um dos", ""),
        ("mil vezes", "measure 1000"),
        ("dois mil e dezenove", "year 2019"),
    ],
    "it": [
        ("duemila", "count 2000"),
        ("cinquemila soldati", "count 5000"),
        ("mille", "count 1000"),
        ("ventitré", "count 23"),
        ("trentotto", "count 38"),
        ("duecentocinquanta", "count 250"),
        ("milleduecento", "count 1200"),
        ("un milione", "count 1000000"),
        ("due milioni", "count 2000000"),
        ("oltre duemila", "count 2000 more than"),
        ("migliaia di soldati", ""),
        ("un soldato", ""),
        ("settembre", ""),
        ("centinaia", ""),
        ("mille volte", "measure 1000"),
    ],
    "nl": [
        ("duizend", "count 1000"),
        ("vijfduizend", "count 5000"),
        ("tweeëntwintig", "count 22"),
        ("vijfentwintig", "count 25"),
        ("driehonderd", "count 300"),
        ("twee miljoen", "count 2000000"),
        ("negen doden", "count 9"),
        ("ruim tweeduizend", "count 2000 more than"),
        ("duizenden soldaten", ""),
        ("tienduizenden", ""),
        ("een soldaat", ""),
        ("tweede", ""),
        ("een paar duizend", ""),
    ],
    "tr": [
        ("3 bin 500 asker", "count 3500"),  # the hundreds after the thousands
        ("10 bin 5 gün", "count 10000 | measure 5"),
        ("beş bin", "count 5000"),
        ("bin asker", "count 1000"),
        ("iki yüz", "count 200"),
        ("yüz bin asker", "count 100000"),
        ("on beş", "count 15"),
        ("dokuz asker", "count 9"),
        ("bir milyon", "count 1000000"),
        ("yaklaşık iki bin", "count 2000 about"),
        ("birkaç bin asker", ""),
        ("on binlerce asker", ""),
        ("Muhammed bin Selman", ""),
        ("bir asker", ""),
        ("yüz yüze", ""),
        ("iki seferde", "measure 2"),
    ],
    "ja": [
        ("1万 1000人", "count 11000"),
        ("二人", "count 2"),
        ("九人", "count 9"),
        ("千人", "count 1000"),
        ("二千五百人", "count 2500"),
        ("一万二千人以上", "count 12000 more than"),
        ("約千人", "count 1000 about"),
        ("兵士二人", "count 2"),
        ("三千人規模", "count 3000 about"),
        ("数千人", ""),
        ("十二月", ""),
        ("二〇二四年", ""),
        ("一人", ""),
        ("万人", ""),
        ("第二", ""),
        # countries, places and times are no people: 11か国, 2回目の表彰式
        ("11か国", "measure 11"),
        ("2回目", "ordinal 2"),
        ("3回", "measure 3"),
    ],
    "zh": [
        ("九人", "count 9"),
        ("两名", "count 2"),
        ("两千名士兵", "count 2000"),
        ("十余人", "count 10 more than"),
        ("近千人", "count 1000 about"),
        ("三百人", "count 300"),
        ("一万人", "count 10000"),
        ("至少两人", "count 2 at least"),
        ("几千人", ""),
        ("上千人", ""),
        ("两国", ""),
        ("十二月", ""),
        ("一人", ""),
        ("11国", "measure 11"),
        ("第2次", "measure 2"),
    ],
}


@pytest.mark.parametrize(("text", "expected"), EN)
def test_english(text: str, expected: str) -> None:
    assert _read(text, "en") == expected


@pytest.mark.parametrize(("text", "expected"), DE)
def test_german(text: str, expected: str) -> None:
    assert _read(text, "de") == expected


@pytest.mark.parametrize(("text", "expected"), KO)
def test_korean(text: str, expected: str) -> None:
    assert _read(text, "ko") == expected


@pytest.mark.parametrize(("text", "expected"), JA)
def test_japanese(text: str, expected: str) -> None:
    assert _read(text, "ja") == expected


@pytest.mark.parametrize(("text", "expected"), ZH)
def test_chinese(text: str, expected: str) -> None:
    assert _read(text, "zh") == expected


@pytest.mark.parametrize(("text", "expected"), RU)
def test_russian(text: str, expected: str) -> None:
    assert _read(text, "ru") == expected


@pytest.mark.parametrize(("text", "expected"), UK)
def test_ukrainian(text: str, expected: str) -> None:
    assert _read(text, "uk") == expected


@pytest.mark.parametrize(("text", "expected"), FR)
def test_french(text: str, expected: str) -> None:
    assert _read(text, "fr") == expected


@pytest.mark.parametrize(("text", "expected"), ES)
def test_spanish(text: str, expected: str) -> None:
    assert _read(text, "es") == expected


@pytest.mark.parametrize(("text", "expected"), PL)
def test_polish(text: str, expected: str) -> None:
    assert _read(text, "pl") == expected


@pytest.mark.parametrize(("text", "expected"), IT)
def test_italian(text: str, expected: str) -> None:
    assert _read(text, "it") == expected


@pytest.mark.parametrize(("text", "expected"), NL)
def test_dutch(text: str, expected: str) -> None:
    assert _read(text, "nl") == expected


@pytest.mark.parametrize(("text", "expected"), PT)
def test_portuguese(text: str, expected: str) -> None:
    assert _read(text, "pt") == expected


@pytest.mark.parametrize(("text", "expected"), TR)
def test_turkish(text: str, expected: str) -> None:
    assert _read(text, "tr") == expected


@pytest.mark.parametrize(("text", "expected"), UNKNOWN)
def test_unknown_language(text: str, expected: str) -> None:
    assert _read(text, None) == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [(language, *row) for language, rows in NUMBER_WORDS.items() for row in rows],
)
def test_number_words(language: str, text: str, expected: str) -> None:
    assert _read(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "spans"),
    [
        ("Nordkorea schickt rund 4000 Soldaten", "de", ["rund 4000"]),
        ("more than 10,000 troops", "en", ["more than 10,000"]),
        ("between 10,000 and 12,000 soldiers", "en", ["between 10,000 and 12,000"]),
        ("북한군 1만 명 이상이 파병", "ko", ["1만 명 이상"]),
        ("약 1만1천여 명", "ko", ["약 1만1천여 명"]),
        ("$500 and 30%", "en", ["$500", "30%"]),
        ("5 Mrd. Euro für 11.000 Soldaten", "de", ["5 Mrd. Euro", "11.000"]),
        ("Am 27. Februar 2025 kamen 3 000 Mann", "de", ["27. Februar", "2025", "3 000"]),
        ("от 10 до 12 тысяч военных", "ru", ["от 10 до 12 тысяч"]),
        ("Шойгу: тысячу саперов и пять тысяч строителей", "ru", ["тысячу", "пять тысяч"]),
        ("plus d'un millier de soldats", "fr", ["plus d'un millier"]),
        ("北朝鮮兵約二千人以上", "ja", ["約二千人以上"]),
    ],
)
def test_spans_cover_the_whole_expression(text: str, language: str, spans: list[str]) -> None:
    assert [text[n.start : n.end] for n in read_numbers(text, language)] == spans


def test_counts_keep_only_counts() -> None:
    text = "Am 27.02.2025 meldete Seoul 11.000 Soldaten, 30 Prozent mehr, für 5 Mrd. Euro."
    assert [(n.value, n.kind) for n in counts(text, "de")] == [(11000, "count")]


def test_number_record() -> None:
    assert read_numbers("zwischen 10.000 und 12.000 Soldaten", "de") == [
        Number(10000, 10000, 12000, None, 0, 26, "count", people=True)
    ]


@pytest.mark.parametrize(
    ("text", "language", "people"),
    [
        ("첫 2천600명은 쿠르스크로", "ko", True),  # a counter with a particle after it
        ("北朝鮮兵3000人が配置され", "ja", True),
        ("3,000 soldiers", "en", True),
        ("a first group of 2,600 is to head", "en", False),
        ("5 Mrd. Euro", "de", False),
    ],
)
def test_a_number_knows_when_people_are_counted(text: str, language: str, people: bool) -> None:
    assert [n.people for n in read_numbers(text, language)] == [people]


@pytest.mark.parametrize("language", ["de-DE", "DE", "de_AT"])
def test_language_codes_are_normalised(language: str) -> None:
    assert _read("3.000", language) == "count 3000"


def test_unknown_codes_read_every_language() -> None:
    assert _read("3.000 och 1万 명", "sv") == "count 3000 | count 10000"


def _check(text: str, numbers: list[Number]) -> None:
    """What holds for any text: values in range, ranges ordered, spans in order."""
    end = 0
    for n in numbers:
        assert 0 <= n.value < LIMIT
        assert n.kind in KINDS
        assert n.qualifier in QUALIFIERS
        if n.high is None:
            assert n.low is None
        else:
            assert n.low == n.value <= n.high < LIMIT
        assert end <= n.start < n.end <= len(text)
        end = n.end


@settings(max_examples=300)
@given(st.text(), st.sampled_from(LANGUAGES))
@example("около тысячи до тысячи двухсот", "ru")
@example("п’ять тисяч п'ятсот", "uk")
@example("quatre-vingt-dix-sept mille et un", "fr")
@example("yüz bin birkaç bin on binlerce", "tr")
@example("Mil Mi-8 mil y una", "es")
@example("二千五百人以上 数千人 一万人", "ja")
def test_any_text(text: str, language: str | None) -> None:
    _check(text, read_numbers(text, language))


WORDS = """
thousand million tausend Tausend Millionen тыс. тысяч mil bin tys. 만 천 백 억 万 千 여
elf zwei hundert und a one two and eleven twenty Hunderte 두 번째 zehntausend
about rund über gut mehr_als more_than up_to bis_zu 약 이상 約 以上 около более до
between zwischen from von to bis à от и and und 명 人 soldiers Soldaten человек km mm
Prozent Euro dollars 년 월 일 세 Feb. Februar F- G A KN- st nd e -й 제 第 am a.m. Uhr Jahre
тысячу тысячи тысяча двух пять полторы одна около п'ять п’ять дев'ять тисячі tysiąca dwa
deux quatre vingt -vingts cent mille et dix sept soixante d' plus dos y treinta mil Mil
duemila ventotto vijf duizend ën beş yüz on bir birkaç binlerce 二 九 十 两 数 人 名 余 K k
several few -first
"""
FRAGMENTS = [
    *"0123456789",
    *["12", "34", "567", "1900", "2024", "2100", "99999", "0000"],
    *[",", ".", " ", NBSP, NNBSP, "-", "~", "∼", ":", "/", "'", "%", "$", "€", "+", "\n"],
    *WORDS.split(),
]


@settings(max_examples=500)
@given(
    st.lists(st.sampled_from(FRAGMENTS).map(lambda f: f.replace("_", " ")), max_size=40),
    st.sampled_from(LANGUAGES),
)
@example(["двух", "-", "трёх", "тысяч", "-", "5"], "ru")
@example(["d'", "un", "mille", "-vingts", "et"], "fr")
@example(["two", "to", "three", "hundred", "and", "thousand"], "en")
def test_any_mix_of_numbers_and_words(parts: list[str], language: str | None) -> None:
    text = "".join(parts)
    _check(text, read_numbers(text, language))
    text = " ".join(parts)
    _check(text, read_numbers(text, language))


@given(st.integers(0, LIMIT - 1))
def test_grouped_digits_read_back(value: int) -> None:
    grouped = f"{value:,}"
    assert _read(f"{grouped} soldiers", "en") == f"count {value}"
    assert _read(f"{grouped.replace(',', '.')} Soldaten", "de") == f"count {value}"
    assert _read(f"{grouped.replace(',', NNBSP)} soldats", "fr") == f"count {value}"


@given(st.integers(1, 9999), st.integers(0, 9999))
def test_korean_man_reads_back(man: int, rest: int) -> None:
    text = f"{man}만{rest or ''} 명"
    assert _read(text, "ko") == f"count {man * 10000 + rest}"


SOUP = " ".join(
    [
        "1,000.000 3 000 12.000,5 tausend elf Tausend eleven thousand a thousand 1만1천여 명",
        "約1万2千人以上 über rund -~∼ 10-12 zwischen 1 und 2 от 3 до 4 тыс. 2024 27.02.2025",
        "F-16 5G $500 30% 170-mm 24-year-old 2nd 두 번째 zweihundertfünfundzwanzigtausend",
    ]
)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ((SOUP + " ") * (200_000 // len(SOUP)), None),
        ((SOUP + " ") * (200_000 // len(SOUP)), "de"),
        ("1" * 200_000, "en"),
        ("1," * 100_000, None),
        ("1 " * 100_000, "fr"),
        ("1-" * 100_000, "en"),
        ("1만" * 100_000, "ko"),
        ("1억" * 100_000, "ko"),
        ("1" + ",000" * 50_000, "en"),
        ("elf" * 66_667, "de"),
        ("a " * 100_000, "en"),
        ("one " * 50_000, "en"),
        ("1" + " " * 200_000 + "2", "de"),
        ("über " * 40_000 + "1", "de"),
        ("двадцать " * 22_222, "ru"),
        ("п'ять " * 33_334, "uk"),
        ("mil " * 50_000, "es"),
        ("quatre-vingt-" * 15_385, "fr"),
        ("yüz " * 50_000, "tr"),
        ("several " * 25_000, "en"),
        ("二" * 200_000, "ja"),
        ("千人" * 100_000, "zh"),
    ],
    ids=["soup", "soup-de", "digits", "commas", "spaces", "hyphens", "man", "eok", "groups",
         "elf", "a", "one", "blank", "qualifiers", "dvadtsat", "pyat", "mil", "quatre-vingt",
         "yuz", "several", "han", "qian-ren"],
)  # fmt: skip
def test_hostile_text_is_read_in_one_pass(text: str, language: str | None) -> None:
    assert len(text) >= 199_990
    _check(text, read_numbers(text, language))
