"""The two scenarios beside pool-based sampling, on the same core pieces.

* :mod:`~activelab.scenarios.stream` — stream-based selective sampling, with its
  decision rules in :mod:`~activelab.scenarios.stream_rules`;
* :mod:`~activelab.scenarios.synthesis` — membership query synthesis.
"""

from . import stream, synthesis

__all__ = ["stream", "synthesis"]
