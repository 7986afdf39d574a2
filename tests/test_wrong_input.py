"""Wrong input to the package: each case gets an error that names the function or layer, what it
expected and what it got -- never a silent wrong result, a crash on a size nobody means, or an
error from deep inside PyTorch. (The command line has its own file, ``test_safe_writes.py``; the
property-based suites over the whole public API are ``test_bad_input_*.py``.)
"""

import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn

import ghostedu
from ghostedu import checks, counting, train
from ghostedu.data import bearing_signals, shapes_images
from ghostedu.layers import FlattenConcat, GhostBottleneck, GhostModule, SqueezeExcite, conv_dw, make_divisible
from ghostedu.models import ConvBnAct, Net, ghostnet, mobilenet_v1
from ghostedu.shapes import conv_output_length, output_length_formula, pool_output_length, trace

# ---------------------------------------------------------------------------------------------
# The training loop


def _problem(n=16, classes=4, length=8):
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, length, generator=g), torch.randint(0, classes, (n,), generator=g)


@pytest.mark.parametrize("batch_size", [-1, 0, 2.5, True, None])
def test_fit_refuses_a_batch_size_that_trains_nothing(batch_size):
    x, y = _problem()
    with pytest.raises(ValueError, match=r"fit: expected batch_size to be an integer >= 1, got"):
        train.fit(nn.Linear(8, 4), (x, y), epochs=1, batch_size=batch_size, progress=False, dev="cpu")


def test_fit_refuses_inputs_and_labels_of_different_lengths():
    x, y = _problem()
    model = nn.Linear(8, 4)
    before = model.weight.detach().clone()
    with pytest.raises(ValueError, match=r"fit: expected as many labels as inputs, got 7 inputs and 8 labels"):
        train.fit(model, (x[:7], y[:8]), epochs=1, progress=False, dev="cpu")
    assert torch.equal(model.weight, before)  # refused before a single step


def test_fit_refuses_probabilities_for_cross_entropy():
    x = torch.randn(4, 1, 1024)
    y = torch.randint(0, 4, (4,))
    model = Net()
    before = model.fc.weight.detach().clone()
    with pytest.raises(ValueError, match=r"fit: .*softmax.*forward=model\.logits"):
        train.fit(model, (x, y), epochs=1, progress=False, dev="cpu")
    assert torch.equal(model.fc.weight, before)
    with pytest.raises(ValueError, match=r"evaluate: .*softmax"):
        train.evaluate(model, x, y, dev="cpu")
    # The documented way trains, and so does a loss made for probabilities.
    history = train.fit(model, (x, y), epochs=1, forward=model.logits, progress=False, dev="cpu")
    assert len(history.train_loss) == 1 and history.train_loss[0] > 0
    nll_of_probs = lambda p, t: nn.functional.nll_loss(torch.log(p + 1e-9), t)  # noqa: E731
    assert train.fit(model, (x, y), epochs=1, loss_fn=nll_of_probs, progress=False, dev="cpu").train_loss
    # The double softmax on purpose (chapter 09 shows what it costs): forward chosen explicitly.
    assert train.fit(model, (x, y), epochs=1, forward=model, progress=False, dev="cpu").train_loss
    assert 0 <= train.evaluate(model, x, y, forward=model, dev="cpu")[1] <= 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"epochs": 0}, "fit: expected epochs to be an integer >= 1, got 0"),
        ({"lr": float("nan")}, "fit: expected lr to be a positive number, got nan"),
        ({"lr": -1.0}, "fit: expected lr to be a positive number, got -1.0"),
        ({"weight_decay": -0.1}, "fit: expected weight_decay to be a number >= 0, got -0.1"),
        ({"progress": "no"}, "fit: expected progress to be True or False, got 'no'"),
        ({"seed": -1}, "fit: expected seed to be an integer >= 0, got -1"),
    ],
)
def test_fit_names_each_wrong_setting(kwargs, message):
    x, y = _problem()
    kwargs.setdefault("progress", False)
    with pytest.raises(ValueError, match=message):
        train.fit(nn.Linear(8, 4), (x, y), dev="cpu", **kwargs)


