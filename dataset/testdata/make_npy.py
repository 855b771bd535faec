#!/usr/bin/python3
"""Writes the .npy and .npz files that dataset's reader tests decode, with Debian's NumPy:

    /usr/bin/python3 dataset/testdata/make_npy.py

Every array holds arange(n) - 3 (so negative values exercise signed types, and uint8 wraps
to 253..255 for the first three) reshaped to a known shape, in the dtype its name says.
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def values(shape, dtype):
    return (np.arange(int(np.prod(shape))) - 3).astype(dtype).reshape(shape)


def main():
    for dtype in ["f4", "f8", "i1", "u1", "i4", "i8"]:
        np.save(os.path.join(HERE, "arange_%s.npy" % dtype), values((2, 3, 4), "<" + dtype))
    # A version 2.0 header, and a 0-d array.
    with open(os.path.join(HERE, "arange_f4_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, values((2, 3, 4), "<f4"), version=(2, 0))
    np.save(os.path.join(HERE, "scalar_f8.npy"), np.float64(2.5))
    # Unsupported layouts: big-endian and Fortran order.
    np.save(os.path.join(HERE, "big_endian_f4.npy"), values((2, 3), ">f4"))
    np.save(os.path.join(HERE, "fortran_f4.npy"), np.asfortranarray(values((2, 3), "<f4")))
    # A small classification set (x float32 [6,2,3], y int64 labels) and a regression one.
    x = values((6, 2, 3), "<f4") / 4
    np.savez_compressed(os.path.join(HERE, "classes.npz"), x=x, y=np.array([0, 1, 2, 1, 0, 2], dtype="<i8"))
    np.savez(os.path.join(HERE, "regression.npz"), inputs=x, targets=values((6, 2), "<f8") / 2)
    np.save(os.path.join(HERE, "classes_x.npy"), x)
    np.save(os.path.join(HERE, "classes_y.npy"), np.array([0, 1, 2, 1, 0, 2], dtype="<u1"))


if __name__ == "__main__":
    main()
