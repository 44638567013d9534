use super::*;
use proptest::prelude::*;

fn cards(text: &str) -> Vec<ParsedCard> {
    read_cards(text)
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn pair(value: &str, label: &str) -> (String, String) {
    (value.to_string(), label.to_string())
}

#[test]
fn reads_a_vcard_3_with_folding_escapes_groups_and_photo() {
    let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lovelace;Ada;King;Countess;\r\nFN:Ada King\r\n  Lovelace\r\nORG:Analytical Engines\\, Ltd;Research\r\nTITLE:Mathematician\r\nitem1.EMAIL;TYPE=INTERNET,pref:ada@example.com\r\nitem1.X-ABLabel:_$!<Other>!$_\r\nEMAIL;TYPE=WORK;TYPE=PREF:ada@work.example\r\nTEL;TYPE=CELL:+44 20 7946 0958\r\nTEL;TYPE=\"work,voice\":020 1234\r\nADR;TYPE=home:;;12 St James\\'s Square;London;;SW1Y 4JH;United Kingdom\r\nNOTE:Likes engines\\nand poetry\\; and \\\\backslashes\r\nCATEGORIES:VIP,Friends\\, old\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDB\r\n kSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgN\r\nUID:urn:uuid:1234\r\nBDAY:1815-12-10\r\nEND:VCARD\r\n";
    let read = cards(text);
    assert_eq!(read.len(), 1);
    let parsed = &read[0];
    assert_eq!((parsed.line, parsed.version.as_str()), (1, "3.0"));
    let card = &parsed.card;
    assert_eq!(card.full_name, "Ada King Lovelace");
    assert_eq!(
        (card.given.as_str(), card.family.as_str()),
        ("Ada", "Lovelace")
    );
    assert_eq!(card.org, "Analytical Engines, Ltd");
    assert_eq!(card.title, "Mathematician");
    assert_eq!(
        card.emails,
        vec![
            pair("ada@example.com", "other"),
            pair("ada@work.example", "work")
        ]
    );
    assert_eq!(
        card.phones,
        vec![
            pair("+44 20 7946 0958", "mobile"),
            pair("020 1234", "work,voice")
        ]
    );
    assert_eq!(card.street, "12 St James's Square");
    assert_eq!(
        (
            card.city.as_str(),
            card.postcode.as_str(),
            card.country.as_str()
        ),
        ("London", "SW1Y 4JH", "United Kingdom")
    );
    assert_eq!(card.notes, "Likes engines\nand poetry; and \\backslashes");
    assert_eq!(card.categories, vec!["VIP", "Friends, old"]);
    assert_eq!(card.uid, "urn:uuid:1234");
    assert_eq!(parsed.ignored, vec!["PHOTO", "BDAY"]);
}

#[test]
fn reads_vcard_4_parameters_and_uris() {
    let text = "BEGIN:VCARD\nVERSION:4.0\nFN:Grace Hopper\nEMAIL;PREF=1;TYPE=work:grace@navy.example\nTEL;VALUE=uri;TYPE=\"cell,voice\":tel:+1-555-0100\nTEL;TYPE=\"x-^'ship^' line\":555\nLOGO;MEDIATYPE=image/png:https://example.com/logo.png\nEND:VCARD\n";
    let card = &cards(text)[0];
    assert_eq!(card.card.emails, vec![pair("grace@navy.example", "work")]);
    assert_eq!(
        card.card.phones,
        vec![
            pair("+1-555-0100", "cell,voice"),
            pair("555", "x-\"ship\" line")
        ]
    );
    assert_eq!(card.ignored, vec!["LOGO"]);
}

#[test]
fn tolerates_vcard_2_1_quoted_printable_and_bare_parameters() {
    let text = "BEGIN:VCARD\r\nVERSION:2.1\r\nN:M=C3=BCller;J=C3=BCrgen\r\nFN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller\r\nTEL;WORK;VOICE:+49 30 123\r\nEMAIL;INTERNET;HOME:j@example.de\r\nNOTE;QUOTED-PRINTABLE:Line one=0D=0ALine=\r\n two, caf=E9\r\nPHOTO;ENCODING=BASE64;TYPE=JPEG:\r\n /9j/4AAQSkZJRgABAQAAAQABAAD\r\n Hh0aHBwgJC4nICIsIxwcKDcp\r\n\r\nEND:VCARD\r\n";
    let parsed = &cards(text)[0];
    let card = &parsed.card;
    assert_eq!(card.full_name, "Jürgen Müller");
    assert_eq!(card.phones, vec![pair("+49 30 123", "work")]);
    assert_eq!(card.emails, vec![pair("j@example.de", "home")]);
    assert_eq!(card.notes, "Line one\r\nLine two, café");
    assert_eq!(parsed.ignored, vec!["PHOTO"]);
}

#[test]
fn bad_cards_are_reported_and_the_others_import() {
    let text = "junk before\nmore junk\nBEGIN:VCARD\nVERSION:3.0\nN:Hopper;Grace;;;\nEND:VCARD\nEND:VCARD\nBEGIN:VCARD\nVERSION:4.0\nTEL:555\nEND:VCARD\nBEGIN:VCARD\nFN:Cut Short\nBEGIN:VCARD\nFN:Alan\nthis line has no colon\nEMAIL:alan@example.com\nEND:VCARD\nBEGIN:VCARD\nFN:Never ends\n";
    let read = read_cards(text);
    let summary: Vec<String> = read
        .iter()
        .map(|r| match r {
            Ok(card) => format!("ok {} {}", card.line, card.card.full_name),
            Err(e) => e.to_string(),
        })
        .collect();
    assert_eq!(summary.len(), 7, "{summary:#?}");
    assert!(summary[0].starts_with("line 1: text outside BEGIN:VCARD"));
    assert_eq!(summary[1], "ok 3 Grace Hopper");
    assert!(summary[2].starts_with("line 7: END:VCARD without a BEGIN:VCARD"));
    assert!(summary[3].starts_with("line 8: this card has no name and no email"));
    assert!(summary[4].starts_with("line 12: this card starts with BEGIN:VCARD but has no END"));
    assert_eq!(summary[5], "ok 14 Alan");
    assert!(summary[6].starts_with("line 19: this card starts with BEGIN:VCARD"));
    let alan = read[5].as_ref().unwrap();
    assert_eq!(alan.unreadable_lines, vec![16]);
    assert_eq!(alan.card.emails, vec![pair("alan@example.com", "")]);
    assert!(read_cards("").is_empty());
}

#[test]
fn writes_both_versions_folded_at_75_octets() {
    let card = ContactCard {
        full_name: "Zoë Ünicode-Long ".repeat(8).trim_end().to_string(),
        given: "Zoë".into(),
        family: "Ünicode".into(),
        emails: vec![pair("zoe@example.com", "work"), pair("z@home.example", "")],
        phones: vec![pair("+1 555 0100", "mobile")],
        org: "Acme; Inc, Ltd".into(),
        notes: "two\nlines".into(),
        categories: vec!["a,b".into(), "c".into()],
        ..ContactCard::default()
    };
    let v3 = write_cards(std::slice::from_ref(&card), VcardVersion::V3);
    assert!(v3.starts_with("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë"));
    assert!(v3.contains("\r\nN:Ünicode;Zoë;;;\r\n"));
    assert!(v3.contains("\r\nEMAIL;TYPE=work,pref:zoe@example.com\r\n"));
    assert!(v3.contains("\r\nEMAIL:z@home.example\r\n"));
    assert!(v3.contains("\r\nTEL;TYPE=cell,pref:+1 555 0100\r\n"));
    assert!(v3.contains("\r\nORG:Acme\\; Inc\\, Ltd\r\n"));
    assert!(v3.contains("\r\nNOTE:two\\nlines\r\n"));
    assert!(v3.contains("\r\nCATEGORIES:a\\,b,c\r\n"));
    for line in v3.split("\r\n") {
        assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
    }
    let v4 = write_cards(std::slice::from_ref(&card), VcardVersion::V4);
    assert!(v4.contains("\r\nEMAIL;TYPE=work;PREF=1:zoe@example.com\r\n"));
    for version in [v3, v4] {
        assert_eq!(cards(&version)[0].card, card);
    }
}

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("([^\\p{{Cc}}]|\n){{0,{max}}}")).unwrap()
}

