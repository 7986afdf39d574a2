"""Checks for the exercises of the chapters "The multi-scale 1D CNN" and "Training the multi-scale CNN on
bearing vibrations".

Every expected value is computed here with the library -- a forward pass of ``ghostedu.models.Net``
with hooks, ``ghostedu.shapes.accepted_input_lengths``, ``ghostedu.data.fault_frequencies`` --
never typed in.
"""

from __future__ import annotations

import torch
from torch import nn

from ..data import FS, fault_frequencies
from ..models import Net
from . import _fail, _ok, as_int, check_close, check_count, not_answered, student_code

# The relative tolerance of the decimal answers of the vibration chapter, as its exercises state it.
FREQUENCY_TOLERANCE = 0.01

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


def check_lengths(conv1_len, pool1_len, branch_len, pool2_len, n_features, length: int = 2000) -> None:
    """The length after each stage of ``Net`` for an input of ``length`` samples, checked in order.

    The expected lengths are measured by running ``Net.features`` on zeros with forward hooks."""
    net = Net().eval()
    seen: dict[str, int] = {}

    def record(module: str):
        def hook(layer, args, output) -> None:  # returns None: the output is left as it is
            seen.setdefault(module, output.shape[-1])

        return hook

    handles = [getattr(net, module).register_forward_hook(record(module)) for _, module, _, _ in _STAGES]
    try:
        with torch.no_grad():
            net.features(torch.zeros(1, 1, length))
    finally:
        for handle in handles:
            handle.remove()
    answers = dict(
        conv1_len=conv1_len, pool1_len=pool1_len, branch_len=branch_len, pool2_len=pool2_len, n_features=n_features
    )
    previous = None
    for key, module, what, hint in _STAGES:
        expected = seen[module]
        mistakes = {
            "conv1_len": [((length - 32) // 8 + 1, "you left out the padding: conv1 adds 12 zeros at each end.")],
            "branch_len": [] if previous is None else [(previous / 8, "round down at each of the three pools.")],
            "pool2_len": [] if previous is None else [(previous - 8, "add 1 for the first window: L - 8 + 1.")],
            "n_features": []
            if previous is None
            else [(256 * previous, "there are three branches."), (3 * 256, "times the length after pool2.")],
        }.get(key, [])
        name = f"{key} ({what}, L={length})"
        check_count(name, answers[key], expected, hint, mistakes, whole_hint=hint, report=False)
        previous = expected
    _ok(f"lengths for L={length}")


def _features(net: Net, length: int) -> int:
    """Features ``net`` brings to ``fc`` for ``length`` samples (0 when a pool no longer fits)."""
    try:
        with torch.no_grad():
            return net.features(torch.zeros(1, 1, length)).shape[-1]
    except (RuntimeError, ValueError):  # too short: a pool's window no longer fits
        return 0


def check_accepted_range(shortest, longest, kernel_size: int = 64, stride: int = 16, padding: int = 24) -> None:
    """The shortest and longest input length for which ``Net`` with a wider ``conv1`` gets 768 features.

    Checked by running the network at the answers and next to them (the accepted lengths are one
    run of consecutive lengths), not by looking the answer up."""
    net = Net().eval()
    net.conv1 = nn.Conv1d(in_channels=1, out_channels=64, kernel_size=kernel_size, stride=stride, padding=padding)
    wanted = net.fc.in_features
    where = f"conv1 = Conv1d(1, 64, {kernel_size}, stride={stride}, padding={padding})"
    hint = (
        f"work backwards: the branches need 64..71 positions after pool1, so 128..143 after conv1; "
        f"then solve floor((L + 2*{padding} - {kernel_size})/{stride}) + 1 = 128 (shortest) and = 143 "
        "(longest) for L."
    )
    for label, answer, step in (("shortest", shortest, -1), ("longest", longest, +1)):
        name = f"{label} input length with {where}"
        value = as_int(name, answer, "an input length is a whole number of samples.")
        features = _features(net, value) if value > 0 else 0
        if features == wanted:
            if _features(net, value + step) == wanted:
                other = "shorter" if step < 0 else "longer"
                _fail(name, f"{value} gives {wanted} features, but {other} inputs do too.", hint)
            continue
        side = "short" if features < wanted else "long"
        extra = ""
        if side == "long" and step > 0 and _features(net, value - 1) == wanted:
            extra = " The last accepted length is the one just before conv1's output reaches 144."
        _fail(name, f"{value} is too {side}: it does not give exactly {wanted} features.", hint + extra)
    _ok("accepted lengths")


def check_any_length(model_class, lengths: tuple[int, ...] = (128, 1024, 1500, 2048, 4096)) -> None:
    """``model_class``: a subclass of ``Net`` that takes any input length >= 128, keeps ``Net``'s
    parameters (a ``Net`` state dict loads into it) and gives ``Net``'s outputs for 1024 samples."""
    name = "AnyLengthNet"
    if model_class is None:
        raise not_answered(name)
    if isinstance(model_class, nn.Module):
        _fail(
            name,
            f"expected the class, got an instance of {type(model_class).__name__}.",
            "pass the class itself, `AnyLengthNet`, not `AnyLengthNet()`.",
        )
    if not (isinstance(model_class, type) and issubclass(model_class, nn.Module)):
        _fail(
            name,
            f"expected a class (a subclass of Net), got {model_class!r}.",
            "write `class AnyLengthNet(Net):` and replace one layer in its __init__.",
        )
    with student_code(name, f"{model_class.__name__}()"):
        model = model_class()
    if not isinstance(model, Net):
        _fail(
            name,
            f"expected a subclass of Net, got one of {[c.__name__ for c in model_class.__mro__[1:]]}.",
            "inherit from Net so that its layers and forward are reused: `class AnyLengthNet(Net):`.",
        )
    reference = Net().eval()
    with student_code(
        name, "load_state_dict(Net().state_dict())", "keep every layer that has parameters as it is; only the "
        "pooling before fc has to change."
    ):  # fmt: skip
        model.load_state_dict(reference.state_dict())
    model.eval()
    x = torch.randn(2, 1, max(lengths), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for length in lengths:
            with student_code(
                name,
                f"an input of length {length}",
                "after the branches the length still depends on L; a pool whose output size is fixed makes it 1 "
                "for every L.",
            ):
                probs = model(x[..., :length])
            if tuple(probs.shape) != (2, 4):
                _fail(
                    name,
                    f"an input of shape (2, 1, {length}) gives shape {tuple(probs.shape)}, not (2, 4).",
                    "keep Net's forward: fc with 768 inputs, then the softmax.",
                )
        same = torch.allclose(model(x[..., :1024]), reference(x[..., :1024]), atol=1e-6)
    if not same:
        _fail(
            name,
            "for 1024 samples its outputs differ from Net's with the same weights.",
            "at L = 1024 each branch ends with 8 positions and pool2 takes their maximum; the replacement "
            "must also take the maximum over all positions, not their mean.",
        )
    _ok(name)


def check_bpfo(bpfo_hz, rpm: float = 1797) -> None:
    """``bpfo_hz``: the ball-pass frequency of the outer race (BPFO), in Hz, at ``rpm``, within
    ``FREQUENCY_TOLERANCE`` (1 %)."""
    freqs = fault_frequencies(rpm)
    expected = freqs["outer_race"]
    check_close(
        f"BPFO at {rpm:g} rpm",
        bpfo_hz,
        expected,
        FREQUENCY_TOLERANCE,
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
    """Samples between two outer-race impacts at ``rpm``, and impacts in one ``length``-sample segment,
    each within ``FREQUENCY_TOLERANCE`` (1 %)."""
    bpfo = fault_frequencies(rpm)["outer_race"]
    expected_spacing = fs / bpfo
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
            length / expected_spacing,
            "the segment lasts length/fs seconds; divide by the time between impacts (or the length by the spacing).",
        ),
    ):
        check_close(
            label,
            answer,
            expected,
            FREQUENCY_TOLERANCE,
            hint=hint,
            fmt=lambda v: f"{v:.2f}",
            mistakes=[(1 / expected, "your value is the reciprocal: " + hint)],
        )
