#!/usr/bin/python3
"""Writes the reference fixtures that model's interpreter tests compare against.

Run from anywhere with Debian's Python (python3-torch, python3-onnx, python3-numpy):

    /usr/bin/python3 model/testdata/make_fixtures.py

onnx.reference is not available in Debian's onnx 1.12, so the reference numbers come from
PyTorch running the same networks in float32:

- lenet: the bundled LeNet (testdata/examples/lenet/fyh620_lenet.onnx), rebuilt in PyTorch from
  the ONNX initializers; inputs are the first 16 bundled MNIST test images, normalised, and 4
  random inputs. Expected outputs: the logits (ONNX value "23") and the softmax output ("24");
  also PyTorch's predicted class for each of the 1000 bundled MNIST images.
- mlp: a seeded MLP with Gemm, a MatMul followed by the Add of a constant vector, and a
  BatchNormalization after a Gemm; exported to mlp.onnx. Outputs: probabilities and logits.
- convnet: a seeded CNN with a grouped, dilated, padded Conv, BatchNormalization, a 1x1 Conv,
  an Add of two activations, a strided depthwise Conv without bias, a padded MaxPool, an
  AveragePool, Flatten, Gemm and Softmax; exported to convnet.onnx.

Everything is written to model/testdata/fixtures/ as .onnx and .npy files.
"""

import gzip
import os
import struct

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "fixtures")


def save(name, array):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(array, dtype=np.float32))


def export(model, example, name, outputs):
    torch.onnx.export(
        model, example, os.path.join(OUT, name), opset_version=13,
        training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True,
        input_names=["x"], output_names=outputs,
        dynamic_axes={n: {0: "batch"} for n in ["x"] + outputs})


class LeNet(nn.Module):
    """The graph of fyh620_lenet.onnx: Conv, MaxPool, Relu twice, then three Gemm layers."""

    def __init__(self, weights):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(256, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)
        with torch.no_grad():
            for name, p in self.named_parameters():
                p.copy_(torch.from_numpy(np.array(weights[name])))

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        logits = self.fc3(x)
        return logits, F.softmax(logits, dim=1)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 32)
        self.w2 = nn.Parameter(torch.randn(32, 16) * 0.3)
        self.b2 = nn.Parameter(torch.randn(16) * 0.1)
        self.fc3 = nn.Linear(16, 5)
        self.bn3 = nn.BatchNorm1d(5)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(torch.matmul(x, self.w2) + self.b2)
        logits = self.bn3(self.fc3(x))
        return F.softmax(logits, dim=1), logits


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(4, 8, 3, padding=2, dilation=2, groups=2)
        self.bn1 = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 8, 1)
        self.dw = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8, bias=False)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.avg = nn.AvgPool2d(2, stride=1, count_include_pad=False)
        self.fc = nn.Linear(32, 6)

    def forward(self, x):
        y = F.relu(self.bn1(self.c1(x)))  # [8,12,12]
        y = y + self.c2(y)
        y = F.relu(self.dw(y))  # [8,6,6]
        y = self.avg(self.pool(y))  # [8,3,3] then [8,2,2]
        return F.softmax(self.fc(torch.flatten(y, 1)), dim=1)


def randomise_bn(bn):
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)


def mnist_images(n):
    path = os.path.join(REPO, "testdata", "examples", "mnist", "t10k-1000-images-idx3-ubyte.gz")
    data = gzip.open(path).read()
    magic, count, rows, cols = struct.unpack(">IIII", data[:16])
    assert magic == 0x803 and count >= n
    pixels = np.frombuffer(data[16:16 + n * rows * cols], dtype=np.uint8)
    x = (pixels.astype(np.float32) / np.float32(255) - np.float32(0.1307)) / np.float32(0.3081)
    return x.reshape(n, 1, rows, cols).astype(np.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20240611)
    np.random.seed(20240611)

    lenet_path = os.path.join(REPO, "testdata", "examples", "lenet", "fyh620_lenet.onnx")
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in onnx.load(lenet_path).graph.initializer}
    lenet = LeNet(inits).eval()
    x = np.concatenate([mnist_images(16), np.random.randn(4, 1, 28, 28).astype(np.float32)])
    with torch.no_grad():
        logits, probs = lenet(torch.from_numpy(x))
    save("lenet_x.npy", x)
    save("lenet_logits.npy", logits.numpy())
    save("lenet_probs.npy", probs.numpy())
    with torch.no_grad():
        _, subset = lenet(torch.from_numpy(mnist_images(1000)))
    np.save(os.path.join(OUT, "lenet_mnist1000_pred.npy"), subset.argmax(dim=1).numpy().astype(np.int64))

    mlp = MLP()
    randomise_bn(mlp.bn3)
    mlp.eval()
    x = np.random.randn(12, 20).astype(np.float32)
    with torch.no_grad():
        probs, logits = mlp(torch.from_numpy(x))
    export(mlp, torch.from_numpy(x[:1]), "mlp.onnx", ["probs", "logits"])
    save("mlp_x.npy", x)
    save("mlp_probs.npy", probs.numpy())
    save("mlp_logits.npy", logits.numpy())

    net = ConvNet()
    randomise_bn(net.bn1)
    net.eval()
    x = np.random.randn(6, 4, 12, 12).astype(np.float32)
    with torch.no_grad():
        probs = net(torch.from_numpy(x))
    export(net, torch.from_numpy(x[:1]), "convnet.onnx", ["probs"])
    save("convnet_x.npy", x)
    save("convnet_probs.npy", probs.numpy())

    for name in ("mlp.onnx", "convnet.onnx"):
        m = onnx.load(os.path.join(OUT, name))
        onnx.checker.check_model(m)
        print(name, [n.op_type for n in m.graph.node])


if __name__ == "__main__":
    main()
