//! Times as people read and type them, in the browser's time zone.

use js_sys::Date;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

pub fn now() -> i64 {
    Date::now() as i64
}

fn date(ms: i64) -> Date {
    Date::new(&(ms as f64).into())
}

/// The value of a `datetime-local` input: `2026-11-25T10:42`.
pub fn to_input(ms: i64) -> String {
    let d = date(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// A `datetime-local` value as ms since the epoch (local time); `None` when empty or invalid.
pub fn from_input(value: &str) -> Option<i64> {
    let value = value.trim();
    if value.len() < 16 {
        return None;
    }
    // A date-time without an offset is read as local time.
    let ms = Date::parse(value);
    (!ms.is_nan()).then_some(ms as i64)
}

/// `10:42`.
pub fn time_of_day(ms: i64) -> String {
    let d = date(ms);
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}

/// Local midnight at the start of the day of `ms`.
pub fn day_start(ms: i64) -> i64 {
    let d = date(ms);
    d.set_hours(0);
    d.set_minutes(0);
    d.set_seconds(0);
    d.set_milliseconds(0);
    d.get_time() as i64
}

/// Local midnight at the start of the day after the day of `ms`.
pub fn next_day_start(ms: i64) -> i64 {
    let d = date(day_start(ms));
    d.set_date(d.get_date() + 1);
    d.get_time() as i64
}

/// "Today", "Yesterday", "Tomorrow", else "Mon 24 Nov" (with the year when not this year).
pub fn day_label(ms: i64, now: i64) -> String {
    let day = day_start(ms);
    let today = day_start(now);
    if day == today {
        return "Today".into();
    }
    if day == day_start(today - 1) {
        return "Yesterday".into();
    }
    if day == next_day_start(today) {
        return "Tomorrow".into();
    }
    let d = date(ms);
    let mut text = format!(
        "{} {} {}",
        WEEKDAYS[d.get_day() as usize % 7],
        d.get_date(),
        MONTHS[d.get_month() as usize % 12]
    );
    if d.get_full_year() != date(now).get_full_year() {
        text.push_str(&format!(" {}", d.get_full_year()));
    }
    text
}

/// "Today 10:42", "Mon 24 Nov 09:00".
pub fn day_and_time(ms: i64, now: i64) -> String {
    format!("{} {}", day_label(ms, now), time_of_day(ms))
}

/// A due time for a list: relative when near ("in 2 h", "3 days ago"), else the date.
pub fn due_text(due: i64, now: i64) -> String {
    super::logic::relative(due, now).unwrap_or_else(|| day_and_time(due, now))
}

/// The current time, refreshed every `every` for as long as the calling component lives.
pub fn ticking_now(every: std::time::Duration) -> leptos::prelude::ReadSignal<i64> {
    use leptos::prelude::*;
    let (current, set) = signal(now());
    if let Ok(handle) = set_interval_with_handle(move || set.set(now()), every) {
        on_cleanup(move || handle.clear());
    }
    current
}
