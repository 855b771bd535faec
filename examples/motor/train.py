#!/usr/bin/python3
"""Train three small motor-temperature regressors and export them for `tcdse`.

Data: the 3000-row Paderborn PMSM subset in ../shared/datasets/pmsm_motor_temperature_subset
(GPL-3, see its PROVENANCE.md). Nothing this script writes may be committed: it writes only into
OUTDIR, which must be gitignored (examples/motor/run.sh uses out/motor).

Task: predict the permanent-magnet (rotor) temperature `pm` at time t from the seven measured
inputs (ambient, coolant, u_d, u_q, motor_speed, i_d, i_q) over the window of the last W = 33
samples t-32 .. t (16 s at 2 Hz). The values are already z-score normalized. The split is by
time: windows whose target row is before row 2400 train, windows lying wholly in rows 2400..2999
validate (no window crosses the split, nothing is shuffled across it).

Models (each small enough for a TC387 CPU core):
  mlp   input [N, 231] (the window flattened time-major: row t-32's 7 inputs first)
        Linear 231->64, ReLU, Linear 64->32, ReLU, Linear 32->1
  tcn   input [N, 7, 1, 33] (channels = inputs, a unit height, time along the width)
        causal Conv 1x1 7->16, ReLU; three residual blocks x + ReLU(causal Conv k=3, dilation
        1, 2, 4); a k=3 dilation-16 causal Conv evaluated at the last step only (which is a
        valid convolution over the 33 steps), ReLU; Linear 16->1.  Causal padding is on the left
        only: the ONNX Conv gets pads [0, (k-1)d, 0, 0], so the graph has no Pad or Slice.
        Conv2d with a unit height is used instead of Conv1d because tcdse's code generator
        (and so its cost model) takes [C, H, W] convolutions.
  lstm  input [N, 33, 7] (batch first); LSTM 7->32, its last hidden state -> Linear 32->1

For each model it writes OUTDIR/NAME.onnx (opset 13) and OUTDIR/NAME_val.npz (x: the validation
inputs in the model's layout, float32; y: [N, 1] float32 targets), plus OUTDIR/NAME_train.npz
(the training windows, for fine-tuning), and OUTDIR/torch_rmse.json with each model's validation
RMSE as torch computes it (float32 outputs, the mean of squared errors taken in float64).

Training is deterministic (fixed seeds, one torch thread by default) and takes well under a
minute per model on one core.

Usage: /usr/bin/python3 examples/motor/train.py CSV OUTDIR [--threads N]
"""

import argparse
import json
import os
import random
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

INPUTS = ["ambient", "coolant", "u_d", "u_q", "motor_speed", "i_d", "i_q"]
TARGET = "pm"
WINDOW = 33
SPLIT_ROW = 2400
SEED = 1


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_windows(csv_path):
    """Returns (x_train, y_train, x_val, y_val): x [N, W, F] float32, y [N, 1] float32."""
    table = np.genfromtxt(csv_path, delimiter=",", names=True, dtype=np.float64)
    missing = [c for c in INPUTS + [TARGET] if c not in table.dtype.names]
    if missing:
        raise SystemExit(f"{csv_path}: missing columns {missing} (have {list(table.dtype.names)})")
    feats = np.stack([table[c] for c in INPUTS], axis=1).astype(np.float32)  # [rows, F]
    target = table[TARGET].astype(np.float32)
    rows = feats.shape[0]
    if rows <= SPLIT_ROW + WINDOW:
        raise SystemExit(f"{csv_path}: {rows} rows, need more than {SPLIT_ROW + WINDOW}")

    def windows(first_end, last_end):
        ends = np.arange(first_end, last_end)
        x = np.stack([feats[e - WINDOW + 1:e + 1] for e in ends])
        y = target[ends][:, None]
        return x, y

    x_tr, y_tr = windows(WINDOW - 1, SPLIT_ROW)            # targets in rows < SPLIT_ROW
    x_va, y_va = windows(SPLIT_ROW + WINDOW - 1, rows)     # windows wholly in rows >= SPLIT_ROW
    return x_tr, y_tr, x_va, y_va


