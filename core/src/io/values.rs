//! Reading the values of an imported cell: amounts written the way each country writes them,
//! dates in the orders spreadsheets produce, websites, tag lists and names. Each parser
//! returns a message the user can act on, shown next to the row in the dry run.

use std::fmt;

/// Why a cell's value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValueError {
    pub message: String,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn error(message: impl Into<String>) -> ValueError {
    ValueError {
        message: message.into(),
    }
}

/// An amount in minor units (cents), as deals store it, with the currency the cell named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    /// The ISO 4217 code written in the cell ("EUR 12", "€12"), or else the hint.
    pub currency: Option<String>,
}

/// Decimal digits of a currency's minor unit (ISO 4217); 2 for any code not listed.
pub fn minor_digits(currency: &str) -> u32 {
    const ZERO: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF", "XPF",
    ];
    const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    let code = currency.trim().to_ascii_uppercase();
    if ZERO.contains(&code.as_str()) {
        0
    } else if THREE.contains(&code.as_str()) {
        3
    } else {
        2
    }
}

/// What a currency symbol or code in a cell means; `$` and `kr` follow the hint when it is
/// one of their currencies.
fn currency_of(marker: &str, hint: Option<&str>) -> Option<String> {
    let hint = hint.map(|h| h.trim().to_ascii_uppercase());
    let follows = |options: &[&str], default: Option<&str>| {
        hint.clone()
            .filter(|h| options.contains(&h.as_str()))
            .or(default.map(str::to_string))
    };
    match marker {
        "$" => follows(
            &["USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"],
            Some("USD"),
        ),
        "kr" | "kr." => follows(&["SEK", "NOK", "DKK", "ISK"], None),
        "US$" => Some("USD".into()),
        "€" => Some("EUR".into()),
        "£" => Some("GBP".into()),
        "¥" => follows(&["JPY", "CNY"], Some("JPY")),
        "₹" => Some("INR".into()),
        "R$" => Some("BRL".into()),
        "A$" => Some("AUD".into()),
        "C$" => Some("CAD".into()),
        "₩" => Some("KRW".into()),
        "zł" => Some("PLN".into()),
        "₺" => Some("TRY".into()),
        code if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) => {
            Some(code.to_ascii_uppercase())
        }
        _ => None,
    }
}

/// Reads "1,234.50", "1.234,50", "$1,234", "EUR 1 234,50", "(12.00)" or "1234". A single
/// separator followed by exactly three digits is a thousands separator ("1,234" and "1.234"
/// are both 1234) unless the currency has three decimals. `currency_hint` (the row's
/// currency column or the workspace default) decides the decimals when the cell names none.
pub fn parse_amount(text: &str, currency_hint: Option<&str>) -> Result<Money, ValueError> {
    let input = text.trim();
    if input.is_empty() {
        return Err(error("The amount is empty."));
    }
    let (Some(first), Some(last)) = (
        input.find(|c: char| c.is_ascii_digit()),
        input.rfind(|c: char| c.is_ascii_digit()),
    ) else {
        return Err(error(format!(
            "“{input}” is not an amount: it has no digits."
        )));
    };
    // ".5" and ",5": a separator right before the first digit belongs to the number.
    let first = match input[..first].char_indices().next_back() {
        Some((i, '.' | ',')) => i,
        _ => first,
    };
    let mut negative = false;
    let mut marker = String::new();
    for c in input[..first].chars().chain(input[last + 1..].chars()) {
        match c {
            '-' | '(' | ')' | '−' => negative = true,
            '+' => {}
            c if c.is_whitespace() => marker.push(' '),
            c => marker.push(c),
        }
    }
    let marker = marker.split_whitespace().collect::<Vec<_>>();
    let currency = match marker.as_slice() {
        [] => currency_hint.map(|h| h.trim().to_ascii_uppercase()),
        [one] => Some(currency_of(one, currency_hint).ok_or_else(|| {
            error(format!(
                "“{input}”: “{one}” is not a currency Kith knows. Use a three-letter code such \
                 as EUR or USD, or put the currency in its own column."
            ))
        })?),
        _ => {
            return Err(error(format!(
                "“{input}” is not an amount: only digits, separators and one currency are \
                 allowed."
            )));
        }
    };
    let digits = currency.as_deref().map_or(2, minor_digits);
    let number = &input[first..=last];
    if let Some(bad) = number
        .chars()
        .find(|c| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '\'' | '’') || c.is_whitespace()))
    {
        return Err(error(format!(
            "“{input}” is not an amount: “{bad}” cannot be part of a number."
        )));
    }
    let (whole, mut fraction) = split_decimal(number, digits);
    // Zeros past the currency's precision say nothing ("0.500" is 0.50).
    while fraction.len() > digits as usize && fraction.ends_with('0') {
        fraction.pop();
    }
    let whole: String = whole.chars().filter(char::is_ascii_digit).collect();
    if fraction.len() > digits as usize {
        let code = currency.as_deref().unwrap_or("the currency");
        return Err(error(format!(
            "“{input}” has {} decimals; {code} has {digits}.",
            fraction.len()
        )));
    }
    let too_large = || error(format!("“{input}” is too large an amount."));
    let mut minor: i64 = 0;
    for c in whole.chars().chain(fraction.chars()) {
        let digit = i64::from(c.to_digit(10).unwrap_or(0));
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(digit))
            .ok_or_else(too_large)?;
    }
    for _ in fraction.len()..digits as usize {
        minor = minor.checked_mul(10).ok_or_else(too_large)?;
    }
    Ok(Money {
        minor: if negative { -minor } else { minor },
        currency,
    })
}

