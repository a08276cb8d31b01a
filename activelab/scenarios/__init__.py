"""The two scenarios beside pool-based sampling, on the same core pieces.

* :mod:`~activelab.scenarios.stream` — stream-based selective sampling, with its
  decision rules in :mod:`~activelab.scenarios.stream_rules`;
* :mod:`~activelab.scenarios.synthesis` — membership query synthesis, with its input space
  (:mod:`~activelab.scenarios.space`) and synthesisers
  (:mod:`~activelab.scenarios.synthesisers`).

Both train through :mod:`activelab.training`'s policies and fit step, and the synthesis
loop stops through :mod:`activelab.stopping`'s rules, as :class:`~activelab.ActiveLoop` does.
"""

from . import stream, synthesis

__all__ = ["stream", "synthesis"]
