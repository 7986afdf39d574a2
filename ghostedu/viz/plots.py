"""Standard plots shared by the chapters: training curves, confusion matrix, frequency responses."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator


def plot_history(history, title: str = "Training"):
    """Loss and accuracy per epoch from a ``ghostedu.train.History``; returns the figure."""
    epochs = np.arange(1, len(history.train_loss) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.2), constrained_layout=True)
    ax_loss.plot(epochs, history.train_loss, "o-", label="train")
    ax_acc.plot(epochs, np.asarray(history.train_acc) * 100, "o-", label="train")
    if history.test_loss:
        ax_loss.plot(epochs, history.test_loss, "s--", label="test")
        ax_acc.plot(epochs, np.asarray(history.test_acc) * 100, "s--", label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    return fig


def plot_confusion(y_true, y_pred, classes: Sequence[str], title: str = "Confusion matrix"):
    """Counts of (true, predicted) label pairs as an annotated heat map; returns the figure."""
    y_true = torch.as_tensor(y_true).long()
    y_pred = torch.as_tensor(y_pred).long()
    k = len(classes)
    cm = torch.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k).numpy()
    fig, ax = plt.subplots(figsize=(1.1 * k + 2, 1.1 * k + 1.5), constrained_layout=True)
    ax.imshow(cm, cmap="Blues")
    for i in range(k):
        for j in range(k):
            ax.text(
                j, i, str(cm[i, j]), ha="center", va="center", color="white" if cm[i, j] > cm.max() / 2 else "black"
            )
    ax.set_xticks(range(k), classes, rotation=30, ha="right")
    ax.set_yticks(range(k), classes)
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    return fig


def plot_frequency_response(
    kernels,
    fs: float,
    labels: Sequence[str] | None = None,
    n_fft: int = 1024,
    title: str = "Frequency response",
    ax=None,
):
    """Magnitude response (dB) of 1D kernels ``(K, k)`` (or one ``(k,)``) sampled at ``fs`` Hz.

    Each kernel is zero-padded to ``n_fft`` points; the x axis is in kHz. Returns the figure.
    """
    w = kernels.detach().cpu().numpy() if isinstance(kernels, torch.Tensor) else np.asarray(kernels)
    w = np.atleast_2d(w)
    freqs = np.fft.rfftfreq(n_fft, d=1 / fs)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.2), constrained_layout=True)
    else:
        fig = ax.figure
    for i, row in enumerate(w):
        mag = np.abs(np.fft.rfft(row, n_fft))
        ax.plot(freqs / 1e3, 20 * np.log10(mag + 1e-12), label=labels[i] if labels else None)
    ax.set(xlabel="frequency (kHz)", ylabel="magnitude (dB)", title=title)
    ax.grid(alpha=0.3)
    if labels:
        ax.legend(fontsize=8)
    return fig
