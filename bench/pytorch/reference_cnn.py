"""The reference CNN in PyTorch, for side-by-side figures only. The project never needs Python.

Usage: python3 reference_cnn.py DATA_DIR [--threads N] [--mode train|infer|recipe] [options]
- train: training throughput (--steps, --batch-size), Adam at 1e-3.
- infer: inference throughput on the test set (--batch-size, default 256), eval mode, no gradients.
- recipe: trains with a recipe given as JSON (--recipe: epochs, batchSize, learningRate, schedule "constant", "cosine"
  or "one-cycle" (a name or the trainer's schedule object), augment {maxShift, maxRotationDegrees} or false; Adam) on
  the first --train-count images, then reports the test accuracy and the training time (evaluation excluded).
Prints one JSON line.
"""
import argparse
import json
import math
import os
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.1307, 0.3081


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims :]), dtype=torch.uint8).reshape(shape)


def load(data_dir, split):
    images = read_idx(os.path.join(data_dir, f"{split}-images-idx3-ubyte")).float().div(255).unsqueeze(1)
    labels = read_idx(os.path.join(data_dir, f"{split}-labels-idx1-ubyte")).long()
    return images, labels


def normalize(images):
    return images.sub(MEAN).div(STD)


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


def train_throughput(args):
    images, labels = load(args.data_dir, "train")
    images = normalize(images)
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(images.shape[0])

    def step(i):
        index = order[(i * args.batch_size) % (images.shape[0] - args.batch_size) :][: args.batch_size]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images[index]), labels[index])
        loss.backward()
        optimizer.step()

    # Warm up past the first allocations and oneDNN's first-call setup (compare.mjs gives ours the same count).
    for i in range(args.warmup):
        step(i)
    start = time.perf_counter()
    for i in range(args.steps):
        step(i)
    elapsed = time.perf_counter() - start
    return {
        "imagesPerSecond": round(args.steps * args.batch_size / elapsed, 1),
        "msPerStep": round(elapsed / args.steps * 1000, 2),
    }


def infer_throughput(args):
    images, _ = load(args.data_dir, "t10k")
    images = normalize(images)
    model = Net().eval()
    batches = images.split(args.batch_size)
    with torch.no_grad():
        for batch in batches[:3]:
            model(batch)
        start = time.perf_counter()
        for batch in batches:
            model(batch)
        elapsed = time.perf_counter() - start
    return {"imagesPerSecond": round(images.shape[0] / elapsed, 1)}


def augment(images, max_shift, max_degrees):
    """Shifts each image by whole pixels and rotates it about its centre (bilinear, zeros outside), like ours."""
    count, _, rows, cols = images.shape
    shift = torch.randint(-max_shift, max_shift + 1, (count, 2)).float()
    angle = (torch.rand(count) * 2 - 1) * max_degrees * math.pi / 180
    cos, sin = torch.cos(angle), torch.sin(angle)
    # affine_grid maps output coordinates in [-1, 1] to input coordinates.
    theta = torch.stack(
        [
            torch.stack([cos, -sin * rows / cols, -shift[:, 0] * 2 / cols], 1),
            torch.stack([sin * cols / rows, cos, -shift[:, 1] * 2 / rows], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def cosine_between(start, end, progress):
    progress = min(1.0, max(0.0, progress))
    return end + (start - end) * (1 + math.cos(math.pi * progress)) / 2


def learning_rate_at(schedule, base, step, total_steps):
    """The trainer's schedules (packages/trainer/src/schedule.ts), step by step."""
    kind = schedule["type"]
    if kind == "constant":
        return base
    if kind == "cosine" and not schedule.get("warmupEpochs"):
        return cosine_between(base, schedule.get("minLearningRate", 0), step / max(1, total_steps))
    if kind == "one-cycle":
        initial = base / schedule.get("divFactor", 25)
        final = initial / schedule.get("finalDivFactor", 1e4)
        peak = max(1, math.floor(schedule.get("warmupFraction", 0.3) * total_steps + 0.5))
        if step < peak:
            return cosine_between(initial, base, step / peak)
        return cosine_between(base, final, (step - peak) / max(1, total_steps - 1 - peak))
    raise SystemExit(f"reference_cnn.py: schedule {schedule!r} is not implemented here")


def train_recipe(args):
    recipe = json.loads(args.recipe)
    images, labels = load(args.data_dir, "train")
    images, labels = images[: args.train_count], labels[: args.train_count]
    test_images, test_labels = load(args.data_dir, "t10k")
    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe["learningRate"])
    batch_size, epochs = recipe["batchSize"], recipe["epochs"]
    # As the trainer does: every batch, the last one of an epoch possibly smaller.
    steps_per_epoch = math.ceil(images.shape[0] / batch_size)
    total_steps = steps_per_epoch * epochs
    schedule = recipe["schedule"] if isinstance(recipe["schedule"], dict) else {"type": recipe["schedule"]}
    learning_rate_at(schedule, recipe["learningRate"], 0, total_steps)  # refuses a schedule it lacks, before training
    aug = recipe.get("augment") or None
    step = 0
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(images.shape[0])
        for b in range(steps_per_epoch):
            index = order[b * batch_size : (b + 1) * batch_size]
            batch = images[index]
            if aug:
                batch = augment(batch, aug.get("maxShift", 2), aug.get("maxRotationDegrees", 10))
            for group in optimizer.param_groups:
                group["lr"] = learning_rate_at(schedule, recipe["learningRate"], step, total_steps)
            optimizer.zero_grad()
            F.cross_entropy(model(normalize(batch)), labels[index]).backward()
            optimizer.step()
            step += 1
    elapsed = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        correct = sum(
            (model(normalize(x)).argmax(1) == y).sum().item()
            for x, y in zip(test_images.split(256), test_labels.split(256))
        )
    return {"trainingSeconds": round(elapsed, 2), "testAccuracy": correct / test_images.shape[0]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--mode", choices=["train", "infer", "recipe"], default="train")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--recipe")
    parser.add_argument("--train-count", type=int, default=60000)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    if args.mode == "train":
        args.batch_size = args.batch_size or 64
        result = train_throughput(args)
    elif args.mode == "infer":
        args.batch_size = args.batch_size or 256
        result = infer_throughput(args)
    else:
        result = train_recipe(args)
    print(json.dumps({"threads": args.threads, "mode": args.mode, **result}))


if __name__ == "__main__":
    main()
