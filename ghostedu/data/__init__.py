"""Generated data for the book: nothing is downloaded, every array is computed from a random seed.

* :mod:`ghostedu.data.bearing` -- vibration segments of a ball bearing (four classes, after the
  CWRU data), their fault frequencies and envelope spectra: the 1D chapters.
* :mod:`ghostedu.data.images` -- small pictures of shapes and stripes, and matplotlib's sample
  photograph: the 2D chapters.
"""

from .bearing import (
    CLASSES,
    FAULT_ORDERS,
    FS,
    RESONANCE_HZ,
    RPM_RANGE,
    SNR_DB_RANGE,
    bearing_dataset,
    bearing_signals,
    envelope_spectrum,
    fault_frequencies,
)
from .images import IMAGE_CLASSES, image_dataset, sample_photo, shapes_images

__all__ = [
    "CLASSES",
    "FS",
    "FAULT_ORDERS",
    "RPM_RANGE",
    "RESONANCE_HZ",
    "SNR_DB_RANGE",
    "fault_frequencies",
    "bearing_signals",
    "bearing_dataset",
    "envelope_spectrum",
    "IMAGE_CLASSES",
    "shapes_images",
    "image_dataset",
    "sample_photo",
]
