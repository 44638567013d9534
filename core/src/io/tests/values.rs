use super::*;
use proptest::prelude::*;

fn amount(text: &str) -> (i64, Option<String>) {
    let money = parse_amount(text, None).unwrap_or_else(|e| panic!("{text}: {e}"));
    (money.minor, money.currency)
}

#[test]
fn amounts_in_every_common_notation() {
    assert_eq!(amount("1,234.50"), (123_450, None));
    assert_eq!(amount("1.234,50"), (123_450, None));
    assert_eq!(amount("$1,234"), (123_400, Some("USD".into())));
    assert_eq!(amount("EUR 1 234,50"), (123_450, Some("EUR".into())));
    assert_eq!(amount("1\u{202F}234,5 €"), (123_450, Some("EUR".into())));
    assert_eq!(amount("1234"), (123_400, None));
    assert_eq!(amount(".5"), (50, None));
    assert_eq!(amount("12.50-"), (-1250, None));
    assert_eq!(amount("1,5"), (150, None));
    assert_eq!(amount("0.500"), (50, None));
    assert_eq!(amount("12.3000"), (1230, None));
    assert_eq!(amount("1.234"), (123_400, None));
    assert_eq!(amount("1,234,567.89"), (123_456_789, None));
    assert_eq!(amount("1'234.50 CHF"), (123_450, Some("CHF".into())));
    assert_eq!(amount("-12.5"), (-1250, None));
    assert_eq!(amount("(1,000.00)"), (-100_000, None));
    assert_eq!(amount("usd 5"), (500, Some("USD".into())));
    assert_eq!(amount("¥1,200"), (1200, Some("JPY".into())));
    let cad = parse_amount("$10", Some("cad")).unwrap();
    assert_eq!((cad.minor, cad.currency.as_deref()), (1000, Some("CAD")));
    let kwd = parse_amount("1.234", Some("KWD")).unwrap();
    assert_eq!(kwd.minor, 1234);
    let hinted = parse_amount("1500", Some("JPY")).unwrap();
    assert_eq!(
        (hinted.minor, hinted.currency.as_deref()),
        (1500, Some("JPY"))
    );
}

#[test]
fn bad_amounts_say_why() {
    for (bad, says) in [
        ("", "empty"),
        ("abc", "no digits"),
        ("12 apples", "not a currency"),
        ("1.2345", "4 decimals"),
        ("12x34", "cannot be part"),
        ("99999999999999999999", "too large"),
        ("EUR 5 USD", "one currency"),
        ("12.5", "has 1 decimals; JPY has 0"),
    ] {
        let hint = if bad == "12.5" { Some("JPY") } else { None };
        let message = parse_amount(bad, hint).unwrap_err().to_string();
        assert!(message.contains(says), "{bad}: {message}");
    }
}

#[test]
fn dates_in_every_common_notation() {
    let day = DateOrder::DayFirst;
    let month = DateOrder::MonthFirst;
    for (text, order) in [
        ("2026-03-31", day),
        ("2026/03/31", month),
        ("31/03/2026", month),
        ("03/31/2026", day),
        ("31.03.2026", day),
        ("2026-03-31T10:00:00Z", day),
        ("2026-03-31 10:00:00", day),
        ("03/31/2026 10:00 AM", month),
        ("Mar 31, 2026", day),
        ("March 31st, 2026", day),
        ("31 March 2026", month),
        ("31-Mar-2026", month),
        ("Tuesday, March 31, 2026", day),
        ("20260331", day),
        ("31/03/26", day),
    ] {
        assert_eq!(
            parse_date(text, order).as_deref(),
            Ok("2026-03-31"),
            "{text}"
        );
    }
    assert_eq!(parse_date("04/03/2026", day).unwrap(), "2026-03-04");
    assert_eq!(parse_date("04/03/2026", month).unwrap(), "2026-04-03");
    assert_eq!(parse_date("2024-02-29", day).unwrap(), "2024-02-29");
}

