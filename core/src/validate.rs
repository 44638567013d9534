//! Checks for what people type into contact fields. Each returns the cleaned value or a message
//! a person can act on.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Invalid {
    pub message: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn invalid(message: impl Into<String>) -> Invalid {
    Invalid {
        message: message.into(),
    }
}

/// Characters that change how text around them is shown without being seen: Unicode format
/// characters (zero-width spaces and joiners, direction marks, the soft hyphen, tags…).
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Bidirectional overrides and isolates: they can make a name read as something else
/// ("evil" + U+202E + "gnp.exe" shows as "evilexe.png"). Direction marks (U+200E, U+200F)
/// are fine inside right-to-left text.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A name people are shown by (an account's or a workspace's): trimmed, 1 to `max_chars`
/// characters, no line breaks or control characters, no direction overrides, and something
/// visible in it. Zero-width joiners stay allowed inside (emoji, Persian, Indic scripts).
pub fn display_name(what: &str, input: &str, max_chars: usize) -> Result<String, Invalid> {
    let name = input.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
    if name.is_empty() {
        return Err(invalid(format!("{what} is empty.")));
    }
    if name.chars().count() > max_chars {
        return Err(invalid(format!(
            "{what} can be at most {max_chars} characters long."
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{what} cannot contain line breaks or control characters."
        )));
    }
    if name.chars().any(is_bidi_control) {
        return Err(invalid(format!(
            "{what} cannot contain characters that reverse the direction of text."
        )));
    }
    if name.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Err(invalid(format!("{what} has nothing visible in it.")));
    }
    Ok(name.to_string())
}

/// An email address: trimmed, domain lower-cased.
pub fn email(input: &str) -> Result<String, Invalid> {
    let text = input.trim();
    if text.is_empty() {
        return Err(invalid("Enter an email address."));
    }
    if text.chars().any(char::is_whitespace) {
        return Err(invalid(format!(
            "“{text}” has spaces; an email address has none."
        )));
    }
    if text.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Err(invalid(
            "This email address holds invisible or control characters; type it again.",
        ));
    }
    let Some((local, domain)) = text.rsplit_once('@') else {
        return Err(invalid(format!(
            "“{text}” needs an @, as in name@example.com."
        )));
    };
    if local.is_empty() || local.len() > 64 || local.contains('@') && !local.starts_with('"') {
        return Err(invalid(format!("“{text}” has no valid name before the @.")));
    }
    let domain = host(domain)
        .map_err(|_| invalid(format!("“{domain}” after the @ is not a valid domain.")))?;
    if !domain.contains('.') {
        return Err(invalid(format!(
            "“{domain}” after the @ needs a dot, as in example.com."
        )));
    }
    Ok(format!("{local}@{domain}"))
}

/// A phone number as typed (kept for display), provided it has 4–20 digits and only the usual
/// punctuation. An extension may follow `ext`, `x` or `#`.
pub fn phone(input: &str) -> Result<String, Invalid> {
    let text = input.trim();
    if text.is_empty() {
        return Err(invalid("Enter a phone number."));
    }
    let lower = text.to_lowercase();
    let main = ["ext.", "ext", "x", "#"]
        .iter()
        .find_map(|sep| lower.split_once(sep))
        .map_or(lower.as_str(), |(m, _)| m);
    if let Some(bad) = main
        .chars()
        .find(|c| !(c.is_ascii_digit() || " +-().\u{a0}/".contains(*c)))
    {
        return Err(invalid(format!(
            "“{text}” contains “{bad}”; use digits, spaces, + - ( ) and . only."
        )));
    }
    if main.trim_start().chars().skip(1).any(|c| c == '+') {
        return Err(invalid(format!("“{text}”: a + may only start the number.")));
    }
    let digits = phone_digits(main);
    if !(4..=20).contains(&digits.trim_start_matches('+').len()) {
        return Err(invalid(format!(
            "“{text}” should have between 4 and 20 digits."
        )));
    }
    Ok(text.to_string())
}

/// The digits of a phone number (with a leading + kept), for matching and search.
pub fn phone_digits(text: &str) -> String {
    let plus = text.trim_start().starts_with('+');
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if plus { format!("+{digits}") } else { digits }
}

