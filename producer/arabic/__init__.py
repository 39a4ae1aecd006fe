"""The Arabic front-end: text in, the exact text a TTS engine reads out.

`speakable` expands numbers, dates, times, units and symbols and applies the station's
`Lexicon`; `Diacritizer` (via `get_diacritizer`) adds diacritics for engines that need them.
"""

from producer.arabic.diacritize import Diacritizer, get_diacritizer
from producer.arabic.lexicon import Lexicon, LexiconEntry
from producer.arabic.speech import speakable

__all__ = ["Diacritizer", "Lexicon", "LexiconEntry", "get_diacritizer", "speakable"]