/// Splits a number into its whole part (with grouping still in it) and its decimal digits.
fn split_decimal(number: &str, digits: u32) -> (&str, String) {
    let last_dot = number.rfind('.');
    let last_comma = number.rfind(',');
    let decimal = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(d.max(c)),
        (Some(p), None) | (None, Some(p)) => {
            let separator = number.as_bytes()[p];
            let once = number.bytes().filter(|&b| b == separator).count() == 1;
            let after = &number[p + 1..];
            let before: String = number[..p].chars().filter(char::is_ascii_digit).collect();
            let grouping = after.len() == 3 && digits != 3 && !before.is_empty() && before != "0";
            (once && !grouping).then_some(p)
        }
        (None, None) => None,
    };
    match decimal {
        Some(p) => (&number[..p], number[p + 1..].to_string()),
        None => (number, String::new()),
    }
}

/// Which number comes first in a date like 03/04/2026.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    DayFirst,
    MonthFirst,
}

/// The order a column's dates are in, from the values that settle it (a first number over 12
/// means day first). `None` when no value settles it, or when values disagree: then the
/// caller asks, or uses the user's locale.
pub fn guess_date_order<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<DateOrder> {
    let (mut day_first, mut month_first) = (false, false);
    for value in values {
        let parts = date_parts(value);
        if let [a, b, _] = parts.as_slice()
            && a.len() <= 2
            && let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>())
        {
            day_first |= a > 12 && b <= 12;
            month_first |= b > 12 && a <= 12;
        }
    }
    match (day_first, month_first) {
        (true, false) => Some(DateOrder::DayFirst),
        (false, true) => Some(DateOrder::MonthFirst),
        _ => None,
    }
}

/// The date part of a cell split into words: a time ("10:00", "T10:00:00Z", "PM") and a
/// weekday are dropped.
fn date_parts(text: &str) -> Vec<String> {
    let text = text.trim();
    let text = match text.char_indices().nth(10) {
        Some((i, 'T')) if text[..i].bytes().filter(u8::is_ascii_digit).count() == 8 => &text[..i],
        _ => text,
    };
    let mut parts = Vec::new();
    for word in text.split([' ', ',', '\t']) {
        if word.contains(':') {
            break;
        }
        for part in word.split(['/', '.', '-']) {
            let part = part.trim().to_lowercase();
            if !part.is_empty() {
                parts.push(part);
            }
        }
    }
    parts.retain(|p| month_number(p).is_some() || !p.chars().all(char::is_alphabetic));
    parts
}

fn month_number(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = word.trim_end_matches('.');
    if word.len() < 3 {
        return None;
    }
    let index = MONTHS
        .iter()
        .position(|m| m.starts_with(word) && (word.len() == m.len() || word.len() <= 4))?;
    u32::try_from(index + 1).ok()
}

