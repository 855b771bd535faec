#!/usr/bin/python3
"""Export a PyTorch model to ONNX for tcdse (docs/guide.md, step 1).

Replace `Net` (and load your trained weights) with your own model; keep the input shape of one
sample with a batch dimension in front. tcdse reads opset 13 to 17 and needs a fixed sample
shape; the batch dimension may be dynamic.

Usage: python3 examples/guide/export_pytorch.py OUT.onnx
"""

import os
import sys

import torch
import torch.nn as nn


class Net(nn.Module):
    """LeNet-5 for 28x28 grey images, the guide's stand-in for your model."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.MaxPool2d(2), nn.ReLU(),
            nn.Conv2d(6, 16, 5), nn.MaxPool2d(2), nn.ReLU(),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 4 * 4, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    torch.manual_seed(0)
    net = Net().eval()
    # net.load_state_dict(torch.load("my_weights.pt"))   # your trained weights
    example = torch.zeros(1, 1, 28, 28)
    os.makedirs(os.path.dirname(sys.argv[1]) or ".", exist_ok=True)
    torch.onnx.export(net, example, sys.argv[1], opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    print("wrote", sys.argv[1])


if __name__ == "__main__":
    main()
