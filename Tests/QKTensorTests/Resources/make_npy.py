"""Generates the .npy/.npz fixtures used by NpyFileTests and NpzFileTests.

Run from anywhere: /work/main/.venv/bin/python Tests/QKTensorTests/Resources/make_npy.py
The expected values hard-coded in the Swift tests are the arrays below.
"""
import io
import os
import zipfile

import numpy as np
from numpy.lib import format as npformat

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "npy")
os.makedirs(OUT, exist_ok=True)


def path(name):
    return os.path.join(OUT, name)


def save(name, array, version=None):
    with open(path(name), "wb") as f:
        npformat.write_array(f, array, version=version, allow_pickle=False)


# One small array per supported dtype (C order, version 1.0).
save("f4.npy", np.array([[1.5, -2.25, 3.0], [0.0, 1e-3, -7.5]], dtype="<f4"))
save("f2.npy", np.array([0.5, -1.0, 65504.0, 0.0999755859375], dtype="<f2"))
save("f8.npy", np.array([np.pi, -np.e, 1e300], dtype="<f8"))
save("i1.npy", np.array([-128, -1, 0, 127], dtype="|i1"))
save("u1.npy", np.array([[0, 1], [254, 255]], dtype="|u1"))
save("i2.npy", np.array([-32768, 12345, 32767], dtype="<i2"))
save("u2.npy", np.array([0, 40000, 65535], dtype="<u2"))
save("i4.npy", np.array([-2147483648, 7, 2147483647], dtype="<i4"))
save("i8.npy", np.array([-9223372036854775808, 42, 9223372036854775807], dtype="<i8"))
save("b1.npy", np.array([True, False, True], dtype="|b1"))

# Layout and header variants.
save("scalar_f4.npy", np.array(3.25, dtype="<f4"))
save("empty_f4.npy", np.zeros((0, 3), dtype="<f4"))
save("big_endian_f4.npy", np.array([1.0, -2.5, 1024.0], dtype=">f4"))
save("big_endian_i8.npy", np.array([1, -2, 1 << 40], dtype=">i8"))
# arange(6).reshape(2, 3) stored column-major: the reader must hand back C order [[0,1,2],[3,4,5]].
save("fortran_i4.npy", np.asfortranarray(np.arange(6, dtype="<i4").reshape(2, 3)))
save("fortran_3d_f4.npy", np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4)))
save("v2_f4.npy", np.array([1.0, 2.0], dtype="<f4"), version=(2, 0))
save("v3_f4.npy", np.array([4.0, 5.0, 6.0], dtype="<f4"), version=(3, 0))

# Bad inputs.
save("unicode.npy", np.array(["abc", "de"], dtype="<U10"))
save("complex.npy", np.array([1 + 2j], dtype="<c8"))
with open(path("f4.npy"), "rb") as f:
    good = f.read()
with open(path("truncated.npy"), "wb") as f:
    f.write(good[:-5])
with open(path("truncated_header.npy"), "wb") as f:
    f.write(good[:20])
with open(path("bad_magic.npy"), "wb") as f:
    f.write(b"\x93NUMPZ" + good[6:])
# A header that claims shape (2, 4) over the 6 float32 values of f4.npy.
header = good[10:10 + int.from_bytes(good[8:10], "little")]
bad_header = header.replace(b"(2, 3)", b"(2, 4)")
assert bad_header != header and len(bad_header) == len(header)
with open(path("shape_mismatch.npy"), "wb") as f:
    f.write(good[:10] + bad_header + good[10 + len(header):])

# Archives.
np.savez(path("stored.npz"), weight=np.array([[1.0, 2.0], [3.0, 4.0]], dtype="<f4"),
         bias=np.array([-1, 1], dtype="<i8"), mask=np.array([True, False]))
np.savez_compressed(path("compressed.npz"), zeta=np.arange(100, dtype="<f4") * 0.5,
                    alpha=np.array([7], dtype="|u1"))
with zipfile.ZipFile(path("non_npy_member.npz"), "w") as z:
    buf = io.BytesIO()
    np.save(buf, np.array([1.0], dtype="<f4"))
    z.writestr("x.npy", buf.getvalue())
    z.writestr("readme.txt", b"not an array")
with zipfile.ZipFile(path("corrupt_member.npz"), "w") as z:
    z.writestr("good.npy", good)
    z.writestr("broken.npy", good[:30])
with open(path("not_a_zip.npz"), "wb") as f:
    f.write(b"this is not a zip archive at all\n" * 4)
