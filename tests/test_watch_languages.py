"""The shipped watch in the languages with no labeled set: a truth table per language.

Each row is a headline (and summary) written for this test from real reporting: the
deployment as news, and a North Korea or Russia story that is not about the soldiers.
"""

from __future__ import annotations

import pytest

from monitor.match import Matcher
from monitor.records import Entry
from monitor.watch import load_watches
from tests.conftest import WATCHES

WATCH, _ = load_watches(WATCHES)
MATCHER = Matcher(WATCH)

ROWS = [
    # Arabic
    ("ar", "كوريا الشمالية ترسل آلاف الجنود إلى روسيا", "", True),
    ("ar", "مقتل جنود من كوريا الشمالية في كورسك", "تقديرات سيول تتحدث عن مئات القتلى.", True),
    ("ar", "كوريا الشمالية تطلق صاروخا باليستيا", "الإطلاق جاء قبل زيارة إلى موسكو.", False),
    ("ar", "روسيا وأوكرانيا تتبادلان الأسرى", "", False),
    # Hindi
    ("hi", "उत्तर कोरिया ने रूस में हजारों सैनिक भेजे", "", True),
    ("hi", "कुर्स्क में उत्तर कोरियाई सैनिक मारे गए", "दक्षिण कोरिया की खुफिया एजेंसी का अनुमान।", True),
    ("hi", "उत्तर कोरिया ने मिसाइल परीक्षण किया", "रूस के साथ संबंध गहरे हुए हैं।", False),
    # Czech
    ("cs", "Severní Korea poslala do Ruska další vojáky", "", True),
    ("cs", "Ukrajina zajala dva severokorejské vojáky v Kursku", "", True),
    ("cs", "KLDR odpálila balistickou střelu", "Pchjongjang posiluje vztahy s Moskvou.", False),
    # Swedish, Danish
    ("sv", "Nordkoreanska soldater stupade i Kursk", "Sydkoreas underrättelsetjänst uppger.", True),
    ("sv", "Nordkorea provsköt robotar", "Ryssland fördömde inte uppskjutningen.", False),
    ("da", "Nordkorea sender flere tropper til Rusland", "", True),
    # the North's generals sanctioned for the dispatch: the soldiers by their commanders
    ("sv", "EU bestraffar nordkoreanska generaler för stödet till Ryssland", "", True),
    ("sv", "Nordkoreanska generaler vid militärparad i Pyongyang", "", False),
    # Romanian, Hungarian
    ("ro", "Coreea de Nord a trimis soldați în Rusia", "", True),
    ("ro", "Coreea de Nord a testat o rachetă", "Rusia nu a comentat.", False),
    ("hu", "Észak-Korea újabb katonákat küldött Oroszországba", "", True),
    ("hu", "Szankciók az Oroszországba küldött észak-koreai tábornokok ellen", "", True),
    ("hu", "Észak-Korea rakétát lőtt ki", "Moszkva hallgat.", False),
]


def test_every_row_language_is_one_the_readme_names() -> None:
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    measured = {lang for lang, *_ in ROWS}
    assert all(f"`{lang}`" in readme for lang in measured), measured


# The ways in that need no "North Korea": South Korea's intelligence on Kursk or
# casualties, and prisoners who meet South Korea; and the border digest kept out.
WAYS = [
    ("ko", '국정원 "사상자 4천700명"…쿠르스크 전선 재투입', "", True),
    ("en", "6,000 killed or wounded, Seoul's spy agency now says", "", True),
    ("en", "POW asks to be sent to South Korea", "The prisoner spoke in Kyiv of the war.", True),
    ("en", "Russia and Ukraine swap 300 prisoners of war", "Kyiv thanked the UAE.", False),
    ("en", "Kim signed off on Kursk, state TV shows", "", True),
    ("en", "Digest: Kenyan captured in Ukraine; North Korean troops cross the MDL", "", False),
]

