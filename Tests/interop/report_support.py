"""Helpers for the report and quickstart tests: one `qkit quickstart` run shared by the test modules of a pytest
process, a small PNG decoder (no imaging package needed) and SQNR as numpy computes it."""

import shutil
import subprocess
import tempfile
import zlib
import struct
from functools import lru_cache
from pathlib import Path

import numpy as np

from interop_support import FIXTURES

VARIANTS = ["fp32", "fp16", "dynamic int8", "static int8"]
VARIANT_FILES = {"fp16": "fp16.onnx", "dynamic int8": "dynamic-int8.onnx", "static int8": "static-int8.onnx"}


@lru_cache(maxsize=None)
def quickstart_run(qkit: str) -> tuple[Path, subprocess.CompletedProcess]:
    """Runs `qkit quickstart` with no arguments in a fresh directory holding a copy of Fixtures/digits (as a fresh
    clone would), once per process; returns (that directory, the completed process)."""
    root = Path(tempfile.mkdtemp(prefix="qkit-quickstart-"))
    shutil.copytree(FIXTURES / "digits", root / "Fixtures" / "digits")
    result = subprocess.run([qkit, "quickstart", "--threads", "1"], cwd=root, capture_output=True, text=True,
                            timeout=900)
    return root, result


def sqnr_db(reference: np.ndarray, candidate: np.ndarray) -> float:
    """10·log10(Σx² / Σ(x − x̂)²) in float64."""
    x = reference.astype(np.float64).ravel()
    noise = np.sum((x - candidate.astype(np.float64).ravel()) ** 2)
    return float("inf") if noise == 0 else float(10 * np.log10(np.sum(x * x) / noise))


def read_png(path: Path) -> np.ndarray:
    """An 8-bit, non-interlaced PNG (what chromium's --screenshot writes) as a [height, width, channels] array."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    position, compressed, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed.append(body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0, f"{path}: unsupported PNG (depth {depth}, interlace {interlace})"
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    stride = width * channels
    raw = np.frombuffer(zlib.decompress(b"".join(compressed)), dtype=np.uint8).reshape(height, 1 + stride)
    image = np.zeros((height, stride), dtype=np.int32)
    prior = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if kind == 0:
            row = line
        elif kind == 1:      # Sub: running sum along each channel
            row = np.cumsum(line.reshape(width, channels), axis=0).reshape(-1) % 256
        elif kind == 2:      # Up
            row = (line + prior) % 256
        else:                # Average (3) or Paeth (4), pixel by pixel
            row = _unfilter_sequential(kind, line, prior, channels)
        image[y] = row
        prior = row
    return image.reshape(height, width, channels).astype(np.uint8)


def _unfilter_sequential(kind: int, line: np.ndarray, prior: np.ndarray, channels: int) -> np.ndarray:
    row = [0] * len(line)
    values, above = line.tolist(), prior.tolist()
    for x in range(len(values)):
        a = row[x - channels] if x >= channels else 0
        b = above[x]
        if kind == 3:
            predictor = (a + b) // 2
        else:
            c = above[x - channels] if x >= channels else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        row[x] = (values[x] + predictor) % 256
    return np.array(row, dtype=np.int32)
