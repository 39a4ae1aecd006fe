"""Resampling any stretch of a clip on its own, with the same result as resampling the whole clip.

The renderer needs a few seconds of a long speech clip at a time at the programme rate. Each
output sample of a polyphase resampler depends only on the input samples under its filter, so a
slice computed from those inputs (plus the filter's reach on either side) equals the same slice of
`scipy.signal.resample_poly` applied to the whole clip, and block boundaries leave no trace.
"""

from __future__ import annotations

from functools import cache
from math import gcd

import numpy as np
from scipy.signal import firwin, resample_poly

from producer.models import Samples


class Resampler:
    """Resample from `src_rate` to `dst_rate` exactly as `resample_poly(x, up, down)` does."""

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        common = gcd(src_rate, dst_rate)
        self.up, self.down = dst_rate // common, src_rate // common
        # resample_poly's own default filter, designed once instead of on every call.
        widest = max(self.up, self.down)
        self.half_len = 10 * widest
        if not self.identity:
            self._filter = firwin(2 * self.half_len + 1, 1.0 / widest, window=("kaiser", 5.0))

    @property
    def identity(self) -> bool:
        return self.up == self.down

    def frames(self, src_frames: int) -> int:
        """Length of the resampled clip: ceil(src_frames * up / down), as resample_poly gives."""
        return -(-src_frames * self.up // self.down)

    def slice(self, x: Samples, start: int, stop: int) -> Samples:
        """Output samples [start, stop) of the whole of `x` resampled."""
        if self.identity:
            return x[start:stop]
        up, down = self.up, self.down
        # Output m sits at input time m*down/up; the filter reaches half_len/up input samples
        # either way. The first input must be a multiple of `down` so the local output grid
        # lines up with the global one.
        first = max(0, (start * down - self.half_len) // up)
        first -= first % down
        last = min(len(x), -(-(stop * down + self.half_len) // up) + 1)
        local = resample_poly(x[first:last], up, down, window=self._filter)
        offset = first * up // down
        return local[start - offset : stop - offset].astype(np.float32, copy=False)


@cache
def resampler(src_rate: int, dst_rate: int) -> Resampler:
    """A shared resampler per pair of rates: its filter is designed once."""
    return Resampler(src_rate, dst_rate)
