use std::collections::HashSet;

use proptest::prelude::*;

use super::*;
use crate::ids::UserId;
use crate::record::{Channel, Field, Record};

fn person(name: &str, emails: &[&str], phones: &[&str], company: Option<&RecordId>) -> Summary {
    let mut r = Record::create(RecordId::new(), RecordKind::Person, &UserId("u".into()), 1);
    r.edit(2, |e| {
        e.set(Field::Name, name)?;
        for m in emails {
            e.add_channel(Channel::Email, m, "")?;
        }
        for p in phones {
            e.add_channel(Channel::Phone, p, "")?;
        }
        if let Some(c) = company {
            e.set(Field::CompanyId, c.as_str())?;
        }
        Ok(())
    })
    .unwrap();
    r.summary()
}

fn company(name: &str, domain: &str) -> Summary {
    let mut r = Record::create(RecordId::new(), RecordKind::Company, &UserId("u".into()), 1);
    r.edit(2, |e| {
        e.set(Field::Name, name)?;
        e.set(Field::Domain, domain)
    })
    .unwrap();
    r.summary()
}

fn ids(group: &Group) -> HashSet<RecordId> {
    group.ids.iter().cloned().collect()
}

#[test]
fn keys_normalise_what_people_type() {
    assert_eq!(email_key(" A.Na+crm@GoogleMail.com"), "ana@gmail.com");
    assert_eq!(email_key("a.na+crm@acme.example"), "a.na+crm@acme.example");
    assert_eq!(phone_key("+351 912 345 678"), phone_key("912-345-678"));
    assert_eq!(phone_key("555 1234"), None);
    assert_eq!(
        phone_key("+1 (555) 123-4567 ext 12"),
        Some("551234567".into())
    );
    assert_eq!(name_key("Silva, Ana"), name_key("ana  SILVA"));
    assert_eq!(name_key("José Müller"), "jose muller");
    assert_eq!(company_key("Acme, Inc."), company_key("ACME"));
    assert_eq!(company_key("Müller GmbH"), "muller");
    assert!(similar_names(
        &name_key("Jonathan Smith"),
        &name_key("Jonathon Smith")
    ));
    assert!(similar_names(
        &name_key("Ana Silva"),
        &name_key("Ana Maria Silva")
    ));
    assert!(!similar_names(
        &name_key("Ana Silva"),
        &name_key("Rui Costa")
    ));
    assert!(!similar_names(&name_key("Al Li"), &name_key("Al Lu")));
}

#[test]
fn groups_people_by_email_phone_and_name_at_company() {
    let acme = RecordId::new();
    let a = person("Ana Silva", &["ana@acme.example"], &[], None);
    let b = person("A. Silva", &["ANA@acme.example"], &[], None);
    let c = person("Ana S.", &[], &["+351 912 345 678"], None);
    let d = person("Anabela", &["x@y.example"], &["912 345 678"], None);
    let e = person("Silva, Ana", &[], &[], Some(&acme));
    let f = person("Ana Silvá", &[], &[], Some(&acme));
    let g = person("Ana Silva", &[], &[], None); // same name, no shared company: not grouped
    let mut deleted = person("Gone", &["ana@acme.example"], &[], None);
    deleted.deleted = true;
    let all = [
        a.clone(),
        b.clone(),
        c.clone(),
        d.clone(),
        e.clone(),
        f.clone(),
        g.clone(),
        deleted,
    ];
    let groups = find(&all, &HashSet::new());
    assert_eq!(groups.len(), 3, "{groups:#?}");
    let sets: Vec<HashSet<RecordId>> = groups.iter().map(ids).collect();
    assert!(sets.contains(&[a.id.clone(), b.id.clone()].into()));
    assert!(sets.contains(&[c.id.clone(), d.id.clone()].into()));
    assert!(sets.contains(&[e.id.clone(), f.id.clone()].into()));
    let email_group = groups.iter().find(|g| g.ids.contains(&a.id)).unwrap();
    assert_eq!(
        email_group.reasons,
        [Reason::Email("ana@acme.example".into())]
    );
    assert_eq!(
        email_group.reasons[0].describe(|_| None),
        "Same email ana@acme.example"
    );
    let name_group = groups.iter().find(|g| g.ids.contains(&e.id)).unwrap();
    assert_eq!(
        name_group.reasons[0].describe(|_| Some("Acme".into())),
        "Similar name at Acme"
    );
    // Dismissing a pair splits it off.
    let dismissed: HashSet<_> = [pair_key(&b.id, &a.id)].into();
    assert_eq!(find(&all, &dismissed).len(), 2);
}

#[test]
fn groups_are_transitive_and_companies_match_on_domain_or_name() {
    let a = person("A", &["one@x.example"], &[], None);
    let b = person("B", &["one@x.example", "two@x.example"], &[], None);
    let c = person("C", &["two@x.example"], &[], None);
    let groups = find(&[a.clone(), b, c.clone()], &HashSet::new());
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].ids.len(), 3);
    assert!(groups[0].ids.contains(&a.id) && groups[0].ids.contains(&c.id));

    let x = company("Acme Inc.", "acme.example");
    let y = company("ACME", "www.acme-corp.example");
    let z = company("Other", "acme.example");
    let groups = find(&[x, y, z], &HashSet::new());
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].ids.len(), 3);
    assert_eq!(groups[0].strength, Strength::Strong);
}