def test_fit_wants_tensors_and_labels_it_can_use():
    x, y = _problem()
    with pytest.raises(TypeError, match=r"fit: expected train to be a pair \(x, y\) of torch.Tensors, got"):
        train.fit(nn.Linear(8, 4), (x.numpy(), y.numpy()), progress=False, dev="cpu")
    with pytest.raises(ValueError, match=r"fit: expected labels in 0\.\.3 \(the model gives 4 scores\), got 9"):
        train.fit(nn.Linear(8, 4), (x, torch.full_like(y, 9)), progress=False, dev="cpu")
    with pytest.raises(TypeError, match=r"fit: expected an nn.Module to train, got function"):
        train.fit(lambda t: t, (x, y), progress=False, dev="cpu")


def test_predict_and_evaluate_check_their_batch_size():
    x, y = _problem()
    with pytest.raises(ValueError, match="predict: expected batch_size to be an integer >= 1, got 0"):
        train.predict(nn.Linear(8, 4), x, batch_size=0, dev="cpu")
    with pytest.raises(ValueError, match="evaluate: expected as many labels as inputs, got 16 inputs and 3 labels"):
        train.evaluate(nn.Linear(8, 4), x, y[:3], dev="cpu")


# ---------------------------------------------------------------------------------------------
# Layers and models


@pytest.mark.parametrize("name", ["kernel_size", "dw_size"])
@pytest.mark.parametrize("size", [2, 4])
def test_ghost_module_refuses_even_kernels(name, size):
    # padding = size // 2 keeps the map's size only for an odd kernel: kernel_size=2 gave 9x9 maps
    # from 8x8 ones, dw_size=2 failed inside torch.cat.
    with pytest.raises(ValueError, match=rf"GhostModule: expected {name} to be an odd integer >= 1.*got {size}"):
        GhostModule(8, 8, **{name: size})


@pytest.mark.parametrize("size", [1, 3, 5])
def test_ghost_module_odd_kernels_keep_the_documented_size(size):
    out = GhostModule(8, 8, kernel_size=size, dw_size=size).eval()(torch.zeros(1, 8, 8, 8))
    assert out.shape == (1, 8, 8, 8)


def test_ghost_bottleneck_refuses_even_depthwise_kernels():
    with pytest.raises(ValueError, match=r"GhostBottleneck: expected dw_kernel_size to be an odd integer"):
        GhostBottleneck(16, 32, 24, dw_kernel_size=2)


@pytest.mark.parametrize("se_ratio", [-1, -0.25, float("nan"), float("inf"), "0.25", True])
def test_ghost_bottleneck_refuses_an_se_ratio_squeeze_excite_would_refuse(se_ratio):
    with pytest.raises(ValueError, match=r"GhostBottleneck: expected se_ratio \(0: no SE\) to be a number >= 0, got"):
        GhostBottleneck(16, 32, 16, se_ratio=se_ratio)


@pytest.mark.parametrize("se_ratio, has_se", [(0, False), (0.0, False), (None, False), (0.25, True)])
def test_ghost_bottleneck_se_ratio_zero_or_none_means_no_se(se_ratio, has_se):
    assert (GhostBottleneck(16, 32, 16, se_ratio=se_ratio).se is not None) is has_se


def test_conv_dw_checks_its_input():
    block = conv_dw(32, 64)
    assert isinstance(block, nn.Sequential) and len(block) == 6  # still the six modules, in order
    with pytest.raises(ValueError, match=r"conv_dw: expected a 4-D input shaped \(N, C, H, W\), got a 3-D tensor"):
        block(torch.zeros(1, 32, 8))
    with pytest.raises(ValueError, match=r"conv_dw: expected 32 input channels .* got 16"):
        block(torch.zeros(1, 16, 8, 8))
    assert block.eval()(torch.zeros(1, 32, 8, 8)).shape == (1, 64, 8, 8)


