//! The `Date` header value (RFC 9110 §5.6.7, IMF-fixdate), formatted at most once a second
//! per thread and reused by every response in between.
//!
//! The engine reads the monotonic clock once per batch of responses (the same reading also
//! starts the keep-alive wait); the wall clock is read only when that reading passes the end
//! of the second the cached value names.

use std::cell::RefCell;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) const DATE_LEN: usize = 29;

struct Cached {
    /// When the second `value` names ends, by the monotonic clock; `None` before the first.
    valid_until: Option<Instant>,
    value: [u8; DATE_LEN],
}

thread_local! {
    static CACHED: RefCell<Cached> = const { RefCell::new(Cached { valid_until: None, value: [0; DATE_LEN] }) };
}

/// The `Date` value at `now` (a reading of the monotonic clock taken just before); formatted
/// afresh only once `now` passes the end of the cached second.
pub(crate) fn date_at(now: Instant) -> [u8; DATE_LEN] {
    CACHED.with(|cached| {
        let mut cached = cached.borrow_mut();
        if cached.valid_until.is_none_or(|until| now >= until) {
            let wall = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            cached.value = format_imf_fixdate(wall.as_secs());
            let left =
                Duration::from_secs(1) - Duration::from_nanos(u64::from(wall.subsec_nanos()));
            cached.valid_until = Some(now + left);
        }
        cached.value
    })
}

/// The current `Date` value.
#[cfg(test)]
pub(crate) fn current_date() -> [u8; DATE_LEN] {
    date_at(Instant::now())
}

/// Formats seconds since the Unix epoch as an IMF-fixdate.
pub(crate) fn format_imf_fixdate(unix_seconds: u64) -> [u8; DATE_LEN] {
    const WEEKDAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let days = unix_seconds / 86_400;
    let second_of_day = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);

    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    out[0..3].copy_from_slice(WEEKDAYS[(days % 7) as usize]);
    two_digits(&mut out[5..7], day);
    out[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
    two_digits(&mut out[12..14], year / 100);
    two_digits(&mut out[14..16], year % 100);
    two_digits(&mut out[17..19], second_of_day / 3600);
    two_digits(&mut out[20..22], second_of_day / 60 % 60);
    two_digits(&mut out[23..25], second_of_day % 60);
    out
}

fn two_digits(out: &mut [u8], value: u64) {
    out[0] = b'0' + (value / 10 % 10) as u8;
    out[1] = b'0' + (value % 10) as u8;
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01, in the proleptic
/// Gregorian calendar (the "days from civil" algorithm, run backwards over 400-year eras).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(unix_seconds: u64, expected: &str) {
        assert_eq!(
            std::str::from_utf8(&format_imf_fixdate(unix_seconds)).unwrap(),
            expected
        );
    }

    #[test]
    fn known_dates() {
        check(0, "Thu, 01 Jan 1970 00:00:00 GMT");
        check(784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT");
        check(951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT");
        check(1_709_208_000, "Thu, 29 Feb 2024 12:00:00 GMT");
        check(4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT");
        check(4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT");
    }

    #[test]
    fn the_cached_value_is_todays_date() {
        let formatted = current_date();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        // Either this second or, across a second boundary, the previous one.
        assert!(formatted == format_imf_fixdate(now) || formatted == format_imf_fixdate(now - 1));
    }
}
