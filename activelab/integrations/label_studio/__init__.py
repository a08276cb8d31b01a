"""activelab as a Label Studio ML backend (``activelab ml-backend``, docs/label-studio.md).

=================  ======================================================================
``label_config``   which labeling interface a project's XML label config describes
``tasks``          a task's text, an annotation's label, a prediction's result, in LS JSON
``spans``          the token-level model for Labels over Text (named-entity style spans)
``learner``        training in the background and scoring every task by the strategy
``backend``        the projects one backend serves, kept in the store across restarts
``app``            the HTTP protocol: /health, /setup, /predict, /webhook, /versions
``cli``            the ``activelab ml-backend`` command
``client``         a small client of Label Studio's REST API (tests, benchmark, task sync)
=================  ======================================================================

Needs the ``serve`` extra (``pip install 'activelab[serve]'``).
"""