def _models():
    return {
        "conv_dw": (conv_dw(8, 16), (1, 8, 8, 8)),
        "GhostModule": (GhostModule(8, 16), (1, 8, 8, 8)),
        "GhostBottleneck": (GhostBottleneck(8, 16, 8, se_ratio=0.25), (1, 8, 8, 8)),
        "SqueezeExcite": (SqueezeExcite(8), (1, 8, 4, 4)),
        "Net": (Net(), (1, 1, 1024)),
        "GhostNet": (ghostnet(width=0.1, num_classes=4), (1, 3, 32, 32)),
        "MobileNetV1": (mobilenet_v1(width=0.25, num_classes=4), (1, 3, 32, 32)),
    }


@pytest.mark.parametrize("dtype, model_call", [(torch.float64, "double"), (torch.float16, "half")])
def test_every_model_names_a_wrong_dtype_and_how_to_convert(dtype, model_call):
    for name, (model, size) in _models().items():
        with pytest.raises(
            TypeError,
            match=rf"{name}: expected a float32 input \(the dtype of its weights\), got {dtype}.*"
            rf"x\.float\(\).*model\.{model_call}\(\)",
        ):
            model.eval()(torch.zeros(size, dtype=dtype))
        # converting as the message says runs
        model.eval()(torch.zeros(size, dtype=dtype).float())
        getattr(model, model_call)()
        if dtype == torch.float64:  # float16 convolutions need not exist on a CPU
            model(torch.zeros(size, dtype=dtype))


def test_integer_input_names_the_dtype():
    with pytest.raises(TypeError, match=r"Net: expected a float32 input .* got torch.int64"):
        Net()(torch.zeros(1, 1, 1024, dtype=torch.long))


def test_net_explains_lengths_below_and_above_its_range():
    for length in (16, 512, 1023):
        with pytest.raises(ValueError, match=rf"Net: an input of length L={length} is too short.*1024\.\.1151"):
            Net().eval()(torch.zeros(1, 1, length))
    with pytest.raises(ValueError, match=r"Net: fc expects 768 features .* L=2048 .* 1024\.\.1151"):
        Net().eval()(torch.zeros(1, 1, 2048))


def test_ghostnet_beyond_the_memory_cap_is_refused_with_the_estimate():
    with pytest.raises(ValueError, match=r"GhostNet: .*width=100.* estimated [\d.]+ GiB .*MEMORY_LIMIT_BYTES"):
        ghostnet(width=100)
    with pytest.raises(ValueError, match=r"MobileNetV1: .*width=100.* estimated [\d.]+ GiB"):
        mobilenet_v1(width=100)


def test_the_memory_cap_is_one_setting(monkeypatch):
    monkeypatch.setattr(checks, "MEMORY_LIMIT_BYTES", 2**20)
    with pytest.raises(
        ValueError,
        match=r"GhostNet: expected width=1\.0 to need at most 1\.0 MiB, got an estimated 19\.8 MiB "
        r"for 5,182,508 float32",
    ):
        ghostnet()
    with pytest.raises(ValueError, match=r"bearing_signals: expected .* at most 1\.0 MiB, got an estimated [\d.]+ MiB"):
        bearing_signals(100)
    with pytest.raises(ValueError, match=r"shapes_images: .*estimated [\d.]+ MiB"):
        shapes_images(100, size=64)
    assert bearing_signals(1, length=64)[0].shape == (4, 64)  # small requests still work


def test_the_memory_estimate_does_not_change_the_weights():
    # The estimate builds nothing real: the same seed gives the same weights as before.
    torch.manual_seed(0)
    a = ghostnet(width=0.5)
    torch.manual_seed(0)
    expected = torch.nn.init.kaiming_uniform_(torch.empty_like(a.conv_stem.weight), a=math.sqrt(5))
    assert torch.equal(a.conv_stem.weight, expected)


