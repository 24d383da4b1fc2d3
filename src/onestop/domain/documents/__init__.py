"""Documents citizens upload: the media types allowed, sniffed from bytes, and scrubbed.

* `onestop.domain.documents.media`: the allow-list of media types, sniffed from the
  first bytes by their magic numbers (never from a name or a declared type), the check
  that a declared type or a file name's extension agrees with the bytes, and file names
  made safe to keep as metadata.
* `onestop.domain.documents.scrub`: `Intake`, which reads an upload chunk by chunk,
  enforces the size limit, sniffs it, strips location and other metadata from images
  and checks that the file holds together and is not also a ZIP archive.

Pure Python: no libmagic, no imaging library, no I/O.
"""

from __future__ import annotations
