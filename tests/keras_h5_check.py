#!/usr/bin/python3
"""keras_h5_check.py - an independent reader of nnlab's Keras-layout .h5 model files.

Usage: /usr/bin/python3 tests/keras_h5_check.py MODEL.h5 [INPUT.npy OUTPUT.npy]

Uses Debian's h5py and NumPy (python3-h5py), nothing of nnlab. Checks that
  - the root has the attributes keras_version, backend and model_config, a Sequential model
    in JSON;
  - model_weights' layer_names are the config's layers, in order, less the InputLayer;
  - every layer's group lists in weight_names exactly the datasets it holds, in Keras' order
    (kernel, bias; gamma, beta, moving_mean, moving_variance), and nothing else is stored;
  - every dataset is float32 with the shape Keras gives that layer, inferred from
    model_config alone (input shape, filters, kernel sizes, units, ...), and is read in full
    and finite.
With INPUT (nnlab's batch, N x C x H x W or N x D, float32) and OUTPUT (nnlab's output for
it), the model is also run the way Keras defines its layers, channels-last, in float64
NumPy, and must agree with OUTPUT to 1e-4 (relative to the largest output).
Prints 'ok: ...' and exits 0, or prints the first problem and exits 1.
"""
import json
import sys

import h5py
import numpy as np


def fail(msg):
    print("keras_h5_check: " + msg)
    sys.exit(1)


def text(v):
    return v.decode("utf-8") if isinstance(v, (bytes, np.bytes_)) else str(v)


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv(x, kernel, bias, stride, padding):
    k = kernel.shape[0]
    if padding == "same":
        p = k // 2
        x = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    n, h, w, _ = x.shape
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    out = np.zeros((n, oh, ow, kernel.shape[3]))
    for y in range(k):
        for xx in range(k):
            patch = x[:, y:y + stride * (oh - 1) + 1:stride, xx:xx + stride * (ow - 1) + 1:stride, :]
            out += patch @ kernel[y, xx]
    return out + (bias if bias is not None else 0)


def pool(x, k, stride, op):
    n, h, w, c = x.shape
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    parts = [x[:, y:y + stride * (oh - 1) + 1:stride, xx:xx + stride * (ow - 1) + 1:stride, :]
             for y in range(k) for xx in range(k)]
    return np.max(parts, axis=0) if op == "max" else np.mean(parts, axis=0)


def activation(x, name):
    if name in (None, "linear"):
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    fail("unknown activation " + name)