fn word() -> impl Strategy<Value = String> {
    "[^\\p{Cc}\\s][^\\p{Cc}]{0,15}"
}

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("work".to_string()),
        Just("home".to_string()),
        Just("mobile".to_string()),
        "[a-z0-9 ,;:^\"\n-]{1,10}".prop_filter("reserved vCard types", |l| !matches!(
            l.as_str(),
            "pref" | "internet" | "voice" | "x400" | "text" | "uri" | "msg" | "cell" | "iphone"
        )),
    ]
}

fn entries() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((word(), label()), 0..3)
}

fn card() -> impl Strategy<Value = ContactCard> {
    let names = prop_oneof![
        (word(), text(10), text(10)),
        Just((String::new(), String::new(), String::new())),
    ];
    let address = (text(12), text(8), text(8), text(6), text(8));
    let tags = proptest::collection::vec("[^\\p{Cc}\\s][^\\p{Cc}]{0,8}[^\\p{Cc}\\s]", 0..3);
    (
        names,
        entries(),
        entries(),
        (text(10), text(10)),
        address,
        text(30),
        tags,
        text(12),
    )
        .prop_map(
            |(name, emails, phones, work, address, notes, categories, uid)| ContactCard {
                full_name: name.0,
                given: name.1,
                family: name.2,
                emails,
                phones,
                org: work.0,
                title: work.1,
                street: address.0,
                city: address.1,
                region: address.2,
                postcode: address.3,
                country: address.4,
                notes,
                categories,
                uid,
            },
        )
        .prop_filter("needs a name or an email", |c| {
            !c.full_name.is_empty() || !c.emails.is_empty()
        })
}

