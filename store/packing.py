"""Small rows deflated with a preset dictionary of what every such row repeats.

Why: an operation record or a proposal row is a few hundred bytes of JSON
whose keys, kinds and phrases recur in every row; zlib alone cannot find
them in a row that small, a preset dictionary holding them can. A packed
value starts with a short prefix naming its dictionary, so a dictionary is
never changed once rows are written with it: a better one gets a new prefix
and the old one stays readable.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from reverie.store.errors import StoreCorruptError


@dataclass(frozen=True)
class Packer:
    """Deflate (raw, level 9) with `dictionary`; packed bytes start with `prefix`."""

    prefix: bytes
    dictionary: bytes

    def pack(self, data: bytes) -> bytes:
        comp = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=self.dictionary)
        return self.prefix + comp.compress(data) + comp.flush()

    def packed(self, raw: bytes) -> bool:
        """Whether `raw` was packed by this packer (by its prefix)."""
        return raw.startswith(self.prefix)

    def unpack(self, raw: bytes) -> bytes:
        if not raw.startswith(self.prefix):
            raise StoreCorruptError(f"a packed row has an unknown format ({raw[:2]!r})")
        try:
            inflate = zlib.decompressobj(-15, zdict=self.dictionary)
            return inflate.decompress(raw[len(self.prefix) :]) + inflate.flush()
        except zlib.error as err:
            raise StoreCorruptError(f"a packed row is damaged: {err}") from None
