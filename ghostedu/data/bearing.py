"""Vibration segments of a ball bearing, generated: the data of the 1D CNN chapters.

Nothing is downloaded: every array is computed from a random seed, so a notebook gives the same
numbers on every machine.

* :func:`bearing_signals` / :func:`bearing_dataset` -- vibration segments that imitate the
  drive-end accelerometer of the Case Western Reserve University (CWRU) bearing data, four
  classes (normal, inner-race, outer-race and ball fault). Explained in the chapter
  "Training the multi-scale CNN on bearing vibrations".
* :func:`envelope_spectrum` -- the classic bearing diagnosis plot that shows the fault
  frequencies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from ..checks import check_bool, check_int, check_interval, check_memory, check_names, check_number

CLASSES: tuple[str, ...] = ("normal", "inner_race", "outer_race", "ball")
"""Bearing classes in label order (``y == 1`` means ``"inner_race"``)."""

FS: int = 12_000
"""Sampling rate in Hz of the CWRU drive-end records the generator imitates."""

FAULT_ORDERS: dict[str, float] = {
    "inner_race": 5.4152,  # BPFI, ball pass frequency of the inner race
    "outer_race": 3.5848,  # BPFO, ball pass frequency of the outer race
    "ball": 4.7135,  # 2 x BSF: a spinning ball hits both races once per spin
    "cage": 0.39828,  # FTF, fundamental train (cage) frequency
}
"""Fault frequencies of the drive-end bearing (SKF 6205-2RS) as multiples of the shaft speed."""

RPM_RANGE: tuple[float, float] = (1730.0, 1797.0)
"""Motor speeds of the CWRU test rig (loads 3 hp to 0 hp), in revolutions per minute."""

RESONANCE_HZ: tuple[float, float] = (2500.0, 4000.0)
"""Band, in Hz, from which the structural resonance rung by the impacts is drawn, per segment."""

SNR_DB_RANGE: tuple[float, float] = (-60.0, 100.0)
"""The SNRs, in dB, that :func:`bearing_signals` makes exactly. Below -60 dB the noise is a
thousand times the signal's amplitude (nothing of the bearing is left); above 100 dB the float32
rounding of the returned segments (about 150 dB below the signal) starts to show in the measured SNR,
and at a few hundred dB the noise scale overflows."""

_DECAY_S = (0.3e-3, 1.0e-3)  # time constant of the ringing after each impact
_SLIP = (0.01, 0.02)  # std of the impact-time jitter, as a fraction of the period
_RMS_RANGE = (0.5, 2.0)  # clean-segment RMS, drawn log-uniformly


def fault_frequencies(rpm: float) -> dict[str, float]:
    """Fault frequencies in Hz at shaft speed ``rpm``.

    Parameters
    ----------
    rpm : float
        Shaft speed in revolutions per minute, > 0.

    Returns
    -------
    dict[str, float]
        ``"shaft"`` plus one entry per key of :data:`FAULT_ORDERS`
        (``"inner_race"`` is BPFI, ``"outer_race"`` BPFO, ``"ball"`` 2xBSF, ``"cage"`` FTF).
        At 1750 rpm: shaft 29.2, inner 157.9, outer 104.6, ball 137.5, cage 11.6 Hz.

    Explained in the chapter "Training the multi-scale CNN on bearing vibrations".
    """
    check_number("fault_frequencies", "rpm", rpm, positive=True)
    shaft = float(rpm) / 60.0
    return {"shaft": shaft, **{name: order * shaft for name, order in FAULT_ORDERS.items()}}


def bearing_signals(
    n_per_class: int,
    length: int = 1024,
    snr_db: float | tuple[float, float] = 10.0,
    seed: int = 0,
    fs: float = FS,
    rpm_range: tuple[float, float] = RPM_RANGE,
    classes: Sequence[str] = CLASSES,
    shuffle: bool = True,
    return_clean: bool = False,
    return_meta: bool = False,
):
    """Labeled vibration segments that imitate the CWRU drive-end bearing data.

    Every segment is built from a physical story, drawn afresh per segment:

    * the shaft turns at a speed drawn uniformly from ``rpm_range``; its imbalance and
      misalignment show as the 1x, 2x and 3x shaft harmonics (random amplitudes and phases);
    * a weak band-limited random component stands for the ordinary rolling noise of any bearing;
    * a fault adds a train of impacts, one each time a rolling element meets the defect, at the
      fault frequency ``FAULT_ORDERS[cls] * shaft`` (see :func:`fault_frequencies`). Each impact
      time jitters by 1-2 % of the period (rollers slip) and the train starts at a random phase.
      Each impact rings the housing: a damped sinusoid at a resonance drawn from
      :data:`RESONANCE_HZ` (2.5-4 kHz) with a 0.3-1 ms decay time constant. An inner-race
      defect turns with the shaft, in and out of the load zone, so its impact amplitudes follow
      ``1 + m cos(2 pi f_shaft t + phi)``; a faulty ball is carried round by the cage, so ``m``
      modulates at the cage frequency (FTF); an outer-race defect sits still in the load zone
      and is not modulated. ``m`` is drawn from 0.4-0.9;
    * shares of the clean power: in a fault segment the impacts carry 62-88 %, the harmonics
      10-30 % and the rolling noise 2-8 %; a normal segment is 60-90 % harmonics and 10-40 %
      rolling noise, so it is not merely a quiet segment;
    * the clean segment is scaled to an RMS drawn log-uniformly in 0.5-2. Real faults are
      louder, but level depends on load, fault size and sensor mounting too; scaling removes
      level as a shortcut, so a model has to find the impacts and their rhythm;
    * white Gaussian noise is added at ``snr_db``, where SNR is
      ``10 log10(clean power / noise power)`` measured on that segment; the noise is scaled so
      that this holds exactly for each segment.

    All fault types ring the same resonance band, so the plain spectrum tells "impacts or not"
    but hardly which fault: that is in the rhythm of the impacts (about 158, 105 and 138 Hz at
    1750 rpm) and their modulation, which :func:`envelope_spectrum` shows. A 1024-sample
    segment (about 85 ms) holds 8 to 14 impacts, enough for a small 1D CNN at 0 dB.

    Parameters
    ----------
    n_per_class : int
        Segments per class, >= 1.
    length : int, default 1024
        Samples per segment, >= 16. 12000 gives one-second records at 12 kHz.
    snr_db : float or (float, float), default 10.0
        One SNR in dB for every segment, or a ``(low, high)`` pair: each segment's SNR is
        then drawn uniformly from it (e.g. ``(-4, 10)`` for training on mixed SNRs). Within
        :data:`SNR_DB_RANGE` (-60 to 100 dB), where the SNR of the returned float32 segments is
        the requested one.
    seed : int, default 0
        Seed of ``np.random.default_rng``. The clean signals, the SNR draws and the noise come
        from separate streams, so calls that differ only in ``snr_db`` return the same clean
        segments with more or less noise: accuracy-vs-SNR curves compare like with like.
    fs : float, default FS
        Sampling rate in Hz; must exceed twice the highest resonance (8 kHz).
    rpm_range : (float, float), default RPM_RANGE
        Range of the shaft speed in rpm; the fault frequencies it gives must stay below ``fs / 2``
        (at 12 kHz: below about 66,000 rpm), or the impacts would come faster than the samples.
    classes : sequence of str, default CLASSES
        Class names, in label order; each one of ``"normal"`` or a key of :data:`FAULT_ORDERS`
        (``"cage"`` is allowed though the CWRU data has no cage fault; at about 12 Hz its
        impacts are so rare that a 1024-sample segment holds one at most, maybe none).
    shuffle : bool, default True
        Shuffle the segments (deterministically, from ``seed``). With ``False`` they are
        ordered by class: ``y == [0]*n_per_class + [1]*n_per_class + ...``.
    return_clean : bool, default False
        Also return the segments before noise was added.
    return_meta : bool, default False
        Also return a dict of per-segment arrays, each shaped ``(n,)``: ``"rpm"``,
        ``"shaft_hz"``, ``"fault_hz"``, ``"resonance_hz"``, ``"decay_s"``, ``"slip"``,
        ``"modulation"`` (depth ``m``), all ``nan`` where they do not apply (normal class),
        and ``"snr_db"``.

    Returns
    -------
    x : np.ndarray
        float32, shape ``(n, length)`` with ``n = n_per_class * len(classes)``.
    y : np.ndarray
        int64, shape ``(n,)``: indices into ``classes``.
    clean : np.ndarray
        float32, shape ``(n, length)``; only with ``return_clean=True``.
    meta : dict[str, np.ndarray]
        Only with ``return_meta=True``; comes last.

    A request whose arrays would need more than ``ghostedu.checks.MEMORY_LIMIT_BYTES`` (a huge
    ``n_per_class`` or ``length``, or an ``fs`` or ``rpm_range`` far beyond a bearing's, whose
    impacts come too fast or ring too long) is refused with the estimate before anything is made.

    Explained in the chapter "Training the multi-scale CNN on bearing vibrations".
    """
    name = "bearing_signals"
    check_int(name, "n_per_class", n_per_class, minimum=1)
    check_int(name, "length", length, minimum=16)
    check_int(name, "seed", seed, minimum=0)
    check_number(name, "fs", fs, positive=True)
    top = RESONANCE_HZ[1]
    if fs <= 2 * top:
        raise ValueError(f"{name}: expected fs above {2 * top:g} Hz (twice the highest resonance), got {fs!r}")
    snr_low, snr_high = check_interval(name, "snr_db", snr_db, allow_number=True)
    if snr_low < SNR_DB_RANGE[0] or snr_high > SNR_DB_RANGE[1]:
        raise ValueError(
            f"{name}: expected snr_db within SNR_DB_RANGE, {SNR_DB_RANGE[0]:g} to {SNR_DB_RANGE[1]:g} dB, "
            f"got {snr_db!r}"
        )
    rpm_low, rpm_high = check_interval(name, "rpm_range", rpm_range, allow_number=False, positive=True)
    classes = check_names(name, "classes", classes, ("normal", *FAULT_ORDERS))
    for flag, value in (("shuffle", shuffle), ("return_clean", return_clean), ("return_meta", return_meta)):
        check_bool(name, flag, value)
    orders = [FAULT_ORDERS[c] for c in classes if c != "normal"]
    if orders and max(orders) * rpm_high / 60.0 >= fs / 2:
        top_rpm = 60.0 * fs / 2 / max(orders)
        raise ValueError(
            f"{name}: expected rpm_range below {top_rpm:,.0f} rpm, where the fastest fault frequency "
            f"({max(orders)} x the shaft's) stays below fs/2 = {fs / 2:g} Hz, got {rpm_range!r}"
        )
    check_memory(
        name,
        f"n_per_class={n_per_class}, length={length}, fs={fs:g} and rpm_range up to {rpm_high:g}",
        _memory_estimate(n_per_class * len(classes), length, float(fs), rpm_high, classes),
        "the segments, their noise and the impacts of one segment",
    )

    n = n_per_class * len(classes)
    y = np.repeat(np.arange(len(classes), dtype=np.int64), n_per_class)
    signal_rng, snr_rng, noise_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))

    clean = np.empty((n, length), dtype=np.float64)
    meta = {
        key: np.full(n, np.nan)
        for key in ("rpm", "shaft_hz", "fault_hz", "resonance_hz", "decay_s", "slip", "modulation")
    }
    for i, label in enumerate(y):
        rpm = signal_rng.uniform(rpm_low, rpm_high)
        clean[i], details = _clean_segment(classes[label], rpm, length, float(fs), signal_rng)
        meta["rpm"][i] = rpm
        meta["shaft_hz"][i] = rpm / 60.0
        for key, value in details.items():
            meta[key][i] = value

    snr = snr_rng.uniform(snr_low, snr_high, size=n) if snr_high > snr_low else np.full(n, float(snr_low))
    noise = noise_rng.standard_normal((n, length))
    # Scale each row so that its measured power ratio is exactly the requested SNR.
    signal_power = np.mean(clean**2, axis=1)
    noise_power = np.mean(noise**2, axis=1)
    noise *= np.sqrt(signal_power / (noise_power * 10.0 ** (snr / 10.0)))[:, None]
    x = clean + noise
    meta["snr_db"] = snr

    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    out = [x[order].astype(np.float32), y[order]]
    if return_clean:
        out.append(clean[order].astype(np.float32))
    if return_meta:
        out.append({key: value[order] for key, value in meta.items()})
    return tuple(out)


def _memory_estimate(n: int, length: int, fs: float, rpm_high: float, classes: Sequence[str]) -> float:
    """Bytes :func:`bearing_signals` needs at its peak, estimated before anything is made.

    About seven float64-sized arrays of ``(n, length)`` (clean, noise, their sum, temporaries and
    the shuffled float32 copies), plus the impact train of one segment: ``count`` impacts, each a
    ringing ``window`` samples long, in about eight arrays of that size (times, indices, decay,
    sine, products). Floats, not ints: the estimate of an absurd request must not overflow.
    """
    per_value = 7 * 8
    orders = [FAULT_ORDERS[c] for c in classes if c != "normal"]
    impacts = 0.0
    if orders:
        fastest = max(orders) * rpm_high / 60.0  # impacts per second
        count = math.ceil(length / fs * fastest) + 2
        window = math.ceil(6 * _DECAY_S[1] * fs) + 1
        impacts = 8.0 * 8 * count * window
    return float(n) * length * per_value + impacts + 16.0 * 8 * length


def bearing_dataset(n_per_class: int, **kwargs) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`bearing_signals` as tensors ready for a 1D CNN.

    Parameters
    ----------
    n_per_class : int
        Segments per class.
    **kwargs
        Any argument of :func:`bearing_signals` except ``return_clean`` and ``return_meta``.

    Returns
    -------
    x : torch.Tensor
        float32, shape ``(n, 1, length)``: one input channel, the ``(N, C, L)`` layout of ``nn.Conv1d``.
    y : torch.Tensor
        int64 (long), shape ``(n,)``.

    Explained in the chapter "Training the multi-scale CNN on bearing vibrations".
    """
    for key in ("return_clean", "return_meta"):
        if key in kwargs:
            raise ValueError(
                f"bearing_dataset: expected no {key} argument (use bearing_signals), got {key}={kwargs[key]!r}"
            )
    x, y = bearing_signals(n_per_class, **kwargs)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def envelope_spectrum(x, fs: float = FS) -> tuple[np.ndarray, np.ndarray]:
    """Amplitude spectrum of the Hilbert envelope of ``x``.

    Impacts ring a resonance far above the fault frequency, so the plain spectrum shows the
    resonance; the envelope (magnitude of the analytic signal) follows the impacts, and its
    spectrum has peaks at the fault frequency and its harmonics.

    Parameters
    ----------
    x : array_like
        Shape ``(length,)`` or ``(..., length)``; the last axis is time.
    fs : float, default FS
        Sampling rate in Hz.

    Returns
    -------
    freqs : np.ndarray
        float64, shape ``(length // 2 + 1,)``, in Hz.
    amplitude : np.ndarray
        float64, shape ``(..., length // 2 + 1)``: single-sided amplitude, so an envelope
        component ``a cos(2 pi f t)`` shows as a peak of height about ``a`` at ``f``. The
        means of ``x`` and of the envelope are removed first, so there is no DC peak.

    Explained in the chapter "Training the multi-scale CNN on bearing vibrations".
    """
    name = "envelope_spectrum"
    check_number(name, "fs", fs, positive=True)
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
    try:
        x = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected x to be an array of numbers, got {type(x).__name__}") from None
    if x.ndim == 0 or x.shape[-1] < 2:
        raise ValueError(f"{name}: expected x with at least 2 samples on its last axis, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: expected finite values in x, got {np.sum(~np.isfinite(x))} NaN or infinite")
    length = x.shape[-1]
    spectrum = np.fft.fft(x - x.mean(axis=-1, keepdims=True), axis=-1)
    # The analytic signal keeps DC and Nyquist, doubles positive and drops negative frequencies.
    weights = np.zeros(length)
    weights[0] = 1.0
    half = (length + 1) // 2
    weights[1:half] = 2.0
    if length % 2 == 0:
        weights[length // 2] = 1.0
    envelope = np.abs(np.fft.ifft(spectrum * weights, axis=-1))
    envelope -= envelope.mean(axis=-1, keepdims=True)
    amplitude = np.abs(np.fft.rfft(envelope, axis=-1)) * (2.0 / length)
    return np.fft.rfftfreq(length, d=1.0 / fs), amplitude


def _clean_segment(cls: str, rpm: float, length: int, fs: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """One noise-free segment of class ``cls`` and the parameters drawn for it."""
    t = np.arange(length) / fs
    shaft = rpm / 60.0
    harmonics = sum(
        rng.uniform(low, high) * np.cos(2 * np.pi * k * shaft * t + rng.uniform(0, 2 * np.pi))
        for k, (low, high) in enumerate([(0.5, 1.0), (0.2, 0.6), (0.1, 0.4)], start=1)
    )
    rolling = _band_noise(length, fs, rng)
    details: dict[str, float] = {}
    if cls == "normal":
        # Shaft and rolling noise only; their shares vary so "normal" has no fixed spectrum.
        share_rolling = rng.uniform(0.1, 0.4)
        parts = [(harmonics, 1.0 - share_rolling), (rolling, share_rolling)]
    else:
        impacts, details = _impact_train(cls, shaft, t, fs, rng)
        share_harmonics = rng.uniform(0.1, 0.3)
        share_rolling = rng.uniform(0.02, 0.08)
        parts = [(harmonics, share_harmonics), (rolling, share_rolling), (impacts, 1 - share_harmonics - share_rolling)]
    # Give each part its power share, then scale the sum to the segment's RMS. A segment much
    # shorter than the fault period can miss every impact; a silent part is left out.
    segment = sum(part * math.sqrt(share / np.mean(part**2)) for part, share in parts if np.any(part))
    rms = math.exp(rng.uniform(math.log(_RMS_RANGE[0]), math.log(_RMS_RANGE[1])))
    return segment * (rms / math.sqrt(np.mean(segment**2))), details


def _band_noise(length: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise with a broad random spectral bump (rolling noise), unit power."""
    spectrum = np.fft.rfft(rng.standard_normal(length))
    freqs = np.fft.rfftfreq(length, 1.0 / fs)
    centre, width = rng.uniform(500.0, 4500.0), rng.uniform(500.0, 2000.0)
    noise = np.fft.irfft(spectrum * np.exp(-0.5 * ((freqs - centre) / width) ** 2), n=length)
    return noise / math.sqrt(np.mean(noise**2))


def _impact_train(
    cls: str, shaft: float, t: np.ndarray, fs: float, rng: np.random.Generator
) -> tuple[np.ndarray, dict]:
    """Impacts at the fault frequency, each ringing a damped resonance."""
    length = t.size
    fault = FAULT_ORDERS[cls] * shaft
    period = 1.0 / fault
    resonance = rng.uniform(*RESONANCE_HZ)
    decay = rng.uniform(*_DECAY_S)
    slip = rng.uniform(*_SLIP)
    # Start up to one period before t=0 so the segment opens inside a ringing, as a cut record would.
    first = -rng.uniform(0.0, period)
    count = int(math.ceil((t[-1] - first) / period)) + 1
    times = first + period * (np.arange(count) + slip * rng.standard_normal(count))
    # Defects are not identical from hit to hit: a mild random spread of impact strength.
    amplitude = np.exp(0.1 * rng.standard_normal(count))
    modulation = float("nan")
    carrier = {"inner_race": shaft, "ball": FAULT_ORDERS["cage"] * shaft}.get(cls)
    if carrier is not None:
        modulation = rng.uniform(0.4, 0.9)
        amplitude *= 1.0 + modulation * np.cos(2 * np.pi * carrier * times + rng.uniform(0, 2 * np.pi))
    # Only a short window per impact (6 time constants, after which < 0.3 % is left) is
    # computed, so one-second records cost no more per impact than short segments.
    window = int(math.ceil(6 * decay * fs)) + 1
    index = np.ceil(times * fs).astype(np.int64)[:, None] + np.arange(window)
    delay = index / fs - times[:, None]
    ringing = amplitude[:, None] * np.exp(-delay / decay) * np.sin(2 * np.pi * resonance * delay)
    inside = (index >= 0) & (index < length)
    train = np.bincount(index[inside], weights=ringing[inside], minlength=length)
    details = {"fault_hz": fault, "resonance_hz": resonance, "decay_s": decay, "slip": slip, "modulation": modulation}
    return train, details