def main():
    if len(sys.argv) not in (2, 4):
        fail("usage: keras_h5_check.py MODEL.h5 [INPUT.npy OUTPUT.npy]")
    f = h5py.File(sys.argv[1], "r")
    for a in ("keras_version", "backend", "model_config"):
        if a not in f.attrs:
            fail("no root attribute " + a)
    config = json.loads(text(f.attrs["model_config"]))
    if config.get("class_name") != "Sequential":
        fail("model_config is not a Sequential model")
    layers = config["config"]["layers"]
    if layers[0]["class_name"] != "InputLayer":
        fail("the first layer is not an InputLayer")
    shape = tuple(layers[0]["config"]["batch_input_shape"][1:])
    layers = layers[1:]
    g = f["model_weights"]
    names = [text(n) for n in g.attrs["layer_names"]]
    want_names = [l["config"]["name"] for l in layers]
    if names != want_names:
        fail("layer_names %s differ from model_config's %s" % (names, want_names))
    if sorted(g.keys()) != sorted(names):
        fail("model_weights holds groups %s, layer_names lists %s" % (sorted(g.keys()), names))

    x = None
    if len(sys.argv) == 4:
        x = np.load(sys.argv[2]).astype(np.float64)
        x = x.transpose(0, 2, 3, 1) if len(shape) == 3 else x.reshape(x.shape[0], -1)
    datasets = 0
    for layer in layers:
        cls, c = layer["class_name"], layer["config"]
        name = c["name"]
        expect = []  # (suffix, shape)
        if cls == "Conv2D":
            k, s = pair(c["kernel_size"]), pair(c["strides"])
            expect = [("kernel", (k[0], k[1], shape[2], c["filters"]))]
            if c.get("use_bias", True):
                expect.append(("bias", (c["filters"],)))
        elif cls == "Dense":
            if len(shape) != 1:
                fail("%s: Dense on a %d-D tensor" % (name, len(shape) + 1))
            expect = [("kernel", (shape[0], c["units"]))]
            if c.get("use_bias", True):
                expect.append(("bias", (c["units"],)))
        elif cls == "BatchNormalization":
            expect = [(v, (shape[-1],)) for v in ("gamma", "beta", "moving_mean", "moving_variance")]
        lg = g[name]
        wnames = [text(n) for n in lg.attrs["weight_names"]]
        want = ["%s/%s:0" % (name, suffix) for suffix, _ in expect]
        if wnames != want:
            fail("%s: weight_names %s, expected %s" % (name, wnames, want))
        stored = []
        lg.visititems(lambda n, o: stored.append(n) if isinstance(o, h5py.Dataset) else None)
        if sorted(stored) != sorted(want):
            fail("%s: datasets %s, weight_names %s" % (name, sorted(stored), want))
        w = {}
        for (suffix, wshape), wname in zip(expect, wnames):
            d = lg[wname]
            if d.dtype != np.float32:
                fail("%s: %s is %s, not float32" % (name, wname, d.dtype))
            if d.shape != wshape:
                fail("%s: %s has shape %s, model_config implies %s" % (name, wname, d.shape, wshape))
            v = d[()]
            if not np.all(np.isfinite(v)):
                fail("%s: %s has non-finite values" % (name, wname))
            w[suffix] = v.astype(np.float64)
            datasets += 1
        # the layer's output shape and, with an input, its output
        if cls == "Conv2D":
            if c.get("padding") == "same":
                if s[0] != 1:
                    fail("%s: 'same' padding with stride %d" % (name, s[0]))
                oh, ow = shape[0], shape[1]
            else:
                oh, ow = (shape[0] - k[0]) // s[0] + 1, (shape[1] - k[1]) // s[1] + 1
            shape = (oh, ow, c["filters"])
            if x is not None:
                x = activation(conv(x, w["kernel"], w.get("bias"), s[0], c.get("padding")),
                               c.get("activation"))
        elif cls == "ZeroPadding2D":
            (t, b), (l, r) = c["padding"]
            shape = (shape[0] + t + b, shape[1] + l + r, shape[2])
            if x is not None:
                x = np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))
        elif cls in ("MaxPooling2D", "AveragePooling2D"):
            k, s = pair(c["pool_size"]), pair(c["strides"] or c["pool_size"])
            shape = ((shape[0] - k[0]) // s[0] + 1, (shape[1] - k[1]) // s[1] + 1, shape[2])
            if x is not None:
                x = pool(x, k[0], s[0], "max" if cls[0] == "M" else "avg")
        elif cls == "GlobalAveragePooling2D":
            shape = (shape[2],)
            if x is not None:
                x = x.mean(axis=(1, 2))
        elif cls == "Flatten":
            shape = (int(np.prod(shape)),)
            if x is not None:
                x = x.reshape(x.shape[0], -1)
        elif cls == "Dense":
            shape = (c["units"],)
            if x is not None:
                x = activation(x @ w["kernel"] + w.get("bias", 0), c.get("activation"))
        elif cls == "BatchNormalization":
            if x is not None:
                x = (x - w["moving_mean"]) / np.sqrt(w["moving_variance"] + c["epsilon"])
                x = x * w["gamma"] + w["beta"]
        elif cls == "Activation":
            if x is not None:
                x = activation(x, c["activation"])
        elif cls == "Dropout":
            pass
        else:
            fail("%s: unexpected class %s" % (name, cls))
    if x is not None:
        got = np.load(sys.argv[3]).astype(np.float64).reshape(x.shape)
        scale = max(1.0, float(np.abs(x).max()))
        diff = float(np.abs(got - x).max())
        if not diff <= 1e-4 * scale:
            fail("nnlab's output differs from the Keras-semantics forward pass by %g" % diff)
        print("ok: %d layers, %d datasets, outputs agree (max diff %.3g)" %
              (len(layers), datasets, diff))
    else:
        print("ok: %d layers, %d datasets" % (len(layers), datasets))


main()
