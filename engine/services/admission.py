"""What is refused at the door, before an application is received and a receipt number taken.

Each check reads data, never a process's name:
- the Measures' own validity (Art. 53, `[statute]` of rules.toml): nothing received before they
  came into force or after they expire is handled under them;
- the process property `catalogItemField` names the application field that must be the code of
  a catalog item; with `catalogItemOpen` = `true` the item must be open data (Art. 28 para. 2
  is an objection to *opened* data);
- a date field of the start form marked `"x-notPast": true` may not lie before the day of receipt
  (a requested end date already gone); a step's form is held to the same on the day of its
  decision (engine.services.tasks);
- the process property `relatedReceiptField` names the application field that, when given, must
  be the receipt number of an application the applicant may read (a dispute under Art. 47 para. 2
  cites the application it is about; someone else's application is not disclosed as existing).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from engine.calendar.statute import load_statute
from engine.errors import Conflict, Problem
from engine.persistence.repositories import catalog_item

OPEN_ATTRIBUTES = ("无条件开放", "有条件开放")


def check_in_force(received_on: date) -> None:
    """Refuse an application received when the Measures are not in force (Art. 53).

    Raises:
        Conflict: `application.measures_not_in_force`.
    """
    statute = load_statute()
    if not statute.in_force(received_on):
        raise Conflict("application.measures_not_in_force", received=received_on.isoformat(),
                       since=statute.in_force_from.isoformat(), until=statute.in_force_until.isoformat(),
                       article=statute.article)


def problems(session, properties: dict, schema: dict | None, data: dict, received_on: date,
             may_cite: Callable[[str], bool]) -> list[Problem]:
    """What is wrong with an application that its form alone cannot tell, one problem per field;
    `may_cite(number)` tells whether the applicant may read the application with that receipt number."""
    found = []
    related = properties.get("relatedReceiptField")
    number = data.get(related) if related else None
    if isinstance(number, str) and number and not may_cite(number):
        found.append(Problem("application.related_unknown", {"number": number}, field=related))
    field = properties.get("catalogItemField")
    code = data.get(field) if field else None
    if isinstance(code, str) and code:
        item = catalog_item(session, code)
        if item is None:
            found.append(Problem("application.catalog_item_unknown", {"code": code}, field=field))
        elif properties.get("catalogItemOpen") == "true" and item.open_attribute not in OPEN_ATTRIBUTES:
            found.append(Problem("application.catalog_item_not_open", {"code": code, "attribute": item.open_attribute},
                                 field=field))
    found += [Problem("application.date_past", {"date": data[name], "received": received_on.isoformat()},
                      field=name) for name in past_dates(schema, data, received_on)]
    return found


def past_dates(schema: dict | None, data: dict, today: date) -> list[str]:
    """The fields of `schema` marked `"x-notPast": true` whose date in `data` lies before `today`:
    a term that has already ended gives nothing (a requested end date gone, an approval whose
    sharing term ended before the decision)."""
    return [name for name, spec in ((schema or {}).get("properties") or {}).items()
            if isinstance(spec, dict) and spec.get("x-notPast") and isinstance(data.get(name), str)
            and _day(data[name]) and _day(data[name]) < today]


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
