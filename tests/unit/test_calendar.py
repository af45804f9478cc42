"""The working-day calendar: 2025 and 2026 arrangements, period rules, local overrides, bad input."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import holidays
import pytest

from engine.calendar import CalendarError, DayEntry, Deadline, Notice, Rule, WorkingCalendar, load_rules
from engine.calendar.arrangements import SHIPPED_DIR, check_arrangement
from engine.config import Config
from engine.errors import InvalidInput

D = date


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


# Transcribed by hand from 国办发明电〔2024〕12号 and 国办发明电〔2025〕7号.
DAYS_OFF = {
    2025: [
        *_days(D(2025, 1, 1), D(2025, 1, 1)),
        *_days(D(2025, 1, 28), D(2025, 2, 4)),
        *_days(D(2025, 4, 4), D(2025, 4, 6)),
        *_days(D(2025, 5, 1), D(2025, 5, 5)),
        *_days(D(2025, 5, 31), D(2025, 6, 2)),
        *_days(D(2025, 10, 1), D(2025, 10, 8)),
    ],
    2026: [
        *_days(D(2026, 1, 1), D(2026, 1, 3)),
        *_days(D(2026, 2, 15), D(2026, 2, 23)),
        *_days(D(2026, 4, 4), D(2026, 4, 6)),
        *_days(D(2026, 5, 1), D(2026, 5, 5)),
        *_days(D(2026, 6, 19), D(2026, 6, 21)),
        *_days(D(2026, 9, 25), D(2026, 9, 27)),
        *_days(D(2026, 10, 1), D(2026, 10, 7)),
    ],
}
MAKE_UP_WORKDAYS = {
    2025: [D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)],
    2026: [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)],
}


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar.load()


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("day", DAYS_OFF[2025] + DAYS_OFF[2026], ids=str)
def test_every_day_off_of_2025_and_2026_is_not_a_working_day(calendar: WorkingCalendar, day: date) -> None:
    assert calendar.is_workday(day) is False


@pytest.mark.parametrize("day", MAKE_UP_WORKDAYS[2025] + MAKE_UP_WORKDAYS[2026], ids=str)
def test_every_make_up_weekend_day_of_2025_and_2026_is_a_working_day(calendar: WorkingCalendar, day: date) -> None:
    assert day.weekday() >= 5
    assert calendar.is_workday(day) is True


@pytest.mark.parametrize("year", [2025, 2026])
def test_year_entries_list_exactly_the_notice_days_with_their_local_source(calendar: WorkingCalendar, year: int) -> None:
    entries = calendar.year_entries(year)
    assert [entry.day for entry in entries if entry.kind == "day_off"] == sorted(DAYS_OFF[year])
    assert [entry.day for entry in entries if entry.kind == "make_up_workday"] == sorted(MAKE_UP_WORKDAYS[year])
    assert {entry.source for entry in entries} == {f"local:{year}.toml"}
    assert [entry.day for entry in entries] == sorted(entry.day for entry in entries)


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_other_day_of_2025_and_2026_follows_the_weekend(calendar: WorkingCalendar, year: int) -> None:
    special = set(DAYS_OFF[year]) | set(MAKE_UP_WORKDAYS[year])
    for day in _days(D(year, 1, 1), D(year, 12, 31)):
        if day not in special:
            assert calendar.is_workday(day) is (day.weekday() < 5), day


@pytest.mark.parametrize("year", [2025, 2026])
def test_shipped_arrangement_files_agree_with_the_holidays_package(calendar: WorkingCalendar, year: int) -> None:
    package = holidays.China(years=year)
    package_weekdays_off = {day for day in package if day.year == year and day.weekday() < 5}
    package_make_up = {day for day in package.weekend_workdays if day.year == year}
    entries = calendar.year_entries(year)
    local_weekdays_off = {entry.day for entry in entries if entry.kind == "day_off" and entry.day.weekday() < 5}
    assert local_weekdays_off == package_weekdays_off
    assert {entry.day for entry in entries if entry.kind == "make_up_workday"} == package_make_up
    # Every date the package lists must also be a day off in the file (weekend festival days included).
    assert {day for day in package if day.year == year} <= {entry.day for entry in entries if entry.kind == "day_off"}


def test_shipped_notices_cite_the_state_council_documents(calendar: WorkingCalendar) -> None:
    assert calendar.notice(2025) == Notice(
        2025, "国办发明电〔2024〕12号", "国务院办公厅关于2025年部分节假日安排的通知", D(2024, 11, 12), "local:2025.toml"
    )
    assert calendar.notice(2026) == Notice(
        2026, "国办发明电〔2025〕7号", "国务院办公厅关于2026年部分节假日安排的通知", D(2025, 11, 4), "local:2026.toml"
    )


@pytest.mark.parametrize(
    ("received", "n", "expected"),
    [
        # Spring Festival 2026: 2/13 (1), make-up Sat 2/14 (2), off 2/15-2/23, 2/24 (3), 2/25 (4), 2/26 (5).
        (D(2026, 2, 12), 5, D(2026, 2, 26)),
        # National Day 2026: 9/30 (1), off 10/1-10/7, 10/8 (2), 10/9 (3), make-up Sat 10/10 (4), 10/12 (5).
        (D(2026, 9, 29), 5, D(2026, 10, 12)),
        # Spring Festival 2025: make-up Sun 1/26 (1), 1/27 (2), off 1/28-2/4, 2/5 (3).
        (D(2025, 1, 24), 3, D(2025, 2, 5)),
        # National Day 2025: 9/28 Sun (1), 9/29 (2), 9/30 (3), off 10/1-10/8, 10/9 (4), 10/10 (5), Sat 10/11 (6).
        (D(2025, 9, 26), 5, D(2025, 10, 10)),
        (D(2025, 9, 26), 6, D(2025, 10, 11)),
        # New Year 2026 across the year end: off 1/1-1/3, make-up Sun 1/4 (1), 1/5 (2).
        (D(2025, 12, 31), 2, D(2026, 1, 5)),
        # An ordinary week: receipt Monday, 5 working days end the next Monday.
        (D(2026, 3, 9), 5, D(2026, 3, 16)),
    ],
)
def test_working_day_periods_skip_holiday_weeks_and_count_make_up_days(
    calendar: WorkingCalendar, received: date, n: int, expected: date
) -> None:
    assert calendar.add_working_days(received, n) == expected
    assert calendar.deadline(received, working_days=n).due_date == expected


def test_a_make_up_saturday_counts_as_a_working_day(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(D(2026, 2, 26), 2) == D(2026, 2, 28)
    assert calendar.add_working_days(D(2026, 2, 27), 1) == D(2026, 2, 28)


def test_receipt_on_a_saturday_makes_the_next_monday_day_one(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(D(2026, 3, 7), 1) == D(2026, 3, 9)
    assert calendar.add_working_days(D(2026, 3, 7), 5) == D(2026, 3, 13)


def test_receipt_on_a_holiday_counts_from_the_first_working_day_after_it(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(D(2026, 10, 3), 1) == D(2026, 10, 8)


@pytest.mark.parametrize(
    ("received", "n", "expected"),
    [
        (D(2026, 9, 30), 1, D(2026, 10, 8)),  # ends on National Day
        (D(2026, 1, 22), 30, D(2026, 2, 24)),  # ends on Sat 2/21 inside the Spring Festival
        (D(2026, 3, 1), 6, D(2026, 3, 9)),  # ends on an ordinary Saturday
        (D(2026, 2, 18), 10, D(2026, 2, 28)),  # ends on a make-up Saturday: stays
        (D(2026, 3, 2), 3, D(2026, 3, 5)),  # ends on a working day: stays
    ],
)
def test_calendar_day_periods_ending_on_a_day_off_move_to_the_next_working_day(
    calendar: WorkingCalendar, received: date, n: int, expected: date
) -> None:
    assert calendar.add_days(received, n) == expected
    assert calendar.deadline(received, days=n).due_date == expected


def test_correction_reply_rule_is_thirty_calendar_days_rolled_forward(calendar: WorkingCalendar) -> None:
    # 2026-09-05 + 30 days = 2026-10-05, inside National Day; the next working day is 10-08.
    deadline = calendar.deadline(D(2026, 9, 5), rule=load_rules()["art16_correction_reply"])
    assert (deadline.due_date, deadline.rule_id, deadline.article) == (D(2026, 10, 8), "art16_correction_reply", "第十六条第二款")


@pytest.mark.parametrize(
    ("received", "base", "extended"),
    [
        # Base 2026-02-26; then 2/27 (1), Sat 2/28 (2), 3/2 (3), 3/3 (4), 3/4 (5).
        (D(2026, 2, 12), D(2026, 2, 26), D(2026, 3, 4)),
        # Base 2026-10-12; then 10/13, 10/14, 10/15, 10/16, 10/19.
        (D(2026, 9, 29), D(2026, 10, 12), D(2026, 10, 19)),
    ],
)
def test_an_extension_counts_on_from_the_original_deadline(
    calendar: WorkingCalendar, received: date, base: date, extended: date
) -> None:
    rules = load_rules()
    assert calendar.deadline(received, rule=rules["art20_share_reply"], rules=rules).due_date == base
    deadline = calendar.deadline(received, rule=rules["art20_share_extension"], rules=rules)
    assert deadline.due_date == extended
    assert (deadline.rule_id, deadline.article) == ("art20_share_extension", "第二十条第二款")


def test_an_extension_rule_resolves_its_base_from_the_shipped_rules_when_none_are_given(calendar: WorkingCalendar) -> None:
    extension = load_rules()["art20_share_extension"]
    assert calendar.deadline(D(2026, 2, 12), rule=extension).due_date == D(2026, 3, 4)


def test_deadline_ends_at_midnight_beijing_expressed_in_utc(calendar: WorkingCalendar) -> None:
    deadline = calendar.deadline(D(2026, 2, 12), working_days=5)
    assert deadline.due_at == datetime(2026, 2, 26, 16, 0, tzinfo=timezone.utc)
    assert deadline.due_at.utcoffset() == timedelta(0)


def test_deadline_to_dict_is_json_ready_with_rule_article_and_basis(calendar: WorkingCalendar) -> None:
    payload = calendar.deadline(D(2026, 2, 12), rule=load_rules()["art27_open_reply"]).to_dict()
    assert payload["due_date"] == "2026-02-26"
    assert payload["due_at"] == "2026-02-26T16:00:00+00:00"
    assert payload["provisional"] is False
    assert (payload["rule"], payload["article"]) == ("art27_open_reply", "第二十七条第二款")
    assert [notice["notice"] for notice in payload["basis"]] == ["国办发明电〔2025〕7号"]


def test_2027_is_provisional_while_2026_and_2024_are_official(calendar: WorkingCalendar) -> None:
    assert calendar.is_provisional(2027) is True
    assert calendar.is_provisional(2026) is False
    assert calendar.is_provisional(2024) is False
    assert calendar.notice(2027).source == "provisional"
    assert calendar.notice(2024).source == "holidays package"


def test_package_years_use_the_package_arrangement(calendar: WorkingCalendar) -> None:
    assert calendar.is_workday(D(2024, 2, 4)) is True  # Sunday make-up day for the 2024 Spring Festival
    assert calendar.is_workday(D(2024, 10, 7)) is False
    assert {entry.source for entry in calendar.year_entries(2024)} == {"holidays package"}


def test_a_deadline_reaching_into_2027_is_provisional_and_cites_both_years(calendar: WorkingCalendar) -> None:
    deadline = calendar.deadline(D(2026, 12, 28), working_days=10)
    assert deadline.provisional is True
    assert [(notice.year, notice.source) for notice in deadline.basis] == [(2026, "local:2026.toml"), (2027, "provisional")]


def test_provisional_years_still_skip_weekends_and_statutory_festival_days(calendar: WorkingCalendar) -> None:
    assert calendar.is_workday(D(2027, 1, 1)) is False  # 元旦, a Friday
    assert calendar.is_workday(D(2027, 1, 2)) is False  # Saturday
    assert calendar.is_workday(D(2027, 1, 4)) is True


def test_a_local_file_declaring_an_extra_day_off_moves_the_deadline(tmp_path: Path) -> None:
    shipped = (SHIPPED_DIR / "2026.toml").read_text(encoding="utf-8")
    _write(tmp_path, "2026-dazhou.toml", shipped + '\n[[days_off]]\ndate = 2026-03-02\nname = "本地加放"\n')
    assert WorkingCalendar.load().add_working_days(D(2026, 2, 28), 1) == D(2026, 3, 2)
    local = WorkingCalendar.load(extra_dir=tmp_path)
    assert local.add_working_days(D(2026, 2, 28), 1) == D(2026, 3, 3)
    assert local.notice(2026).source == "local:2026-dazhou.toml"
    assert DayEntry(D(2026, 3, 2), "day_off", "本地加放", "local:2026-dazhou.toml") in local.year_entries(2026)


def test_the_arrangements_env_var_names_the_extra_folder(tmp_path: Path) -> None:
    shipped = (SHIPPED_DIR / "2026.toml").read_text(encoding="utf-8")
    _write(tmp_path, "2026.toml", shipped + '\n[[days_off]]\ndate = 2026-03-02\nname = "本地加放"\n')
    local = WorkingCalendar.load(Config.from_env({"PDW_ARRANGEMENTS_DIR": str(tmp_path)}).arrangements_dir)
    assert local.deadline(D(2026, 2, 28), working_days=1).due_date == D(2026, 3, 3)
    shipped_only = WorkingCalendar.load(Config.from_env({}).arrangements_dir)
    assert shipped_only.deadline(D(2026, 2, 28), working_days=1).due_date == D(2026, 3, 2)


def _notice(year: int, number: str = "国办发明电〔2026〕99号") -> str:
    return (f'year = {year}\nnotice = "{number}"\ntitle = "国务院办公厅关于{year}年部分节假日安排的通知"\n'
            f"published = {year - 1}-11-01\n")


def test_a_local_file_replaces_the_package_year_entirely(tmp_path: Path) -> None:
    _write(tmp_path, "2026.toml", _notice(2026) + '[[days_off]]\ndate = 2026-03-02\nname = "only"\n')
    local = WorkingCalendar.load(extra_dir=tmp_path)
    assert local.is_workday(D(2026, 10, 1)) is True
    assert local.is_workday(D(2026, 2, 28)) is False
    assert local.is_workday(D(2026, 3, 2)) is False


def test_a_2027_local_file_makes_2027_official(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "2027.toml",
        _notice(2027, "国办发明电〔2026〕1号") +
        '[[days_off]]\ndate = 2027-01-01\nname = "元旦"\n'
        '[[make_up_workdays]]\ndate = 2027-01-02\nname = "元旦调休上班"\n',
    )
    local = WorkingCalendar.load(extra_dir=tmp_path)
    assert local.is_provisional(2027) is False
    assert local.notice(2027).notice == "国办发明电〔2026〕1号"
    assert local.is_workday(D(2027, 1, 2)) is True
    deadline = local.deadline(D(2026, 12, 30), working_days=2)
    assert (deadline.due_date, deadline.provisional) == (D(2027, 1, 2), False)


def test_a_later_file_overrides_an_earlier_one_for_the_same_year(tmp_path: Path) -> None:
    _write(tmp_path, "a.toml", _notice(2027) + '[[days_off]]\ndate = 2027-03-01\nname = "a"\n')
    _write(tmp_path, "b.toml", _notice(2027) + '[[days_off]]\ndate = 2027-03-02\nname = "b"\n')
    local = WorkingCalendar.load(extra_dir=tmp_path)
    assert (local.is_workday(D(2027, 3, 1)), local.is_workday(D(2027, 3, 2))) == (True, False)


def test_a_notice_moving_days_across_new_year_changes_the_year_before_and_is_cited(tmp_path: Path) -> None:
    # As the 2008 notice did: the New Year holiday begins on 30 December of the year before.
    _write(tmp_path, "2027.toml", _notice(2027) +
           '[[days_off]]\ndate = 2026-12-31\nname = "元旦"\n[[days_off]]\ndate = 2027-01-01\nname = "元旦"\n'
           '[[make_up_workdays]]\ndate = 2027-01-09\nname = "元旦调休上班"\n')
    local = WorkingCalendar.load(extra_dir=tmp_path)
    assert local.is_workday(D(2026, 12, 31)) is False  # a Thursday, working by the 2026 notice
    assert local.is_workday(D(2027, 1, 9)) is True  # a Saturday
    assert DayEntry(D(2026, 12, 31), "day_off", "元旦", "local:2027.toml") in local.year_entries(2026)
    # 12-29, 12-30 count; 12-31 and 01-01 are off; 01-02 and 01-03 are a weekend.
    deadline = local.deadline(D(2026, 12, 28), working_days=3)
    assert deadline.due_date == D(2027, 1, 4)
    assert [(n.year, n.source) for n in deadline.basis] == [(2026, "local:2026.toml"), (2027, "local:2027.toml")]
    within_2026 = local.deadline(D(2026, 12, 28), working_days=2)
    assert [n.year for n in within_2026.basis] == [2026, 2027]


def _problems(text: str) -> list[str]:
    arrangement, problems = check_arrangement(text, "2027.toml")
    assert arrangement is None
    return [str(problem) for problem in problems]


def test_every_problem_of_an_arrangement_is_reported_with_its_line_and_field() -> None:
    text = ("year = 2027\n"                                   # 1
            'title = "国务院办公厅关于2027年部分节假日安排的通知"\n'  # 2
            "[[days_off]]\n"                                  # 3
            "date = 2027-02-10\n"                             # 4
            'name = "春节"\n'                                  # 5
            "[[days_off]]\n"                                  # 6
            "date = 2028-03-01\n"                             # 7
            'name = "错年"\n'                                  # 8
            "[[days_off]]\n"                                  # 9
            "date = 2027-02-10\n"                             # 10
            'name = "重复"\n'                                  # 11
            "[[make_up_workdays]]\n"                          # 12
            "date = 2027-02-10\n"                             # 13
            'name = "又休又上班"\n'                             # 14
            "[[make_up_workdays]]\n"                          # 15
            "date = 2027-02-17\n"                             # 16
            "[[make_up_workdays]]\n"                          # 17
            'date = "2027-02-20"\n'                           # 18
            'name = "引号"\n'                                  # 19
            'holiday = "x"\n')                                # 20
    assert _problems(text) == [
        "2027.toml: notice: the notice number is missing (e.g. 国办发明电〔2025〕7号)",
        "2027.toml: published: the notice's date is missing (e.g. published = 2025-11-04)",
        "2027.toml:7: days_off[2].date: 2028-03-01 is neither in 2027 nor at the turn of the year next to it",
        "2027.toml:10: days_off[3].date: 2027-02-10 is already listed on line 4",
        "2027.toml:13: make_up_workdays[1].date: 2027-02-10 is both a day off and a make-up working day (see line 4)",
        "2027.toml:15: make_up_workdays[2].name: the name is missing (e.g. 春节)",
        "2027.toml:16: make_up_workdays[2].date: 2027-02-17 is a Wednesday; a make-up working day falls on a weekend",
        "2027.toml:17: make_up_workdays[3].holiday: unknown field 'holiday'",
        "2027.toml:18: make_up_workdays[3].date: the date is missing or not a date such as 2027-01-01 (without quotes)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("year = 1900\n", "2027.toml:1: year: year must be a whole number from 1950 to 2200"),
        ("year = = 2027\n", "2027.toml:1: not valid TOML: Invalid value"),
        ('year = 2027\nnotice = "x"\ntitle = "y"\npublished = "2026-11-01"\n',
         "2027.toml:4: published: published 2026-11-01 is not a date such as 2025-11-04"),
        ('year = 2027\nnotice = "x"\ntitle = "y"\npublished = 2026-11-01\n',
         "2027.toml: days_off: the arrangement lists no day off"),
        ('year = 2027\nnotice = "x"\ntitle = "y"\npublished = 2026-11-01\ndays_off = "2027-01-01"\n',
         "2027.toml:5: days_off: days_off must be an array of tables ([[days_off]])"),
    ],
)
def test_a_malformed_arrangement_names_the_problem(text: str, expected: str) -> None:
    assert expected in _problems(text)


def test_a_notice_nested_past_four_levels_is_refused_before_it_is_parsed() -> None:
    # tomllib recurses once per bracket: 100,000 of them exhausted the stack (a traceback, a 500).
    assert _problems("year = 2027\nx = " + "[" * 100_000) == [
        "2027.toml: the file nests deeper than 4 levels; a notice has one level of tables ([[days_off]])"]
    # Brackets inside strings and comments are text, not nesting.
    sound = _notice(2027) + '# [[[[[[\n[[days_off]]\ndate = 2027-01-01\nname = "元旦 \\" [[[[[[ \u0027[[["\n'
    assert check_arrangement(sound, "2027.toml")[1] == []


def test_a_notice_with_more_days_off_than_any_year_has_is_refused() -> None:
    every_day = "".join(f'[[days_off]]\ndate = {day.isoformat()}\nname = "休"\n'
                        for day in _days(D(2027, 1, 1), D(2027, 12, 31)))
    assert _problems(_notice(2027) + every_day) == [
        "2027.toml: days_off: 365 days off listed, more than the usual 45 (13 statutory holidays with the "
        "weekends moved around them); check the notice"]
    at_most = "".join(f'[[days_off]]\ndate = {day.isoformat()}\nname = "休"\n'
                      for day in _days(D(2027, 1, 1), D(2027, 2, 14)))
    assert check_arrangement(_notice(2027) + at_most, "2027.toml")[1] == []


@pytest.mark.parametrize("character", ["\\n", "\\r", "\\t", "\\u001b", "\\u0085", "\\u2028"])
def test_control_characters_in_a_notice_title_number_or_day_name_are_refused(character: str) -> None:
    text = (f'year = 2027\nnotice = "国办发明电{character}99号"\ntitle = "通知{character}伪造的一行"\n'
            f'published = 2026-11-01\n[[days_off]]\ndate = 2027-01-01\nname = "元旦{character}"\n')
    assert _problems(text) == [
        "2027.toml:2: notice: notice holds a control character (a newline, a tab, ...)",
        "2027.toml:3: title: title holds a control character (a newline, a tab, ...)",
        "2027.toml:7: days_off[1].name: days_off[1].name holds a control character (a newline, a tab, ...)",
    ]


def test_a_malformed_local_file_is_refused_with_its_name(tmp_path: Path) -> None:
    _write(tmp_path, "bad.toml", "year = 2026\n[[days_off]]\ndate = 2025-03-02\n")
    with pytest.raises(InvalidInput) as raised:
        WorkingCalendar.load(extra_dir=tmp_path)
    assert raised.value.code == "calendar.arrangement_invalid"
    assert "bad.toml:3: days_off[1].date: 2025-03-02 is neither in 2026" in str(raised.value)


def test_every_shipped_file_is_a_sound_arrangement() -> None:
    for path in sorted(SHIPPED_DIR.glob("*.toml")):
        assert check_arrangement(path.read_text(encoding="utf-8"), path.name)[1] == []


def test_a_missing_extra_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="does not exist"):
        WorkingCalendar.load(extra_dir=tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 2, 12), D(2026, 2, 26), 5),
        (D(2026, 2, 26), D(2026, 2, 12), -5),
        (D(2026, 2, 12), D(2026, 2, 12), 0),
        (D(2025, 12, 31), D(2026, 1, 5), 2),
        (D(2026, 10, 1), D(2026, 10, 7), 0),
        # Each year: 261 weekdays; 2025 has 18 weekday days off and 5 make-up days, 2026 19 and 6.
        (D(2024, 12, 31), D(2026, 12, 31), 248 + 248),
    ],
)
def test_working_days_between_counts_the_half_open_interval(
    calendar: WorkingCalendar, start: date, end: date, expected: int
) -> None:
    assert calendar.working_days_between(start, end) == expected


def test_working_days_between_inverts_add_working_days(calendar: WorkingCalendar) -> None:
    for offset in range(0, 800, 7):
        start = D(2025, 1, 1) + timedelta(days=offset)
        for n in (1, 5, 10, 300):
            assert calendar.working_days_between(start, calendar.add_working_days(start, n)) == n


def test_add_working_days_matches_a_day_by_day_walk_with_the_package(calendar: WorkingCalendar) -> None:
    package = holidays.China(years=range(2024, 2028))
    for offset in range(0, 1000, 11):
        start = D(2024, 1, 1) + timedelta(days=offset)
        day, counted = start, 0
        while counted < 7:
            day += timedelta(days=1)
            counted += package.is_working_day(day)
        assert calendar.add_working_days(start, 7) == day, start


@pytest.mark.parametrize("n", [0, -1])
def test_a_period_below_one_is_rejected(calendar: WorkingCalendar, n: int) -> None:
    with pytest.raises(CalendarError, match="at least 1"):
        calendar.add_working_days(D(2026, 1, 5), n)
    with pytest.raises(CalendarError, match="at least 1"):
        calendar.add_days(D(2026, 1, 5), n)
    with pytest.raises(CalendarError, match="at least 1"):
        calendar.deadline(D(2026, 1, 5), working_days=n)


@pytest.mark.parametrize("day", [D(1949, 12, 31), D(2201, 1, 1)])
def test_a_year_outside_1950_to_2200_is_rejected(calendar: WorkingCalendar, day: date) -> None:
    with pytest.raises(CalendarError, match="outside the calendar's range 1950..2200"):
        calendar.is_workday(day)
    with pytest.raises(CalendarError, match="outside"):
        calendar.notice(day.year)


def test_a_period_running_past_2200_is_rejected(calendar: WorkingCalendar) -> None:
    with pytest.raises(CalendarError, match="2201"):
        calendar.add_working_days(D(2200, 12, 20), 30)


@pytest.mark.parametrize("periods", [{}, {"working_days": 5, "days": 5}])
def test_deadline_needs_exactly_one_period(calendar: WorkingCalendar, periods: dict) -> None:
    with pytest.raises(CalendarError, match="exactly one"):
        calendar.deadline(D(2026, 1, 5), **periods)


def test_an_unknown_rule_is_rejected(calendar: WorkingCalendar) -> None:
    with pytest.raises(CalendarError, match="unknown rule 'art99'"):
        calendar.deadline(D(2026, 1, 5), rule="art99")
    orphan = Rule("orphan", 5, "working_days", "第一条", "孤儿", "Orphan", "missing", True)
    with pytest.raises(CalendarError, match="extends unknown rule 'missing'"):
        calendar.deadline(D(2026, 1, 5), rule=orphan, rules={"orphan": orphan})


def test_shipped_rules_carry_periods_units_and_articles() -> None:
    rules = load_rules()
    assert {rule_id: (rule.period, rule.unit, rule.article, rule.extends, rule.statutory) for rule_id, rule in rules.items()} == {
        "art16_correction_reply": (30, "days", "第十六条第二款", None, True),
        "art20_share_reply": (5, "working_days", "第二十条第二款", None, True),
        "art20_share_extension": (5, "working_days", "第二十条第二款", "art20_share_reply", True),
        "art27_open_reply": (5, "working_days", "第二十七条第二款", None, True),
        "art28_objection_measures": (10, "working_days", "第二十八条第二款", None, True),
        "internal_source_opinion": (3, "working_days", "第二十条第二款（征求数据提供单位意见，内部时限）", None, False),
        "round_art19_assessment": (20, "working_days", "第十九条第二款、第二十五条（定期更新；《办法》未规定期限，内部时限）",
                                   None, False),
        "round_art21_art26_lists": (30, "working_days", "第二十一条、第二十六条（定期编制；《办法》未规定期限，内部时限）",
                                    None, False),
        "round_art44_risk_assessment": (20, "working_days", "第四十四条第三款（定期开展；《办法》未规定期限，内部时限）",
                                        None, False),
    }
    assert all(rule.title_zh and rule.title_en for rule in rules.values())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[rules]]\nid = "a"\nperiod = 5\nunit = "working_days"\narticle = "x"\ntitle_zh = "x"\ntitle_en = "x"\nextends = "b"\n',
         "extends unknown rule 'b'"),
        ('[[rules]]\nid = "a"\nperiod = 0\nunit = "working_days"\narticle = "x"\ntitle_zh = "x"\ntitle_en = "x"\n', "period"),
        ('[[rules]]\nid = "a"\nperiod = 5\nunit = "weeks"\narticle = "x"\ntitle_zh = "x"\ntitle_en = "x"\n', "unit"),
        ('[[rules]]\nid = "a"\nperiod = 5\nunit = "days"\ntitle_zh = "x"\ntitle_en = "x"\n', "article"),
        ('[[rules]]\nid = "a"\nperiod = 5\nunit = "days"\narticle = "x"\ntitle_zh = "x"\ntitle_en = "x"\nextends = "a"\n', "cycle"),
    ],
)
def test_load_rules_rejects_malformed_rules(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "rules.toml", text)
    with pytest.raises(CalendarError, match=message):
        load_rules(path)


def test_deadline_is_a_frozen_value(calendar: WorkingCalendar) -> None:
    deadline = calendar.deadline(D(2026, 2, 12), working_days=5)
    assert isinstance(deadline, Deadline)
    with pytest.raises(AttributeError):
        deadline.due_date = D(2026, 1, 1)  # type: ignore[misc]


def test_a_rule_counts_from_receipt_unless_it_says_it_counts_from_the_task() -> None:
    rules = load_rules()
    assert rules["art20_share_reply"].counts_from == "receipt"
    assert rules["internal_source_opinion"].counts_from == "task"


@pytest.mark.parametrize("extra, message", [
    ('counts_from = "tomorrow"', "counts_from must be 'receipt' or 'task'"),
    ('counts_from = "task"\nextends = "base"', "a rule that extends another counts from its deadline"),
])
def test_a_bad_counts_from_is_refused(tmp_path, extra: str, message: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[rules]]\nid = "base"\nperiod = 5\nunit = "working_days"\narticle = "a"\ntitle_zh = "z"\ntitle_en = "e"\n\n'
        f'[[rules]]\nid = "odd"\nperiod = 3\nunit = "working_days"\narticle = "a"\ntitle_zh = "z"\ntitle_en = "e"\n'
        f'{extra}\n', encoding="utf-8")
    with pytest.raises(CalendarError, match=message):
        load_rules(path)
