#!/usr/bin/python3
"""Writes the recurrent-layer fixtures that model's rnn_test.go compares against.

Run from anywhere with Debian's Python (python3-torch, python3-onnx, python3-numpy):

    /usr/bin/python3 model/testdata/make_rnn_fixtures.py

Each network is exported to ONNX opset 13 and run by PyTorch in float32. Inputs are saved
batch first, NAME_x.npy [N, T, F], whatever the layout of the exported graph, and outputs as
NAME_y.npy [N, ...]; that is how the IR takes and gives them.

- lstm_head, gru_head: the single-layer LSTM and GRU of ../shared/bench/reference_models.py
  (T=16, F=10, H=32, Linear 32->4 on y[-1]), time-major input [16, 1, 10] with the zero initial
  state registered as buffers, exported with batch 1 like that script; PyTorch runs the N
  samples one at a time. The IR must take dim 1 of the graph input as the batch.
- gru_bf_last: GRU(batch_first=True) with no initial state (PyTorch exports a ConstantOfShape
  zero state), Linear on y[:, -1, :], dynamic batch.
- rnn_hn: Elman RNN (tanh) over a time-major [11, 1, 8] input with a non-zero initial state
  registered as a buffer [1, 1, 16], Linear on h_n[-1]; exported with batch 1, and PyTorch runs
  the N samples one at a time.
- lstm2_seq: two stacked LSTM layers (batch_first=True, T=12, F=6, H=9), returning every step
  [N, T, H]; dynamic batch.
- gru_lbr0: written by hand with onnx.helper: a GRU with linear_before_reset=0 (which PyTorch
  cannot export), batch-first X through layout-0 Transpose, returning Y_h; its expected output
  is computed with numpy in float64 from the ONNX equations.
"""

import os

import numpy as np
import onnx
import onnx.helper as oh
import onnx.numpy_helper
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")


def save(name, array):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(array, dtype=np.float32))


class RNNHead(nn.Module):
    """reference_models.py's RNNHead: single-layer LSTM/GRU over [T, 1, F], Linear on the last step."""

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


class GRULast(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(10, 32, batch_first=True)
        self.fc = nn.Linear(32, 4)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1, :])


class RNNHn(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(8, 16)
        self.fc = nn.Linear(16, 3)
        self.register_buffer("h0", torch.randn(1, 1, 16) * 0.5)

    def forward(self, x):
        _, hn = self.rnn(x, self.h0)
        return self.fc(hn[-1])


class LSTM2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(6, 9, num_layers=2, batch_first=True)

    def forward(self, x):
        y, _ = self.rnn(x)
        return y


def export(model, example, name, dynamic):
    kw = {}
    if dynamic:
        axis = 0 if dynamic == "batch_first" else 1
        kw["dynamic_axes"] = {"x": {axis: "batch"}, "y": {0: "batch"}}
    torch.onnx.export(model, (example,), os.path.join(OUT, name + ".onnx"), opset_version=13,
                      input_names=["x"], output_names=["y"], do_constant_folding=True, **kw)
    m = onnx.load(os.path.join(OUT, name + ".onnx"))
    onnx.checker.check_model(m)
    print(name, [n.op_type for n in m.graph.node])


def one_at_a_time(model, x_bf):
    """Runs a batch-1 time-major model on each sample of x_bf [N, T, F]."""
    outs = []
    with torch.no_grad():
        for s in x_bf:
            outs.append(model(torch.from_numpy(s[:, None, :]))[0].numpy())
    return np.stack(outs)


def gru_lbr0(rng):
    """A hand-written GRU with linear_before_reset=0 and its float64 numpy reference."""
    t, f, h, n = 7, 5, 6, 4
    w = (rng.standard_normal((1, 3 * h, f)) * 0.5).astype(np.float32)
    r = (rng.standard_normal((1, 3 * h, h)) * 0.5).astype(np.float32)
    b = (rng.standard_normal((1, 6 * h)) * 0.3).astype(np.float32)
    x = rng.standard_normal((n, t, f)).astype(np.float32)
    nodes = [
        oh.make_node("Transpose", ["x"], ["xt"], perm=[1, 0, 2]),
        oh.make_node("GRU", ["xt", "W", "R", "B"], ["", "hn"], hidden_size=h),
        oh.make_node("Squeeze", ["hn", "axes"], ["y"]),
    ]
    graph = oh.make_graph(
        nodes, "gru_lbr0",
        [oh.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["batch", t, f])],
        [oh.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["batch", h])],
        [onnx.numpy_helper.from_array(w, "W"), onnx.numpy_helper.from_array(r, "R"),
         onnx.numpy_helper.from_array(b, "B"),
         onnx.numpy_helper.from_array(np.array([0], dtype=np.int64), "axes")])
    m = oh.make_model(graph, opset_imports=[oh.make_opsetid("", 13)])
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(OUT, "gru_lbr0.onnx"))

    sig = lambda v: 1 / (1 + np.exp(-v))
    W, R, B = w[0].astype(np.float64), r[0].astype(np.float64), b[0].astype(np.float64)
    wb, rb = B[:3 * h], B[3 * h:]
    hs = np.zeros((n, h))
    for step in range(t):
        xt = x[:, step, :].astype(np.float64)
        z = sig(xt @ W[:h].T + hs @ R[:h].T + wb[:h] + rb[:h])
        rr = sig(xt @ W[h:2 * h].T + hs @ R[h:2 * h].T + wb[h:2 * h] + rb[h:2 * h])
        c = np.tanh(xt @ W[2 * h:].T + (rr * hs) @ R[2 * h:].T + rb[2 * h:] + wb[2 * h:])
        hs = (1 - z) * c + z * hs
    save("gru_lbr0_x.npy", x)
    save("gru_lbr0_y.npy", hs)
    print("gru_lbr0", [nd.op_type for nd in nodes])


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20240612)
    rng = np.random.default_rng(20240612)
    n = 6

    for cell in ("lstm", "gru"):
        m = RNNHead(cell).eval()
        x = rng.standard_normal((n, 16, 10)).astype(np.float32)
        export(m, torch.from_numpy(x[0][:, None, :]), cell + "_head", None)
        save(cell + "_head_x.npy", x)
        save(cell + "_head_y.npy", one_at_a_time(m, x))

    m = GRULast().eval()
    x = rng.standard_normal((n, 16, 10)).astype(np.float32)
    with torch.no_grad():
        y = m(torch.from_numpy(x)).numpy()
    export(m, torch.from_numpy(x[:2]), "gru_bf_last", "batch_first")
    save("gru_bf_last_x.npy", x)
    save("gru_bf_last_y.npy", y)

    m = RNNHn().eval()
    x = rng.standard_normal((n, 11, 8)).astype(np.float32)
    export(m, torch.from_numpy(x[0][:, None, :]), "rnn_hn", None)
    save("rnn_hn_x.npy", x)
    save("rnn_hn_y.npy", one_at_a_time(m, x))

    m = LSTM2Seq().eval()
    x = rng.standard_normal((n, 12, 6)).astype(np.float32)
    with torch.no_grad():
        y = m(torch.from_numpy(x)).numpy()
    export(m, torch.from_numpy(x[:2]), "lstm2_seq", "batch_first")
    save("lstm2_seq_x.npy", x)
    save("lstm2_seq_y.npy", y)

    gru_lbr0(rng)


if __name__ == "__main__":
    main()
