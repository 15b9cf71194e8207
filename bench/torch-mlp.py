"""Trains the bench:train network in PyTorch, one thread, for bench/torch.ts (which writes the data and reads the result).

Same protocol as ktrdr's trainer: Glorot-uniform weights and zero biases, 40 -> 64 -> 32 -> 3 with ReLU and dropout
0.2, softmax cross-entropy, Adam lr 1e-3, a fresh shuffle every epoch, a validation pass after every epoch. Timed:
the epochs (shuffling, batching, steps, validation), as bench:train times train().
Usage: torch-mlp.py DATA_FILE TRAIN_ROWS FEATURES EPOCHS BATCH_SIZE SEED; prints one JSON line.
"""
import json
import sys
import time

import numpy as np
import torch

path, train_rows, features, epochs, batch_size, seed = sys.argv[1], *map(int, sys.argv[2:7])
torch.set_num_threads(1)
torch.manual_seed(seed)
raw = np.fromfile(path, dtype=np.float32)
rows = raw.size // (features + 1)
x = torch.from_numpy(raw[: rows * features].reshape(rows, features).copy())
y = torch.from_numpy(raw[rows * features :].astype(np.int64))
x_train, y_train, x_val, y_val = x[:train_rows], y[:train_rows], x[train_rows:], y[train_rows:]

model = torch.nn.Sequential(
    torch.nn.Linear(features, 64), torch.nn.ReLU(), torch.nn.Dropout(0.2),
    torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Dropout(0.2),
    torch.nn.Linear(32, 3),
)
for layer in model:
    if isinstance(layer, torch.nn.Linear):
        torch.nn.init.xavier_uniform_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()
generator = torch.Generator().manual_seed(seed)

started = time.perf_counter()
cpu_started = time.process_time()
for epoch in range(epochs):
    model.train()
    order = torch.randperm(train_rows, generator=generator)
    for start in range(0, train_rows, batch_size):
        batch = order[start : start + batch_size]
        optimizer.zero_grad()
        loss = loss_fn(model(x_train[batch]), y_train[batch])
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        val_accuracy = (model(x_val).argmax(1) == y_val).float().mean().item()
seconds = time.perf_counter() - started
# CPU time of this process (all its threads): on a loaded machine wall time stretches, this does much less.
cpu_seconds = time.process_time() - cpu_started
print(json.dumps({
    "seconds": seconds,
    "samples_per_s": epochs * train_rows / seconds,
    "samples_per_cpu_s": epochs * train_rows / cpu_seconds,
    "val_accuracy": val_accuracy,
    "torch": torch.__version__,
}))
