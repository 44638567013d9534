//! Writing vCards that Apple Contacts, Google, Outlook and Kith itself read back.

use super::{ContactCard, VcardVersion};

/// Text escaped for a property value; CR/LF become `\n` and other control characters,
/// which vCard does not allow, are dropped.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// A TYPE parameter value for a label: a bare token when it is one, else quoted with
/// RFC 6868 escapes.
fn type_param(label: &str) -> String {
    let label = match label {
        "mobile" => "cell",
        other => other,
    };
    if !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return label.to_string();
    }
    let mut out = String::from("\"");
    for c in label.chars() {
        match c {
            '^' => out.push_str("^^"),
            '"' => out.push_str("^'"),
            '\n' => out.push_str("^n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Appends a content line folded at 75 octets (continuations start with a space), never
/// inside a UTF-8 character.
fn push_folded(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = 75;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        limit = 74;
    }
}

/// Cards as one vCard file. FN is always written (both versions require it), as is N in 3.0.
pub fn write_cards(cards: &[ContactCard], version: VcardVersion) -> String {
    let mut out = String::new();
    for card in cards {
        let mut lines = vec!["BEGIN:VCARD".to_string()];
        lines.push(match version {
            VcardVersion::V3 => "VERSION:3.0".into(),
            VcardVersion::V4 => "VERSION:4.0".into(),
        });
        lines.push(format!("FN:{}", escape(&card.full_name)));
        if version == VcardVersion::V3 || !card.given.is_empty() || !card.family.is_empty() {
            lines.push(format!(
                "N:{};{};;;",
                escape(&card.family),
                escape(&card.given)
            ));
        }
        let channel = |name: &str, entries: &[(String, String)], lines: &mut Vec<String>| {
            for (i, (value, label)) in entries.iter().enumerate() {
                let mut types: Vec<String> = Vec::new();
                if !label.is_empty() {
                    types.push(type_param(label));
                }
                let mut params = String::new();
                match version {
                    VcardVersion::V3 if i == 0 => types.push("pref".into()),
                    VcardVersion::V4 if i == 0 => params.push_str(";PREF=1"),
                    _ => {}
                }
                if !types.is_empty() {
                    params = format!(";TYPE={}{params}", types.join(","));
                }
                lines.push(format!("{name}{params}:{}", escape(value)));
            }
        };
        channel("EMAIL", &card.emails, &mut lines);
        channel("TEL", &card.phones, &mut lines);
        for (name, value) in [("ORG", &card.org), ("TITLE", &card.title)] {
            if !value.is_empty() {
                lines.push(format!("{name}:{}", escape(value)));
            }
        }
        let address = [
            &card.street,
            &card.city,
            &card.region,
            &card.postcode,
            &card.country,
        ];
        if address.iter().any(|part| !part.is_empty()) {
            let parts: Vec<String> = address.iter().map(|p| escape(p)).collect();
            lines.push(format!("ADR:;;{}", parts.join(";")));
        }
        if !card.notes.is_empty() {
            lines.push(format!("NOTE:{}", escape(&card.notes)));
        }
        if !card.categories.is_empty() {
            let tags: Vec<String> = card.categories.iter().map(|t| escape(t)).collect();
            lines.push(format!("CATEGORIES:{}", tags.join(",")));
        }
        if !card.uid.is_empty() {
            lines.push(format!("UID:{}", escape(&card.uid)));
        }
        lines.push("END:VCARD".into());
        for line in &lines {
            push_folded(&mut out, line);
        }
    }
    out
}
