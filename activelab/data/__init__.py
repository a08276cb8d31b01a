"""Data: bundled data sets and file loaders, pools on disk, and stream generators.

* :mod:`~activelab.data.datasets` — ``load("digits")`` or a CSV / JSONL / Parquet / NPZ /
  svmlight file; the file readers are :mod:`~activelab.data.files`, the ``Dataset``
  record and the checks every loader ends with :mod:`~activelab.data.dataset`;
* :mod:`~activelab.data.sources` — rows on disk read a chunk at a time (``NpyRows``,
  ``ParquetRows``);
* :mod:`~activelab.data.streams` — seeded drifting streams and CSV files read in chunks.
"""
