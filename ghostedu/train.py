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

from .checks import check_bool, check_int, check_module, check_number, check_output
from .utils import as_device, evaluating, seed_everything


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


def _describe(value) -> str:
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(type(v).__name__ for v in value) + ")"
    return type(value).__name__


def _check_samples(func: str, x, y=None) -> None:
    """Inputs ``x`` ``(N, ...)`` (and labels ``y`` ``(N, ...)``): tensors, as many labels as inputs, N >= 1."""
    for name, t in (("x", x), ("y", y)):
        if (name == "x" or t is not None) and not (isinstance(t, torch.Tensor) and t.dim() >= 1):
            raise TypeError(f"{func}: expected {name} to be a torch.Tensor with a batch dimension, got {_describe(t)}")
    if y is not None and len(x) != len(y):
        raise ValueError(f"{func}: expected as many labels as inputs, got {len(x)} inputs and {len(y)} labels")
    if len(x) == 0:
        raise ValueError(f"{func}: expected at least one sample, got an empty batch of shape {tuple(x.shape)}")


def _check_pair(func: str, name: str, data) -> tuple[torch.Tensor, torch.Tensor]:
    """``data`` as ``(x, y)``, checked."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data)):
        what = "torch.Tensors" if name == "x and y" else "a pair (x, y) of torch.Tensors"
        raise TypeError(f"{func}: expected {name} to be {what}, got {_describe(data)}")
    _check_samples(func, *data)
    return data[0], data[1]


def _check_callables(func: str, **functions) -> None:
    for name, fn in functions.items():
        if fn is not None and not callable(fn):
            raise TypeError(f"{func}: expected {name} to be callable (or None), got {type(fn).__name__}")


def _check_scores(func: str, scores, y: torch.Tensor, loss_fn, chosen: bool) -> None:
    """What :class:`torch.nn.CrossEntropyLoss` needs from scores ``(N, classes)`` and labels ``y``:
    class indices in ``0..classes - 1`` and, unless the caller ``chosen`` the scores with
    ``forward``, scores before the softmax (not probabilities)."""
    if not isinstance(loss_fn, nn.CrossEntropyLoss) or not isinstance(scores, torch.Tensor) or scores.dim() != 2:
        return
    classes = scores.shape[1]
    if classes >= 2 and len(scores) > 0 and not chosen:
        rows = scores.detach().float()
        if bool((rows >= 0).all()) and torch.allclose(
            rows.sum(1), torch.ones(len(rows), device=rows.device), atol=1e-4
        ):
            raise ValueError(
                f"{func}: the scores look like probabilities (every row is >= 0 and sums to 1: the model's "
                "forward ends in a softmax), but nn.CrossEntropyLoss applies its own softmax to the scores "
                "before it (logits); pass forward=model.logits (ghostedu's Net has one), or a loss made "
                "for probabilities (to train on probabilities on purpose, pass forward=model)"
            )
    if not y.is_floating_point() and len(y) > 0:
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= classes:
            raise ValueError(
                f"{func}: expected labels in 0..{classes - 1} (the model gives {classes} scores), "
                f"got {high if high >= classes else low}"
            )


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
    return _predict("predict", model, x, forward, batch_size, dev)


def _predict(func: str, model, x, forward, batch_size, dev) -> torch.Tensor:
    check_module(func, model)
    _check_samples(func, x)
    _check_callables(func, forward=forward)
    batch_size = check_int(func, "batch_size", batch_size)
    dev = as_device(func, dev)
    forward = forward or model
    with evaluating(model.to(dev)):
        return torch.cat(
            [_scores(func, forward, x[i : i + batch_size].to(dev)).cpu() for i in range(0, len(x), batch_size)]
        )


def _scores(func: str, forward: Callable, x: torch.Tensor) -> torch.Tensor:
    """``forward(x)``: a batch of scores, a model's failure on ``x`` named by ``func``."""
    return check_output(func, forward, x)


def evaluate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    forward: Callable | None = None,
    loss_fn: nn.Module | None = None,
    batch_size: int = 512,
    dev: torch.device | None = None,
) -> tuple[float, float]:
    """Mean loss and accuracy (0..1) of ``model`` on ``x`` ``(N, ...)`` with labels ``y`` ``(N,)``.

    With the default loss (cross-entropy) and no ``forward``, scores that are probabilities -- a
    model whose forward ends in a softmax, such as ``Net`` -- are refused: pass
    ``forward=model.logits`` (or ``forward=model`` to take the probabilities on purpose).
    """
    f = "evaluate"
    _check_pair(f, "x and y", (x, y))
    _check_callables(f, loss_fn=loss_fn)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    scores = _predict(f, model, x, forward, batch_size, dev)
    _check_scores(f, scores, y, loss_fn, forward is not None)
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

    Everything is checked before the first step, so a wrong argument trains nothing: the settings,
    as many labels as inputs, and -- from the scores of the first batch, computed in eval mode --
    labels in the range of the scores and, with the default loss and no ``forward``, scores that
    are not probabilities: ``fit(Net(), ...)`` is refused, ``fit(net, ..., forward=net.logits)``
    trains. Probabilities are taken only when chosen: ``forward=model`` trains on them anyway (the
    double softmax that the chapter "Training the multi-scale CNN on bearing vibrations" shows on
    purpose).
    """
    f = "fit"
    check_module(f, model, "an nn.Module to train")
    x, y = _check_pair(f, "train", train)
    if test is not None:
        _check_pair(f, "test", test)
    epochs = check_int(f, "epochs", epochs)
    check_number(f, "lr", lr, positive=True)
    batch_size = check_int(f, "batch_size", batch_size)
    check_number(f, "weight_decay", weight_decay, at_least=0)
    _check_callables(f, forward=forward, loss_fn=loss_fn)
    seed = check_int(f, "seed", seed, 0)
    if seed >= 2**32:
        raise ValueError(f"{f}: expected seed to be an integer in 0..2**32 - 1, got {seed!r}")
    check_bool(f, "progress", progress)
    dev = as_device(f, dev)

    seed_everything(seed)
    model.to(dev)
    chosen = forward is not None  # scores chosen on purpose: probabilities are then allowed
    forward = forward or model
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    with evaluating(model):  # no step, no change to BatchNorm statistics
        _check_scores(f, _scores(f, forward, x[:batch_size].to(dev)), y, loss_fn, chosen)
        if test is not None:  # the test set too, before the first step rather than after the first epoch
            _check_scores(f, _scores(f, forward, test[0][:batch_size].to(dev)), test[1], loss_fn, chosen)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(seed)
    history = History()
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
