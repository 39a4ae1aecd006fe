"""Currencies and units after (or, for symbols, before) a number, said with the unit's own forms.

The counted noun takes the form the number calls for: "دولار واحد", "دولاران", "خمسة دولارات"
(plural after 3-10), "عشرون دولارا" (accusative singular after 11-99), "مئة دولار" (genitive
singular after hundreds, thousands …), and the number takes the gender of the unit's singular.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from producer.arabic.numbers import Case, Gender, cardinal_words, dual


@dataclass(frozen=True)
class Unit:
    singular: str
    dual: str  # nominative; the accusative/genitive is derived
    plural: str
    tamyiz: str  # accusative singular after 11-99
    gender: Gender
    one: str  # the agreeing "واحد"/"واحدة" (with adjective agreement when the unit has one)
    cents: Unit | None = None  # a currency's hundredth, for amounts written with two decimals

    def dual_form(self, case: Case) -> str:
        # Each word of a dual phrase takes the case ("ليرتان سوريتان" → "ليرتين سوريتين").
        return " ".join(
            dual(word, case, construct=False) if word.endswith("ان") else word for word in self.dual.split()
        )


def _u(singular: str, dual: str, plural: str, tamyiz: str, gender: Gender, cents: Unit | None = None) -> Unit:
    one = "واحدة" if gender == "f" else "واحد"
    return Unit(singular, dual, plural, tamyiz, gender, one, cents)


# The hundredths money is written in: "9.40 $" is said "تسعة دولارات وأربعون سنتا".
_CENT = _u("سنت", "سنتان", "سنتات", "سنتا", "m")
_PENNY = _u("بنس", "بنسان", "بنسات", "بنسا", "m")
_PIASTRE = _u("قرش", "قرشان", "قروش", "قرشا", "m")
_HALALA = _u("هللة", "هللتان", "هللات", "هللة", "f")
_FILS = _u("فلس", "فلسان", "فلوس", "فلسا", "m")

DOLLAR = _u("دولار", "دولاران", "دولارات", "دولارا", "m", _CENT)
EURO = _u("يورو", "يوروان", "يوروهات", "يورو", "m", _CENT)
POUND = _u("جنيه إسترليني", "جنيهان إسترلينيان", "جنيهات إسترلينية", "جنيها إسترلينيا", "m", _PENNY)
YEN = _u("ين ياباني", "ينان يابانيان", "ينات يابانية", "ينا يابانيا", "m")
SYRIAN_POUND = _u("ليرة سورية", "ليرتان سوريتان", "ليرات سورية", "ليرة سورية", "f", _PIASTRE)
LEBANESE_POUND = _u("ليرة لبنانية", "ليرتان لبنانيتان", "ليرات لبنانية", "ليرة لبنانية", "f", _PIASTRE)
TURKISH_LIRA = _u("ليرة تركية", "ليرتان تركيتان", "ليرات تركية", "ليرة تركية", "f", _PIASTRE)
IRAQI_DINAR = _u("دينار عراقي", "ديناران عراقيان", "دنانير عراقية", "دينارا عراقيا", "m", _FILS)
JORDANIAN_DINAR = _u("دينار أردني", "ديناران أردنيان", "دنانير أردنية", "دينارا أردنيا", "m", _PIASTRE)
SAUDI_RIYAL = _u("ريال سعودي", "ريالان سعوديان", "ريالات سعودية", "ريالا سعوديا", "m", _HALALA)
EGYPTIAN_POUND = _u("جنيه مصري", "جنيهان مصريان", "جنيهات مصرية", "جنيها مصريا", "m", _PIASTRE)
UAE_DIRHAM = _u("درهم إماراتي", "درهمان إماراتيان", "دراهم إماراتية", "درهما إماراتيا", "m", _FILS)
# Signs and abbreviations, written before or after the number ("$5", "5 $", "ل.س 500", "500 ل.س").
_CURRENCY_SIGNS: dict[str, Unit] = {
    "$": DOLLAR, "€": EURO, "£": POUND, "¥": YEN,
    "ل.س": SYRIAN_POUND, "ل. س": SYRIAN_POUND, "ل.ل": LEBANESE_POUND, "ل. ل": LEBANESE_POUND,
    "ل.ت": TURKISH_LIRA, "د.ع": IRAQI_DINAR, "د. ع": IRAQI_DINAR,
    "د.أ": JORDANIAN_DINAR, "د.ا": JORDANIAN_DINAR, "د. أ": JORDANIAN_DINAR,
    "ر.س": SAUDI_RIYAL, "ر. س": SAUDI_RIYAL, "ج.م": EGYPTIAN_POUND, "ج. م": EGYPTIAN_POUND,
    "د.إ": UAE_DIRHAM, "د. إ": UAE_DIRHAM,
}  # fmt: skip
CURRENCIES = frozenset(_CURRENCY_SIGNS.values())

# Surface forms after a number (abbreviations and spelled-out unit names) → unit.
_AFTER: dict[str, Unit] = {}


def _register(unit: Unit, *surfaces: str) -> None:
    for surface in surfaces:
        _AFTER[surface] = unit


for _sign, _currency in _CURRENCY_SIGNS.items():
    _register(_currency, _sign)
_register(DOLLAR, "دولار", "دولارات", "دولارا", "دولاراً", "USD")
_register(EURO, "يورو", "EUR")
_register(POUND, "GBP")
_register(YEN, "JPY")
_register(
    _u("كيلومتر مربع", "كيلومتران مربعان", "كيلومترات مربعة", "كيلومترا مربعا", "m"),
    "كم²", "كم2", "km²", "km2", "كيلومتر مربع",
)  # fmt: skip
_register(
    _u("كيلومتر", "كيلومتران", "كيلومترات", "كيلومترا", "m"),
    "كم", "كلم", "km", "كيلومتر", "كيلومترات", "كيلومترا", "كيلو متر",
)  # fmt: skip
_register(
    _u("كيلومتر في الساعة", "كيلومتران في الساعة", "كيلومترات في الساعة", "كيلومترا في الساعة", "m"),
    # The slash between two words is already a space here (normalize: "أيلول/سبتمبر").
    "كم سا", "كم س", "كم ساعة", "كم في الساعة", "كلم سا", "كلم س", "km/h",
)  # fmt: skip
_register(
    _u("متر مربع", "متران مربعان", "أمتار مربعة", "مترا مربعا", "m"),
    "م²", "م2", "m²", "m2", "متر مربع",
)  # fmt: skip
_register(
    _u("متر مكعب", "متران مكعبان", "أمتار مكعبة", "مترا مكعبا", "m"),
    "م³", "م3", "m³", "m3", "متر مكعب",
)  # fmt: skip
_register(_u("متر", "متران", "أمتار", "مترا", "m"), "م", "m", "متر", "أمتار", "مترا")
_register(_u("سنتيمتر", "سنتيمتران", "سنتيمترات", "سنتيمترا", "m"), "سم", "cm", "سنتيمتر")
_register(_u("مليمتر", "مليمتران", "مليمترات", "مليمترا", "m"), "ملم", "مم", "mm", "مليمتر")
_register(
    _u("كيلوغرام", "كيلوغرامان", "كيلوغرامات", "كيلوغراما", "m"),
    "كغ", "كلغ", "kg", "كيلوغرام", "كيلوغرامات", "كيلوغراما", "كيلو غرام",
)  # fmt: skip
_register(_u("غرام", "غرامان", "غرامات", "غراما", "m"), "غ", "غرام")
_register(_u("طن", "طنان", "أطنان", "طنا", "m"), "طن")
_register(_u("ميغاواط", "ميغاواطان", "ميغاواطات", "ميغاواطا", "m"), "ميغاواط", "MW")
_register(
    Unit("درجة مئوية", "درجتان مئويتان", "درجات مئوية", "درجة مئوية", "f", "واحدة"),
    "°م", "° م", "°C", "° C", "℃", "درجة مئوية", "درجات مئوية",
)  # fmt: skip
_register(Unit("درجة", "درجتان", "درجات", "درجة", "f", "واحدة"), "°")

# Before a number: currency signs and abbreviations only ("$5", "ل.س 500").
UNITS_BEFORE: dict[str, Unit] = dict(_CURRENCY_SIGNS)

_WORD_END = r"(?![0-9A-Za-z\u0621-\u064a\u0660-\u0669])"
UNIT_AFTER = re.compile(
    r"\s?(?P<unit>" + "|".join(re.escape(s) for s in sorted(_AFTER, key=len, reverse=True)) + ")" + _WORD_END
)


def unit_after(surface: str) -> Unit:
    return _AFTER[surface]


def money(whole: int, cents: int, unit: Unit, cent: Unit, case: Case, *, vowelled: bool = False) -> str:
    """An amount with hundredths: "تسعة دولارات وأربعون سنتا", or only the cents below one unit."""
    if not whole:
        return counted(cents, cent, case, vowelled=vowelled) if cents else f"صفر {unit.singular}"
    spoken = counted(whole, unit, case, vowelled=vowelled)
    return f"{spoken} و{counted(cents, cent, case, vowelled=vowelled)}" if cents else spoken


def noun_form(n: int, unit: Unit, case: Case) -> str:
    """The unit as said after the number `n` (the number's last group decides)."""
    if n == 1:
        return unit.singular
    if n == 2:
        return unit.dual_form(case)
    rest = n % 100
    if 3 <= rest <= 10:
        return unit.plural
    if rest >= 11 or n < 100:
        return unit.tamyiz
    return unit.singular


def counted(n: int, unit: Unit, case: Case, *, vowelled: bool = False) -> str:
    """`n` units: number and unit in the forms the number calls for (`vowelled`: the number with
    its case vowels)."""
    if n == 1:
        return f"{unit.singular} {unit.one}"
    if n == 2:
        return unit.dual_form(case)
    number = cardinal_words(n, gender=unit.gender, case=case, construct=True, vowelled=vowelled)
    return f"{number} {noun_form(n, unit, case)}"
