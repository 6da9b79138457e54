"""The reference CNN in PyTorch, for a side-by-side speed figure only. The project never needs Python.

Usage: python3 reference_cnn.py DATA_DIR [--threads N] [--steps N] [--batch-size N]
Prints one JSON line: {"threads", "batchSize", "steps", "imagesPerSecond", "msPerStep"}.
"""
import argparse
import json
import os
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims :]), dtype=torch.uint8).reshape(shape)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(64 * 5 * 5, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    images = read_idx(os.path.join(args.data_dir, "train-images-idx3-ubyte")).float().div(255)
    images = images.sub(0.1307).div(0.3081).unsqueeze(1)
    labels = read_idx(os.path.join(args.data_dir, "train-labels-idx1-ubyte")).long()
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(images.shape[0])

    def step(i):
        index = order[(i * args.batch_size) % (images.shape[0] - args.batch_size) :][: args.batch_size]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images[index]), labels[index])
        loss.backward()
        optimizer.step()

    # Warm up past the first allocations and oneDNN's first-call setup.
    for i in range(20):
        step(i)
    start = time.perf_counter()
    for i in range(args.steps):
        step(i)
    elapsed = time.perf_counter() - start
    print(json.dumps({
        "threads": args.threads,
        "batchSize": args.batch_size,
        "steps": args.steps,
        "imagesPerSecond": round(args.steps * args.batch_size / elapsed, 1),
        "msPerStep": round(elapsed / args.steps * 1000, 2),
    }))


if __name__ == "__main__":
    main()
