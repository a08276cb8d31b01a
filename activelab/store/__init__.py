"""Persistence for the labeling server: SQLAlchemy tables, migrations, the event log.

Needs the ``serve`` extra (``pip install 'activelab[serve]'``); ``import activelab`` never
imports this package.
"""

from .importer import ImportedItem, parse_items, read_items
from .store import LeasedItem, ProjectSettings, Store

__all__ = ["ImportedItem", "LeasedItem", "ProjectSettings", "Store", "parse_items", "read_items"]
