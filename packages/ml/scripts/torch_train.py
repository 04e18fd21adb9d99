#!/usr/bin/python3
"""PyTorch training step server for `ich-ml train --trainer torch`.

Node keeps every part of the data path (index, patient split, oversampling, augmentation, window jitter and the
product's own preprocessing on worker threads) and the training loop (cosine learning rate, checkpoints, resume,
early stopping, logs). This process only runs the network: it reads framed requests on stdin and answers each with
one JSON line on stdout. Diagnostics go to stderr.

Frame: one JSON header line, then the binary payload the header announces, little-endian float32:
  {"cmd": "train", "n": N, "lr": LR}   + x [N, S, S, C] (NHWC, as the product's preprocessing makes it) + y [N, 6]
                                       -> {"loss": L}  (the weighted log loss of the batch, before the step)
  {"cmd": "predict", "n": N}           + x [N, S, S, C]  -> {"p": [N*6 probabilities, row-major]}  (eval mode)
  {"cmd": "save", "dir": D}            -> {"ok": true}   model, Adam state and RNG state to D/torch.pt
  {"cmd": "load", "dir": D}            -> {"ok": true}
  {"cmd": "export", "path": F}         -> {"ok": true}   the weights in Keras' HDF5 layout (see write_keras_h5)
  {"cmd": "quit"}                      -> exits
An error answers {"error": message} and the process exits with status 1.

The network is keras.applications.InceptionV3(include_top=False, weights=None) transcribed layer for layer, so the
weights map onto the tfjs model (packages/ml/src/model/inception-v3.ts) by Keras' own layer names:
  - Conv2D without bias; every stride-2 convolution and pooling is VALID, stride-1 convolutions are SAME (all kernels
    are odd, so TF's SAME is the symmetric padding k//2);
  - BatchNormalization(scale=False, epsilon=1e-3, momentum=0.99): gamma exists here but is fixed at 1 and frozen;
  - block average pools 3x3/1 SAME, where TF divides by the count of real (unpadded) pixels: count_include_pad=False;
  - max pools 3x3/2 VALID;
  - head: global average pool -> Dropout -> Dense(relu) 'head_dense' -> Dense(6, sigmoid) 'predictions'.
Layers are created in the order Keras creates them, named with Keras' per-class counters (conv2d, conv2d_1, ...,
batch_normalization_93), by running the block definition once on a dummy input.

Loss: per image the weighted mean of the six binary log losses, 'any' weighted 2 (as src/train weightedBinaryCrossEntropy
and the competition metric), on logits for numerical stability. Optimiser: Adam (epsilon 1e-7 as Keras).

usage: torch_train.py --size S [--channels 3] [--dense-units 256] [--dropout 0.3] [--threads 2] [--seed N]
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

LABEL_WEIGHTS = [2.0, 1.0, 1.0, 1.0, 1.0, 1.0]  # any, epidural, intraparenchymal, intraventricular, subarachnoid, subdural


class ConvBn(nn.Module):
    """Conv2D(use_bias=False) + BatchNormalization(scale=False) + ReLU, Keras' conv2d_bn."""

    def __init__(self, cin, filters, rows, cols, padding, strides, conv_name, bn_name):
        super().__init__()
        pad = (rows // 2, cols // 2) if padding == "same" else (0, 0)
        if padding == "same" and strides != 1:
            raise ValueError("InceptionV3 has no strided SAME convolution")
        self.conv = nn.Conv2d(cin, filters, (rows, cols), stride=strides, padding=pad, bias=False)
        self.bn = nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01)
        self.bn.weight.requires_grad_(False)  # Keras scale=False: gamma is 1, always
        self.conv_name = conv_name
        self.bn_name = bn_name

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class InceptionV3(nn.Module):
    """InceptionV3 base + the seed's head. Block structure identical to packages/ml/src/model/inception-v3.ts."""

    def __init__(self, channels=3, dense_units=256, dropout=0.3, labels=6):
        super().__init__()
        self.units = nn.ModuleList()
        self._counts = {}
        self._cursor = None
        with torch.no_grad():
            features = self.base(torch.zeros(1, channels, 75, 75))  # building pass: creates the layers in order
        self._cursor = 0
        self.units.train()
        self.dropout = nn.Dropout(dropout)
        self.head_dense = nn.Linear(features.shape[1], dense_units)
        self.predictions = nn.Linear(dense_units, labels)

    def _name(self, prefix):
        n = self._counts.get(prefix, 0)
        self._counts[prefix] = n + 1
        return prefix if n == 0 else f"{prefix}_{n}"

    def cb(self, x, filters, rows, cols, padding="same", strides=1):
        if self._cursor is None:  # building: Keras creates conv2d, batch_normalization, activation in this order
            conv_name = self._name("conv2d")
            bn_name = self._name("batch_normalization")
            self._name("activation")
            unit = ConvBn(x.shape[1], filters, rows, cols, padding, strides, conv_name, bn_name).eval()
            self.units.append(unit)
        else:
            unit = self.units[self._cursor]
            self._cursor += 1
        return unit(x)

    @staticmethod
    def max_pool(x):
        return F.max_pool2d(x, 3, 2)

    @staticmethod
    def avg_pool(x):
        return F.avg_pool2d(x, 3, 1, padding=1, count_include_pad=False)

    def base(self, x):
        if self._cursor is not None:
            self._cursor = 0
        cb = self.cb
        x = cb(x, 32, 3, 3, "valid", 2)
        x = cb(x, 32, 3, 3, "valid")
        x = cb(x, 64, 3, 3)
        x = self.max_pool(x)
        x = cb(x, 80, 1, 1, "valid")
        x = cb(x, 192, 3, 3, "valid")
        x = self.max_pool(x)
        for pool_filters in (32, 64, 64):  # mixed 0, 1, 2
            b1 = cb(x, 64, 1, 1)
            b5 = cb(cb(x, 48, 1, 1), 64, 5, 5)
            b3 = cb(cb(cb(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
            bp = cb(self.avg_pool(x), pool_filters, 1, 1)
            x = torch.cat([b1, b5, b3, bp], 1)
        b3 = cb(x, 384, 3, 3, "valid", 2)  # mixed 3
        bd = cb(cb(cb(x, 64, 1, 1), 96, 3, 3), 96, 3, 3, "valid", 2)
        x = torch.cat([b3, bd, self.max_pool(x)], 1)
        for c in (128, 160, 160, 192):  # mixed 4..7
            b1 = cb(x, 192, 1, 1)
            b7 = cb(cb(cb(x, c, 1, 1), c, 1, 7), 192, 7, 1)
            bd = cb(x, c, 1, 1)
            bd = cb(bd, c, 7, 1)
            bd = cb(bd, c, 1, 7)
            bd = cb(bd, c, 7, 1)
            bd = cb(bd, 192, 1, 7)
            bp = cb(self.avg_pool(x), 192, 1, 1)
            x = torch.cat([b1, b7, bd, bp], 1)
        b3 = cb(cb(x, 192, 1, 1), 320, 3, 3, "valid", 2)  # mixed 8
        b7 = cb(cb(cb(cb(x, 192, 1, 1), 192, 1, 7), 192, 7, 1), 192, 3, 3, "valid", 2)
        x = torch.cat([b3, b7, self.max_pool(x)], 1)
        for _ in range(2):  # mixed 9, 10
            b1 = cb(x, 320, 1, 1)
            b3 = cb(x, 384, 1, 1)
            b3 = torch.cat([cb(b3, 384, 1, 3), cb(b3, 384, 3, 1)], 1)
            bd = cb(cb(x, 448, 1, 1), 384, 3, 3)
            bd = torch.cat([cb(bd, 384, 1, 3), cb(bd, 384, 3, 1)], 1)
            bp = cb(self.avg_pool(x), 192, 1, 1)
            x = torch.cat([b1, b3, bd, bp], 1)
        return x.mean((2, 3))

    def forward(self, x):
        """x: NCHW. Returns logits [N, labels]."""
        h = self.dropout(self.base(x))
        return self.predictions(F.relu(self.head_dense(h)))


def weighted_loss(logits, y):
    w = torch.tensor(LABEL_WEIGHTS, dtype=logits.dtype)
    bce = F.binary_cross_entropy_with_logits(logits, y, reduction="none")
    return ((bce * w).sum(1) / w.sum()).mean()


def write_keras_h5(model, path):
    """Keras 2 model.save() layout, as src/keras/import-keras.ts reads it: a `model_weights` group with `layer_names`;
    per layer a group with `weight_names` and datasets `<layer>/<param>:0`. Kernels in Keras' layouts (conv HWIO,
    dense [in, out]); BatchNormalization without gamma (scale=False): beta, moving_mean, moving_variance."""
    import h5py
    import numpy as np

    def arr(t):
        return t.detach().cpu().numpy().astype(np.float32)

    layers = []
    for unit in model.units:
        layers.append((unit.conv_name, [("kernel", arr(unit.conv.weight).transpose(2, 3, 1, 0))]))
        bn = unit.bn
        layers.append(
            (
                unit.bn_name,
                [("beta", arr(bn.bias)), ("moving_mean", arr(bn.running_mean)), ("moving_variance", arr(bn.running_var))],
            )
        )
    for name, dense in (("head_dense", model.head_dense), ("predictions", model.predictions)):
        layers.append((name, [("kernel", arr(dense.weight).T.copy()), ("bias", arr(dense.bias))]))
    tmp = f"{path}.tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["keras_version"] = b"2.13.1"
        f.attrs["backend"] = b"tensorflow"
        root = f.create_group("model_weights")
        names = []
        for layer, params in layers:
            g = root.create_group(layer)
            wn = []
            for param, value in params:
                name = f"{layer}/{param}:0"
                g.create_dataset(name, data=np.ascontiguousarray(value))
                wn.append(name.encode())
            g.attrs["weight_names"] = wn
            names.append(layer.encode())
        root.attrs["layer_names"] = names
    os.replace(tmp, path)


def read_exact(stream, n):
    data = stream.read(n)
    if len(data) != n:
        raise EOFError(f"expected {n} bytes, got {len(data)}")
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--dense-units", type=int, default=256)
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = InceptionV3(args.channels, args.dense_units, args.dropout)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=1e-3, eps=1e-7)
    size, channels = args.size, args.channels
    stdin, stdout = sys.stdin.buffer, sys.stdout

    def reply(obj):
        stdout.write(json.dumps(obj) + "\n")
        stdout.flush()

    def read_x(n):
        x = torch.frombuffer(bytearray(read_exact(stdin, n * size * size * channels * 4)), dtype=torch.float32)
        return x.view(n, size, size, channels).permute(0, 3, 1, 2).contiguous()

    print(f"torch_train: torch {torch.__version__}, {args.threads} threads, input {size}x{size}x{channels}", file=sys.stderr)
    reply({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()})
    while True:
        line = stdin.readline()
        if not line:
            return
        msg = json.loads(line)
        cmd = msg.get("cmd")
        try:
            if cmd == "train":
                n = msg["n"]
                x = read_x(n)
                y = torch.frombuffer(bytearray(read_exact(stdin, n * 6 * 4)), dtype=torch.float32).view(n, 6)
                for group in optimizer.param_groups:
                    group["lr"] = msg["lr"]
                model.train()
                optimizer.zero_grad(set_to_none=True)
                loss = weighted_loss(model(x), y)
                loss.backward()
                optimizer.step()
                reply({"loss": loss.item()})
            elif cmd == "predict":
                x = read_x(msg["n"])
                model.eval()
                with torch.no_grad():
                    p = torch.sigmoid(model(x))
                reply({"p": p.flatten().tolist()})
            elif cmd == "save":
                os.makedirs(msg["dir"], exist_ok=True)
                target = os.path.join(msg["dir"], "torch.pt")
                state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "rng": torch.get_rng_state()}
                torch.save(state, f"{target}.tmp")
                os.replace(f"{target}.tmp", target)
                reply({"ok": True})
            elif cmd == "load":
                state = torch.load(os.path.join(msg["dir"], "torch.pt"))
                model.load_state_dict(state["model"])
                optimizer.load_state_dict(state["optimizer"])
                torch.set_rng_state(state["rng"])
                reply({"ok": True})
            elif cmd == "export":
                write_keras_h5(model, msg["path"])
                reply({"ok": True})
            elif cmd == "quit":
                return
            else:
                raise ValueError(f"unknown command {cmd!r}")
        except Exception as e:  # one line Node can show, then stop: the stream position is unknown after an error
            reply({"error": f"{type(e).__name__}: {e}"})
            sys.exit(1)


if __name__ == "__main__":
    main()
