"""``activelab serve``: the labeling web app, with active learning in the loop.

Needs the ``serve`` extra (``pip install 'activelab[serve]'``); ``import activelab`` never
imports this package. See docs/server.md.
"""
