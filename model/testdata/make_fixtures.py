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

- conv1d: a seeded 1D CNN: Conv1d with padding, ReLU, a BatchNorm1d after it (lowered to
  Mul+Add), MaxPool1d, a strided dilated Conv1d, LeakyReLU, AvgPool1d, the mean over time
  (ReduceMean) and a Linear layer.
- dscnn: a depthwise-separable CNN: BatchNorm2d on the input (nothing to fold into), Conv2d,
  ReLU6, depthwise Conv2d (groups = C) with BN and ReLU6, pointwise Conv2d with BN and
  HardSwish, global average pooling and a Linear layer.
- rescnn: a residual CNN: two branches added, a multiplication by a constant [C,1,1] and a
  scalar subtraction, Sigmoid and Tanh gates, a Concat over channels, a Transpose to channels
  last, a multiplication by a constant vector and a Transpose back, global average pooling and a
  Linear layer.
- tcn: a temporal convolutional network: dilated causal Conv1d blocks (left padding by F.pad,
  and Conv1d padding followed by a Slice that drops the right end), residual additions with a
  1x1 Conv1d where the channel count changes, and a Linear layer on the last time step
  (Gather).

Everything is written to model/testdata/fixtures/ as .onnx and .npy files. Arguments name the
groups to write (lenet mlp convnet conv1d dscnn rescnn tcn); the default is all of them.
"""

import gzip
import os
import struct
import sys

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


class Conv1dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(3, 8, 5, padding=2)
        self.bn = nn.BatchNorm1d(8)
        self.c2 = nn.Conv1d(8, 12, 3, stride=2, dilation=2, padding=1)
        self.fc = nn.Linear(12, 4)

    def forward(self, x):  # [3,32]
        y = self.bn(F.relu(self.c1(x)))  # BN after ReLU: nothing to fold into, so Mul+Add
        y = F.max_pool1d(y, 2)  # [8,16]
        y = F.leaky_relu(self.c2(y), 0.05)  # [12,7]
        y = F.avg_pool1d(y, 2, stride=1)  # [12,6]
        return self.fc(y.mean(dim=2))


class DSCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn0 = nn.BatchNorm2d(3)
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.pw = nn.Conv2d(8, 16, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):  # [3,16,16]
        y = F.relu6(self.bn1(self.c1(self.bn0(x))))
        y = F.relu6(self.bn2(self.dw(y)))
        y = F.hardswish(self.bn3(self.pw(y)))
        y = F.adaptive_avg_pool2d(y, 1)
        return self.fc(torch.flatten(y, 1))


class ResCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(4, 8, 3, padding=1)
        self.a1 = nn.Conv2d(8, 8, 3, padding=1)
        self.a2 = nn.Conv2d(8, 8, 3, padding=1)
        self.b = nn.Conv2d(8, 8, 1)
        self.register_buffer("gain", torch.rand(8, 1, 1) + 0.5)
        self.register_buffer("mix", torch.rand(16) + 0.5)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):  # [4,10,10]
        y = F.relu(self.stem(x))
        a = self.a2(F.relu(self.a1(y)))
        b = self.b(y)
        r = (a + b) * self.gain - 0.25
        g = torch.sigmoid(a) * torch.tanh(b)
        z = torch.cat([F.relu(r), g], dim=1)  # [16,10,10]
        z = (z.permute(0, 2, 3, 1) * self.mix).permute(0, 3, 1, 2)  # channels last, scaled, back
        z = F.adaptive_avg_pool2d(z, 1)
        return self.fc(torch.flatten(z, 1))


class TCNBlock(nn.Module):
    def __init__(self, cin, cout, dilation, chomp):
        super().__init__()
        self.pad = 2 * dilation
        self.chomp = chomp
        if chomp:  # Conv1d padding on both ends, then drop the right end
            self.c1 = nn.Conv1d(cin, cout, 3, dilation=dilation, padding=self.pad)
        else:  # left padding only
            self.c1 = nn.Conv1d(cin, cout, 3, dilation=dilation)
        self.c2 = nn.Conv1d(cout, cout, 3, dilation=dilation)
        self.down = nn.Conv1d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        if self.chomp:
            y = self.c1(x)[:, :, :-self.pad]
        else:
            y = self.c1(F.pad(x, (self.pad, 0)))
        y = F.relu(y)
        y = F.relu(self.c2(F.pad(y, (self.pad, 0))))
        res = x if self.down is None else self.down(x)
        return F.relu(y + res)


class TCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(TCNBlock(4, 8, 1, False), TCNBlock(8, 8, 2, True), TCNBlock(8, 8, 4, False))
        self.fc = nn.Linear(8, 3)

    def forward(self, x):  # [4,40]
        y = self.blocks(x)
        return self.fc(y[:, :, -1])


def lenet_mlp_convnet():
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


def main():
    groups = sys.argv[1:] or ["lenet", "mlp", "convnet", "conv1d", "dscnn", "rescnn", "tcn"]
    os.makedirs(OUT, exist_ok=True)
    if {"lenet", "mlp", "convnet"} & set(groups):
        lenet_mlp_convnet()
    exported = []
    for name, make, shape in [("conv1d", Conv1dNet, (3, 32)), ("dscnn", DSCNN, (3, 16, 16)),
                              ("rescnn", ResCNN, (4, 10, 10)), ("tcn", TCN, (4, 40))]:
        if name not in groups:
            continue
        # each group has its own seed, so that adding one does not change the others
        torch.manual_seed(sum(map(ord, name)))
        rng = np.random.default_rng(sum(map(ord, name)))
        net = make()
        for m in net.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                randomise_bn(m)
        net.eval()
        x = rng.standard_normal((7,) + shape).astype(np.float32)
        with torch.no_grad():
            y = net(torch.from_numpy(x))
        export(net, torch.from_numpy(x[:1]), name + ".onnx", ["y"])
        save(name + "_x.npy", x)
        save(name + "_y.npy", y.numpy())
        exported.append(name + ".onnx")
    if "mlp" in groups:
        exported += ["mlp.onnx", "convnet.onnx"]
    for name in exported:
        m = onnx.load(os.path.join(OUT, name))
        onnx.checker.check_model(m)
        print(name, [n.op_type for n in m.graph.node])


if __name__ == "__main__":
    main()