#[test]
fn check_finds_matches_for_a_new_record() {
    let acme = RecordId::new();
    let a = person("Ana Silva", &["ana.silva@gmail.com"], &[], Some(&acme));
    let b = person("Rui Costa", &[], &["+44 20 7946 0958"], None);
    let all = [a.clone(), b.clone(), company("Acme Ltd", "acme.example")];
    let hit = |c: Candidate| check(&c, &all);
    let by_email = hit(Candidate {
        kind: Some(RecordKind::Person),
        emails: vec!["AnaSilva+news@gmail.com".into()],
        ..Default::default()
    });
    assert_eq!(by_email.len(), 1);
    assert_eq!(by_email[0].id, a.id);
    let by_phone = hit(Candidate {
        kind: Some(RecordKind::Person),
        phones: vec!["020 7946 0958".into()],
        ..Default::default()
    });
    assert_eq!(by_phone[0].id, b.id);
    let by_name = hit(Candidate {
        kind: Some(RecordKind::Person),
        name: "ana silva".into(),
        company_id: Some(acme),
        ..Default::default()
    });
    assert_eq!(
        by_name[0].reason,
        Reason::Name {
            company: a.company_id.clone().unwrap()
        }
    );
    let none = hit(Candidate {
        kind: Some(RecordKind::Person),
        name: "ana silva".into(),
        exclude: Some(a.id.clone()),
        ..Default::default()
    });
    assert!(none.is_empty());
    let company_hit = hit(Candidate {
        kind: Some(RecordKind::Company),
        name: "ACME".into(),
        ..Default::default()
    });
    assert_eq!(company_hit.len(), 1);
}

/// A made-up word per number: realistic names without digits.
fn word(mut n: usize) -> String {
    const SYLLABLES: [&str; 20] = [
        "ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "ba", "de", "fu", "ga", "hi", "jo",
        "pe", "qua", "ri", "so", "tu",
    ];
    let mut out = String::new();
    for _ in 0..3 {
        out.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
    }
    out
}

/// 100k people (2% sharing an email, people spread over 5k companies) in well under a second
/// in an optimised build; this debug-build test only guards against quadratic work.
#[test]
fn scales_to_many_people() {
    let companies: Vec<RecordId> = (0..5_000).map(|_| RecordId::new()).collect();
    let template = person("x", &[], &[], None);
    let people: Vec<Summary> = (0..100_000)
        .map(|i| Summary {
            id: RecordId::new(),
            name: format!("{} {}", word(i), word(i / 7 + 31)),
            emails: vec![format!(
                "p{}@example.com",
                if i % 50 == 0 { i + 1 } else { i }
            )],
            phones: vec![format!("+1 555 {:07}", i)],
            company_id: Some(companies[i % companies.len()].clone()),
            ..template.clone()
        })
        .collect();
    let start = std::time::Instant::now();
    let groups = find(&people, &HashSet::new());
    let took = start.elapsed();
    assert!(groups.len() >= 1_900, "{}", groups.len());
    assert!(took.as_secs_f64() < 20.0, "{took:?}");
    eprintln!("100k people: {} groups in {took:?}", groups.len());
}

fn arb_summary() -> impl Strategy<Value = Summary> {
    let template = person("x", &[], &[], None);
    let companies: Vec<RecordId> = (0..3).map(|_| RecordId::new()).collect();
    (
        "[a-zA-Zé ,.]{0,12}",
        prop::collection::vec("[a-c.+]{0,3}@(gmail|x)\\.com", 0..3),
        prop::collection::vec("[+]?[0-9 ]{0,12}", 0..2),
        prop::option::of(0..3usize),
        any::<bool>(),
        any::<bool>(),
        "[a-c]{0,2}\\.example",
    )
        .prop_map(
            move |(name, emails, phones, company, is_company, deleted, domain)| Summary {
                id: RecordId::new(),
                kind: if is_company {
                    RecordKind::Company
                } else {
                    RecordKind::Person
                },
                name,
                emails,
                phones,
                company_id: company.map(|c| companies[c].clone()),
                domain,
                deleted,
                ..template.clone()
            },
        )
}

proptest! {
    #[test]
    fn detection_never_panics_and_groups_are_transitive(
        summaries in prop::collection::vec(arb_summary(), 0..40),
        dismiss in prop::collection::vec((0..40usize, 0..40usize), 0..5),
    ) {
        let dismissed: HashSet<_> = dismiss
            .iter()
            .filter(|(a, b)| *a < summaries.len() && *b < summaries.len())
            .map(|(a, b)| pair_key(&summaries[*a].id, &summaries[*b].id))
            .collect();
        let mut detector = Detector::new();
        for s in &summaries {
            detector.add(s);
        }
        let pairs = detector.pairs();
        let groups = detector.groups(&pairs, &dismissed);
        // Disjoint groups of at least two live people or companies of one kind.
        let mut seen = HashSet::new();
        for g in &groups {
            prop_assert!(g.ids.len() >= 2);
            for id in &g.ids {
                prop_assert!(seen.insert(id.clone()));
                let s = summaries.iter().find(|s| &s.id == id).unwrap();
                prop_assert!(!s.deleted && s.kind == g.kind);
            }
        }
        // Every kept pair lands in one group (transitive closure).
        for p in pairs.iter().filter(|p| !dismissed.contains(&pair_key(&p.a, &p.b))) {
            let g = groups.iter().find(|g| g.ids.contains(&p.a));
            prop_assert!(g.is_some_and(|g| g.ids.contains(&p.b)));
        }
        // check() agrees with detection for email matches.
        for s in summaries.iter().filter(|s| !s.deleted && s.kind == RecordKind::Person) {
            let found = check(&Candidate {
                kind: Some(RecordKind::Person),
                emails: s.emails.clone(),
                exclude: Some(s.id.clone()),
                ..Default::default()
            }, &summaries);
            for m in found {
                prop_assert!(m.id != s.id);
            }
        }
    }
}
