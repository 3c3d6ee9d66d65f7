//! The program's one source of time: [`Clock::now`] and [`Clock::today`] in
//! the configured zone (`timezone` in `weiquan.toml`, Asia/Shanghai by
//! default).
//!
//! Whether a warning is in force, when a scheduled one goes live, which day
//! a search counts on and when a session ends are all read from here, so the
//! website, the API, the feed and the kiosks agree whatever zone the machine
//! is set to. Nothing else in the program asks the system for the date.
//!
//! A clock is a cheap handle: clones share it. Tests make a [`Clock::pinned`]
//! one and move it with [`Clock::set`] instead of sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// The zone used when none is configured: the Chinese market's calendar.
pub const DEFAULT_ZONE: Tz = chrono_tz::Asia::Shanghai;

/// The time now in one zone, from the system or pinned by a test.
#[derive(Clone, Debug)]
pub struct Clock {
    zone: Tz,
    /// `Some` for a test clock: the instant it shows until it is set again.
    pinned: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Default for Clock {
    /// The system's time in [`DEFAULT_ZONE`].
    fn default() -> Clock {
        Clock::system(DEFAULT_ZONE)
    }
}

impl Clock {
    /// The system's time, read in `zone`.
    pub fn system(zone: Tz) -> Clock {
        Clock { zone, pinned: None }
    }

    /// A clock that shows `at` until [`Clock::set`] moves it.
    pub fn pinned(zone: Tz, at: DateTime<Utc>) -> Clock {
        Clock { zone, pinned: Some(Arc::new(Mutex::new(at))) }
    }

    /// Moves a pinned clock (and every clone of it) to `at`.
    ///
    /// # Panics
    /// On a system clock: only tests pin time.
    pub fn set(&self, at: DateTime<Utc>) {
        let pinned = self.pinned.as_ref().expect("only a pinned clock can be set");
        *pinned.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
    }

    /// Moves a pinned clock forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        self.set(self.utc() + by);
    }

    /// The zone dates are read in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The instant now.
    pub fn utc(&self) -> DateTime<Utc> {
        match &self.pinned {
            Some(pinned) => *pinned.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
            None => Utc::now(),
        }
    }

    /// The time now in the configured zone.
    pub fn now(&self) -> DateTime<Tz> {
        self.utc().with_timezone(&self.zone)
    }

    /// Today's date in the configured zone.
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// The date of an instant in the configured zone.
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// The instant a day of the configured zone begins.
    pub fn start_of(&self, day: NaiveDate) -> DateTime<Utc> {
        start_of(self.zone, day)
    }
}

/// The instant `day` begins in `zone` (its first moment, for a day that
/// starts inside a daylight-saving gap).
pub fn start_of(zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    (0..=24)
        .find_map(|hour| zone.from_local_datetime(&(midnight + chrono::Duration::hours(hour))).earliest())
        .map_or_else(|| midnight.and_utc(), |at| at.with_timezone(&Utc))
}

/// Reads a zone name such as `Asia/Shanghai`; an unknown name is an error
/// naming it.
pub fn zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| format!("unknown time zone `{name}`: use an IANA name such as Asia/Shanghai"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn today_is_the_configured_zones_date_not_the_machines() {
        let clock = Clock::pinned(DEFAULT_ZONE, at("2026-11-30T20:00:00Z"));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), "04:00 in Beijing");
        let los_angeles = Clock::pinned(zone("America/Los_Angeles").unwrap(), at("2026-11-30T20:00:00Z"));
        assert_eq!(los_angeles.today(), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
    }

    #[test]
    fn a_pinned_clock_moves_only_when_set_and_clones_follow() {
        let clock = Clock::pinned(DEFAULT_ZONE, at("2026-11-30T15:59:59Z"));
        let clone = clock.clone();
        assert_eq!(clone.today(), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        clock.advance(chrono::Duration::seconds(1));
        assert_eq!(clone.today(), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), "midnight in Beijing");
        assert_eq!(clone.utc(), at("2026-11-30T16:00:00Z"));
    }

    #[test]
    fn days_start_at_local_midnight() {
        let clock = Clock::default();
        assert_eq!(clock.start_of(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()), at("2026-11-30T16:00:00Z"));
        let new_york = Clock::system(zone("America/New_York").unwrap());
        // Summer (UTC-4) and winter (UTC-5).
        assert_eq!(new_york.start_of(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()), at("2026-07-01T04:00:00Z"));
        assert_eq!(new_york.start_of(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()), at("2026-12-01T05:00:00Z"));
        assert!(zone("Mars/Olympus").unwrap_err().contains("Mars/Olympus"));
    }
}