class MLP(nn.Module):
    def __init__(self, n_in):
        super().__init__()
        self.f1 = nn.Linear(n_in, 64)
        self.f2 = nn.Linear(64, 32)
        self.f3 = nn.Linear(32, 1)

    def forward(self, x):
        return self.f3(torch.relu(self.f2(torch.relu(self.f1(x)))))


class CausalConvExport(torch.autograd.Function):
    """A left-padded (causal) convolution that exports as one ONNX Conv with asymmetric pads.

    Only used for export and evaluation (no backward); training uses F.pad + F.conv2d, which
    computes the same numbers."""

    @staticmethod
    def forward(ctx, x, w, b, dilation, pad):
        return F.conv2d(F.pad(x, (pad, 0)), w, b, dilation=(1, dilation))

    @staticmethod
    def symbolic(g, x, w, b, dilation, pad):
        k = w.type().sizes()[3] if w.type().sizes() else None
        attrs = dict(dilations_i=[1, dilation], pads_i=[0, pad, 0, 0], strides_i=[1, 1], group_i=1)
        if k is not None:
            attrs["kernel_shape_i"] = [1, k]
        return g.op("Conv", x, w, b, **attrs)


def shifted_conv(x, w, b, dilation, pad):
    """The same convolution as F.conv2d(F.pad(x, (pad, 0)), w, b, dilation=(1, dilation)) for
    x [N, C, 1, T] and w [M, C, 1, k], as a sum of k shifted 1x1 products: torch's CPU dilated
    convolution is a slow per-sample loop, this is a few matrix products (training only)."""
    if pad:
        x = F.pad(x, (pad, 0))
    k = w.shape[3]
    t_out = x.shape[3] - (k - 1) * dilation
    y = b.view(1, -1, 1, 1)
    for j in range(k):
        y = y + torch.einsum("mc,ncht->nmht", w[:, :, 0, j], x[..., j * dilation:j * dilation + t_out])
    return y


class CausalConv(nn.Module):
    """Conv2d over [N, C, 1, T] with kernel (1, k) and dilation d, padded on the left only by
    (k-1)d (causal) or, with causal=False, not at all (a valid convolution)."""

    exporting = False

    def __init__(self, cin, cout, k, dilation, causal=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, (1, k), dilation=(1, dilation))
        self.pad = (k - 1) * dilation if causal else 0
        self.dilation = dilation

    def forward(self, x):
        w, b = self.conv.weight, self.conv.bias
        if self.training:
            return shifted_conv(x, w, b, self.dilation, self.pad)
        if self.pad == 0:
            return self.conv(x)
        if CausalConv.exporting:
            return CausalConvExport.apply(x, w, b, self.dilation, self.pad)
        return F.conv2d(F.pad(x, (self.pad, 0)), w, b, dilation=(1, self.dilation))


class TCN(nn.Module):
    def __init__(self, n_feat, ch=16, window=WINDOW):
        super().__init__()
        self.inp = CausalConv(n_feat, ch, 1, 1)
        self.blocks = nn.ModuleList([CausalConv(ch, ch, 3, d) for d in (1, 2, 4)])
        last_dil = (window - 1) // 2
        if 2 * last_dil + 1 != window:
            raise ValueError(f"window {window} must be odd for the last-step convolution")
        # valid (unpadded) k=3 conv with dilation (W-1)/2: output length 1, the last step
        self.last = CausalConv(ch, ch, 3, last_dil, causal=False)
        self.fc = nn.Linear(ch, 1)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        for blk in self.blocks:
            h = h + torch.relu(blk(h))
        h = torch.relu(self.last(h))  # [N, ch, 1, 1]
        return self.fc(torch.flatten(h, 1))


class LSTMHead(nn.Module):
    def __init__(self, n_feat, hidden=32):
        super().__init__()
        self.rnn = nn.LSTM(n_feat, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 1)

    def forward(self, x):
        _, (h, _) = self.rnn(x)
        return self.fc(h[0])