@pytest.mark.parametrize("kwargs", [{"fs": 1e12}, {"length": 10**9}, {"n_per_class": 10**8}])
def test_bearing_signals_sizes_nobody_means_are_refused(kwargs):
    kwargs.setdefault("n_per_class", 1)
    with pytest.raises(ValueError, match=r"bearing_signals: .*estimated [\d.,]+ [GTP]iB .*MEMORY_LIMIT_BYTES"):
        bearing_signals(**kwargs)


def test_bearing_signals_speeds_nobody_means_are_refused():
    # Impacts faster than the samples (and 3 GiB of them): the fault frequency must stay below fs/2.
    with pytest.raises(ValueError, match=r"bearing_signals: expected rpm_range below 66,480 rpm, .* fs/2 = 6000 Hz"):
        bearing_signals(1, rpm_range=(1e9, 1e9))


@pytest.mark.parametrize("snr_db", [-800, -61, 101, 200, (0, 200), (-100, 0)])
def test_bearing_signals_snr_outside_its_range(snr_db):
    with pytest.raises(ValueError, match=r"bearing_signals: expected snr_db .* -60 .* 100 dB"):
        bearing_signals(1, snr_db=snr_db)


@pytest.mark.parametrize("snr_db", [-60.0, 0.0, 100.0])
def test_bearing_signals_snr_is_exact_over_its_range(snr_db):
    x, _, clean = bearing_signals(2, snr_db=snr_db, return_clean=True)
    noise = x.astype(np.float64) - clean
    measured = 10 * np.log10(np.mean(clean.astype(np.float64) ** 2, 1) / np.mean(noise**2, 1))
    assert np.all(np.isfinite(x)) and np.allclose(measured, snr_db, atol=0.05)


def test_squeeze_excite_and_make_divisible_name_themselves():
    with pytest.raises(ValueError, match=r"SqueezeExcite: expected se_ratio to be a positive number, got inf"):
        SqueezeExcite(8, se_ratio=float("inf"))
    with pytest.raises(ValueError, match=r"make_divisible: expected divisor to be an integer >= 1, got 0"):
        make_divisible(10, 0)
    with pytest.raises(
        ValueError, match=r"make_divisible: expected value to be a number >= 0, got nan \(not a number\)"
    ):
        make_divisible(float("nan"), 4)


def test_models_check_their_settings():
    with pytest.raises(ValueError, match=r"GhostNet: expected num_classes to be an integer >= 1, got 0"):
        ghostnet(num_classes=0)
    with pytest.raises(ValueError, match=r"GhostNet: expected dropout to be a number in \[0, 1\), got 1\.5"):
        ghostnet(dropout=1.5)
    with pytest.raises(ValueError, match=r"GhostNet: expected width to be a positive number, got nan"):
        ghostnet(width=float("nan"))
    with pytest.raises(ValueError, match=r"ConvBnAct: expected kernel_size to be an odd integer"):
        ConvBnAct(3, 8, 2)


def test_flatten_concat_names_itself():
    with pytest.raises(ValueError, match=r"FlattenConcat: expected tensors with the same batch size"):
        FlattenConcat()(torch.zeros(2, 3), torch.zeros(3, 3))
    with pytest.raises(TypeError, match=r"FlattenConcat: expected torch.Tensors"):
        FlattenConcat()(torch.zeros(2, 3), [1, 2])


# ---------------------------------------------------------------------------------------------
# Shapes


@pytest.mark.parametrize("ceil_mode", ["no", "False", 1, None, 0.0])
def test_ceil_mode_must_be_a_boolean(ceil_mode):
    # bool('no') is True: a string would round up.
    with pytest.raises(ValueError, match=r"conv_output_length: expected ceil_mode to be True or False"):
        conv_output_length(10, 3, 2, ceil_mode=ceil_mode)
    with pytest.raises(ValueError, match=r"pool_output_length: expected ceil_mode to be True or False"):
        pool_output_length(10, 3, 2, ceil_mode=ceil_mode)
    with pytest.raises(ValueError, match=r"output_length_formula: expected ceil_mode to be True or False"):
        output_length_formula(10, 3, 2, ceil_mode=ceil_mode)


