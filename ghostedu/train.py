"""The one training loop of the book, and ``evaluate``. Device-agnostic and seeded.

Used by the chapters that train a network: "Depthwise separable convolution", "Squeeze-and-excitation",
"The Ghost module and GhostBottleneck", "GhostNet" and "Training the multi-scale CNN on bearing vibrations".
The progress bar is plain text (``tqdm.std``) so it needs no JavaScript in the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.std import tqdm

from .utils import device as default_device
from .utils import evaluating, seed_everything


@dataclass
class History:
    """Per-epoch training loss/accuracy and, when test data is given, test loss/accuracy."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)


def _batches(x: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator):
    order = torch.randperm(len(x), generator=generator)
    for start in range(0, len(x), batch_size):
        idx = order[start : start + batch_size]
        yield x[idx], y[idx]


def predict(
    model: nn.Module,
    x: torch.Tensor,
    forward: Callable | None = None,
    batch_size: int = 512,
    dev: torch.device | None = None,
) -> torch.Tensor:
    """Scores ``(N, classes)`` for inputs ``x`` ``(N, ...)``, in eval mode without autograd (the
    modes restored after), returned on the CPU.

    ``forward`` picks what to call (default ``model``; e.g. ``model.logits`` for ``Net``)."""
    dev = dev or default_device()
    forward = forward or model
    with evaluating(model.to(dev)):
        return torch.cat([forward(x[i : i + batch_size].to(dev)).cpu() for i in range(0, len(x), batch_size)])


def evaluate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    forward: Callable | None = None,
    loss_fn: nn.Module | None = None,
    batch_size: int = 512,
    dev: torch.device | None = None,
) -> tuple[float, float]:
    """Mean loss and accuracy (0..1) of ``model`` on ``x`` ``(N, ...)`` with labels ``y`` ``(N,)``."""
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    scores = predict(model, x, forward, batch_size, dev)
    return loss_fn(scores, y).item(), (scores.argmax(1) == y).float().mean().item()


def fit(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor] | None = None,
    *,
    epochs: int = 5,
    lr: float = 1e-3,
    batch_size: int = 64,
    weight_decay: float = 0.0,
    forward: Callable | None = None,
    loss_fn: nn.Module | None = None,
    seed: int = 0,
    dev: torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` with Adam on ``train = (x, y)`` for ``epochs`` epochs; return its ``History``.

    ``forward`` is what produces the scores fed to ``loss_fn`` (default ``model``; use
    ``model.logits`` for a model whose ``forward`` ends in a softmax). ``loss_fn`` defaults to
    ``nn.CrossEntropyLoss``. Shuffling and initialization are seeded by ``seed``.
    """
    seed_everything(seed)
    dev = dev or default_device()
    model.to(dev)
    forward = forward or model
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(seed)
    history = History()
    x, y = train
    bar = tqdm(range(epochs), desc="epochs", disable=not progress, ascii=True)
    for _ in bar:
        model.train()
        total_loss, correct = 0.0, 0
        for xb, yb in _batches(x, y, batch_size, generator):
            xb, yb = xb.to(dev), yb.to(dev)
            scores = forward(xb)
            loss = loss_fn(scores, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(xb)
            correct += (scores.argmax(1) == yb).sum().item()
        history.train_loss.append(total_loss / len(x))
        history.train_acc.append(correct / len(x))
        if test is not None:
            test_loss, test_acc = evaluate(model, *test, forward=forward, loss_fn=loss_fn, dev=dev)
            history.test_loss.append(test_loss)
            history.test_acc.append(test_acc)
        bar.set_postfix(loss=f"{history.train_loss[-1]:.3f}", acc=f"{history.train_acc[-1]:.3f}")
    return history
