#!/usr/bin/python3
"""PyTorch baseline for `make bench`: global magnitude pruning plus fine-tuning of LeNet-5.

The same setup as tcdse's explore package (bench/cmd/prunevstorch runs both):
  model     the bundled ONNX LeNet (testdata/examples/lenet/fyh620_lenet.onnx), rebuilt as a torch
            module with its weights read from the ONNX initializers (bench/torch_bench.py)
  data      MNIST t10k from ../shared/datasets/mnist, normalised (x/255 - 0.1307)/0.3081;
            fine-tuning on images 1000..9999, top-1 scored on images 0..999
  pruning   torch.nn.utils.prune.global_unstructured(L1Unstructured) over the weights of every
            Conv2d and Linear layer at the given amount, starting from the dense model
  tuning    EPOCHS epochs of Adam (lr LR), batch BATCH, cross-entropy on the logits (the input of
            the model's final Softmax), pruning masks kept by the prune parametrisation;
            shuffled by torch.manual_seed(SEED), one run per seed
  threads   torch.set_num_threads(1)

For each sparsity and seed it prints one JSON line on stdout:
  {"sparsity": target, "seed": seed, "achieved": fraction of zero weights after fine-tuning,
   "dense_top1": ..., "pruned_top1": before fine-tuning, "pruned_layer_zeros": zero weights per
   Conv/Linear layer (model order) after pruning, "top1": after fine-tuning,
   "prune_s": seconds to prune, "tune_s": seconds to fine-tune, "torch": version}
Data loading and scoring are not timed.

Usage: /usr/bin/python3 bench/prune/prune_torch.py --sparsities 0.5,0.8,0.9 [--epochs 1]
       [--batch 64] [--lr 1e-3] [--seeds 1,2,3] [--repo .] [--mnist ../shared/datasets/mnist]
Exit status 3 (with a message on stderr) when the MNIST files are missing.
"""
import argparse
import gzip
import json
import os
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import prune

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_bench import lenet_from_onnx, read_idx_images  # noqa: E402


def read_idx_labels(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    return np.frombuffer(data[8:], dtype=np.uint8).astype(np.int64)


def logits(m, x):
    """The LeNetONNX forward pass without its final Softmax."""
    x = torch.relu(torch.max_pool2d(m.conv1(x), 2))
    x = torch.relu(torch.max_pool2d(m.conv2(x), 2))
    x = torch.flatten(x, 1)
    x = torch.relu(m.fc1(x))
    x = torch.relu(m.fc2(x))
    return m.fc3(x)


def top1(m, x, y):
    with torch.no_grad():
        return float((logits(m, x).argmax(1) == y).float().mean())


def layers(m):
    return [mod for mod in m.modules() if isinstance(mod, (nn.Conv2d, nn.Linear))]


def layer_zeros(m):
    return [int((mod.weight == 0).sum()) for mod in layers(m)]


def sparsity(m):
    zeros = total = 0
    for mod in layers(m):
        zeros += int((mod.weight == 0).sum())
        total += mod.weight.numel()
    return zeros / total


def fine_tune(m, x, y, epochs, batch, lr):
    opt = torch.optim.Adam(m.parameters(), lr=lr)
    m.train()
    n = x.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n)
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            loss = F.cross_entropy(logits(m, x[idx]), y[idx])
            loss.backward()
            opt.step()
    m.eval()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--sparsities", default="0.5,0.8,0.9")
    ap.add_argument("--epochs", type=int, default=1, help="0 prunes and scores only")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seeds", default="1", help="comma-separated shuffling seeds, one run each")
    ap.add_argument("--repo", default=os.path.join(here, "..", ".."))
    ap.add_argument("--mnist", default="")
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    mnist = a.mnist or os.path.join(a.repo, "..", "shared", "datasets", "mnist")
    images = os.path.join(mnist, "t10k-images-idx3-ubyte.gz")
    labels = os.path.join(mnist, "t10k-labels-idx1-ubyte.gz")
    for p in (images, labels):
        if not os.path.exists(p):
            print("prune_torch: MNIST not available: %s" % p, file=sys.stderr)
            sys.exit(3)
    x = torch.from_numpy(read_idx_images(images, 10000))
    y = torch.from_numpy(read_idx_labels(labels)[:x.shape[0]])
    x_score, y_score, x_train, y_train = x[:1000], y[:1000], x[1000:], y[1000:]
    onnx_path = os.path.join(a.repo, "testdata", "examples", "lenet", "fyh620_lenet.onnx")
    dense = lenet_from_onnx(onnx_path)
    dense_top1 = top1(dense, x_score, y_score)
    runs = [(float(s), int(seed)) for s in a.sparsities.split(",") for seed in a.seeds.split(",")]
    for s, seed in runs:
        m = lenet_from_onnx(onnx_path)
        torch.manual_seed(seed)
        start = time.perf_counter()
        prune.global_unstructured([(mod, "weight") for mod in layers(m)],
                                  pruning_method=prune.L1Unstructured, amount=s)
        prune_s = time.perf_counter() - start
        pruned_top1 = top1(m, x_score, y_score)
        pruned_zeros = layer_zeros(m)
        start = time.perf_counter()
        fine_tune(m, x_train, y_train, a.epochs, a.batch, a.lr)
        tune_s = time.perf_counter() - start
        for mod in layers(m):
            prune.remove(mod, "weight")
        print(json.dumps({"sparsity": s, "seed": seed, "achieved": sparsity(m), "dense_top1": dense_top1,
                          "pruned_top1": pruned_top1,
                          "pruned_layer_zeros": pruned_zeros, "top1": top1(m, x_score, y_score),
                          "prune_s": prune_s, "tune_s": tune_s, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
