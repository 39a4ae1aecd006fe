"""The project's own exceptions; adapters translate library errors into these at the boundary.

Every message is one sentence a user can act on: the CLI prints it on one line, the web UI shows it.
"""


class ProducerError(Exception):
    """Base of every error the product reports to a user."""


class InputError(ProducerError):
    """The text or file given cannot be used (empty, binary, no Arabic, unreadable)."""


class EngineUnavailable(ProducerError):
    """A TTS engine cannot run here; the message says why in one sentence."""


class EngineError(ProducerError):
    """A TTS engine failed while synthesizing."""


class DownloadError(ProducerError):
    """A download (a voice from its catalog) failed, or did not match what its catalog promised."""


class AudioError(ProducerError):
    """An audio file (jingle, bed, upload) cannot be decoded, or an encode failed."""


class TemplateError(ProducerError):
    """A script template is invalid or failed to render."""
