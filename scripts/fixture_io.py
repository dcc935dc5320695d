"""Byte-reproducible writers shared by the fixture scripts (make_digits_cnn.py, make_encoder.py).

numpy.savez stamps each archive member with the current time, so two runs give different bytes; save_npz
writes the same layout (stored, zip64 members named <key>.npy, as numpy.savez does) with a fixed timestamp.
"""

import zipfile

import numpy as np

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def save_npz(path: str, **arrays: np.ndarray) -> None:
    """Writes `arrays` to `path` as an uncompressed .npz that numpy.load reads, with fixed member timestamps."""
    with zipfile.ZipFile(path, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for key, value in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(value), allow_pickle=False)
