"""The parts of the one redactor, one job a module; `reverie.dreamer.redact` is its only entry.

- `spans`: a found credential as a character span, merging spans and replacing them by markers;
- `values`: whether a matched value is a credential rather than code, a path or a placeholder;
- `rules`: our own detectors (provider key formats, command-line passwords, passwords in prose);
- `assignments`: ``*_KEY=``/``"password": "…"`` style assignments;
- `encoded`: tokens split over lines and credentials encoded in base64;
- `matching`: running the rules over one text, whole or near its gate hits;
- `gates`: the necessary conditions the batch scan looks for, one per rule group;
- `prefilter`: the cheap test that lets clean text skip everything;
- `clipping`: cutting a long text to a head and a tail window.

The engine (kingfisher, batches, the verdict cache, the public functions) lives in
`reverie.dreamer.redact`; callers import from there, never from these modules.
"""
