//! Civil dates and timestamps without a time-zone database.
//!
//! Usage logs carry UTC timestamps, price catalogs carry `YYYY-MM-DD` dates, backtests name a month
//! `YYYY-MM`. Everything aicost does with time is a count of days in the proleptic Gregorian
//! calendar, so a date is three integers and the arithmetic is Howard Hinnant's `days_from_civil`
//! (exact for every year that fits an `i32`). "Today" is never read here implicitly: callers pass
//! it, so tests and reproducible runs can fix it (see [`today`]).

use std::fmt;

/// A day of the proleptic Gregorian calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// The environment variable that fixes "today" (`YYYY-MM-DD`), for reproducible runs and tests.
pub(crate) const TODAY_VAR: &str = "AICOST_TODAY";

impl Date {
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Date { year, month, day })
    }

    /// Parse `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        Date::new(
            digits(&text[0..4])? as i32,
            digits(&text[5..7])?,
            digits(&text[8..10])?,
        )
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after 1970-01-01.
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> u32 {
        (self.days() + 3).rem_euclid(7) as u32
    }

    pub fn is_weekend(self) -> bool {
        self.weekday() >= 5
    }

    pub fn month(self) -> Month {
        Month {
            year: self.year,
            month: self.month,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    /// Parse `YYYY-MM`.
    pub fn parse(text: &str) -> Option<Month> {
        let b = text.as_bytes();
        if b.len() != 7 || b[4] != b'-' {
            return None;
        }
        let month = digits(&text[5..7])?;
        (1..=12).contains(&month).then_some(Month {
            year: digits(&text[0..4])? as i32,
            month,
        })
    }

    pub fn first_day(self) -> Date {
        Date {
            year: self.year,
            month: self.month,
            day: 1,
        }
    }

    pub fn days(self) -> u32 {
        days_in_month(self.year, self.month)
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

pub(crate) fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Today's date: `AICOST_TODAY` when set (and valid), else the system clock in UTC.
pub fn today() -> Date {
    if let Some(d) = std::env::var(TODAY_VAR)
        .ok()
        .and_then(|s| Date::parse(s.trim()))
    {
        return d;
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Date::from_days(secs.div_euclid(86_400))
}

/// 9999-12-31T00:00:00Z in Unix seconds: later epoch numbers are not times.
const MAX_EPOCH_SECONDS: f64 = 253_402_214_400.0;

/// A UTC instant in whole seconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn date(self) -> Date {
        Date::from_days(self.0.div_euclid(86_400))
    }

    /// Parse the forms logs use: RFC 3339 / ISO 8601 (`2026-10-03T12:34:56Z`,
    /// `2026-10-03 12:34:56.123+02:00`, a bare date), or a Unix epoch number in seconds,
    /// milliseconds, microseconds or nanoseconds (told apart by magnitude).
    pub fn parse(text: &str) -> Option<Timestamp> {
        let t = text.trim().trim_matches('"');
        if t.is_empty() {
            return None;
        }
        if t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            let whole: f64 = t.parse().ok()?;
            let secs = if whole >= 1e17 {
                whole / 1e9
            } else if whole >= 1e14 {
                whole / 1e6
            } else if whole >= 1e11 {
                whole / 1e3
            } else {
                whole
            };
            // Beyond the year 9999 the number is not a time (a token count in the wrong column).
            if !(secs < MAX_EPOCH_SECONDS) {
                return None;
            }
            return Some(Timestamp(secs.floor() as i64));
        }
        let date = Date::parse(t.get(0..10)?)?;
        let mut secs = date.days() * 86_400;
        let rest = &t[10..];
        if rest.is_empty() {
            return Some(Timestamp(secs));
        }
        let rest = rest.strip_prefix(['T', 't', ' '])?;
        let b = rest.as_bytes();
        if b.len() < 5 || b[2] != b':' {
            return None;
        }
        let h = digits(rest.get(0..2)?)?;
        let m = digits(rest.get(3..5)?)?;
        let mut i = 5;
        let mut s = 0;
        if b.len() >= 8 && b[5] == b':' {
            s = digits(rest.get(6..8)?)?;
            i = 8;
        }
        if h > 23 || m > 59 || s > 60 {
            return None;
        }
        secs += i64::from(h * 3600 + m * 60 + s);
        if i < b.len() && (b[i] == b'.' || b[i] == b',') {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        let zone = rest[i..].trim();
        let offset = match zone {
            "" | "Z" | "z" | "UTC" | "+00" => 0,
            _ => {
                let sign = match zone.as_bytes()[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let z = zone[1..].replace(':', "");
                if z.len() != 4 && z.len() != 2 {
                    return None;
                }
                let zh = i64::from(digits(z.get(0..2)?)?);
                let zm = if z.len() == 4 {
                    i64::from(digits(z.get(2..4)?)?)
                } else {
                    0
                };
                sign * (zh * 3600 + zm * 60)
            }
        };
        Some(Timestamp(secs - offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_numbers_past_the_year_9999_are_not_times() {
        assert!(Timestamp::parse("1790000000").is_some());
        assert!(Timestamp::parse("1790000000000000000").is_some());
        assert_eq!(Timestamp::parse(&format!("1{}", "0".repeat(30))), None);
        assert_eq!(Timestamp::parse(&"9".repeat(400)), None);
    }

    #[test]
    fn days_round_trip_and_weekdays() {
        for days in [-800_000, -1, 0, 1, 19_000, 20_415, 2_000_000] {
            assert_eq!(Date::from_days(days).days(), days);
        }
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        // 1970-01-01 was a Thursday; 2026-11-23 is a Monday.
        assert_eq!(Date::from_days(0).weekday(), 3);
        assert_eq!(Date::parse("2026-11-23").unwrap().weekday(), 0);
        assert!(Date::parse("2026-02-29").is_none());
        assert!(Date::parse("2024-02-29").is_some());
    }

    #[test]
    fn timestamps_in_the_forms_logs_use() {
        let base = Date::parse("2026-10-03").unwrap().days() * 86_400;
        let at = |s: &str| Timestamp::parse(s).map(|t| t.0 - base);
        assert_eq!(at("2026-10-03T12:34:56Z"), Some(45_296));
        assert_eq!(at("2026-10-03 12:34:56.123456"), Some(45_296));
        assert_eq!(at("2026-10-03T12:34:56.5+02:00"), Some(45_296 - 7200));
        assert_eq!(at("2026-10-03"), Some(0));
        let epoch = base + 45_296;
        assert_eq!(at(&epoch.to_string()), Some(45_296));
        assert_eq!(at(&format!("{epoch}000")), Some(45_296));
        assert_eq!(at(&format!("{epoch}000000000")), Some(45_296));
        assert_eq!(at("yesterday"), None);
        assert_eq!(at("2026-10-03T25:00:00Z"), None);
        // Never a panic on odd bytes.
        for odd in [
            "2026-10-03T12:00+1€",
            "2026-10-03T12:00:00é",
            "é026-10-03",
            "2026-10-0€",
            "+",
            "",
        ] {
            let _ = Timestamp::parse(odd);
        }
    }

    #[test]
    fn months() {
        let m = Month::parse("2026-12").unwrap();
        assert_eq!(m.days(), 31);
        assert_eq!(m.next().to_string(), "2027-01");
        assert_eq!(Month::parse("2026-13"), None);
    }
}