/// A company's web domain from a domain or URL: `https://www.Example.com/about` → `example.com`.
pub fn domain(input: &str) -> Result<String, Invalid> {
    let text = input.trim();
    if text.is_empty() {
        return Err(invalid("Enter a domain, as in example.com."));
    }
    let without_scheme = text.split_once("://").map_or(text, |(_, rest)| rest);
    let authority = without_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host_part = authority.split(':').next().unwrap_or_default();
    let clean = host(host_part)
        .map_err(|_| invalid(format!("“{text}” is not a web address or domain.")))?;
    if !clean.contains('.') {
        return Err(invalid(format!("“{text}” needs a dot, as in example.com.")));
    }
    Ok(clean.strip_prefix("www.").unwrap_or(&clean).to_string())
}

/// A DNS host name, lower-cased: labels of letters, digits and inner hyphens (Unicode letters
/// are allowed for internationalised names).
fn host(text: &str) -> Result<String, ()> {
    let lower = text.trim_end_matches('.').to_lowercase();
    if lower.is_empty() || lower.len() > 253 {
        return Err(());
    }
    for label in lower.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-');
        if !ok {
            return Err(());
        }
    }
    Ok(lower)
}

/// A calendar date typed as `YYYY-MM-DD` (what a date input gives); returns it unchanged.
pub fn date(input: &str) -> Result<String, Invalid> {
    let text = input.trim();
    let bad = || invalid(format!("“{text}” is not a date like 2026-03-31"));
    let mut parts = text.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return Err(bad());
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if d == 0 || d > days {
        return Err(bad());
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_visible_and_keep_their_direction() {
        let name = |s: &str| display_name("Name", s, 100);
        assert_eq!(name("  Ana Lima ").unwrap(), "Ana Lima");
        assert_eq!(name("\u{200B}Ana\u{FEFF}").unwrap(), "Ana");
        assert!(name("\u{200B}\u{200D}\u{2060}").is_err(), "invisible only");
        assert!(name("\u{202E}\u{200B}").is_err());
        let flipped = name("Ana\u{202E}gnp.exe").unwrap_err().message;
        assert!(flipped.contains("direction"), "{flipped}");
        assert!(name("a\u{2067}b").is_err(), "isolates too");
        assert!(name("Ana\nLima").is_err());
        // Joiners and direction marks inside real text are fine.
        assert!(name("👩\u{200D}💻 Team").is_ok());
        assert!(name("می\u{200C}خواهم").is_ok());
        assert!(name("שלום\u{200F} Ltd").is_ok());
    }

    #[test]
    fn emails_with_invisible_or_control_characters_are_refused() {
        for bad in [
            "ana\u{200B}@example.com",
            "ana@exa\u{202E}mple.com",
            "ana\u{0007}@example.com",
            "\u{FEFF}ana@example.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
        assert!(email("ana@example.com").is_ok());
    }

    #[test]
    fn emails() {
        assert_eq!(email("  Ada@Example.COM ").unwrap(), "Ada@example.com");
        assert_eq!(
            email("a.b+tag@mail.example.co.uk").unwrap(),
            "a.b+tag@mail.example.co.uk"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada @example.com",
            "ada@exa_mple.com",
            "ada@-x.com",
        ] {
            let err = email(bad).unwrap_err();
            assert!(!err.message.is_empty(), "{bad}");
        }
        assert!(email("ada").unwrap_err().message.contains("@"));
        assert_eq!(date("2028-02-29").unwrap(), "2028-02-29");
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "26-01-01",
            "2026-1-1",
            "",
            "2026-04-31",
        ] {
            assert!(date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones() {
        for good in [
            "+1 (555) 123-4567",
            "020 7946 0958",
            "555.1234 ext 12",
            "+44 20 7946 0958 x3",
        ] {
            assert_eq!(phone(good).unwrap(), good);
        }
        for bad in ["", "12", "call me", "+1 555 +2", "555-CALL-NOW"] {
            assert!(phone(bad).is_err(), "{bad}");
        }
        assert_eq!(phone_digits("+1 (555) 123-4567"), "+15551234567");
    }

    #[test]
    fn domains() {
        assert_eq!(
            domain("https://www.Example.com/about?x=1").unwrap(),
            "example.com"
        );
        assert_eq!(domain("acme.io").unwrap(), "acme.io");
        assert_eq!(
            domain("http://user@shop.acme.io:8080").unwrap(),
            "shop.acme.io"
        );
        for bad in ["", "localhost", "not a domain", "http://", "exa mple.com"] {
            assert!(domain(bad).is_err(), "{bad}");
        }
    }
}
