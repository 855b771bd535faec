#!/usr/bin/python3
"""PyTorch baseline for `make bench`: the same models and inputs the Go interpreter runs.

For every model NAME it writes into OUTDIR:
  NAME.onnx     the model, for the Go side (the bundled LeNet is copied as is)
  NAME.in.bin   MAX_BATCH inputs, little-endian float32, batch-major ([B, per-sample shape])
  NAME.out.bin  torch's outputs for those inputs, float32, batch-major
and OUTDIR/torch_results.json: per model the per-sample input shape and the samples/s that
torch reaches at each batch size, single-threaded (torch.set_num_threads(1)).

Models:
  lenet5_mnist  the bundled ONNX LeNet (testdata/examples/lenet/fyh620_lenet.onnx), rebuilt as a
                torch module with its weights read from the ONNX initializers; inputs = the first
                MAX_BATCH images of the bundled MNIST subset, normalized as in training
  ae_mlp        MLPerf Tiny ad01 autoencoder shape 640-128-128-128-128-8-128-128-128-128-640, ReLU
  dscnn         MLPerf Tiny kws01 DS-CNN shape (1x49x10, 64 channels), BN folded for timing
  lstm          LSTM T=16, F=10, H=32, Linear 32->4 on the last step
The last three come from ../shared/bench/reference_models.py when present (same seeds and ONNX
export as the peer measurements), else from the copy of those architectures below.

Timing: for each batch size, a warm-up, then ROUNDS rounds of at least MIN_TIME seconds each;
the best round counts (the machine is shared, the best round is the least disturbed).

With --serve the script times nothing by itself: after writing the files it prints one line
"ready" and then answers lines "NAME BATCH SECONDS" on stdin with one line, the samples/s of one
round of at least SECONDS. The Go driver (bench/cmd/vstorch) uses this to alternate torch and Go
rounds, so that both see the same load on a shared machine.

Usage: /usr/bin/python3 bench/torch_bench.py OUTDIR [--batches 64,256] [--min-time 0.5]
       [--rounds 3] [--only name,name] [--repo .] [--serve]
"""
import argparse
import warnings
import gzip
import json
import os
import shutil
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn as nn


def load_reference_models(repo):
    """Import ../shared/bench/reference_models.py, else return None."""
    shared = os.path.join(repo, "..", "shared", "bench")
    if os.path.exists(os.path.join(shared, "reference_models.py")):
        sys.path.insert(0, shared)
        import reference_models  # noqa: E402
        return reference_models
    return None


# Fallback copies of the reference architectures (same as ../shared/bench/reference_models.py).
class AEMLP(nn.Module):
    def __init__(self):
        super().__init__()
        dims = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640]
        layers = []
        for i in range(len(dims) - 1):
            layers.append(nn.Linear(dims[i], dims[i + 1]))
            if i < len(dims) - 2:
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class RNNHead(nn.Module):
    def __init__(self, cell="lstm", feat=10, hidden=32, out=4):
        super().__init__()
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.cell = cell
        self.rnn = rnn(feat, hidden, num_layers=1)
        self.fc = nn.Linear(hidden, out)
        self.register_buffer("h0", torch.zeros(1, 1, hidden))
        self.register_buffer("c0", torch.zeros(1, 1, hidden))

    def forward(self, x):
        if self.cell == "lstm":
            y, _ = self.rnn(x, (self.h0, self.c0))
        else:
            y, _ = self.rnn(x, self.h0)
        return self.fc(y[-1])


class DSCNN(nn.Module):
    def __init__(self, ch=64, ncls=12):
        super().__init__()
        layers = [nn.Conv2d(1, ch, (10, 4), stride=2, padding=(5, 1)), nn.BatchNorm2d(ch), nn.ReLU()]
        for _ in range(4):
            layers += [nn.Conv2d(ch, ch, 3, padding=1, groups=ch), nn.BatchNorm2d(ch), nn.ReLU(),
                       nn.Conv2d(ch, ch, 1), nn.BatchNorm2d(ch), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(ch, ncls)

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(self.gap(x), 1)
        return torch.softmax(self.fc(x), dim=1)


def bn_randomize(m):
    for mod in m.modules():
        if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)


class LeNetONNX(nn.Module):
    """The bundled fyh620_lenet.onnx graph: Conv, MaxPool, Relu, Conv, MaxPool, Relu, Reshape,
    Gemm, Relu, Gemm, Relu, Gemm, Softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(256, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = torch.relu(torch.max_pool2d(self.conv1(x), 2))
        x = torch.relu(torch.max_pool2d(self.conv2(x), 2))
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return torch.softmax(self.fc3(x), dim=1)


def lenet_from_onnx(path):
    import onnx
    from onnx import numpy_helper
    m = LeNetONNX()
    inits = {i.name: numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}
    state = {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in inits.items()}
    missing, unexpected = m.load_state_dict(state, strict=True), None
    del missing, unexpected
    return m.eval()


def read_idx_images(path, n):
    with gzip.open(path, "rb") as f:
        data = f.read()
    count, rows, cols = np.frombuffer(data[4:16], dtype=">i4")
    n = min(n, int(count))
    px = np.frombuffer(data[16:16 + n * rows * cols], dtype=np.uint8).astype(np.float32)
    x = (px / 255.0 - 0.1307) / 0.3081
    return x.reshape(n, 1, rows, cols).astype(np.float32)


def fold_bn(seq):
    """Fold every Conv2d+BatchNorm2d pair of a Sequential (what the Go importer does)."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval
    mods = list(seq)
    out, i = [], 0
    while i < len(mods):
        if i + 1 < len(mods) and isinstance(mods[i], nn.Conv2d) and isinstance(mods[i + 1], nn.BatchNorm2d):
            out.append(fuse_conv_bn_eval(mods[i], mods[i + 1]))
            i += 2
        else:
            out.append(mods[i])
            i += 1
    return nn.Sequential(*out)


