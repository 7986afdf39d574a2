"""MobileNetV1 (Howard et al., 2017, "MobileNets: Efficient Convolutional Neural Networks for
Mobile Vision Applications", arXiv:1704.04861), built from ``conv_dw``.

Explained in the chapter "Depthwise separable convolution".
"""

from __future__ import annotations

import torch
from torch import nn

from ..checks import check_input, check_int, check_model_memory, check_number
from ..layers import conv_bn_act, conv_dw, make_divisible

# The paper's Table 1 as data: one row per depthwise separable block, (in, out, stride) at width 1.
MOBILENET_V1_CONFIG: list[tuple[int, int, int]] = [
    (32, 64, 1),
    (64, 128, 2),
    (128, 128, 1),
    (128, 256, 2),
    (256, 256, 1),
    (256, 512, 2),
    *[(512, 512, 1)] * 5,
    (512, 1024, 2),
    (1024, 1024, 1),
]


def conv_bn(inp: int, oup: int, stride: int) -> nn.Sequential:
    """The stem: full 3x3 convolution + BatchNorm + ReLU6, ``(N, inp, H, W) -> (N, oup, H', W')``."""
    for name, value in (("inp", inp), ("oup", oup), ("stride", stride)):
        check_int("conv_bn", name, value)
    return conv_bn_act(inp, oup, 3, stride)


class MobileNetV1(nn.Module):
    """MobileNetV1: images ``(N, 3, H, W)`` -> class scores ``(N, num_classes)``.

    ``features``: the stem (3x3 conv, stride 2, 32 channels) then the 13 ``conv_dw`` blocks of
    ``MOBILENET_V1_CONFIG``; then global average pooling and one fully connected layer ``fc``.
    A width whose parameters would exceed ``ghostedu.checks.MEMORY_LIMIT_BYTES`` is refused with
    the estimate before anything is allocated.
    """

    def __init__(self, width: float = 1.0, num_classes: int = 1000, config=MOBILENET_V1_CONFIG):
        super().__init__()
        f = "MobileNetV1"
        check_number(f, "width", width, positive=True)
        check_int(f, "num_classes", num_classes)
        check_model_memory(f, f"width={width!r}", lambda: MobileNetV1(width, num_classes, config))
        scale = lambda c: make_divisible(c * width, 8)  # noqa: E731 -- one-line channel rule
        layers = [conv_bn(3, scale(config[0][0]), 2)]
        layers += [conv_dw(scale(i), scale(o), s) for i, o, s in config]
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(scale(config[-1][1]), num_classes)
        if self.fc.weight.is_meta:  # the memory estimate's layout (shapes only): no values to set
            return
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input("MobileNetV1", x, 4, 3, self.fc.weight.dtype)
        return self.fc(self.avgpool(self.features(x)).flatten(1))


def mobilenet_v1(width: float = 1.0, num_classes: int = 1000) -> MobileNetV1:
    """MobileNetV1 with width multiplier ``width`` (the paper's alpha). Width 1.0: 4,231,976
    parameters and 568,740,352 multiply-adds at 224x224 (the paper's 4.2M / 569M)."""
    return MobileNetV1(width=width, num_classes=num_classes)
