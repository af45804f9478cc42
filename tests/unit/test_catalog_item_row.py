"""The row a unit of work's readers get of a catalog item holds every column of the model, so a
column added to CatalogItem cannot go missing from what admission and the operations read."""
from __future__ import annotations

from dataclasses import fields

from engine.persistence.models import CatalogItem
from engine.persistence.repositories import CatalogItemRow


def test_the_catalog_item_row_has_every_column_of_the_model():
    assert [f.name for f in fields(CatalogItemRow)] == [c.key for c in CatalogItem.__table__.columns]