def build(name, ref, repo, max_batch, outdir):
    """Return (torch module for timing, inputs batch-major numpy, forward(x_batch_major))."""
    path = os.path.join(outdir, name + ".onnx")
    if name == "lenet5_mnist":
        src = os.path.join(repo, "testdata", "examples", "lenet", "fyh620_lenet.onnx")
        shutil.copyfile(src, path)
        m = lenet_from_onnx(src)
        x = read_idx_images(os.path.join(repo, "testdata", "examples", "mnist", "t10k-1000-images-idx3-ubyte.gz"), max_batch)
        return m, x, m
    ctors = {"ae_mlp": (AEMLP, (1, 640)), "dscnn": (DSCNN, (1, 1, 49, 10)),
             "lstm": (lambda: RNNHead("lstm"), (16, 1, 10))}
    ctor, shape = ctors[name]
    if ref is not None:
        ctor, shape = ref.MODELS[name]
        bnr = ref.bn_randomize
    else:
        bnr = bn_randomize
    torch.manual_seed(zlib.crc32(name.encode()))  # the reference script's per-model seed
    m = ctor()
    bnr(m)
    m.eval()
    example = torch.randn(*shape)
    torch.onnx.export(m, (example,), path, opset_version=13, input_names=["input"],
                      output_names=["output"], do_constant_folding=True)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    if name == "lstm":
        # torch's LSTM is sequence-first [T, B, F]; the files are batch-major [B, T, F].
        x = rng.standard_normal((max_batch, shape[0], shape[2])).astype(np.float32)

        class SeqFirst(nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner
                h = inner.rnn.hidden_size
                self.h = h

            def forward(self, xb):
                b = xb.shape[0]
                xs = xb.transpose(0, 1)
                y, _ = self.inner.rnn(xs, (self.inner.h0.expand(1, b, self.h).contiguous(),
                                           self.inner.c0.expand(1, b, self.h).contiguous()))
                return self.inner.fc(y[-1])
        return m, x, SeqFirst(m).eval()
    x = rng.standard_normal((max_batch,) + tuple(shape[1:])).astype(np.float32)
    if name == "dscnn":
        m.features = fold_bn(m.features)
    return m, x, m


def time_round(fwd, xb, min_time):
    """Samples/s of one round of at least min_time seconds (and 3 runs), after 2 warm-up runs."""
    with torch.inference_mode():
        for _ in range(2):
            fwd(xb)
        n, start = 0, time.perf_counter()
        while True:
            fwd(xb)
            n += 1
            el = time.perf_counter() - start
            if el >= min_time and n >= 3:
                return n * xb.shape[0] / el


def time_batches(fwd, x, batches, min_time, rounds):
    res = {}
    for b in batches:
        xb = torch.from_numpy(x[:b].copy())
        res[str(b)] = max(time_round(fwd, xb, min_time) for _ in range(rounds))
    return res


def serve(cases):
    """Answer "NAME BATCH SECONDS" lines with one round's samples/s."""
    print("ready", flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        try:
            name, b, secs = parts[0], int(parts[1]), float(parts[2])
            fwd, x = cases[name]
            rate = time_round(fwd, torch.from_numpy(x[:b].copy()), secs)
            print("%.6f" % rate, flush=True)
        except Exception as e:  # report, keep serving
            print("error %s" % str(e).replace("\n", " "), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--batches", default="64,256")
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--repo", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    os.makedirs(a.outdir, exist_ok=True)
    batches = [int(b) for b in a.batches.split(",")]
    ref = load_reference_models(a.repo)
    names = a.only.split(",") if a.only else ["lenet5_mnist", "ae_mlp", "dscnn", "lstm"]
    results = {"torch": torch.__version__, "threads": torch.get_num_threads(),
               "reference_models": "../shared/bench/reference_models.py" if ref else "own copy", "models": {}}
    cases = {}
    for name in names:
        m, x, fwd = build(name, ref, a.repo, max(batches), a.outdir)
        with torch.inference_mode():
            y = fwd(torch.from_numpy(x)).numpy().astype("<f4")
        x.astype("<f4").tofile(os.path.join(a.outdir, name + ".in.bin"))
        y.tofile(os.path.join(a.outdir, name + ".out.bin"))
        results["models"][name] = {"input_shape": list(x.shape[1:]), "output_shape": list(y.shape[1:])}
        if a.serve:
            cases[name] = (fwd, x)
            continue
        sps = time_batches(fwd, x, batches, a.min_time, a.rounds)
        results["models"][name]["samples_per_s"] = sps
        print("torch %-13s %s" % (name, "  ".join("b%s %.0f/s" % (b, v) for b, v in sps.items())), file=sys.stderr)
    with open(os.path.join(a.outdir, "torch_results.json"), "w") as f:
        json.dump(results, f, indent=1)
    if a.serve:
        serve(cases)


if __name__ == "__main__":
    main()
