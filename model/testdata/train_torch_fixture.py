#!/usr/bin/python3
"""Writes the PyTorch autograd fixture that model/train_torch_test.go checks tcdse's backward
pass and optimizers against.

A small CNN (grouped conv, overlapping padded max pooling, dilated conv with a residual add,
strided padded conv, padded average pooling without counting the padding, flatten, two dense
layers) is built with fixed random parameters; for a batch of 4 samples the script records
the parameters, the inputs and labels, the cross-entropy loss, the gradients of every
parameter and of the input, and the parameters after 3 steps of SGD with momentum and after
3 steps of Adam on the same batch. Run with Debian's python3 (torch 1.13):

    /usr/bin/python3 model/testdata/train_torch_fixture.py

Outputs go to model/testdata/train_torch/*.npy (float32, labels int64).
"""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_torch")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 4, 3, stride=1, padding=1, groups=2)
        self.c2 = nn.Conv2d(4, 4, 3, padding=2, dilation=2)
        self.c3 = nn.Conv2d(4, 6, 2, stride=2, padding=1)
        self.fc1 = nn.Linear(96, 8)
        self.fc2 = nn.Linear(8, 5)

    def forward(self, x):
        p1 = F.max_pool2d(F.relu(self.c1(x)), 3, stride=2, padding=1)  # [4,5,5]
        a2 = F.relu(self.c2(p1) + p1)
        h3 = self.c3(a2)  # [6,3,3]
        p3 = F.avg_pool2d(h3, 2, stride=1, padding=1, count_include_pad=False)  # [6,4,4]
        return self.fc2(F.relu(self.fc1(p3.flatten(1))))


def save(name, t):
    a = t.detach().numpy()
    np.save(os.path.join(OUT, name + ".npy"), a.astype(np.int64 if a.dtype.kind == "i" else np.float32))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20261121)
    net = Net()
    x = torch.randn(4, 2, 10, 10, requires_grad=True)
    labels = torch.tensor([1, 4, 0, 2])
    save("x", x)
    save("labels", labels)
    init = {k: v.clone() for k, v in net.state_dict().items()}
    for k, v in init.items():
        save(k, v)
    loss = F.cross_entropy(net(x), labels)
    loss.backward()
    save("loss", loss.reshape(1))
    save("x_grad", x.grad)
    for k, p in net.named_parameters():
        save(k + "_grad", p.grad)
    for name, make in [("sgd", lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
                       ("adam", lambda ps: torch.optim.Adam(ps, lr=0.01))]:
        net.load_state_dict(init)
        opt = make(net.parameters())
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(net(x.detach()), labels).backward()
            opt.step()
        for k, p in net.named_parameters():
            save(name + "_" + k, p)


if __name__ == "__main__":
    main()