def layout(name, x):
    """The model's input layout of windows x [N, W, F]."""
    if name == "mlp":
        return np.ascontiguousarray(x.reshape(x.shape[0], -1))
    if name == "tcn":
        return np.ascontiguousarray(x.transpose(0, 2, 1)[:, :, None, :])
    return np.ascontiguousarray(x)


def train(model, x, y, epochs, lr, batch=64):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(SEED)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(xt.shape[0], generator=gen)  # shuffles training windows only
        for i in range(0, xt.shape[0], batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = F.mse_loss(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        sched.step()
    model.eval()


def rmse(model, x, y):
    with torch.no_grad():
        out = model(torch.from_numpy(x)).numpy()
    d = out.astype(np.float64) - y.astype(np.float64)
    return float(np.sqrt(np.mean(d * d)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", help="motor_profile60_3000rows.csv")
    ap.add_argument("outdir", help="output directory (gitignored)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (default 1: on a loaded 2-core machine two threads made a "
                         "TCN training step up to 40x slower, 600 ms instead of 15 ms)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.outdir, exist_ok=True)
    x_tr, y_tr, x_va, y_va = load_windows(a.csv)
    n_feat = x_tr.shape[2]
    print(f"windows: {x_tr.shape[0]} training, {x_va.shape[0]} validation, W={WINDOW}, "
          f"{n_feat} inputs, target {TARGET}")
    baseline = float(np.sqrt(np.mean((y_va.astype(np.float64) - y_tr.mean()) ** 2)))
    print(f"predicting the training mean: validation RMSE {baseline:.6f}")

    specs = {
        "mlp": (lambda: MLP(WINDOW * n_feat), 40, 1e-3, 64),
        "tcn": (lambda: TCN(n_feat), 30, 2e-3, 64),
        "lstm": (lambda: LSTMHead(n_feat), 15, 3e-3, 128),
    }
    results = {"target": TARGET, "inputs": INPUTS, "window": WINDOW, "split_row": SPLIT_ROW,
               "train_samples": int(x_tr.shape[0]), "val_samples": int(x_va.shape[0]),
               "mean_predictor_rmse": baseline, "rmse": {}}
    for name, (ctor, epochs, lr, batch) in specs.items():
        seed_all(SEED)
        model = ctor()
        xtr, xva = layout(name, x_tr), layout(name, x_va)
        t0 = time.time()
        train(model, xtr, y_tr, epochs, lr, batch)
        secs = time.time() - t0
        r = rmse(model, xva, y_va)
        results["rmse"][name] = r
        params = sum(p.numel() for p in model.parameters())
        print(f"{name}: {params} parameters, input {list(xva.shape[1:])}, torch validation RMSE {r:.6f} ({epochs} epochs, {secs:.0f} s)")

        CausalConv.exporting = True
        try:
            # after the exporting switch, the model must compute the very same numbers
            r_export = rmse(model, xva, y_va)
            if abs(r_export - r) > 1e-6 * max(r, 1e-12):
                raise SystemExit(f"{name}: export path RMSE {r_export} differs from {r}")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the exporter's notes on LSTM batch sizes and custom ops
                torch.onnx.export(model, (torch.from_numpy(xva[:1]),), os.path.join(a.outdir, name + ".onnx"),
                                  opset_version=13, input_names=["input"], output_names=["output"],
                                  dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        finally:
            CausalConv.exporting = False
        np.savez(os.path.join(a.outdir, name + "_val.npz"), x=xva.astype(np.float32), y=y_va.astype(np.float32))
        np.savez(os.path.join(a.outdir, name + "_train.npz"), x=xtr.astype(np.float32), y=y_tr.astype(np.float32))
    with open(os.path.join(a.outdir, "torch_rmse.json"), "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    print(f"wrote {a.outdir}/{{mlp,tcn,lstm}}.onnx, *_val.npz, *_train.npz, torch_rmse.json")


if __name__ == "__main__":
    main()
