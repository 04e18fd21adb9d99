"""Reference for the preprocessing benchmark: pydicom + numpy (+ scipy) doing the same steps as @ich/ml on the
same files, single-threaded: read + parse, pixel_array, x*slope+intercept, three windows (brain 40/80, subdural
80/200, soft tissue 40/380) clipped to [0,1], bilinear resize to SIZE x SIZE with TensorFlow's default semantics
(align_corners=False, half_pixel_centers=False), float32 HWC.

usage: preprocess-reference.py <size> <rounds> <out-first.f32> <file>...
Prints one JSON line: {"numpy": [slices/s per round], "scipy": [...], "versions": {...}}.
"""
import json
import os
import sys
import time

import numpy as np
import pydicom
import scipy
import scipy.ndimage

WINDOWS = [(40.0, 80.0), (80.0, 200.0), (40.0, 380.0)]


def hounsfield(path):
    ds = pydicom.dcmread(path)
    return ds.pixel_array.astype(np.float32) * np.float32(float(ds.RescaleSlope)) + np.float32(float(ds.RescaleIntercept))


def windows(hu):
    return np.stack([np.clip((hu - (c - w / 2)) / np.float32(w), 0, 1) for c, w in WINDOWS], axis=-1).astype(np.float32)


def plan(n_in, n_out):
    src = np.arange(n_out, dtype=np.float64) * (n_in / n_out)
    lo = np.floor(src).astype(np.int64)
    return np.minimum(lo, n_in - 1), np.minimum(lo + 1, n_in - 1), (src - lo).astype(np.float32)


def resize_numpy(img, size, plans):
    (y0, y1, fy), (x0, x1, fx) = plans
    top = img[y0][:, x0] + (img[y0][:, x1] - img[y0][:, x0]) * fx[None, :, None]
    bottom = img[y1][:, x0] + (img[y1][:, x1] - img[y1][:, x0]) * fx[None, :, None]
    return top + (bottom - top) * fy[:, None, None]


def resize_scipy(img, size, plans):
    h, w, _ = img.shape
    ys = np.arange(size) * (h / size)
    xs = np.arange(size) * (w / size)
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    # mode="nearest" clamps the far neighbour at the last row/column, as TensorFlow does.
    return np.stack([scipy.ndimage.map_coordinates(img[:, :, c], [yy, xx], order=1, mode="nearest") for c in range(img.shape[2])], axis=-1)


def main():
    size, rounds, first_out, files = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    results = {}
    for name, resize in (("numpy", resize_numpy), ("scipy", resize_scipy)):
        plans = None
        rates = []
        for r in range(rounds + 1):
            start = time.perf_counter()
            for i, path in enumerate(files):
                hu = hounsfield(path)
                if plans is None:
                    plans = (plan(hu.shape[0], size), plan(hu.shape[1], size))
                out = resize(windows(hu), size, plans).astype(np.float32)
                if r == 0 and i == 0 and name == "numpy":
                    out.astype("<f4").tofile(first_out)
            elapsed = time.perf_counter() - start
            if r > 0:  # round 0 warms caches and imports
                rates.append(len(files) / elapsed)
        results[name] = rates
    results["versions"] = {"python": sys.version.split()[0], "pydicom": pydicom.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
                           "threads": os.environ.get("OMP_NUM_THREADS", "")}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
