"""Counter-based uniforms for the draws of individual contacts.

A contact's journey needs a handful of random decisions (containment, misroute,
escalation, callback acceptance, whether and when it comes back...). To keep common
random numbers across policies these must not depend on the order in which events
happen, so they come from a keyed BLAKE2b hash of ``(issue, attempt, purpose)``: the
same customer gets the same draws whatever the routing. The key comes from the
replication's named stream ``"journeys"``. Each call yields 16 uniforms in (0, 1)
with 32-bit resolution.
"""

from __future__ import annotations

import hashlib
import struct

import numpy as np

from simcc.metrics.codes import Draw

UNIFORMS_PER_DRAW = 16
_SCALE = 2.0 ** -32
_HALF_STEP = 0.5 * _SCALE
_LAYOUT = struct.Struct(f"<{UNIFORMS_PER_DRAW}I")
_MESSAGE = struct.Struct("<qqq")

# Positions of the contact draws (purpose 0): plain ints of simcc.metrics.codes.Draw
(PATIENCE, HANDLE, RESOLUTION, WRAP, CONTAIN, SELF_SERVICE, MISROUTE, ESCALATE,
 CALLBACK_ACCEPT, FOLLOW, FOLLOW_DELAY, FOLLOW_CHANNEL, EXPLAIN, MISROUTE_TIME,
 OFFER_ACCEPT) = map(int, sorted(Draw))


class ContactDraws:
    """Uniforms of attempt ``attempt`` (0 = first contact) of issue ``issue_id``."""

    def __init__(self, generator: np.random.Generator):
        # The keyed hash state before any message; each draw continues a copy of it
        # (cheaper than keying a new hash, same digest).
        self._keyed = hashlib.blake2b(digest_size=64, key=generator.bytes(32))

    def __call__(self, issue_id: int, attempt: int, purpose: int = 0) -> list[float]:
        """16 uniforms in (0, 1) for one (issue, attempt, purpose): ``(x + 1/2) / 2^32``
        for the 16 32-bit words ``x`` of the hash (``x * 2^-32 + 2^-33``, exactly)."""
        keyed = self._keyed.copy()
        keyed.update(_MESSAGE.pack(issue_id, attempt, purpose))
        return [x * _SCALE + _HALF_STEP for x in _LAYOUT.unpack(keyed.digest())]
