"""One database transaction per use case: commit explicitly, roll back by default."""
from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    """Wraps one session; `commit()` must be called or everything is rolled back."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self.session: Session

    def __enter__(self) -> "UnitOfWork":
        self.session = self._factory()
        return self

    def __exit__(self, *exc_info) -> None:
        # Closing rolls back whatever was not committed.
        self.session.close()
        self.session.info.pop("pdw_sql", None)

    def commit(self) -> None:
        """Make everything written in this unit permanent."""
        self.session.commit()
        # The transaction's DBAPI cursor (engine.persistence.repository) ends with it.
        self.session.info.pop("pdw_sql", None)