def test_output_length_formula_checks_its_numbers():
    with pytest.raises(ValueError, match=r"output_length_formula: expected stride to be an integer >= 1, got 0"):
        output_length_formula(10, 3, 0)


def test_trace_names_the_layer_where_the_model_fails():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(10, 2))
    with pytest.raises(ValueError, match=r"trace: the model fails in layer 2 \(Linear\), whose input is \(1, 288\)"):
        trace(model, (1, 3, 8, 8))

    class Joined(nn.Module):  # fails between its layers, in its own forward
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Conv2d(3, 4, 3), nn.Conv2d(3, 4, 5)

        def forward(self, x):
            return torch.cat([self.a(x), self.b(x)], dim=1)

    with pytest.raises(ValueError, match=r"trace: the model fails in the forward of Joined, after b \(Conv2d\)"):
        trace(Joined(), (1, 3, 8, 8))


def test_trace_keeps_the_error_of_a_model_that_checks_its_input():
    with pytest.raises(
        ValueError,
        match=r"trace: the model fails in layer pool\d_\d \(MaxPool1d\).*Net: an input of length L=100 is too short",
    ):
        trace(Net(), (1, 1, 100))


def test_trace_wants_a_module():
    with pytest.raises(TypeError, match=r"trace: expected an nn.Module, got str"):
        trace("Net", (1, 1, 1024))


# ---------------------------------------------------------------------------------------------
# Counting


class _Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 16, batch_first=True)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


def test_count_macs_names_what_it_could_not_count():
    with pytest.raises(ValueError, match=r"count_macs: could not count the multiply-adds of lstm \(LSTM\)"):
        counting.count_macs(_Recurrent(), (1, 5, 8))
    with pytest.raises(ValueError, match=r"macs_by_module: could not count .* lstm \(LSTM\)"):
        counting.macs_by_module(_Recurrent(), (1, 5, 8))
    with pytest.warns(UserWarning, match=r"count_macs: could not count the multiply-adds of lstm \(LSTM\)"):
        assert counting.count_macs(_Recurrent(), (1, 5, 8), strict=False) == 16 * 4
    with warnings.catch_warnings():  # what it can count, it counts without a word
        warnings.simplefilter("error")
        assert counting.count_macs(conv_dw(4, 8), (1, 4, 4, 4)) == 16 * 4 * 9 + 16 * 4 * 8


def test_counting_checks_its_arguments():
    with pytest.raises(TypeError, match=r"count_macs: expected an nn.Module, got str"):
        counting.count_macs("conv", (1, 3, 8, 8))
    with pytest.raises(ValueError, match=r"count_macs: expected input_size .* got \(1, -3, 8\)"):
        counting.count_macs(nn.Conv1d(3, 4, 3), (1, -3, 8))
    with pytest.raises(ValueError, match=r"count_macs: expected strict to be True or False, got 'no'"):
        counting.count_macs(nn.Conv1d(3, 4, 3), (1, 3, 8), strict="no")


# ---------------------------------------------------------------------------------------------
# The device


@pytest.mark.parametrize("value", ["gpu", "cuda:x", "cpu cpu", "tpu"])
def test_ghostedu_device_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("GHOSTEDU_DEVICE", value)
    with pytest.raises(ValueError, match=rf"GHOSTEDU_DEVICE={value!r}.*cpu.*cuda"):
        ghostedu.device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this torch build has CUDA")
@pytest.mark.parametrize("value", ["cuda", "cuda:0"])
def test_cuda_on_a_cpu_only_build_is_refused_at_once(monkeypatch, value):
    monkeypatch.setenv("GHOSTEDU_DEVICE", value)
    with pytest.raises(ValueError, match=rf"GHOSTEDU_DEVICE={value!r}.*no CUDA device"):
        ghostedu.device()