# The soldiers named by whose they are ("Kim's men"), a number of men, and words that
# look like another story but are not: 화성지구 is a Pyongyang district, not the missile.
NAMES = [
    ("pl", "Żołnierze Kima uczą się w Rosji walki dronami", "", True),
    ("uk", "Людей Кіма не видно на фронті", "", True),
    ("id", "Anak buah Kim dikirim ke Kursk", "", True),
    ("sv", "Nordkorea skickar 10 000 man till Ryssland", "", True),
    ("sv", "Nordkoreanerna vid fronten i Kursk", "Minst 30 har dödats enligt Kiev.", True),
    ("sv", "Sydkorea: Nordkorea har skickat trupper till Ryssland", "", True),
    ("sv", "Två nordkoreanska krigsfångar vill till Seoul", "De fångades i Kursk i januari.", True),
    (
        "sv",
        "Kim Jong Un hyllar hjältarna från Kursk",
        "Nordkorea hedrar sina stupade soldater.",
        True,
    ),
    (
        "sv",
        "Nordkorea bygger nytt hangarfartyg",
        "Pjongjang visade upp varvet för utländska medier.",
        False,
    ),
    (
        "sv",
        "Ryssland rekryterar soldater i Kuba",
        "Hundratals kubaner har skickats till fronten.",
        False,
    ),
    ("de", "Nordkorea schickt weitere 3.000 Mann nach Russland", "", True),
    # the dispatch in a compound; a foreign land (이역땅); coffins counted (관 20구);
    # Saeppyol Street by its Chinese name
    ("de", "NIS rechnet mit neuer Nordkorea-Entsendung nach Russland im Sommer", "", True),
    ("de", "Nordkorea-Entsendung von Diplomaten nach Peking", "", False),
    ("ko", '김정은, 국방성 방문…"이역땅 작전부대에 축하"', "", True),
    ("ko", "조선중앙TV, 러시아서 돌아온 관 20구 영접", "김정은 위원장이 맞이했다.", True),
    ("zh", "朝鲜新星街竣工", "", True),
    # the North's units abroad by its own name, glued into a parade column's; the soldiers
    # called on to give themselves up
    ("ko", "열병식에 '해외작전부대종대' 등장", "김정은 위원장이 사열했다.", True),
    ("de", "Kiew wirbt um Nordkoreaner", "Nordkoreanische Soldaten sollen sich ergeben.", True),
    # "North Koreans" as a noun in Russian and Ukrainian; the North's army by its own name
    # and by its officers in Japanese; the Red Army of 1945 is history
    ("uk", "Зеленський: перші втрати серед північнокорейців", "", True),
    ("ru", "ФСБ: въезд граждан КНДР в Россию сократился", "Приехали 300 северокорейцев.", False),
    ("ja", "派遣名簿の筆頭に金英福氏", "ロシアに送られた北朝鮮軍将校の名簿が入手された。", True),
    ("ru", "Ким Чен Ын почтил красноармейцев", "Солдаты Красной армии освободили Корею.", False),
    ("ko", "평양 화성지구에 기념관 착공", "김 위원장은 해외군사작전 참전자를 기렸다.", True),
    ("ko", "北, 화성-19형 발사", "김 위원장은 러시아 파병 부대도 언급했다.", False),
    ("ja", "軍事パレードに中国首相", "北朝鮮はロシアへの派兵で関係を深めた。", False),
    ("en", "Kim Jong Un visits a factory", "Thousands of men work there for Russia.", False),
    # the war as the North's soldiers learn it, named without Russia or Ukraine
    ("ko", '"드론전 경험 쌓는 북한군"…한반도 안보에 새 위협', "", True),
    ("en", "North Korea's army is getting a crash course in modern war", "", True),
    ("de", "Kommentar: Pjöngjangs Soldaten in Europa", "", True),
    ("en", "North Korean soldiers cross the MDL briefly", "Warning shots were fired.", False),
    # honours for the North's soldiers, and its conscripts sent west
    ("en", "Why Pyongyang airs its soldiers' heroic sacrifices", "", True),
    ("en", "Kim's youngest conscripts sent west", "Moscow needs more men.", True),
    ("en", "Kim honours Korean War soldiers at a cemetery", "", False),
    ("de", "Alabuga soll 12.000 Nordkoreaner bekommen", "Für die Montage in Russland.", False),
    # the Workers' Party is the North's ruling party, not its workers; the Storm Corps
    (
        "en",
        "Party cards for the dead",
        "Pyongyang's Workers' Party admits soldiers killed in Kursk.",
        True,
    ),
    ("en", "North Korean workers at a Russian building site", "They were sent to Kursk.", False),
    ("en", "Storm Corps veteran speaks", "Most of his unit died in Russia.", True),
    # North Korea and Kursk where the story is told; soldiers sent (not at home)
    ("de", "Kim gab dreimal grünes Licht", "Nordkoreas Fernsehen zeigt Pläne für Kursk.", True),
    ("ko", "'쿠르스크 해방작전' 결재 장면 방영", "북한 TV는 김 위원장의 승인을 전했다.", True),
    ("de", "Seoul: Weitere Verluste", "Nordkorea habe 3.000 Soldaten nachgeschickt.", True),
    ("de", "Nordkorea: Soldaten üben an der Küste", "Kim sah zu.", False),
    ("ko", "쿠르스크 전선 재투입", '국정원 "일부 추가 파견 정황"', True),
    # The remains of the North's fallen, with no word for soldiers; not the Korean War's
    ("de", "Ein Sarg unter der Staatsflagge", "Pjöngjangs Fernsehen zeigt Kim davor.", True),
    ("ko", "[분석] 김정은, 관 앞에 서다", "北 조선중앙TV가 송환 행사를 공개했다.", True),
    ("en", "Coffins return to Pyongyang", "North Korea shows a ceremony for the remains.", True),
    ("en", "Remains of Korean War soldiers handed over", "North Korea returned 55 boxes.", False),
    # An obituary, guns delivered, a party's anniversary: the troops only as background
    (
        "en",
        "Moscow's envoy to North Korea dies at 70",
        "After the treaty he promoted, Pyongyang sent troops to Kursk.",
        False,
    ),
    (
        "de",
        "Haubitzen aus Pjöngjang",
        "Die Geschütze stehen bei Kursk, wo Soldaten kämpfen.",
        False,
    ),
    (
        "de",
        "Gäste aus Moskau beim Parteijubiläum",
        "Nordkorea, das Soldaten für Kursk geschickt hat, feiert.",
        False,
    ),
    ("ko", "김정은, 해외작전부대에 신년 축하문", "", True),
    # Names of the story's own stand in for North Korea and its soldiers
    ("en", "Keys to the new homes on Saeppyol Street", "Families of the fallen move in.", True),
    (
        "de",
        "Heldenfriedhof und Beutewaffen",
        "Das Museum der Kampfleistungen ist fast fertig.",
        True,
    ),
    (
        "de",
        "Satellitenbild aus Ussurijsk",
        "Auf einer russischen Basis sammelt sich nordkoreanisches Personal.",
        True,
    ),
]


@pytest.mark.parametrize(("lang", "title", "summary", "hit"), ROWS + WAYS + NAMES)
def test_the_shipped_watch_on_one_headline(lang: str, title: str, summary: str, hit: bool) -> None:
    entry = Entry("k", None, title, summary, None, lang)
    assert bool(MATCHER.matches(entry)) is hit, MATCHER.verdicts(entry)