/// Reads "2026-03-31", "31/03/2026" or "03/31/2026" (by `order`, unless a number over 12
/// settles it), "2026-03-31T10:00:00Z" (the date as written, no time-zone shift),
/// "Mar 31, 2026", "31 March 2026" and "20260331" into `YYYY-MM-DD`.
pub fn parse_date(text: &str, order: DateOrder) -> Result<String, ValueError> {
    let input = text.trim();
    if input.is_empty() {
        return Err(error("The date is empty."));
    }
    let unreadable = || {
        error(format!(
            "“{input}” is not a date Kith can read. Use YYYY-MM-DD, as in 2026-03-31."
        ))
    };
    let parts = date_parts(input);
    let number = |p: &str| -> Option<u32> {
        let digits = p.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        if digits.is_empty() || digits.len() > 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let suffix = &p[digits.len()..];
        matches!(suffix, "" | "st" | "nd" | "rd" | "th")
            .then(|| digits.parse().ok())
            .flatten()
    };
    let year_of = |p: &str| -> Option<u32> {
        let year = number(p)?;
        match p.len() {
            4 => Some(year),
            2 => Some(if year < 70 { 2000 + year } else { 1900 + year }),
            _ => None,
        }
    };
    let (year, month, day) = match parts.as_slice() {
        [compact] if compact.len() == 8 && compact.chars().all(|c| c.is_ascii_digit()) => (
            number(&compact[..4]).ok_or_else(unreadable)?,
            number(&compact[4..6]).ok_or_else(unreadable)?,
            number(&compact[6..]).ok_or_else(unreadable)?,
        ),
        [serial] if serial.len() == 5 && serial.chars().all(|c| c.is_ascii_digit()) => {
            return Err(error(format!(
                "“{input}” looks like a spreadsheet date serial number. Format the column as \
                 a date (YYYY-MM-DD) before exporting."
            )));
        }
        [a, b, c] => {
            if let Some(month) = month_number(a) {
                // Mar 31 2026
                (
                    year_of(c).ok_or_else(unreadable)?,
                    month,
                    number(b).ok_or_else(unreadable)?,
                )
            } else if let Some(month) = month_number(b) {
                // 31 Mar 2026 or 2026-Mar-31
                if a.len() == 4 {
                    (
                        year_of(a).ok_or_else(unreadable)?,
                        month,
                        number(c).ok_or_else(unreadable)?,
                    )
                } else {
                    (
                        year_of(c).ok_or_else(unreadable)?,
                        month,
                        number(a).ok_or_else(unreadable)?,
                    )
                }
            } else if a.len() == 4 {
                (
                    year_of(a).ok_or_else(unreadable)?,
                    number(b).ok_or_else(unreadable)?,
                    number(c).ok_or_else(unreadable)?,
                )
            } else {
                let year = year_of(c).ok_or_else(unreadable)?;
                let (x, y) = (
                    number(a).ok_or_else(unreadable)?,
                    number(b).ok_or_else(unreadable)?,
                );
                let day_first = match order {
                    _ if x > 12 => true,
                    _ if y > 12 => false,
                    DateOrder::DayFirst => true,
                    DateOrder::MonthFirst => false,
                };
                if day_first {
                    (year, y, x)
                } else {
                    (year, x, y)
                }
            }
        }
        _ => return Err(unreadable()),
    };
    if !(1..=12).contains(&month) {
        return Err(error(format!(
            "“{input}” is not a date: there is no month {month}. Use YYYY-MM-DD, as in \
             2026-03-31."
        )));
    }
    let days = match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > days {
        return Err(error(format!(
            "“{input}” is not a date: month {month} of {year} has {days} days."
        )));
    }
    if !(1000..=9999).contains(&year) {
        return Err(error(format!("“{input}” has an unlikely year, {year}.")));
    }
    Ok(format!("{year:04}-{month:02}-{day:02}"))
}

/// A company's domain from its website: `https://www.acme.io/about` → `acme.io`.
pub fn website_domain(text: &str) -> Result<String, ValueError> {
    crate::validate::domain(text).map_err(|e| error(e.message))
}

/// Tags from one cell: separated by `;`, `,` or Google's ` ::: `, trimmed, without repeats
/// (case-insensitive) and without Google's "* myContacts" system group.
pub fn split_tags(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    text.split(":::")
        .flat_map(|part| part.split([';', ',']))
        .map(|tag| tag.trim().trim_start_matches("* ").trim())
        .filter(|tag| {
            !tag.is_empty()
                && !tag.eq_ignore_ascii_case("myContacts")
                && !tag.eq_ignore_ascii_case("System Group: My Contacts")
        })
        .filter(|tag| seen.insert(tag.to_lowercase()))
        .map(str::to_string)
        .collect()
}

const SUFFIXES: &[&str] = &["jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "mba"];
const PARTICLES: &[&str] = &[
    "van", "von", "de", "der", "den", "del", "della", "da", "di", "du", "la", "le", "dos", "das",
    "ten", "ter", "bin", "al",
];

fn is_suffix(word: &str) -> bool {
    SUFFIXES.contains(&word.trim_end_matches('.').to_lowercase().as_str())
}

/// First and last name from a full name, for exports and vCards that want them apart:
/// "Ada King Lovelace" → ("Ada King", "Lovelace"), "Lovelace, Ada" → ("Ada", "Lovelace"),
/// "Ludwig van Beethoven" → ("Ludwig", "van Beethoven"), "Martin King Jr." → ("Martin",
/// "King Jr.").
pub fn split_full_name(full: &str) -> (String, String) {
    let full = full.trim();
    if let Some((before, after)) = full.split_once(',')
        && !after.split_whitespace().all(is_suffix)
    {
        return (after.trim().to_string(), before.trim().to_string());
    }
    let words: Vec<&str> = full.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    if words.len() < 2 {
        return (words.concat(), String::new());
    }
    let mut start = words.len() - 1;
    if is_suffix(words[start]) && start > 1 {
        start -= 1;
    }
    while start > 1 && PARTICLES.contains(&words[start - 1].to_lowercase().as_str()) {
        start -= 1;
    }
    (words[..start].join(" "), words[start..].join(" "))
}

/// A full name from its parts, for people imported with first and last name columns.
pub fn join_name(first: &str, last: &str) -> String {
    [first.trim(), last.trim()]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[path = "tests/values.rs"]
mod tests;
