"""Store a new version of a blob as a small delta against its previous version.

Why: a one-line edit of a 48 KB CLAUDE.md used to store the whole file again
(plus the view nodes and rows around it). Most new versions share almost all
their bytes with the previous one: the file before the edit, the view map
node before one entry changed, the artifact before its body changed.

Format (all of it deflated raw, no zlib header):
    varint(len(common prefix)) varint(len(common suffix)) deflate(middle)
where the middle is compressed with the base's middle as a preset dictionary
(zlib keeps the last 32 KB of it), so text that moved or repeats inside the
changed region still costs little. Decoding is two slices and one small
inflate: reading a version through a chain of deltas stays as fast as
reading the whole blob.
"""

from __future__ import annotations

import zlib

WINDOW = 32768
"""zlib's window: only the last 32 KB of a preset dictionary can be referred to."""


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        n |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return n, pos
        shift += 7


def _common(base: bytes, data: bytes) -> tuple[int, int]:
    """Lengths of the common prefix and (non-overlapping) common suffix."""
    limit = min(len(base), len(data))
    lo, hi = 0, limit  # binary search on slices: C-speed comparisons
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if base[:mid] == data[:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    limit -= prefix
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if base[len(base) - mid :] == data[len(data) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return prefix, lo


def encode(base: bytes, data: bytes) -> bytes:
    """The delta that turns `base` into `data`."""
    prefix, suffix = _common(base, data)
    middle = data[prefix : len(data) - suffix]
    dictionary = base[prefix : len(base) - suffix][-WINDOW:]
    comp = zlib.compressobj(6, zlib.DEFLATED, -15, zdict=dictionary) if dictionary else zlib.compressobj(6, wbits=-15)
    return _varint(prefix) + _varint(suffix) + comp.compress(middle) + comp.flush()


def decode(base: bytes, delta: bytes) -> bytes:
    """`data` back from `base` and `encode(base, data)`."""
    prefix, pos = _read_varint(delta, 0)
    suffix, pos = _read_varint(delta, pos)
    dictionary = base[prefix : len(base) - suffix][-WINDOW:]
    inflate = zlib.decompressobj(-15, zdict=dictionary) if dictionary else zlib.decompressobj(-15)
    middle = inflate.decompress(delta[pos:]) + inflate.flush()
    return base[:prefix] + middle + base[len(base) - suffix :]
