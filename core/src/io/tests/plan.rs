use super::*;
use crate::ids::UserId;
use crate::io::csv::{CsvOptions, CsvReader};
use crate::io::mapping::{channel_labels, guess_mapping};
use crate::record::{Channel, LifecycleStage, Record};
use proptest::prelude::*;

fn summary(
    kind: RecordKind,
    fill: impl FnOnce(&mut crate::record::Edit<'_>) -> Result<(), crate::record::RecordError>,
) -> Summary {
    let mut r = Record::create(RecordId::new(), kind, &UserId("u".into()), 1);
    r.edit(2, fill).unwrap();
    r.summary()
}

fn config(target: ImportTarget, mode: ImportMode) -> PlanConfig {
    PlanConfig {
        target,
        mode,
        match_key: MatchKey::default_for(target),
        date_order: DateOrder::MonthFirst,
        stages: crate::pipeline::default_stages(),
        default_currency: None,
    }
}

/// Rows of a CSV text through the guessed mapping.
fn rows(target: ImportTarget, text: &str) -> Vec<InputRow> {
    let mut reader = CsvReader::new(text, CsvOptions::default());
    let all = reader.next_rows(10_000);
    let headers = reader.headers().unwrap().to_vec();
    let mapping = guess_mapping(target, &headers);
    let labels = channel_labels(&headers, &mapping);
    all.into_iter()
        .map(|r| {
            let r = r.unwrap();
            csv_row(r.line, &r.fields, &mapping, &labels)
        })
        .collect()
}

fn plan(config: PlanConfig, dir: &Directory, rows: &[InputRow]) -> (Vec<Planned>, Planner) {
    let index = Index::build((0..dir.len()).map(|i| dir.at(i)));
    let mut planner = Planner::new(config);
    let out = planner.plan(
        rows,
        &Existing {
            index: &index,
            directory: dir,
            duplicates: None,
        },
    );
    (out, planner)
}

const HUBSPOT: &str = "First Name,Last Name,Email,Phone Number,Company Name,Lifecycle Stage,Job Title\n\
Ada,Lovelace,ada@example.com,+44 20 7946 0000,Analytical Ltd,salesqualifiedlead,Countess\n\
Grace,Hopper,grace@navy.mil,,Navy,marketingqualifiedlead,Admiral\n\
Alan,Turing,not-an-email,,,customer,\n\
Ada,Again,ADA@example.com,,Analytical ltd,lead,\n\
Linus,T,linus@example.com,,analytical ltd ,opportunity,\n";

#[test]
fn hubspot_people_create_link_companies_once_and_flag_duplicates() {
    let dir = Directory::new();
    let (planned, planner) = plan(
        config(ImportTarget::People, ImportMode::Upsert),
        &dir,
        &rows(ImportTarget::People, HUBSPOT),
    );
    let mut counts = Counts::default();
    planned.iter().for_each(|p| counts.add(&p.action));
    assert_eq!(
        counts,
        Counts {
            create: 3,
            update: 0,
            skip: 1,
            error: 1
        }
    );
    assert_eq!(
        counts.describe(),
        "3 to create · 0 to update · 1 skipped · 1 error"
    );
    let Action::Create(ada) = &planned[0].action else {
        panic!("{:?}", planned[0])
    };
    assert!(ada.fields.contains(&(Field::Name, "Ada Lovelace".into())));
    assert!(ada.fields.contains(&(Field::Stage, "lead".into())));
    assert!(ada.fields.contains(&(Field::Title, "Countess".into())));
    assert_eq!(
        ada.emails,
        vec![("ada@example.com".to_string(), String::new())]
    );
    assert_eq!(ada.company, Some(CompanyLink::New("analytical ltd".into())));
    assert_eq!(planned[2].line, 4);
    assert!(matches!(
        &planned[2].action,
        Action::Error {
            field: Some("Email"),
            ..
        }
    ));
    assert!(
        matches!(&planned[3].action, Action::Skip(r) if r.contains("line 2")),
        "{:?}",
        planned[3]
    );
    let Action::Create(linus) = &planned[4].action else {
        panic!()
    };
    assert!(
        linus
            .fields
            .contains(&(Field::Stage, LifecycleStage::Prospect.as_str().into()))
    );
    assert_eq!(
        linus.company,
        Some(CompanyLink::New("analytical ltd".into()))
    );
    assert_eq!(
        planner.new_companies().len(),
        2,
        "{:?}",
        planner.new_companies()
    );
}

#[test]
fn existing_people_are_updated_with_what_changes_or_skipped() {
    let ada = summary(RecordKind::Person, |e| {
        e.set(Field::Name, "Ada Lovelace")?;
        e.set(Field::Title, "Countess")?;
        e.add_channel(Channel::Email, "ada@example.com", "")
            .map(drop)
    });
    let company = summary(RecordKind::Company, |e| {
        e.set(Field::Name, "Analytical Ltd")
    });
    let dir = Directory::from_summaries([ada.clone(), company.clone()]);
    let text = "Name,Email,Job Title,Company\nAda Lovelace,ada@example.com,Countess,\nAda Lovelace,ADA@example.com,Mathematician,analytical LTD\nNew Person,new@example.com,,\n";
    let rows = rows(ImportTarget::People, text);
    let (upsert, _) = plan(
        config(ImportTarget::People, ImportMode::Upsert),
        &dir,
        &rows[..1],
    );
    assert_eq!(upsert[0].action, Action::Skip("Already up to date".into()));
    let (upsert, planner) = plan(
        config(ImportTarget::People, ImportMode::Upsert),
        &dir,
        &rows[1..],
    );
    let Action::Update {
        id,
        changes,
        values,
    } = &upsert[0].action
    else {
        panic!("{:?}", upsert[0])
    };
    assert_eq!(id, &ada.id);
    assert_eq!(
        values.company,
        Some(CompanyLink::Existing(company.id.clone()))
    );
    assert!(planner.new_companies().is_empty());
    assert!(changes.contains(&Change {
        field: "Job title",
        from: Some("Countess".into()),
        to: "Mathematician".into()
    }));
    assert!(matches!(upsert[1].action, Action::Create(_)));
    let (create_only, _) = plan(
        config(ImportTarget::People, ImportMode::CreateOnly),
        &dir,
        &rows[1..],
    );
    assert!(matches!(&create_only[0].action, Action::Skip(r) if r.contains("Already in Kith")));
    let (update_only, _) = plan(
        config(ImportTarget::People, ImportMode::UpdateOnly),
        &dir,
        &rows[1..],
    );
    assert!(matches!(update_only[0].action, Action::Update { .. }));
    assert!(matches!(&update_only[1].action, Action::Skip(r) if r.contains("update only")));
}

#[test]
fn companies_match_by_domain_from_a_website() {
    let acme = summary(RecordKind::Company, |e| {
        e.set(Field::Name, "Acme")?;
        e.set(Field::Domain, "acme.io")
    });
    let dir = Directory::from_summaries([acme.clone()]);
    let text = "Company name,Website URL,Industry\nAcme Inc,https://www.acme.io/about,Tools\n,globex.com,\n";
    let (planned, _) = plan(
        config(ImportTarget::Companies, ImportMode::Upsert),
        &dir,
        &rows(ImportTarget::Companies, text),
    );
    assert!(matches!(&planned[0].action, Action::Update { id, .. } if id == &acme.id));
    let Action::Create(globex) = &planned[1].action else {
        panic!("{:?}", planned[1])
    };
    assert!(globex.fields.contains(&(Field::Name, "globex.com".into())));
    assert!(!planned[1].notes.is_empty());
}

#[test]
fn deals_parse_amounts_dates_stages_and_link_their_contact() {
    let ada = summary(RecordKind::Person, |e| {
        e.add_channel(Channel::Email, "ada@example.com", "")
            .map(drop)
    });
    let dir = Directory::from_summaries([ada.clone()]);
    let text = "Deal Name,Amount,Deal Stage,Close Date,Contact Email,Currency\n\
Big one,\"1,234.50\",contractsent,03/31/2026,ada@example.com,EUR\n\
Won one,100,Closed Won,2026-01-02,nobody@example.com,\n\
Bad stage,5,Imaginary,,,\n";
    let (planned, _) = plan(
        config(ImportTarget::Deals, ImportMode::Upsert),
        &dir,
        &rows(ImportTarget::Deals, text),
    );
    let Action::Create(big) = &planned[0].action else {
        panic!("{:?}", planned[0])
    };
    assert!(
        big.fields.contains(&(Field::Amount, "123450".into())),
        "{:?}",
        big.fields
    );
    assert!(big.fields.contains(&(Field::Currency, "EUR".into())));
    assert!(big.fields.contains(&(Field::DealStage, "proposal".into())));
    assert!(
        big.fields
            .contains(&(Field::CloseDate, "2026-03-31".into()))
    );
    assert_eq!(big.contact, Some(ada.id.clone()));
    assert!(big.fields.contains(&(Field::Status, "open".into())));
    let Action::Create(won) = &planned[1].action else {
        panic!()
    };
    assert!(won.fields.contains(&(Field::Status, "won".into())));
    assert!(planned[1].notes[0].contains("nobody@example.com"));
    assert!(
        matches!(&planned[2].action, Action::Error { field: Some("Stage"), message } if message.contains("Imaginary"))
    );
}

#[test]
fn applying_then_undoing_an_update_restores_the_record() {
    let me = UserId("u".into());
    let mut record = Record::create(RecordId::new(), RecordKind::Person, &me, 1);
    record
        .edit(2, |e| {
            e.set(Field::Name, "Ada")?;
            e.set(Field::Title, "Countess")?;
            e.add_channel(Channel::Email, "ada@example.com", "")
                .map(drop)
        })
        .unwrap();
    let before_summary = record.summary();
    let values = Values {
        fields: vec![
            (Field::Title, "Mathematician".into()),
            (Field::City, "London".into()),
        ],
        emails: vec![
            ("ada@example.com".into(), String::new()),
            ("ada@work.example".into(), "work".into()),
        ],
        tags: vec!["vip".into()],
        notes: "Imported".into(),
        ..Values::default()
    };
    let before = capture_before(&record, &values, None);
    assert_eq!(before.emails, vec!["ada@work.example".to_string()]);
    record
        .edit(3, |e| apply_values(e, &values, None, Some(&before)))
        .unwrap();
    assert_eq!(record.summary().emails.len(), 2);
    assert_eq!(record.text(Field::Title).as_deref(), Some("Mathematician"));
    let undo = undo_update(&record, &before);
    record.edit(4, undo).unwrap();
    let after = record.summary();
    assert_eq!(
        (after.title, after.city, after.emails, after.tags),
        (
            before_summary.title,
            before_summary.city,
            before_summary.emails,
            before_summary.tags
        )
    );
    assert_eq!(record.notes(), "");
}

#[test]
fn choice_names_of_other_crms() {
    assert_eq!(
        map_lifecycle("salesqualifiedlead"),
        Some(LifecycleStage::Lead)
    );
    assert_eq!(
        map_lifecycle("Marketing Qualified Lead"),
        Some(LifecycleStage::Lead)
    );
    assert_eq!(map_lifecycle("CUSTOMER"), Some(LifecycleStage::Customer));
    assert_eq!(map_lifecycle("banana"), None);
    assert_eq!(grouped(1204), "1,204");
    assert_eq!(grouped(999), "999");
    assert_eq!(grouped(1_000_000), "1,000,000");
}

proptest! {
    /// Any cells in any mapping plan to something, never panic, and every create names its
    /// record; lines come back as given.
    #[test]
    fn planning_never_panics(cells in proptest::collection::vec((0usize..32, ".{0,20}"), 0..12), line in 1usize..1000, target in 0u8..3) {
        let target = [ImportTarget::People, ImportTarget::Companies, ImportTarget::Deals][target as usize];
        let fields = TargetField::for_target(target);
        let row = InputRow {
            line,
            cells: cells.into_iter().map(|(f, v)| Cell { field: fields[f % fields.len()], value: v, label: String::new() }).collect(),
        };
        let dir = Directory::new();
        for mode in [ImportMode::CreateOnly, ImportMode::UpdateOnly, ImportMode::Upsert] {
            let (planned, _) = plan(config(target, mode), &dir, std::slice::from_ref(&row));
            prop_assert_eq!(planned[0].line, line);
            if let Action::Create(values) = &planned[0].action {
                prop_assert!(values.fields.iter().any(|(f, v)| *f == Field::Name && !v.is_empty()));
                // What was planned is what a record accepts.
                let mut r = Record::create(RecordId::new(), target_kind(target), &UserId("u".into()), 1);
                let company = RecordId::new();
                let link = values.company.as_ref().map(|_| &company);
                prop_assert!(r.edit(2, |e| apply_values(e, values, link, None)).is_ok(), "{:?}", values);
            }
        }
    }
}

#[test]
fn a_vcard_becomes_a_people_row() {
    let cards = crate::io::vcard::read_cards(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Grace Hopper\r\nEMAIL;TYPE=work:grace@navy.example\r\nTEL;TYPE=cell:+1 555 0100\r\nORG:Navy\r\nCATEGORIES:vip\r\nUID:urn:uuid:0190a8b0-0000-7000-8000-000000000001\r\nEND:VCARD\r\n",
    );
    let card = cards[0].as_ref().unwrap();
    let row = card_row(card);
    let dir = Directory::new();
    let (planned, planner) = plan(
        config(ImportTarget::People, ImportMode::Upsert),
        &dir,
        &[row],
    );
    let Action::Create(values) = &planned[0].action else {
        panic!("{:?}", planned[0])
    };
    assert_eq!(
        values.emails,
        vec![("grace@navy.example".to_string(), "work".to_string())]
    );
    assert_eq!(values.phones.len(), 1);
    assert_eq!(values.tags, vec!["vip".to_string()]);
    assert_eq!(planner.new_companies()[0].1, "Navy");
    let uid = card_row(card)
        .cells
        .into_iter()
        .find(|c| c.field == TargetField::RecordId);
    assert_eq!(uid.unwrap().value, "0190a8b0-0000-7000-8000-000000000001");
}

#[test]
fn rows_to_create_that_look_like_existing_people_are_flagged_and_still_created() {
    let mut dir = Directory::new();
    let acme = summary(RecordKind::Company, |e| e.set(Field::Name, "Acme Ltd"));
    let acme_id = acme.id.clone();
    dir.upsert(acme);
    dir.upsert(summary(RecordKind::Person, |e| {
        e.set(Field::Name, "Ana Silva")?;
        e.add_channel(Channel::Email, "ana.silva@gmail.com", "")?;
        e.add_channel(Channel::Phone, "+351 912 345 678", "")?;
        e.set(Field::CompanyId, acme_id.as_str())
    }));
    let index = Index::build((0..dir.len()).map(|i| dir.at(i)));
    let mut detector = Detector::new();
    (0..dir.len()).for_each(|i| detector.add(dir.at(i)));
    let text = "Name,Email,Phone,Company\n\
        Anna Silva,anna@other.example,,Acme Ltd\n\
        Someone Else,other@x.example,00351 912 345 678,\n\
        Bruno Costa,bruno@x.example,+1 555 0100,Acme Ltd\n\
        A.N.A Silva,anasilva+crm@gmail.com,,\n";
    let mut planner = Planner::new(config(ImportTarget::People, ImportMode::Upsert));
    let planned = planner.plan(
        &rows(ImportTarget::People, text),
        &Existing {
            index: &index,
            directory: &dir,
            duplicates: Some(&detector),
        },
    );
    assert!(
        planned
            .iter()
            .all(|p| matches!(p.action, Action::Create(_)))
    );
    let flags: Vec<Vec<String>> = planned
        .iter()
        .map(|p| p.possible_duplicates.clone())
        .collect();
    assert_eq!(
        flags,
        vec![
            vec!["Ana Silva (similar name at the same company)".to_string()],
            vec!["Ana Silva (same phone)".to_string()],
            vec![],
            vec!["Ana Silva (same email)".to_string()],
        ]
    );
}
