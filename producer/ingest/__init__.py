"""Ingest: pasted or uploaded news pages → the Story a newsreader reads.

`extract_text` turns a file's bytes into text, `decode_text` handles the encodings staff files come
in, and `clean` finds the headline and body among the page furniture a copy-paste brings along.
"""

from producer.ingest.files import decode_text, extract_text
from producer.ingest.story import clean

__all__ = ["clean", "decode_text", "extract_text"]
