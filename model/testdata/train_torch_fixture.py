#!/usr/bin/python3
"""Writes the PyTorch autograd fixture that model/train_torch_test.go checks tcdse's backward
pass and optimizers against.

A small CNN (grouped conv, overlapping padded max pooling, dilated conv with a residual add,
strided padded conv, padded average pooling without counting the padding, flatten, two dense
layers) is built with fixed random parameters; for a batch of 4 samples the script records
the parameters, the inputs and labels, the cross-entropy loss, the gradients of every
parameter and of the input, and the parameters after 3 steps of SGD with momentum and after
3 steps of Adam on the same batch.

It then writes, with their own seeds (so the CNN's files do not change), the fixtures of
model/train_torch_rnn_test.go, each a batch of 4 with cross-entropy on its logits:

- lstm.*: LSTM(3, 5, batch_first) over T=6 from non-zero initial states h0, c0 (not trained),
  every step's output flattened into Linear(30, 4); also the parameters after 3 Adam steps
  (lr 0.01).
- gru.*: GRU(3, 5, batch_first) (PyTorch's GRU is ONNX's with linear_before_reset) over T=6
  from a non-zero h0, the last hidden state into Linear(5, 4).
- rnn.*: tanh RNN(3, 5, batch_first) over T=6 from a non-zero h0, the last hidden state into
  Linear(5, 4).
- act.*: fc1 = Linear(8, 6); concat(sigmoid(fc1), tanh(fc1)); hardswish(Linear(12, 6));
  times a constant k [6]; leaky_relu (slope 0.1); Linear(6, 4).

Recurrent parameters are saved in the IR's layout (model/rnn_kernels.go): weight W [G·H, I]
and recurrent weight R [G·H, H] with the gates in ONNX order (LSTM i, o, f, c; GRU z, r, h),
bias [2·G·H] = input biases then recurrence biases in the same order; their gradients alike.

Run with Debian's python3 (torch 1.13):

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


# Row blocks of PyTorch's gate order that make the IR's (ONNX) gate order.
GATE_ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "rnn": [0]}


def ir_gates(t, cell):
    """Reorders the gate row blocks of a PyTorch recurrent parameter (or gradient)."""
    blocks = torch.chunk(t.detach(), len(GATE_ORDER[cell]), dim=0)
    return torch.cat([blocks[i] for i in GATE_ORDER[cell]], dim=0)


class RecurrentNet(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.cell = cell
        make = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
        self.rnn = make(3, 5, batch_first=True)
        self.fc = nn.Linear(30 if cell == "lstm" else 5, 4)
        self.register_buffer("h0", torch.randn(1, 1, 5) * 0.5)
        self.register_buffer("c0", torch.randn(1, 1, 5) * 0.5)

    def forward(self, x):
        h0 = self.h0.expand(1, x.shape[0], 5).contiguous()
        if self.cell == "lstm":
            c0 = self.c0.expand(1, x.shape[0], 5).contiguous()
            y, _ = self.rnn(x, (h0, c0))
            return self.fc(y.flatten(1))
        _, hn = self.rnn(x, h0)
        return self.fc(hn[0])


def save_recurrent(prefix, net, grads):
    """Saves the recurrent layer's parameters (grads: their gradients) in the IR layout."""
    r, cell = net.rnn, net.cell
    get = (lambda p: p.grad) if grads else (lambda p: p)
    suffix = "_grad" if grads else ""
    save(prefix + "rnn.weight" + suffix, ir_gates(get(r.weight_ih_l0), cell))
    save(prefix + "rnn.recurrent" + suffix, ir_gates(get(r.weight_hh_l0), cell))
    save(prefix + "rnn.bias" + suffix, torch.cat([ir_gates(get(r.bias_ih_l0), cell), ir_gates(get(r.bias_hh_l0), cell)]))
    save(prefix + "fc.weight" + suffix, get(net.fc.weight))
    save(prefix + "fc.bias" + suffix, get(net.fc.bias))


def recurrent(cell, seed):
    torch.manual_seed(seed)
    net = RecurrentNet(cell)
    x = torch.randn(4, 6, 3, requires_grad=True)
    labels = torch.tensor([3, 0, 2, 1])
    p = cell + "."
    save(p + "x", x)
    save(p + "labels", labels)
    save(p + "h0", net.h0.reshape(5))
    if cell == "lstm":
        save(p + "c0", net.c0.reshape(5))
    save_recurrent(p, net, False)
    init = {k: v.clone() for k, v in net.state_dict().items()}
    loss = F.cross_entropy(net(x), labels)
    loss.backward()
    save(p + "loss", loss.reshape(1))
    save(p + "x_grad", x.grad)
    save_recurrent(p, net, True)
    if cell == "lstm":
        net.load_state_dict(init)
        opt = torch.optim.Adam(net.parameters(), lr=0.01)
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(net(x.detach()), labels).backward()
            opt.step()
        save_recurrent(p + "adam_", net, False)


class ActNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 6)
        self.fc2 = nn.Linear(12, 6)
        self.fc3 = nn.Linear(6, 4)
        self.register_buffer("k", torch.randn(6))

    def forward(self, x):
        h = self.fc1(x)
        c = torch.cat([torch.sigmoid(h), torch.tanh(h)], dim=1)
        d = F.hardswish(self.fc2(c))
        return self.fc3(F.leaky_relu(d * self.k, 0.1))


def activations(seed):
    torch.manual_seed(seed)
    net = ActNet()
    x = (torch.randn(4, 8) * 2).requires_grad_(True)
    labels = torch.tensor([1, 3, 0, 2])
    save("act.x", x)
    save("act.labels", labels)
    save("act.k", net.k)
    for k, v in net.named_parameters():
        save("act." + k, v)
    loss = F.cross_entropy(net(x), labels)
    loss.backward()
    save("act.loss", loss.reshape(1))
    save("act.x_grad", x.grad)
    for k, v in net.named_parameters():
        save("act." + k + "_grad", v.grad)


if __name__ == "__main__":
    main()
    recurrent("lstm", 20261122)
    recurrent("gru", 20261123)
    recurrent("rnn", 20261124)
    activations(20261125)
