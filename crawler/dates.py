"""Publication dates: ISO 8601 strings with a time zone, from whatever a page offers.

Indonesian pages write dates as "Kamis, 14 November 2024 10:30 WIB"; the zone
words map to offsets (WIB +07:00, WITA +08:00, WIT +09:00). Machine-readable
dates (ISO 8601, RFC 822) are parsed as they are; the language-aware parsing
of month and day names is left to ``dateparser``.

``indonesian_time`` reads a stored ``published`` value the way every later
stage shows and files it: in the article's own Indonesian zone (WIB, WITA or
WIT), else in WIB (Asia/Jakarta); a time without an offset is Jakarta time;
a date without a time stays a date. Its ``day`` is the Indonesian calendar
day of publication, which facets, date filters and the timeline use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

WIB = timezone(timedelta(hours=7))
ZONES = {"WIB": WIB, "WITA": timezone(timedelta(hours=8)), "WIT": timezone(timedelta(hours=9))}
ZONE_NAMES = {zone.utcoffset(None): name for name, zone in ZONES.items()}

_ZONE_WORD = re.compile(r"\b(WIB|WITA|WIT)\b", re.I)
_MONTHS = (
    r"(?:jan(?:uari|uary)?|feb(?:ruari|ruary)?|mar(?:et|ch)?|apr(?:il)?|mei|may|jun[ei]?|"
    r"jul[iy]?|ag(?:ustus|t)|aug(?:ust)?|sep(?:tember|t)?|okt(?:ober)?|oct(?:ober)?|"
    r"nov(?:ember)?|des(?:ember)?|dec(?:ember)?)"
)
_DAYS = r"(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad)"
# "Kamis, 14 November 2024 10:30 WIB", "14 Nov 2024, 10:30", "Rabu 04 Nov 2015 | 21:04"
TEXT_DATE = re.compile(
    rf"(?:{_DAYS},?\s*)?\b\d{{1,2}}\s+{_MONTHS}\.?,?\s+\d{{4}}"
    r"(?:\s*[,|-]?\s*(?:at\s+|pukul\s+)?\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)?"
    r"(?:\s*(?:WIB|WITA|WIT)\b)?",
    re.I,
)
# "12:23 am Jun 19, 2015", "Jun 19, 2015" (English-language outlets)
ENGLISH_DATE = re.compile(
    rf"(?:\b\d{{1,2}}:\d{{2}}\s*[ap]m\s+)?\b{_MONTHS}\.?\s+\d{{1,2}},?\s+\d{{4}}"
    r"(?:,?\s+\d{1,2}:\d{2}\s*(?:[ap]m)?)?",
    re.I,
)
# "14/11/2024 10:30 WIB" (day first, as Indonesian pages write it)
NUMERIC_DATE = re.compile(
    r"\b\d{1,2}([/-])\d{1,2}\1\d{4}(?:\s*[,|-]?\s*\d{1,2}[:.]\d{2}(?::\d{2})?)?"
    r"(?:\s*(?:WIB|WITA|WIT)\b)?"
)
_URL_DATE = [
    re.compile(r"/(?P<y>(?:19|20)\d\d)/(?P<m>[01]\d)/(?P<d>[0-3]\d)(?:/|$)"),
    re.compile(r"/(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?:/|$|-)"),
    re.compile(r"/(?P<y>\d\d)/(?P<m>[01]\d)/(?P<d>[0-3]\d)/"),
    re.compile(r"[/-](?P<y>(?:19|20)\d\d)(?P<m>[01]\d)(?P<d>[0-3]\d)(?:\d{4,})?(?:[/-]|\.html|$)"),
]


def to_iso(moment: datetime) -> str:
    """An ISO 8601 string, to the second, with the offset when there is one."""
    return moment.replace(microsecond=0).isoformat()


def _from_iso(value: str) -> datetime | None:
    value = value.strip().replace(" T", "T")
    value = re.sub(r"([+-]\d\d:?\d\d)Z$", r"\1", value)  # "+07:00Z" seen in the wild
    value = re.sub(r"Z$", "+00:00", value)
    value = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", value)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _from_rfc822(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _from_words(value: str, tz: timezone) -> datetime | None:
    """Dates in words (Indonesian or English), day before month."""
    import dateparser  # slow to import: only the crawler's normalisers read dates in words

    zone = _ZONE_WORD.search(value)
    text = re.sub(rf"^\s*{_DAYS}\s*,?", "", value, flags=re.I)
    text = _ZONE_WORD.sub("", text).replace("|", " ").replace("pukul", " ").replace(" at ", " ")
    text = re.sub(r"^(\d{1,2})-(\d{1,2})-(\d{4})", r"\1/\2/\3", text)
    text = re.sub(r"(\d{1,2})\.(\d{2})\b", r"\1:\2", text)
    parsed = dateparser.parse(
        text,
        languages=["id", "en"],
        settings={"DATE_ORDER": "DMY", "PREFER_DAY_OF_MONTH": "first", "STRICT_PARSING": False},
    )
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZONES[zone.group(1).upper()] if zone else tz)
    return parsed


def parse_date(value: str | None, tz: timezone = WIB) -> datetime | None:
    """A datetime from an ISO, RFC 822 or worded date; naive times are taken in ``tz``."""
    if not value or not value.strip() or len(value) > 120:
        return None
    value = value.strip()
    parsed = _from_iso(value)
    if parsed is None and re.match(r"^[A-Za-z]{3},? \d", value):
        parsed = _from_rfc822(value)
    if parsed is None and re.search(r"[A-Za-z]{3}|/", value):
        parsed = _from_words(value, tz)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def dates_in_text(text: str, tz: timezone = WIB, zoned_first: bool = False) -> list[datetime]:
    """Every date written out in ``text`` (worded or dd/mm/yyyy), in order of appearance.

    With ``zoned_first``, dates that name their zone ("10:30 WIB") come first.
    """
    found = []
    zoned = []
    matches = [
        *TEXT_DATE.finditer(text),
        *NUMERIC_DATE.finditer(text),
        *ENGLISH_DATE.finditer(text),
    ]
    for match in sorted(matches, key=lambda m: m.start()):
        parsed = _from_words(match.group(0), tz)
        if parsed is not None and not re.search(r"\d[:.]\d\d", match.group(0)):
            parsed = parsed.replace(hour=0, minute=0, second=0)
        if parsed is not None and 1990 <= parsed.year <= 2100:
            found.append(parsed)
            if _ZONE_WORD.search(match.group(0)):
                zoned.append(parsed)
    return zoned + [d for d in found if d not in zoned] if zoned_first else found


def has_time(value: str) -> bool:
    """Whether a written date carries a time of day."""
    return bool(re.search(r"\d[:.]\d\d", value))


def date_from_url(url: str | None) -> datetime | None:
    """The date in an article URL such as ``/2024/11/14/`` or ``-20241114``, if any."""
    if not url:
        return None
    for pattern in _URL_DATE:
        match = pattern.search(url)
        if not match:
            continue
        year = int(match["y"])
        year = year + 2000 if year < 100 else year
        try:
            return datetime(year, int(match["m"]), int(match["d"]), tzinfo=WIB)
        except ValueError:
            continue
    return None


_DATE_ONLY = re.compile(r"\d{4}-?\d{2}-?\d{2}")
# "21:48 WIB", "23:15", "09.05 WITA": the time of day some JSON Lines sources give apart
_TIME_OF_DAY = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:\s*(WIB|WITA|WIT))?", re.I)


@dataclass(frozen=True)
class LocalTime:
    """When an article was published, as an Indonesian reader tells it.

    ``iso`` is ISO 8601: a date alone, or a date and time with the offset of
    ``zone`` ("WIB", "WITA" or "WIT"; None for a date alone). ``wall`` is the
    naive wall-clock time in that zone (midnight for a date alone).
    """

    iso: str
    wall: datetime
    zone: str | None

    @property
    def day(self) -> date:
        """The Indonesian calendar day of publication."""
        return self.wall.date()


def indonesian_time(value: str | None) -> LocalTime | None:
    """A stored ISO 8601 ``published`` value in Indonesian time, or None when it is no ISO date.

    A date alone stays a date; a time without an offset is Jakarta (WIB)
    time; WIB, WITA and WIT offsets are kept; any other offset (UTC, "Z") is
    shown in WIB.
    """
    if not value or len(value) > 64:
        return None
    value = value.strip()
    moment = _from_iso(value)
    if moment is None:
        return None
    if _DATE_ONLY.fullmatch(value):
        return LocalTime(moment.date().isoformat(), moment, None)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=WIB)
    zone = ZONE_NAMES.get(moment.utcoffset())
    if zone is None:
        moment, zone = moment.astimezone(WIB), "WIB"
    return LocalTime(to_iso(moment), moment.replace(tzinfo=None, microsecond=0), zone)


def with_time_of_day(published: str | None, time_of_day: str | None) -> str | None:
    """An imported date made unambiguous: a naive time becomes Jakarta time, and a date
    alone joins a separate time of day ("21:48 WIB"; Jakarta without a zone word).

    Anything else (a value with an offset, unreadable text) is returned as it is.
    """
    if not published:
        return published
    value = published.strip()
    clock = _TIME_OF_DAY.fullmatch(time_of_day.strip()) if time_of_day else None
    if _DATE_ONLY.fullmatch(value):
        if clock is None:
            return value
        hour, minute, second, zone = clock.groups()
        try:
            moment = datetime.fromisoformat(value).replace(
                hour=int(hour), minute=int(minute), second=int(second or 0)
            )
        except ValueError:
            return value
        return to_iso(moment.replace(tzinfo=ZONES[(zone or "WIB").upper()]))
    moment = _from_iso(value)
    if moment is not None and moment.tzinfo is None:
        return to_iso(moment.replace(tzinfo=WIB))
    return value
