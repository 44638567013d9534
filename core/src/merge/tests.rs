use proptest::prelude::*;

use super::*;
use crate::ids::UserId;

fn user(n: usize) -> UserId {
    UserId(format!("user-{n}"))
}

fn new(kind: RecordKind, fill: impl FnOnce(&mut Edit<'_>) -> Result<(), RecordError>) -> Record {
    let mut r = Record::create(RecordId::new(), kind, &user(0), 1_000);
    r.edit(2_000, fill).unwrap();
    r
}

fn replica(r: &mut Record, who: usize) -> Record {
    Record::load(r.id().clone(), &r.save(), &[], &user(who)).unwrap()
}

/// Applies a plan's edits to the records it names (by id) on one device.
fn run(edits: &Edits, records: &mut [&mut Record], now: i64) {
    for (id, ops) in edits {
        let r = records
            .iter_mut()
            .find(|r| r.id() == id)
            .expect("planned record present");
        r.edit(now, |e| apply(e, ops)).unwrap();
    }
}

fn ana() -> Record {
    new(RecordKind::Person, |e| {
        e.set(Field::Name, "Ana Silva")?;
        e.set(Field::Title, "CTO")?;
        e.add_channel(Channel::Email, "ana@acme.example", "work")?;
        e.add_tag("vip")?;
        e.set_notes("First met in Lisbon.")
    })
}

fn ana_again() -> Record {
    new(RecordKind::Person, |e| {
        e.set(Field::Name, "Ana M. Silva")?;
        e.set(Field::City, "Porto")?;
        e.add_channel(Channel::Email, "ANA@acme.example", "")?;
        e.add_channel(Channel::Email, "ana@home.example", "home")?;
        e.add_channel(Channel::Phone, "+351 912 345 678", "")?;
        e.add_tag("lead-2026")?;
        e.add_tag("vip")?;
        e.set_notes("Prefers email.")
    })
}

#[test]
fn merge_takes_choices_unions_and_relinks_and_undo_restores() {
    let (mut a, mut b) = (ana(), ana_again());
    let mut call = new(RecordKind::Activity, |e| {
        e.set(Field::Name, "Intro call")?;
        e.link(b.id(), RecordKind::Person)
    });
    let mut task = new(RecordKind::Task, |e| {
        e.set(Field::Name, "Send quote")?;
        e.link(a.id(), RecordKind::Person)?;
        e.link(b.id(), RecordKind::Person)
    });
    let before = [a.summary(), b.summary(), call.summary(), task.summary()];
    let summaries = [call.summary(), task.summary(), a.summary(), b.summary()];
    let related = related(&summaries, &[b.id().clone()]);
    assert_eq!(related.len(), 2);
    let mut choices = default_choices(&[&a, &b]);
    assert_eq!(
        choices[&Field::City],
        1,
        "the survivor has no city: the other's is the default"
    );
    choices.insert(Field::Name, 1);
    let plan = plan(&[&a, &b], &choices, &related, 5_000);
    run(
        &plan.edits,
        &mut [&mut a, &mut b, &mut call, &mut task],
        5_000,
    );

    assert_eq!(a.text(Field::Name).as_deref(), Some("Ana M. Silva"));
    assert_eq!(a.text(Field::Title).as_deref(), Some("CTO"));
    assert_eq!(a.text(Field::City).as_deref(), Some("Porto"));
    let emails: Vec<String> = a
        .channel(Channel::Email)
        .into_iter()
        .map(|e| e.value)
        .collect();
    assert_eq!(emails, ["ana@acme.example", "ana@home.example"]);
    assert_eq!(a.channel(Channel::Phone).len(), 1);
    assert_eq!(a.tags(), ["lead-2026", "vip"]);
    assert!(a.notes().starts_with("First met in Lisbon."));
    assert!(
        a.notes()
            .contains("— From Ana M. Silva (merged) —\nPrefers email.")
    );
    assert_eq!(a.merged_from(), [b.id().clone()]);
    assert!(b.is_deleted());
    assert_eq!(b.merged_into().as_ref(), Some(a.id()));
    assert_eq!(call.summary().links, [a.id().clone()]);
    assert_eq!(task.summary().links, [a.id().clone()]);
    assert!(a.history().iter().any(|h| h.what.contains(&"Email")));

    run(
        &plan.undo,
        &mut [&mut a, &mut b, &mut call, &mut task],
        6_000,
    );
    let after = [a.summary(), b.summary(), call.summary(), task.summary()];
    for (x, y) in before.iter().zip(&after) {
        assert_eq!(
            Summary {
                updated_at: 0,
                ..x.clone()
            },
            Summary {
                updated_at: 0,
                ..y.clone()
            }
        );
    }
    assert_eq!(a.notes(), "First met in Lisbon.");
    assert!(a.merged_from().is_empty() && b.merged_into().is_none());
}

#[test]
fn companies_merge_and_their_people_and_deals_follow() {
    let (mut x, mut y) = (
        new(RecordKind::Company, |e| e.set(Field::Name, "Acme")),
        new(RecordKind::Company, |e| {
            e.set(Field::Domain, "acme.example")
        }),
    );
    let mut p = new(RecordKind::Person, |e| {
        e.set(Field::CompanyId, y.id().as_str())
    });
    let mut deal = new(RecordKind::Deal, |e| {
        e.set(Field::CompanyId, y.id().as_str())
    });
    let summaries = [p.summary(), deal.summary()];
    let related = related(&summaries, &[y.id().clone()]);
    let plan = plan(&[&x, &y], &default_choices(&[&x, &y]), &related, 5);
    run(&plan.edits, &mut [&mut x, &mut y, &mut p, &mut deal], 5);
    assert_eq!(x.text(Field::Domain).as_deref(), Some("acme.example"));
    assert_eq!(p.company_id().as_ref(), Some(x.id()));
    assert_eq!(deal.company_id().as_ref(), Some(x.id()));
    run(&plan.undo, &mut [&mut x, &mut y, &mut p, &mut deal], 6);
    assert_eq!(p.company_id().as_ref(), Some(y.id()));
    assert_eq!(x.text(Field::Domain), None);
}

#[test]
fn a_late_change_is_found_applied_and_then_no_longer_late() {
    let (mut a, mut b) = (ana(), ana_again());
    let mut b_offline = replica(&mut b, 1);
    let plan = plan(&[&a, &b], &default_choices(&[&a, &b]), &[], 5_000);
    run(&plan.edits, &mut [&mut a, &mut b], 5_000);
    assert_eq!(b.changes_after_merge(), None);
    let late = b_offline
        .edit(5_001, |e| {
            e.set(Field::Title, "CEO")?;
            e.add_channel(Channel::Email, "ana@new.example", "")?;
            e.add_tag("board")
        })
        .unwrap()
        .unwrap();
    b.apply(&late).unwrap();
    let found = b
        .changes_after_merge()
        .expect("the teammate's change is late");
    assert_eq!(found.fields, [(Field::Title, "CEO".to_string())]);
    assert_eq!(found.emails, ["ana@new.example"]);
    assert_eq!(found.tags, ["board"]);
    assert_eq!(found.authors, [user(1)]);
    assert!(b.is_deleted(), "still merged away");
    let fix = apply_late(&found, "Ana M. Silva", &a, b.id());
    run(&fix, &mut [&mut a, &mut b], 6_000);
    assert_eq!(a.text(Field::Title).as_deref(), Some("CEO"));
    assert!(
        a.channel(Channel::Email)
            .iter()
            .any(|e| e.value == "ana@new.example")
    );
    assert!(a.tags().contains(&"board".to_string()));
    assert_eq!(b.changes_after_merge(), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A merge on one device and a concurrent edit of the merged-away record on another:
    /// after exchanging changes both devices hold the same records, and the concurrent
    /// values are recoverable with `changes_after_merge`.
    #[test]
    fn merge_converges_with_a_concurrent_edit(
        title in "[A-Za-z]{1,10}",
        city in prop::option::of("[A-Za-z]{1,10}"),
        tag in "[a-z]{1,8}",
        pick_name in 0..2usize,
    ) {
        let (mut a1, mut b1) = (ana(), ana_again());
        let (mut a2, mut b2) = (replica(&mut a1, 1), replica(&mut b1, 1));
        let mut choices = default_choices(&[&a1, &b1]);
        choices.insert(Field::Name, pick_name);
        let plan = plan(&[&a1, &b1], &choices, &[], 5_000);
        run(&plan.edits, &mut [&mut a1, &mut b1], 5_000);
        b2.edit(5_000, |e| {
            e.set(Field::Title, &title)?;
            if let Some(c) = &city { e.set(Field::City, c)?; }
            e.add_tag(&tag)
        }).unwrap();
        for (from, to) in [(&mut a1, &mut a2), (&mut b1, &mut b2)] {
            for c in from.changes() { to.apply(&c).unwrap(); }
            for c in to.changes() { from.apply(&c).unwrap(); }
        }
        prop_assert_eq!(a1.heads(), a2.heads());
        prop_assert_eq!(b1.heads(), b2.heads());
        prop_assert_eq!(b1.summary(), b2.summary());
        prop_assert!(b1.is_deleted() && b2.merged_into().as_ref() == Some(a1.id()));
        for b in [&mut b1, &mut b2] {
            let late = b.changes_after_merge().expect("late changes found");
            prop_assert!(late.fields.contains(&(Field::Title, title.clone())));
            if let Some(c) = &city {
                prop_assert!(late.fields.contains(&(Field::City, c.clone())));
            }
            prop_assert!(late.tags.contains(&tag) || tag == "vip");
        }
    }
}
