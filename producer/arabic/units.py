"""Currencies and units after (or, for symbols, before) a number, said with the unit's own forms.

The counted noun takes the form the number calls for: "دولار واحد", "دولاران", "خمسة دولارات"
(plural after 3-10), "عشرون دولارا" (accusative singular after 11-99), "مئة دولار" (genitive
singular after hundreds, thousands …), and the number takes the gender of the unit's singular.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from producer.arabic.numbers import Case, Gender, cardinal_words


@dataclass(frozen=True)
class Unit:
    singular: str
    dual: str  # nominative; the accusative/genitive is derived
    plural: str
    tamyiz: str  # accusative singular after 11-99
    gender: Gender
    one: str  # the agreeing "واحد"/"واحدة" (with adjective agreement when the unit has one)

    def dual_form(self, case: Case) -> str:
        if case == "nom":
            return self.dual
        # Each word of a dual phrase turns ان → ين ("ليرتان سوريتان" → "ليرتين سوريتين").
        return " ".join(word[:-2] + "ين" if word.endswith("ان") else word for word in self.dual.split())


def _u(singular: str, dual: str, plural: str, tamyiz: str, gender: Gender) -> Unit:
    one = "واحدة" if gender == "f" else "واحد"
    return Unit(singular, dual, plural, tamyiz, gender, one)


DOLLAR = _u("دولار", "دولاران", "دولارات", "دولارا", "m")
EURO = _u("يورو", "يوروان", "يوروهات", "يورو", "m")
POUND = _u("جنيه إسترليني", "جنيهان إسترلينيان", "جنيهات إسترلينية", "جنيها إسترلينيا", "m")

# Surface forms after a number (abbreviations and spelled-out unit names) → unit.
_AFTER: dict[str, Unit] = {}


def _register(unit: Unit, *surfaces: str) -> None:
    for surface in surfaces:
        _AFTER[surface] = unit


_register(DOLLAR, "$", "دولار", "دولارات", "دولارا", "دولاراً", "USD")
_register(EURO, "€", "يورو", "EUR")
_register(POUND, "£", "GBP")
_register(_u("ليرة سورية", "ليرتان سوريتان", "ليرات سورية", "ليرة سورية", "f"), "ل.س", "ل. س")
_register(_u("ليرة لبنانية", "ليرتان لبنانيتان", "ليرات لبنانية", "ليرة لبنانية", "f"), "ل.ل", "ل. ل")
_register(_u("ليرة تركية", "ليرتان تركيتان", "ليرات تركية", "ليرة تركية", "f"), "ل.ت")
_register(_u("دينار عراقي", "ديناران عراقيان", "دنانير عراقية", "دينارا عراقيا", "m"), "د.ع", "د. ع")
_register(_u("دينار أردني", "ديناران أردنيان", "دنانير أردنية", "دينارا أردنيا", "m"), "د.أ", "د.ا", "د. أ")
_register(_u("ريال سعودي", "ريالان سعوديان", "ريالات سعودية", "ريالا سعوديا", "m"), "ر.س", "ر. س")
_register(_u("جنيه مصري", "جنيهان مصريان", "جنيهات مصرية", "جنيها مصريا", "m"), "ج.م", "ج. م")
_register(_u("درهم إماراتي", "درهمان إماراتيان", "دراهم إماراتية", "درهما إماراتيا", "m"), "د.إ", "د. إ")
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

# Before a number: symbols only ("$5").
UNITS_BEFORE: dict[str, Unit] = {"$": DOLLAR, "€": EURO, "£": POUND}

_WORD_END = r"(?![0-9A-Za-z\u0621-\u064a\u0660-\u0669])"
UNIT_AFTER = re.compile(
    r"\s?(?P<unit>" + "|".join(re.escape(s) for s in sorted(_AFTER, key=len, reverse=True)) + ")" + _WORD_END
)


def unit_after(surface: str) -> Unit:
    return _AFTER[surface]


def counted(n: int, unit: Unit, case: Case) -> str:
    """`n` units: number and unit in the forms the number calls for."""
    if n == 1:
        return f"{unit.singular} {unit.one}"
    if n == 2:
        return unit.dual_form(case)
    rest = n % 100
    number = cardinal_words(n, gender=unit.gender, case=case, construct=True)
    if 3 <= rest <= 10:
        return f"{number} {unit.plural}"
    if rest >= 11 or n < 100:
        return f"{number} {unit.tamyiz}"
    return f"{number} {unit.singular}"
