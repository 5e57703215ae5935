"""Pure file-processing building blocks for SequenceHUB uploads.

Sequence metadata (FSEQ, ESEQ, XSQ), streaming checksums, virus scanning through clamd,
thumbnails and a small storage interface. Nothing here knows about queues or jobs.
"""

from sequencehub.files.errors import SequenceFormatError
from sequencehub.files.limits import SequenceLimits

__all__ = ["SequenceFormatError", "SequenceLimits"]
