"""Small generated pictures, and the one photograph that ships with matplotlib: the images of the
2D chapters. Nothing is downloaded.

* :func:`shapes_images` / :func:`image_dataset` -- small RGB pictures of shapes and stripes.
  Used for the short trainings in the depthwise, squeeze-and-excitation, Ghost module and GhostNet
  chapters.
* :func:`sample_photo` -- matplotlib's sample photograph, for feature maps of a real picture.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..checks import check_bool, check_int, check_memory, check_number

IMAGE_CLASSES: tuple[str, ...] = ("circle", "square", "triangle", "cross", "stripes")
"""Image classes, in label order."""


def shapes_images(
    n_per_class: int, size: int = 32, seed: int = 0, noise: float = 0.05, shuffle: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Small RGB pictures of one shape (or a stripe texture) on a plain background.

    Each picture draws a random background colour and a foreground colour that differs from it
    clearly; a shape of random position, size and rotation (circle, square, equilateral
    triangle, plus-shaped cross) or, for ``"stripes"``, parallel stripes of random period and
    angle over the whole picture. Edges are anti-aliased; Gaussian pixel noise of std ``noise``
    is added and the result clipped to ``[0, 1]``.

    Parameters
    ----------
    n_per_class : int
        Pictures per class, >= 1.
    size : int, default 32
        Height and width in pixels, >= 8.
    seed : int, default 0
        Seed of ``np.random.default_rng``; the same arguments give the same arrays.
    noise : float, default 0.05
        Standard deviation of the pixel noise, >= 0.
    shuffle : bool, default True
        Shuffle deterministically; with ``False`` the pictures are ordered by class.

    Returns
    -------
    x : np.ndarray
        float32, shape ``(n, 3, size, size)`` with ``n = n_per_class * len(IMAGE_CLASSES)``,
        values in ``[0, 1]`` (not standardized).
    y : np.ndarray
        int64, shape ``(n,)``: indices into :data:`IMAGE_CLASSES`.

    Used for the short trainings in the depthwise, squeeze-and-excitation, Ghost module and GhostNet
    chapters.
    """
    name = "shapes_images"
    check_int(name, "n_per_class", n_per_class, minimum=1)
    check_int(name, "size", size, minimum=8)
    check_int(name, "seed", seed, minimum=0)
    check_number(name, "noise", noise, at_least=0)
    check_bool(name, "shuffle", shuffle)
    n = n_per_class * len(IMAGE_CLASSES)
    # The float32 pictures, and about ten float64 arrays of one picture while it is drawn.
    check_memory(
        name, f"n_per_class={n_per_class} at size={size}", 4.0 * n * 3 * size**2 + 10 * 8 * 3 * size**2, "the pictures"
    )

    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(IMAGE_CLASSES), dtype=np.int64), n_per_class)
    # Pixel centres in units of the picture size, so shapes scale with `size`.
    coords = (np.arange(size) + 0.5) / size
    gy, gx = np.meshgrid(coords, coords, indexing="ij")
    x = np.empty((y.size, 3, size, size), dtype=np.float32)
    for i, label in enumerate(y):
        alpha = _shape_alpha(IMAGE_CLASSES[label], gx, gy, size, rng)
        background, foreground = _colour_pair(rng)
        picture = background[:, None, None] + (foreground - background)[:, None, None] * alpha
        picture += noise * rng.standard_normal(picture.shape)
        x[i] = np.clip(picture, 0.0, 1.0)
    order = rng.permutation(y.size) if shuffle else np.arange(y.size)
    return x[order], y[order]


def image_dataset(n_per_class: int, **kwargs) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`shapes_images` as tensors: ``(n, 3, size, size)`` float32 and ``(n,)`` long.

    Parameters
    ----------
    n_per_class : int
        Pictures per class.
    **kwargs
        Any other argument of :func:`shapes_images`.

    Returns
    -------
    x : torch.Tensor
        float32, shape ``(n, 3, size, size)``, values in ``[0, 1]``.
    y : torch.Tensor
        int64 (long), shape ``(n,)``.

    Used for the short trainings in the depthwise, squeeze-and-excitation, Ghost module and GhostNet
    chapters.
    """
    x, y = shapes_images(n_per_class, **kwargs)
    return torch.from_numpy(x), torch.from_numpy(y)


def _colour_pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Background and foreground RGB colours at least 0.35 apart in mean absolute difference."""
    background = rng.uniform(0.0, 1.0, 3)
    while True:
        foreground = rng.uniform(0.0, 1.0, 3)
        if np.mean(np.abs(foreground - background)) >= 0.35:
            return background, foreground