@pytest.mark.parametrize("value, expected", [("cpu", "cpu"), (" CPU ", "cpu"), ("", None)])
def test_ghostedu_device_accepts_what_exists(monkeypatch, value, expected):
    monkeypatch.setenv("GHOSTEDU_DEVICE", value)
    default = "cuda" if torch.cuda.is_available() else "cpu"
    assert ghostedu.device().type == (expected or default)


# ---------------------------------------------------------------------------------------------
# Booleans that are not booleans, NaN in numeric checks


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: GhostModule(8, 8, relu="no"), "GhostModule: expected relu to be True or False, got 'no'"),
        (lambda: ghostedu.data.sample_photo(gray="yes"), "sample_photo: expected gray to be True or False"),
        (
            lambda: ghostedu.shapes.dependency_mask(nn.Conv1d(1, 1, 3), (1, 1, 8), counts="yes"),
            "dependency_mask: expected counts to be True or False",
        ),
    ],
)
def test_booleans_must_be_booleans(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_evaluating_checks_its_flag_and_model():
    with pytest.raises(ValueError, match="evaluating: expected no_grad to be True or False, got 'no'"):
        with ghostedu.evaluating(nn.Linear(2, 2), no_grad="no"):
            pass
    with pytest.raises(TypeError, match="evaluating: expected an nn.Module, got int"):
        with ghostedu.evaluating(3):
            pass


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: checks.check_number("f", "x", float("nan")), "f: expected x to be a finite number, got nan"),
        (lambda: checks.check_int("f", "n", float("nan")), "f: expected n to be an integer >= 1, got nan"),
        (lambda: bearing_signals(1, snr_db=float("nan")), "bearing_signals: expected snr_db"),
        (lambda: train.fit(nn.Linear(8, 4), _problem(), lr=float("nan")), "fit: expected lr"),
        (lambda: ghostedu.data.fault_frequencies(float("nan")), "fault_frequencies: expected rpm"),
    ],
)
def test_nan_is_named_as_nan(call, message):
    with pytest.raises(ValueError, match=message) as info:
        call()
    assert "too small" not in str(info.value) and "too large" not in str(info.value)


def test_seed_everything_names_a_seed_numpy_cannot_take():
    with pytest.raises(ValueError, match=r"seed_everything: expected seed to be an integer in 0\.\.2\*\*32 - 1"):
        ghostedu.seed_everything(-1)


class _Pair(nn.Module):
    """A model that returns two tensors."""

    def forward(self, x):
        return x, x


def test_a_model_that_fails_or_returns_no_tensor_is_named_by_the_caller():
    from ghostedu.shapes import dependency_mask

    with pytest.raises(TypeError, match=r"dependency_mask: expected the model to return one tensor, got tuple"):
        dependency_mask(_Pair(), (1, 1, 8))
    with pytest.raises(TypeError, match=r"predict: expected the model to return one tensor, got tuple"):
        train.predict(_Pair(), torch.zeros(2, 1, 8))
    wrong = nn.Sequential(nn.Flatten(), nn.Linear(5, 2))  # expects 5 features, gets 8
    with pytest.raises(ValueError, match=r"predict: the model fails on an input of shape \(2, 1, 8\)"):
        train.predict(wrong, torch.zeros(2, 1, 8))
    with pytest.raises(ValueError, match=r"dependency_mask: the model fails on an input of shape \(1, 1, 8\)"):
        dependency_mask(wrong, (1, 1, 8))


def test_fit_checks_the_test_labels_before_the_first_step():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    before = [p.detach().clone() for p in model.parameters()]
    x, y = torch.randn(6, 1, 4), torch.zeros(6, dtype=torch.long)
    with pytest.raises(ValueError, match=r"fit: expected labels in 0\.\.2 \(the model gives 3 scores\), got 3"):
        train.fit(model, (x, y), test=(x, torch.full((6,), 3)), epochs=1, progress=False, dev="cpu")
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # not one step taken
