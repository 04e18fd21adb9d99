"""References for the preprocessing benchmark, on the same files as @ich/ml, single-threaded (OpenCV told so with
cv2.setNumThreads(1); the caller also pins the process to one core and sets OMP/BLAS threads to 1):

- opencv-window-resize: the seed's pipeline. pydicom read + pixel_array, x*slope+intercept, three windows
  (brain 40/80, subdural 80/200, soft tissue 40/380) clipped to [0,1], then cv2.resize(INTER_LINEAR) of the
  3-channel image to SIZE x SIZE.
- opencv-resize-window: the same, but cv2.resize of the HU image once, then the three windows on SIZE x SIZE.
- numpy: windows, then bilinear resize with TensorFlow's default semantics (align_corners=False,
  half_pixel_centers=False) by numpy fancy indexing; the only reference with exactly @ich/ml's window-then-resize
  pixels (OpenCV samples at half-pixel centres).

Every reference decodes with pydicom, as @ich/ml decodes with its own parser. float32 HWC output.

usage: preprocess-reference.py <size> <rounds> <out-prefix> <file>...
Writes the first slice of each reference to <out-prefix>.<name>.f32 and prints one JSON line:
{"rates": {name: [slices/s per round, wall clock]}, "cpuRates": {name: [slices per CPU second, time.process_time]},
 "versions": {...}}.
"""
import json
import os
import sys
import time

import cv2
import numpy as np
import pydicom

WINDOWS = [(40.0, 80.0), (80.0, 200.0), (40.0, 380.0)]


def hounsfield(path):
    ds = pydicom.dcmread(path)
    return ds.pixel_array.astype(np.float32) * np.float32(float(ds.RescaleSlope)) + np.float32(float(ds.RescaleIntercept))


def windows(hu):
    return np.stack([np.clip((hu - np.float32(c - w / 2)) * np.float32(1 / w), 0, 1) for c, w in WINDOWS], axis=-1)


def plan(n_in, n_out):
    src = np.arange(n_out, dtype=np.float64) * (n_in / n_out)
    lo = np.floor(src).astype(np.int64)
    return np.minimum(lo, n_in - 1), np.minimum(lo + 1, n_in - 1), (src - lo).astype(np.float32)


def numpy_window_resize(path, size, plans):
    img = windows(hounsfield(path))
    (y0, y1, fy), (x0, x1, fx) = plans
    top = img[y0][:, x0] + (img[y0][:, x1] - img[y0][:, x0]) * fx[None, :, None]
    bottom = img[y1][:, x0] + (img[y1][:, x1] - img[y1][:, x0]) * fx[None, :, None]
    return top + (bottom - top) * fy[:, None, None]


def opencv_window_resize(path, size, plans):
    return cv2.resize(windows(hounsfield(path)), (size, size), interpolation=cv2.INTER_LINEAR)


def opencv_resize_window(path, size, plans):
    return windows(cv2.resize(hounsfield(path), (size, size), interpolation=cv2.INTER_LINEAR))


REFERENCES = {
    "opencv-window-resize": opencv_window_resize,
    "opencv-resize-window": opencv_resize_window,
    "numpy-window-resize": numpy_window_resize,
}


def main():
    cv2.setNumThreads(1)
    size, rounds, out_prefix, files = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    first = pydicom.dcmread(files[0])
    plans = (plan(int(first.Rows), size), plan(int(first.Columns), size))
    rates = {name: [] for name in REFERENCES}
    cpu_rates = {name: [] for name in REFERENCES}
    # Round 0 of each reference warms caches and imports; the references alternate within a round too.
    for r in range(rounds + 1):
        for name, run in REFERENCES.items():
            start = time.perf_counter()
            cpu_start = time.process_time()
            for i, path in enumerate(files):
                out = run(path, size, plans)
                if r == 0 and i == 0:
                    np.ascontiguousarray(out, dtype="<f4").tofile(f"{out_prefix}.{name}.f32")
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
            if r > 0:
                rates[name].append(len(files) / elapsed)
                cpu_rates[name].append(len(files) / cpu)
    versions = {"python": sys.version.split()[0], "pydicom": pydicom.__version__, "numpy": np.__version__,
                "opencv": cv2.__version__, "opencv_threads": str(cv2.getNumThreads()),
                "omp_threads": os.environ.get("OMP_NUM_THREADS", "")}
    print(json.dumps({"rates": rates, "cpuRates": cpu_rates, "versions": versions}))


if __name__ == "__main__":
    main()
