"""A tiny but real Piper voice for tests: an ONNX graph with Piper's inputs and outputs.

Every phoneme id becomes 256 samples (Piper's hop length) of a tone whose pitch follows the id,
so longer text gives longer audio and the audio depends on the text; the config maps espeak-ng's
Arabic phonemes with Piper's default id map. It is loaded through the real `PiperVoice.load`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from piper.phoneme_ids import DEFAULT_PHONEME_ID_MAP

HOP = 256
SAMPLE_RATE = 22050


def _graph() -> onnx.GraphProto:
    step = np.arange(HOP, dtype=np.float32).reshape(1, HOP) * np.float32(2 * math.pi / SAMPLE_RATE)
    constants = [
        numpy_helper.from_array(step, "step"),
        numpy_helper.from_array(np.array([-1, 1], dtype=np.int64), "column"),
        numpy_helper.from_array(np.array([1, 1, 1, -1], dtype=np.int64), "audio_shape"),
        numpy_helper.from_array(np.array(8.0, dtype=np.float32), "hz_per_id"),
        numpy_helper.from_array(np.array(120.0, dtype=np.float32), "base_hz"),
        numpy_helper.from_array(np.array(1, dtype=np.int64), "length_index"),
    ]
    nodes = [
        helper.make_node("Cast", ["input"], ["ids"], to=TensorProto.FLOAT),
        helper.make_node("Reshape", ["ids", "column"], ["ids_column"]),
        helper.make_node("Mul", ["ids_column", "hz_per_id"], ["id_hz"]),
        helper.make_node("Add", ["id_hz", "base_hz"], ["hz"]),
        helper.make_node("Mul", ["hz", "step"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["tone"]),
        # The length scale sets the amplitude, so the graph uses every input Piper feeds it.
        helper.make_node("Gather", ["scales", "length_index"], ["length_scale"]),
        helper.make_node("Mul", ["tone", "length_scale"], ["scaled"]),
        helper.make_node("Reshape", ["scaled", "audio_shape"], ["output"]),
    ]
    return helper.make_graph(
        nodes,
        "tiny_test_voice",
        inputs=[
            helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
            helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
            helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
        ],
        outputs=[helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, 1, "samples"])],
        initializer=constants,
    )


def make_test_voice(folder: Path, name: str = "ar_XX-test-tiny") -> Path:
    """Write `<name>.onnx` and `<name>.onnx.json` into `folder`; returns the model path."""
    folder.mkdir(parents=True, exist_ok=True)
    model = helper.make_model(_graph(), opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    model_path = folder / f"{name}.onnx"
    onnx.save(model, model_path)
    config = {
        "audio": {"sample_rate": SAMPLE_RATE, "quality": "x_low"},
        "espeak": {"voice": "ar"},
        "language": {"code": "ar_XX", "family": "ar", "region": "XX"},
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
        "phoneme_type": "espeak",
        "phoneme_id_map": DEFAULT_PHONEME_ID_MAP,
        "num_symbols": max(i for ids in DEFAULT_PHONEME_ID_MAP.values() for i in ids) + 1,
        "num_speakers": 1,
        "speaker_id_map": {},
        "piper_version": "1.0.0",
    }
    (folder / f"{name}.onnx.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return model_path
