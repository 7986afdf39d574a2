"""Tests of ghostedu.data: generated bearing vibration and shape images."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ghostedu.data import (
    CLASSES,
    FAULT_ORDERS,
    FS,
    IMAGE_CLASSES,
    RPM_RANGE,
    bearing_dataset,
    bearing_signals,
    envelope_spectrum,
    fault_frequencies,
    image_dataset,
    shapes_images,
)

FAULTS = ("inner_race", "outer_race", "ball")


def measured_snr_db(x: np.ndarray, clean: np.ndarray) -> np.ndarray:
    clean = clean.astype(np.float64)
    noise = x.astype(np.float64) - clean
    return 10 * np.log10(np.mean(clean**2, axis=1) / np.mean(noise**2, axis=1))


# --- bearing signals -------------------------------------------------------------------


def test_constants():
    assert CLASSES == ("normal", "inner_race", "outer_race", "ball")
    assert FS == 12_000
    assert FAULT_ORDERS == {"inner_race": 5.4152, "outer_race": 3.5848, "ball": 4.7135, "cage": 0.39828}


def test_fault_frequencies_in_hz():
    f = fault_frequencies(1750)
    assert f["shaft"] == pytest.approx(1750 / 60)
    assert f["inner_race"] == pytest.approx(157.94, abs=0.01)
    assert f["outer_race"] == pytest.approx(104.56, abs=0.01)
    assert f["ball"] == pytest.approx(137.48, abs=0.01)
    assert f["cage"] == pytest.approx(11.62, abs=0.01)


def test_bearing_shapes_dtypes_and_balanced_labels():
    x, y = bearing_signals(5, length=256)
    assert x.shape == (20, 256) and x.dtype == np.float32
    assert y.shape == (20,) and y.dtype == np.int64
    assert np.bincount(y, minlength=4).tolist() == [5, 5, 5, 5]
    assert np.all(np.isfinite(x))


def test_bearing_shuffle_flag():
    _, shuffled = bearing_signals(5, length=64)
    _, ordered = bearing_signals(5, length=64, shuffle=False)
    assert ordered.tolist() == [0] * 5 + [1] * 5 + [2] * 5 + [3] * 5
    assert shuffled.tolist() != ordered.tolist()


def test_bearing_class_subset_labels_follow_given_order():
    x, y, meta = bearing_signals(3, length=128, classes=("ball", "normal"), shuffle=False, return_meta=True)
    assert x.shape == (6, 128)
    assert y.tolist() == [0, 0, 0, 1, 1, 1]
    assert np.allclose(meta["fault_hz"][:3], FAULT_ORDERS["ball"] * meta["shaft_hz"][:3])
    assert np.all(np.isnan(meta["fault_hz"][3:]))


def test_short_segments_without_any_impact_stay_finite():
    # A cage fault hits about every 86 ms: most 16-sample segments miss every impact.
    x, _ = bearing_signals(20, length=16, classes=("cage",))
    assert np.all(np.isfinite(x))


def test_bearing_deterministic_under_seed():
    a = bearing_signals(4, length=128, seed=3, snr_db=(-4, 10))
    b = bearing_signals(4, length=128, seed=3, snr_db=(-4, 10))
    c = bearing_signals(4, length=128, seed=4, snr_db=(-4, 10))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.allclose(a[0], c[0])


def test_same_seed_different_snr_gives_same_clean_segments():
    x0, y0, clean0 = bearing_signals(3, length=256, snr_db=0.0, return_clean=True)
    x1, y1, clean1 = bearing_signals(3, length=256, snr_db=10.0, return_clean=True)
    assert np.array_equal(y0, y1) and np.array_equal(clean0, clean1)
    assert not np.allclose(x0, x1)


@pytest.mark.parametrize("snr", [-8.0, 0.0, 10.0])
def test_snr_is_exact_per_segment(snr):
    x, _, clean = bearing_signals(10, length=1024, snr_db=snr, return_clean=True)
    assert np.allclose(measured_snr_db(x, clean), snr, atol=1e-3)


def test_snr_pair_is_drawn_within_bounds_per_segment():
    x, _, clean, meta = bearing_signals(50, length=512, snr_db=(-4, 10), return_clean=True, return_meta=True)
    snr = measured_snr_db(x, clean)
    assert np.allclose(snr, meta["snr_db"], atol=1e-3)
    assert snr.min() >= -4 - 1e-3 and snr.max() <= 10 + 1e-3
    # Uniform draws over 200 segments spread over the range rather than sitting at one value.
    assert snr.max() - snr.min() > 10


def test_meta_rpm_and_parameters_in_documented_ranges():
    _, y, meta = bearing_signals(20, length=128, return_meta=True)
    assert np.all((meta["rpm"] >= RPM_RANGE[0]) & (meta["rpm"] <= RPM_RANGE[1]))
    assert np.allclose(meta["shaft_hz"], meta["rpm"] / 60)
    faulty = y != 0
    assert np.all(np.isnan(meta["resonance_hz"][~faulty]))
    assert np.all((meta["resonance_hz"][faulty] >= 2500) & (meta["resonance_hz"][faulty] <= 4000))
    for label, name in enumerate(CLASSES[1:], start=1):
        rows = y == label
        assert np.allclose(meta["fault_hz"][rows], FAULT_ORDERS[name] * meta["shaft_hz"][rows])
    # Only inner-race and ball faults are amplitude-modulated.
    assert np.all(np.isnan(meta["modulation"][y == CLASSES.index("outer_race")]))
    assert np.all(meta["modulation"][y == CLASSES.index("inner_race")] > 0)


def test_signal_power_does_not_reveal_the_class():
    x, y = bearing_signals(100, length=1024, snr_db=0.0)
    power = np.mean(x.astype(np.float64) ** 2, axis=1)
    means = [power[y == k].mean() for k in range(4)]
    # Each clean segment has an RMS drawn from the same range whatever its class.
    assert max(means) / min(means) < 1.3


def test_fault_segments_are_impulsive_and_normal_is_not():
    _, y, clean = bearing_signals(20, length=2048, return_clean=True)
    c = clean.astype(np.float64)
    kurtosis = np.mean(c**4, axis=1) / np.mean(c**2, axis=1) ** 2
    assert kurtosis[y == 0].max() < 4
    assert kurtosis[y != 0].min() > 5


def test_envelope_spectrum_peak_is_own_fault_frequency():
    x, y, meta = bearing_signals(3, length=FS, snr_db=20.0, seed=7, return_meta=True)
    freqs, amplitude = envelope_spectrum(x, fs=FS)
    assert freqs.shape == (FS // 2 + 1,) and amplitude.shape == (12, FS // 2 + 1)
    for i, label in enumerate(y):
        if CLASSES[label] == "normal":
            continue
        candidates = fault_frequencies(meta["rpm"][i])
        # 1 Hz bins at one second: look within +-2 Hz to allow for rounding and slip.
        peaks = {name: amplitude[i][np.abs(freqs - candidates[name]) <= 2].max() for name in FAULTS}
        assert max(peaks, key=peaks.get) == CLASSES[label], (CLASSES[label], peaks)


def test_envelope_spectrum_of_modulated_tone():
    fs, n = 1000.0, 1000
    t = np.arange(n) / fs
    x = (1 + 0.5 * np.cos(2 * np.pi * 7 * t)) * np.sin(2 * np.pi * 200 * t)
    freqs, amplitude = envelope_spectrum(x, fs=fs)
    assert freqs[np.argmax(amplitude)] == pytest.approx(7.0)
    assert amplitude.max() == pytest.approx(0.5, rel=0.02)
    assert amplitude[0] == pytest.approx(0.0, abs=1e-9)


def test_bearing_dataset_tensors():
    x, y = bearing_dataset(4, length=512, snr_db=(-4, 10), seed=1)
    assert x.shape == (16, 1, 512) and x.dtype == torch.float32
    assert y.shape == (16,) and y.dtype == torch.long
    xs, ys = bearing_signals(4, length=512, snr_db=(-4, 10), seed=1)
    assert np.array_equal(x[:, 0].numpy(), xs) and np.array_equal(y.numpy(), ys)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_per_class": 0}, "bearing_signals: expected n_per_class to be an integer >= 1, got 0"),
        ({"n_per_class": 2.5}, "expected n_per_class to be an integer >= 1, got 2.5"),
        ({"n_per_class": True}, "expected n_per_class to be an integer >= 1, got True"),
        ({"n_per_class": 2, "length": 8}, "expected length to be an integer >= 16, got 8"),
        ({"n_per_class": 2, "snr_db": "abc"}, "expected snr_db to be a number or a (low, high) pair"),
        ({"n_per_class": 2, "snr_db": (10, -4)}, "got (10, -4)"),
        ({"n_per_class": 2, "snr_db": float("nan")}, "expected snr_db to be a number or a (low, high) pair"),
        ({"n_per_class": 2, "rpm_range": 1750}, "expected rpm_range to be a (low, high) pair"),
        ({"n_per_class": 2, "rpm_range": (-5, 10)}, "of positive numbers"),
        ({"n_per_class": 2, "classes": ("normal", "rust")}, "expected classes to be distinct names"),
        ({"n_per_class": 2, "classes": "normal"}, "expected classes to be a non-empty sequence"),
        ({"n_per_class": 2, "fs": 5000}, "expected fs above 8000 Hz"),
        ({"n_per_class": 2, "seed": -1}, "expected seed to be an integer >= 0, got -1"),
        ({"n_per_class": 2, "return_meta": "yes"}, "expected return_meta to be True or False"),
    ],
)
def test_bearing_bad_input_raises(kwargs, message):
    with pytest.raises(ValueError) as info:
        bearing_signals(**kwargs)
    assert str(info.value).startswith("bearing_signals: ")
    assert message in str(info.value)


def test_other_bad_inputs_raise():
    with pytest.raises(ValueError, match="fault_frequencies: expected rpm to be a positive number"):
        fault_frequencies(0)
    with pytest.raises(ValueError, match="envelope_spectrum: expected x with at least 2 samples"):
        envelope_spectrum(np.zeros(1))
    with pytest.raises(ValueError, match="bearing_dataset: expected no return_clean argument"):
        bearing_dataset(2, return_clean=True)


# --- images ----------------------------------------------------------------------------


def test_images_shapes_range_and_balance():
    x, y = shapes_images(6, size=24)
    n = 6 * len(IMAGE_CLASSES)
    assert x.shape == (n, 3, 24, 24) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert np.bincount(y).tolist() == [6] * len(IMAGE_CLASSES)


def test_images_deterministic_under_seed():
    a, ya = shapes_images(4, seed=5)
    b, yb = shapes_images(4, seed=5)
    c, _ = shapes_images(4, seed=6)
    assert np.array_equal(a, b) and np.array_equal(ya, yb)
    assert not np.allclose(a, c)


def test_images_show_a_foreground_and_noise_is_optional():
    x, y = shapes_images(10, noise=0.0, shuffle=False)
    # Without noise each picture is exactly background plus an anti-aliased foreground.
    spread = x.reshape(len(x), 3, -1)
    contrast = np.abs(spread.max(axis=2) - spread.min(axis=2)).mean(axis=1)
    assert contrast.min() > 0.3
    noisy, _ = shapes_images(10, noise=0.1, shuffle=False)
    assert 0.03 < np.abs(noisy - x).mean() < 0.1


def test_image_dataset_tensors():
    x, y = image_dataset(3, size=16, seed=2)
    xs, ys = shapes_images(3, size=16, seed=2)
    assert x.shape == (15, 3, 16, 16) and x.dtype == torch.float32 and y.dtype == torch.long
    assert torch.equal(x, torch.from_numpy(xs)) and torch.equal(y, torch.from_numpy(ys))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_per_class": -1}, "shapes_images: expected n_per_class to be an integer >= 1, got -1"),
        ({"n_per_class": 2, "size": 4}, "shapes_images: expected size to be an integer >= 8, got 4"),
        ({"n_per_class": 2, "noise": -0.1}, "shapes_images: expected noise to be a number >= 0, got -0.1"),
        ({"n_per_class": 2, "noise": "lots"}, "shapes_images: expected noise to be a number >= 0, got 'lots'"),
    ],
)
def test_images_bad_input_raises(kwargs, message):
    with pytest.raises(ValueError) as info:
        shapes_images(**kwargs)
    assert message in str(info.value)


def test_sample_photo_shapes_and_range():
    from ghostedu.data import sample_photo

    rgb = sample_photo(128)
    assert rgb.shape == (3, 128, 109) and rgb.dtype == torch.float32
    assert 0.0 <= rgb.min().item() and rgb.max().item() <= 1.0 and rgb.std().item() > 0.05
    full = sample_photo(None, gray=True)
    assert full.shape == (1, 600, 512)
    with pytest.raises(ValueError, match="sample_photo"):
        sample_photo(0)
