"""Feature-map and image grids, used by every chapter that shows what a layer computes."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch


def _numpy(t) -> np.ndarray:
    return t.detach().float().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def feature_maps(
    maps,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    title: str = "",
    cmap: str = "viridis",
    max_maps: int = 32,
    size: float = 1.6,
    xlabel: str = "position",
    fs: float | None = None,
):
    """Draw feature maps in a grid and return the figure.

    ``maps``: ``(C, H, W)`` -> one image per channel; ``(C, L)`` -> one line plot per channel
    (x axis in samples, or in milliseconds when the sampling rate ``fs`` in Hz is given).
    A leading batch dimension of 1 is dropped. At most ``max_maps`` channels are drawn.
    """
    a = _numpy(maps)
    if a.ndim in (3, 4) and a.shape[0] == 1 and a.ndim == 4:
        a = a[0]
    if a.ndim not in (2, 3):
        raise ValueError(f"feature_maps: expected maps shaped (C, H, W) or (C, L), got shape {a.shape}")
    n = min(len(a), max_maps)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    one_d = a.ndim == 2
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(size * ncols * (1.6 if one_d else 1), size * nrows),
        squeeze=False,
        constrained_layout=True,
    )
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.axis("off")
            continue
        if one_d:
            t = np.arange(a.shape[1]) / fs * 1e3 if fs else np.arange(a.shape[1])
            ax.plot(t, a[i], lw=0.8)
            ax.tick_params(labelsize=6)
            if i // ncols == nrows - 1:
                ax.set_xlabel("time (ms)" if fs else xlabel, fontsize=7)
        else:
            ax.imshow(a[i], cmap=cmap)
            ax.set_xticks([])
            ax.set_yticks([])
        ax.set_title(titles[i] if titles else f"ch {i}", fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def image_grid(
    images, titles: Sequence[str] | None = None, ncols: int = 4, title: str = "", size: float = 2.2, cmap: str = "gray"
):
    """Draw images in a grid and return the figure.

    ``images``: a sequence or tensor of ``(H, W)`` grayscale or ``(3, H, W)``/``(H, W, 3)`` colour
    images; colour values are clipped to [0, 1]; grayscale ones are scaled per image.
    """
    imgs = [_numpy(im) for im in images]
    n = len(imgs)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False, constrained_layout=True)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        im = imgs[i]
        if im.ndim == 3 and im.shape[0] == 3:
            im = im.transpose(1, 2, 0)
        if im.ndim == 3:
            ax.imshow(np.clip(im, 0, 1))
        else:
            ax.imshow(im, cmap=cmap)
        if titles:
            ax.set_title(titles[i], fontsize=8)
    if title:
        fig.suptitle(title)
    return fig