#[test]
fn bad_dates_say_why() {
    for (bad, says) in [
        ("", "empty"),
        ("soon", "YYYY-MM-DD"),
        ("2026-13-01", "no month 13"),
        ("2025-02-29", "has 28 days"),
        ("31/04/2026", "has 30 days"),
        ("46112", "serial number"),
        ("2026-03", "YYYY-MM-DD"),
        ("0001-01-01", "unlikely year"),
    ] {
        let message = parse_date(bad, DateOrder::DayFirst)
            .unwrap_err()
            .to_string();
        assert!(message.contains(says), "{bad}: {message}");
    }
}

#[test]
fn the_column_decides_the_date_order() {
    assert_eq!(
        guess_date_order(["01/02/2026", "31/01/2026"]),
        Some(DateOrder::DayFirst)
    );
    assert_eq!(
        guess_date_order(["01/02/2026", "01/31/2026", ""]),
        Some(DateOrder::MonthFirst)
    );
    assert_eq!(guess_date_order(["01/02/2026", "2026-12-31"]), None);
    assert_eq!(guess_date_order(["13/01/2026", "01/13/2026"]), None);
}

#[test]
fn websites_tags_and_names() {
    assert_eq!(
        website_domain("https://www.Acme.io/about").unwrap(),
        "acme.io"
    );
    assert!(
        website_domain("not a site")
            .unwrap_err()
            .to_string()
            .contains("not a web address")
    );
    assert_eq!(
        split_tags("* myContacts ::: Friends ::: VIP; friends, golf,,"),
        vec!["Friends", "VIP", "golf"]
    );
    assert!(split_tags("  ").is_empty());
    let split = |s: &str| {
        let (a, b) = split_full_name(s);
        (a, b)
    };
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(split("Ada Lovelace"), pair("Ada", "Lovelace"));
    assert_eq!(split("Ada King Lovelace"), pair("Ada King", "Lovelace"));
    assert_eq!(split("Lovelace, Ada"), pair("Ada", "Lovelace"));
    assert_eq!(
        split("Ludwig van Beethoven"),
        pair("Ludwig", "van Beethoven")
    );
    assert_eq!(split("Martin King Jr."), pair("Martin", "King Jr."));
    assert_eq!(split("Martin King, Jr."), pair("Martin", "King Jr."));
    assert_eq!(split("Cher"), pair("Cher", ""));
    assert_eq!(split("  "), pair("", ""));
    assert_eq!(join_name(" Ada ", ""), "Ada");
    assert_eq!(join_name("Ada", "Lovelace"), "Ada Lovelace");
}

proptest! {
    #[test]
    fn parsers_never_panic(text in "\\PC{0,40}") {
        let _ = parse_amount(&text, None);
        let _ = parse_amount(&text, Some("KWD"));
        let _ = parse_date(&text, DateOrder::DayFirst);
        let _ = guess_date_order([text.as_str()]);
        let _ = website_domain(&text);
        let _ = split_tags(&text);
        let _ = split_full_name(&text);
    }

    #[test]
    fn formatted_amounts_read_back(minor in -10_000_000_000i64..10_000_000_000, style in 0usize..4) {
        let units = minor.unsigned_abs() / 100;
        let cents = minor.unsigned_abs() % 100;
        let grouped = |sep: &str| {
            let digits = units.to_string();
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 { out.push_str(sep); }
                out.push(c);
            }
            out
        };
        let body = match style {
            0 => format!("{}.{cents:02}", grouped(",")),
            1 => format!("{},{cents:02}", grouped(".")),
            2 => format!("{} {cents:02}", grouped("\u{A0}")).replacen(' ', ",", 1),
            _ => format!("{units}.{cents:02}"),
        };
        let text = if minor < 0 { format!("-{body}") } else { body };
        prop_assert_eq!(parse_amount(&text, None).map(|m| m.minor), Ok(minor), "{}", text);
    }

    #[test]
    fn iso_dates_read_back(year in 1000u32..9999, month in 1u32..=12, day in 1u32..=28) {
        let iso = format!("{year:04}-{month:02}-{day:02}");
        prop_assert_eq!(parse_date(&iso, DateOrder::MonthFirst), Ok(iso.clone()));
        let european = format!("{day}/{month}/{year}");
        prop_assert_eq!(parse_date(&european, DateOrder::DayFirst), Ok(iso.clone()));
        let american = format!("{month}/{day}/{year}");
        prop_assert_eq!(parse_date(&american, DateOrder::MonthFirst), Ok(iso));
    }
}