def _shape_alpha(cls: str, gx: np.ndarray, gy: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Coverage in ``[0, 1]`` of the foreground, shape ``(size, size)``."""
    angle = rng.uniform(0.0, 2 * np.pi)
    if cls == "stripes":
        period = rng.uniform(0.12, 0.25)
        phase = (gx * math.cos(angle) + gy * math.sin(angle)) / period + rng.uniform(0.0, 1.0)
        # Distance (in pixels) to the nearest stripe edge, signed: stripes are half of each period.
        distance = (np.abs((phase % 1.0) - 0.5) - 0.25) * period * size
        return np.clip(0.5 - distance, 0.0, 1.0)
    radius = rng.uniform(0.2, 0.36)
    # 1.2 * radius bounds every shape (square corners, triangle tips), so none is cut off.
    cx, cy = rng.uniform(1.2 * radius, 1.0 - 1.2 * radius, 2)
    # Coordinates in the shape's own rotated frame.
    u = (gx - cx) * math.cos(angle) + (gy - cy) * math.sin(angle)
    v = -(gx - cx) * math.sin(angle) + (gy - cy) * math.cos(angle)
    if cls == "circle":
        distance = np.hypot(u, v) - radius
    elif cls == "square":
        distance = np.maximum(np.abs(u), np.abs(v)) - 0.8 * radius
    elif cls == "triangle":
        # Largest of the signed distances to the three sides. The circumradius is 1.2 * radius:
        # a triangle covers less of its circle than the other shapes, so it is drawn larger.
        normals = [
            (math.cos(a), math.sin(a)) for a in (np.pi / 2, np.pi / 2 + 2 * np.pi / 3, np.pi / 2 + 4 * np.pi / 3)
        ]
        distance = np.max([u * nx + v * ny for nx, ny in normals], axis=0) - 0.6 * radius
    elif cls == "cross":
        arm = 0.33 * radius
        distance = np.minimum(
            np.maximum(np.abs(u) - radius, np.abs(v) - arm), np.maximum(np.abs(u) - arm, np.abs(v) - radius)
        )
    else:  # pragma: no cover - IMAGE_CLASSES is fixed
        raise AssertionError(cls)
    # Signed distance in pixels -> anti-aliased coverage over about one pixel.
    return np.clip(0.5 - distance * size, 0.0, 1.0)


def sample_photo(size: int | None = 256, gray: bool = False) -> torch.Tensor:
    """The photograph that ships with matplotlib (``grace_hopper.jpg``, 600x512), nothing downloaded.

    Returns a float32 tensor in [0, 1] shaped ``(3, H, W)`` (or ``(1, H, W)`` when ``gray``),
    resized with antialiasing so that its height is ``size`` (``None`` keeps 600x512).
    Used by the chapters on dilated convolution, depthwise separable convolution, the Ghost module and
    GhostNet.
    """
    import matplotlib.cbook as cbook
    import matplotlib.pyplot as plt

    if size is not None:
        check_int("sample_photo", "size", size, 8)
        check_memory("sample_photo", f"size={size}", 4.0 * 3 * size * size * 512 / 600 * 2, "the resized photograph")
    check_bool("sample_photo", "gray", gray)
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        img = torch.from_numpy(np.array(plt.imread(f, format="jpg"), dtype=np.float32) / 255.0)
    img = img.permute(2, 0, 1).contiguous()
    if gray:
        weights = torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)
        img = (img * weights).sum(0, keepdim=True)
    if size is not None:
        h, w = img.shape[1:]
        img = torch.nn.functional.interpolate(
            img[None], size=(size, round(w * size / h)), mode="bilinear", antialias=True, align_corners=False
        )[0].clamp(0, 1)
    return img
