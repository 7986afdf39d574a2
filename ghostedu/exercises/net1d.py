"""Checks for the exercises of the chapters "The multi-scale 1D CNN" and "Training the multi-scale CNN on
bearing vibrations".

Every expected value is computed here with the library -- a forward pass of ``ghostedu.models.Net``
with hooks, ``ghostedu.shapes.accepted_input_lengths``, ``ghostedu.data.fault_frequencies`` --
never typed in.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..data import FS, fault_frequencies
from ..models import Net
from ..shapes import accepted_input_lengths
from . import ExerciseError, _fail, _ok, check_close, not_answered

# The stages whose output length the first exercise asks for, in order, with the module that ends each.
_STAGES = (
    ("conv1_len", "conv1", "the length after conv1", "L_out = floor((L + 2p - k)/s) + 1 with k=32, s=8, p=12."),
    (
        "pool1_len",
        "pool1",
        "the length after pool1",
        "MaxPool1d(2, 2) halves the length, rounding down: floor((L - 2)/2) + 1.",
    ),
    (
        "branch_len",
        "pool3_3",
        "the length at the end of a branch (after its third pool)",
        "each branch keeps the length in its convolutions (padding k//2) and halves it, rounding down, "
        "in each of its three pools.",
    ),
    (
        "pool2_len",
        "pool2",
        "the length after pool2",
        "pool2 is MaxPool1d(kernel_size=8, stride=1): floor((L - 8)/1) + 1 = L - 7.",
    ),
    (
        "n_features",
        "concat",
        "the number of features entering fc",
        "three branches, each 256 channels times the length after pool2, flattened and concatenated.",
    ),
)


def net_stage_lengths(length: int) -> dict[str, int]:
    """Output length of ``conv1``, ``pool1``, the kernel-3 branch's last pool, ``pool2`` (first call)
    and the number of features after ``concat``, for one input of ``length`` samples.

    Measured by running ``Net.features`` on zeros with forward hooks (all three branches agree).
    """
    net = Net().eval()
    seen: dict[str, int] = {}

    def hook(name):
        def record(module, args, output):
            seen.setdefault(name, output.shape[-1])

        return record

    handles = [getattr(net, name).register_forward_hook(hook(name)) for _, name, _, _ in _STAGES]
    try:
        with torch.no_grad():
            net.features(torch.zeros(1, 1, length))
    finally:
        for handle in handles:
            handle.remove()
    return {key: seen[name] for key, name, _, _ in _STAGES}


def _as_whole_number(name: str, answer, hint: str) -> int:
    if isinstance(answer, bool) or not isinstance(answer, (int, float)) or not math.isfinite(answer):
        _fail(name, f"expected a whole number, got {answer!r}.", hint)
    if answer != int(answer):
        _fail(
            name,
            f"expected a whole number (a length counts positions), got {answer!r}.",
            "the formula takes the floor of the division before adding 1.",
        )
    return int(answer)


def check_lengths(conv1_len, pool1_len, branch_len, pool2_len, n_features, length: int = 2000) -> None:
    """The length after each stage of ``Net`` for an input of ``length`` samples, checked in order."""
    expected = net_stage_lengths(length)
    answers = dict(
        conv1_len=conv1_len, pool1_len=pool1_len, branch_len=branch_len, pool2_len=pool2_len, n_features=n_features
    )
    for key, _, what, hint in _STAGES:
        name = f"{key} ({what}, L={length})"
        if answers[key] is None:
            raise not_answered(name)
        value = _as_whole_number(name, answers[key], hint)
        if value != expected[key]:
            side = "too large" if value > expected[key] else "too small"
            _fail(name, f"{value} is {side}.", hint)
    _ok(f"lengths for L={length}", ", ".join(f"{key}={expected[key]:,}" for key, *_ in _STAGES))


def net_with_conv1(kernel_size: int, stride: int, padding: int) -> Net:
    """``Net`` whose ``conv1`` is ``Conv1d(1, 64, kernel_size, stride, padding)``; all else unchanged."""
    net = Net()
    net.conv1 = nn.Conv1d(in_channels=1, out_channels=64, kernel_size=kernel_size, stride=stride, padding=padding)
    return net


def check_accepted_range(shortest, longest, kernel_size: int = 64, stride: int = 16, padding: int = 24) -> None:
    """The shortest and longest input length for which ``Net`` with a wider ``conv1`` gets 768 features."""
    accepted = accepted_input_lengths(net_with_conv1(kernel_size, stride, padding))
    low, high = accepted.start, accepted.stop - 1
    where = f"conv1 = Conv1d(1, 64, {kernel_size}, stride={stride}, padding={padding})"
    hint = (
        f"work backwards: the branches need 64..71 positions after pool1, so 128..143 after conv1; "
        f"then solve floor((L + 2*{padding} - {kernel_size})/{stride}) + 1 = 128 (shortest) and = 143 "
        "(longest) for L."
    )
    for name, answer, value in (("shortest", shortest, low), ("longest", longest, high)):
        label = f"{name} input length with {where}"
        if answer is None:
            raise not_answered(label)
        answer = _as_whole_number(label, answer, hint)
        if answer != value:
            if name == "longest" and answer == value + 1:
                detail = f"{answer} is one too many: it already gives more than 768 features."
            elif answer > value:
                detail = f"{answer} is too large: that length does not give exactly 768 features."
            else:
                detail = f"{answer} is too small: that length does not give exactly 768 features."
            _fail(label, detail, hint)
    _ok("accepted lengths", f"{low}..{high}, {high - low + 1} lengths, for {where}")


def check_any_length(model_class, lengths: tuple[int, ...] = (128, 1024, 1500, 2048, 4096)) -> None:
    """``model_class``: a subclass of ``Net`` that takes any input length >= 128, keeps ``Net``'s
    parameters (a ``Net`` state dict loads into it) and gives ``Net``'s outputs for 1024 samples."""
    name = "AnyLengthNet"
    if model_class is None:
        raise not_answered(name)
    if not (isinstance(model_class, type) and issubclass(model_class, nn.Module)):
        _fail(
            name,
            f"expected a class (a subclass of Net), got {model_class!r}.",
            "write `class AnyLengthNet(Net):` and replace one layer in its __init__.",
        )
    try:
        model = model_class()
    except NotImplementedError as error:
        raise ExerciseError(f"{name}: not answered yet -- {error}") from None
    if not isinstance(model, Net):
        _fail(
            name,
            f"expected a subclass of Net, got one of {[c.__name__ for c in model_class.__mro__[1:]]}.",
            "inherit from Net so that its layers and forward are reused: `class AnyLengthNet(Net):`.",
        )
    reference = Net().eval()
    try:
        model.load_state_dict(reference.state_dict())
    except RuntimeError as error:
        _fail(
            name,
            f"Net's parameters do not load into it: {str(error).splitlines()[0]}",
            "keep every layer that has parameters as it is; only the pooling before fc has to change.",
        )
    model.eval()
    x = torch.randn(2, 1, max(lengths), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for length in lengths:
            try:
                probs = model(x[..., :length])
            except Exception as error:  # the reader's model: report whatever it raised
                _fail(
                    name,
                    f"an input of length {length} fails: {type(error).__name__}: {error}",
                    "after the branches the length still depends on L; a pool whose output size is fixed "
                    "(nn.AdaptiveMaxPool1d(1)) makes it 1 for every L.",
                )
            if tuple(probs.shape) != (2, 4):
                _fail(
                    name,
                    f"an input of shape (2, 1, {length}) gives shape {tuple(probs.shape)}, expected (2, 4).",
                    "keep Net's forward: fc with 768 inputs, then the softmax.",
                )
        same = torch.allclose(model(x[..., :1024]), reference(x[..., :1024]), atol=1e-6)
    if not same:
        _fail(
            name,
            "for 1024 samples its outputs differ from Net's with the same weights.",
            "at L = 1024 each branch ends with 8 positions and pool2 takes their maximum; the replacement "
            "must also take the maximum over all positions (AdaptiveMaxPool1d, not AdaptiveAvgPool1d).",
        )
    _ok(name, "lengths " + ", ".join(map(str, lengths)) + " give (2, 4); Net's outputs at 1024")


def check_bpfo(bpfo_hz, rpm: float = 1797) -> None:
    """``bpfo_hz``: the ball-pass frequency of the outer race (BPFO), in Hz, at ``rpm``."""
    freqs = fault_frequencies(rpm)
    expected = freqs["outer_race"]
    check_close(
        f"BPFO at {rpm:g} rpm",
        bpfo_hz,
        expected,
        1e-3,
        unit=" Hz",
        fmt=lambda v: f"{v:.2f}",
        hint="BPFO = (n_balls/2) * (1 - (d_ball/d_pitch) cos(phi)) * f_r, with the shaft frequency f_r = rpm/60 in Hz.",
        mistakes=[
            (expected * 60, "you used the speed in revolutions per minute: divide by 60 for revolutions per second."),
            (
                freqs["inner_race"],
                "that is the inner race (BPFI, with 1 + (d_ball/d_pitch) cos(phi)); the outer "
                "race has 1 - (d_ball/d_pitch) cos(phi).",
            ),
            (2 * expected, "use n_balls/2, not n_balls: each ball passes the defect once per cage turn."),
        ],
    )


def check_impact_spacing(
    spacing_samples, impacts_per_segment, rpm: float = 1797, length: int = 1024, fs: float = FS
) -> None:
    """Samples between two outer-race impacts at ``rpm``, and impacts in one ``length``-sample segment."""
    bpfo = fault_frequencies(rpm)["outer_race"]
    expected_spacing = fs / bpfo
    expected_count = length / expected_spacing
    for label, answer, expected, hint in (
        (
            f"samples between two outer-race impacts at {rpm:g} rpm",
            spacing_samples,
            expected_spacing,
            "one impact every 1/BPFO seconds, and fs samples per second.",
        ),
        (
            f"impacts in one {length}-sample segment at {rpm:g} rpm",
            impacts_per_segment,
            expected_count,
            "the segment lasts length/fs seconds; divide by the time between impacts (or the length by the spacing).",
        ),
    ):
        check_close(
            label,
            answer,
            expected,
            2e-3,
            hint=hint,
            fmt=lambda v: f"{v:.2f}",
            mistakes=[(1 / expected, "your value is the reciprocal: " + hint)],
        )