proptest! {
    #[test]
    fn write_then_read_round_trips(cards in proptest::collection::vec(card(), 0..4), v4 in any::<bool>()) {
        let version = if v4 { VcardVersion::V4 } else { VcardVersion::V3 };
        let written = write_cards(&cards, version);
        for line in written.split("\r\n") {
            prop_assert!(line.len() <= 75);
        }
        let read: Vec<ContactCard> = read_cards(&written)
            .into_iter()
            .map(|r| r.map(|p| p.card))
            .collect::<Result<_, _>>()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(read, cards);
    }

    #[test]
    fn arbitrary_text_never_panics(input in "(?s).{0,400}") {
        let _ = read_cards(&input);
        let with_cards = format!("BEGIN:VCARD\n{input}\nEND:VCARD\nBEGIN:VCARD\r\nFN:x\r\n{input}");
        for item in read_cards(&with_cards) {
            if let Err(error) = item {
                let prefix = format!("line {}:", error.line);
                prop_assert!(error.to_string().starts_with(&prefix));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = read_cards(&crate::io::text::decode(&bytes).text);
    }

    #[test]
    fn reading_in_slices_equals_reading_at_once(cards in proptest::collection::vec(card(), 0..4), junk in "(BEGIN:VCARD|END:VCARD|FN:x|junk|\n){0,6}", slice in 1usize..4) {
        let text = format!("{junk}\n{}{junk}", write_cards(&cards, VcardVersion::V4));
        let at_once = read_cards(&text);
        let mut reader = VcardReader::new(text.as_str());
        let mut sliced = Vec::new();
        loop {
            let batch = reader.next_cards(slice);
            if batch.is_empty() { break; }
            sliced.extend(batch);
        }
        prop_assert_eq!(sliced, at_once);
    }
}
