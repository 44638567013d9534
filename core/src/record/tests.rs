use proptest::prelude::*;

use super::*;

fn user(n: usize) -> UserId {
    UserId(format!("user-{n}"))
}

fn new_person() -> Record {
    Record::create(RecordId::new(), RecordKind::Person, &user(0), 1_000)
}

/// A copy of `record` on another device, signed in as `who`.
fn replica(record: &mut Record, who: usize) -> Record {
    Record::load(record.id().clone(), &record.save(), &[], &user(who)).unwrap()
}

#[test]
fn fields_are_typed_validated_and_cleared_by_empty_values() {
    let mut r = new_person();
    r.edit(2_000, |e| {
        e.set(Field::Name, "  Grace Hopper ")?;
        e.set(Field::Title, "Rear Admiral")
    })
    .unwrap();
    assert_eq!(r.text(Field::Name).as_deref(), Some("Grace Hopper"));
    let err = r
        .edit(3_000, |e| e.set(Field::Domain, "example.com"))
        .unwrap_err();
    assert!(matches!(err, RecordError::NoSuchField { .. }), "{err}");
    let err = r
        .edit(3_000, |e| e.set(Field::Stage, "friend"))
        .unwrap_err();
    assert!(err.to_string().contains("friend"), "{err}");
    r.edit(4_000, |e| e.set(Field::Title, "  ")).unwrap();
    assert_eq!(r.text(Field::Title), None);
}

#[test]
fn a_failed_edit_changes_nothing() {
    let mut r = new_person();
    let heads = r.heads();
    let err = r
        .edit(2_000, |e| {
            e.set(Field::Name, "Half written")?;
            e.add_channel(Channel::Email, "not an email", "")?;
            Ok(())
        })
        .unwrap_err();
    assert!(
        matches!(err, RecordError::Invalid { field: "Email", .. }),
        "{err}"
    );
    assert_eq!(r.text(Field::Name), None);
    assert_eq!(r.heads(), heads);
}

#[test]
fn an_edit_that_changes_nothing_makes_no_change() {
    let mut r = new_person();
    r.edit(2_000, |e| e.set(Field::Name, "Ada")).unwrap();
    assert_eq!(r.edit(3_000, |e| e.set(Field::Name, "Ada")).unwrap(), None);
    assert_eq!(r.updated_at(), 2_000);
}

#[test]
fn channels_keep_order_and_primary() {
    let mut r = new_person();
    let mut second = String::new();
    r.edit(2_000, |e| {
        e.add_channel(Channel::Email, "a@example.com", "work")?;
        second = e.add_channel(Channel::Email, "b@example.com", "home")?;
        e.add_channel(Channel::Phone, "+44 20 7946 0958", "")?;
        Ok(())
    })
    .unwrap();
    let emails = r.channel(Channel::Email);
    assert_eq!(
        emails.iter().map(|e| e.value.as_str()).collect::<Vec<_>>(),
        ["a@example.com", "b@example.com"]
    );
    assert!(emails[0].primary && !emails[1].primary);
    r.edit(3_000, |e| e.set_primary(Channel::Email, &second))
        .unwrap();
    assert_eq!(r.summary().primary_email(), Some("b@example.com"));
    r.edit(4_000, |e| e.remove_channel(Channel::Email, &second))
        .unwrap();
    assert_eq!(
        r.summary().emails,
        ["a@example.com"],
        "a removed primary falls back to the first"
    );
    assert!(matches!(
        r.edit(5_000, |e| e.remove_channel(Channel::Email, &second)),
        Err(RecordError::NoSuchEntry(_))
    ));
}

#[test]
fn tags_are_a_set() {
    let mut r = new_person();
    r.edit(2_000, |e| {
        e.add_tag("vip")?;
        e.add_tag("Berlin")?;
        e.add_tag("vip")
    })
    .unwrap();
    assert_eq!(r.tags(), ["Berlin", "vip"]);
    assert!(r.edit(3_000, |e| e.add_tag(" ")).is_err());
    assert!(
        r.edit(3_000, |e| e.add_tag(&"x".repeat(MAX_TAG_CHARS + 1)))
            .is_err()
    );
    r.edit(3_000, |e| e.remove_tag("vip")).unwrap();
    assert_eq!(r.tags(), ["Berlin"]);
}

#[test]
fn save_and_load_keep_everything_and_the_kind() {
    let mut r = new_person();
    r.edit(2_000, |e| {
        e.set(Field::Name, "Ada")?;
        e.set_notes("Met at the conference.\nFollow up in May.")
    })
    .unwrap();
    let snapshot = r.save();
    r.edit(3_000, |e| e.add_tag("vip")).unwrap();
    let chunk = r.save_incremental();
    let loaded = Record::load(r.id().clone(), &snapshot, &[&chunk], &user(1)).unwrap();
    assert_eq!(loaded.kind(), RecordKind::Person);
    assert_eq!(loaded.summary(), r.summary());
    assert_eq!(loaded.notes(), "Met at the conference.\nFollow up in May.");
}

#[test]
fn garbage_is_reported_as_corrupt() {
    for bytes in [
        &b""[..],
        b"not automerge",
        &[0x85, 0x6f, 0x4a, 0x83, 1, 2, 3],
    ] {
        let err = Record::load(RecordId::new(), bytes, &[], &user(0)).unwrap_err();
        assert!(matches!(err, RecordError::Corrupt(_)), "{err}");
    }
    // A valid Automerge document that is not a record.
    let mut other = automerge::AutoCommit::new();
    other.put(ROOT, "hello", "world").unwrap();
    let err = Record::load(RecordId::new(), &other.save(), &[], &user(0)).unwrap_err();
    assert!(err.to_string().contains("record type"), "{err}");
}

#[test]
fn concurrent_writes_to_one_field_keep_every_value_with_its_author() {
    let mut a = new_person();
    let mut b = replica(&mut a, 1);
    let from_a = a
        .edit(2_000, |e| e.set(Field::Title, "CEO"))
        .unwrap()
        .unwrap();
    let from_b = b
        .edit(2_001, |e| e.set(Field::Title, "CTO"))
        .unwrap()
        .unwrap();
    a.apply(&from_b).unwrap();
    b.apply(&from_a).unwrap();
    let (ca, cb) = (a.candidates(Field::Title), b.candidates(Field::Title));
    assert_eq!(ca, cb);
    assert_eq!(ca.len(), 2);
    assert_eq!(
        a.text(Field::Title).as_deref(),
        Some(ca[0].value.as_str()),
        "winner first"
    );
    let mut authors: Vec<String> = ca.iter().map(|c| c.author.clone().unwrap().0).collect();
    authors.sort();
    assert_eq!(authors, ["user-0", "user-1"]);
    assert_eq!(a.summary().conflicts, [Field::Title]);
    let mut dated: Vec<(String, i64)> = a
        .candidates_dated(Field::Title)
        .into_iter()
        .map(|c| (c.value, c.at.unwrap()))
        .collect();
    dated.sort();
    assert_eq!(dated, [("CEO".into(), 2_000), ("CTO".into(), 2_001)]);

    // Resolving writes the chosen value once, for everyone.
    let resolution = b
        .edit(3_000, |e| e.set(Field::Title, "CTO"))
        .unwrap()
        .unwrap();
    a.apply(&resolution).unwrap();
    assert_eq!(a.candidates(Field::Title).len(), 1);
    assert_eq!(a.text(Field::Title).as_deref(), Some("CTO"));
    assert!(a.summary().conflicts.is_empty());
}

#[test]
fn links_added_on_two_devices_both_survive_and_unlink_removes_one() {
    let mut a = Record::create(RecordId::new(), RecordKind::Deal, &user(0), 1_000);
    let mut b = replica(&mut a, 1);
    let (ana, ben) = (RecordId::new(), RecordId::new());
    let from_a = a
        .edit(2_000, |e| e.link(&ana, RecordKind::Person))
        .unwrap()
        .unwrap();
    let from_b = b
        .edit(2_000, |e| e.link(&ben, RecordKind::Person))
        .unwrap()
        .unwrap();
    a.apply(&from_b).unwrap();
    b.apply(&from_a).unwrap();
    assert_eq!(a.links(), b.links());
    assert_eq!(a.links().len(), 2);
    assert_eq!(a.summary().links.len(), 2);
    assert_eq!(
        a.edit(3_000, |e| e.link(&ana, RecordKind::Person)).unwrap(),
        None
    );
    a.edit(3_000, |e| e.unlink(&ana)).unwrap().unwrap();
    assert_eq!(
        a.links(),
        [Link {
            id: ben,
            kind: RecordKind::Person
        }]
    );
}

#[test]
fn deal_task_and_activity_fields_are_validated() {
    let mut deal = Record::create(RecordId::new(), RecordKind::Deal, &user(0), 1_000);
    deal.edit(2_000, |e| {
        e.set(Field::Currency, "eur")?;
        e.set(Field::Probability, "40%")?;
        e.set(Field::CloseDate, "2026-12-31")?;
        e.set(Field::Status, "Won")
    })
    .unwrap();
    let s = deal.summary();
    assert_eq!(
        (s.currency.as_str(), s.probability, s.status.as_str()),
        ("EUR", Some(40), "won")
    );
    for (field, bad) in [
        (Field::Currency, "euro"),
        (Field::Probability, "140"),
        (Field::CloseDate, "31/12/2026"),
        (Field::Status, "done"),
        (Field::Stage, "lead"),
    ] {
        assert!(
            deal.edit(3_000, |e| e.set(field, bad)).is_err(),
            "{field:?} {bad}"
        );
    }
    let mut task = Record::create(RecordId::new(), RecordKind::Task, &user(0), 1_000);
    assert!(task.edit(2_000, |e| e.set(Field::Status, "won")).is_err());
    task.edit(2_000, |e| e.set(Field::Status, "done")).unwrap();
    let mut person = new_person();
    person
        .edit(2_000, |e| {
            e.set(Field::Budget, "yes")?;
            e.set(Field::Need, "partly")
        })
        .unwrap();
    assert_eq!(person.summary().score, Some(37));
}

#[test]
fn history_says_who_changed_what_newest_first() {
    let mut a = new_person();
    a.edit(2_000, |e| {
        e.set(Field::Name, "Ada")?;
        e.add_channel(Channel::Email, "ada@example.com", "")
            .map(drop)
    })
    .unwrap();
    let mut b = replica(&mut a, 1);
    let entry = b.channel(Channel::Email)[0].id.clone();
    let change = b
        .edit(3_000, |e| {
            e.update_channel(Channel::Email, &entry, "ada@example.org", "")?;
            e.add_tag("vip")
        })
        .unwrap()
        .unwrap();
    a.apply(&change).unwrap();
    let history = a.history();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0].author, Some(user(1)));
    assert_eq!(history[0].what, ["Email", "Tags"]);
    assert_eq!(history[1].what, ["Name", "Email"]);
    assert!(history[2].created);
}

#[test]
fn concurrent_edits_to_different_fields_and_notes_all_survive() {
    let mut a = new_person();
    a.edit(1_500, |e| e.set_notes("Line one.\nLine two."))
        .unwrap();
    let mut b = replica(&mut a, 1);
    let ca = a
        .edit(2_000, |e| {
            e.add_channel(Channel::Phone, "555 0100", "")?;
            e.set_notes("Line one, edited by A.\nLine two.")
        })
        .unwrap()
        .unwrap();
    let cb = b
        .edit(2_000, |e| {
            e.add_channel(Channel::Email, "ada@example.com", "")?;
            e.set_notes("Line one.\nLine two, edited by B.")
        })
        .unwrap()
        .unwrap();
    a.apply(&cb).unwrap();
    b.apply(&ca).unwrap();
    for r in [&a, &b] {
        assert_eq!(r.summary().phones, ["555 0100"]);
        assert_eq!(r.summary().emails, ["ada@example.com"]);
        assert_eq!(r.notes(), "Line one, edited by A.\nLine two, edited by B.");
    }
}

#[test]
fn delete_and_restore() {
    let mut r = new_person();
    r.edit(2_000, |e| e.delete()).unwrap();
    assert!(r.summary().deleted);
    r.edit(3_000, |e| e.restore()).unwrap();
    assert!(!r.summary().deleted);
}

// --- Convergence under any delivery -------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Set(Field, u8),
    Clear(Field),
    AddTag(u8),
    RemoveTag(u8),
    AddEmail(u8),
    RemoveFirstEmail,
    MakeLastEmailPrimary,
    Notes(String),
    Delete,
    Restore,
}

fn op() -> impl Strategy<Value = Op> {
    let field = prop::sample::select(vec![Field::Name, Field::Title, Field::City, Field::Owner]);
    prop_oneof![
        (field.clone(), 0u8..4).prop_map(|(f, v)| Op::Set(f, v)),
        field.prop_map(Op::Clear),
        (0u8..4).prop_map(Op::AddTag),
        (0u8..4).prop_map(Op::RemoveTag),
        (0u8..4).prop_map(Op::AddEmail),
        Just(Op::RemoveFirstEmail),
        Just(Op::MakeLastEmailPrimary),
        "[a-c ]{0,8}".prop_map(Op::Notes),
        Just(Op::Delete),
        Just(Op::Restore),
    ]
}

fn apply_op(record: &mut Record, op: &Op, now: i64) -> Option<Vec<u8>> {
    let emails = record.channel(Channel::Email);
    record
        .edit(now, |e| match op {
            Op::Set(f, v) => e.set(*f, &format!("value {v}")),
            Op::Clear(f) => e.set(*f, ""),
            Op::AddTag(t) => e.add_tag(&format!("tag{t}")),
            Op::RemoveTag(t) => e.remove_tag(&format!("tag{t}")),
            Op::AddEmail(n) => e
                .add_channel(Channel::Email, &format!("p{n}@example.com"), "")
                .map(drop),
            Op::RemoveFirstEmail => emails
                .first()
                .map_or(Ok(()), |x| e.remove_channel(Channel::Email, &x.id)),
            Op::MakeLastEmailPrimary => emails
                .last()
                .map_or(Ok(()), |x| e.set_primary(Channel::Email, &x.id)),
            Op::Notes(text) => e.set_notes(text),
            Op::Delete => e.delete(),
            Op::Restore => e.restore(),
        })
        .expect("generated edits are valid")
}

/// A small deterministic generator for delivery order, seeded by proptest.
struct Shuffle(u64);

impl Shuffle {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Everything a user could see of a record.
fn observed(
    r: &mut Record,
) -> (
    Vec<String>,
    Summary,
    Vec<Vec<Candidate>>,
    String,
    Vec<ChannelEntry>,
) {
    let candidates = Field::ALL.iter().map(|f| r.candidates(*f)).collect();
    (
        r.heads(),
        r.summary(),
        candidates,
        r.notes(),
        r.channel(Channel::Email),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Random edits on 2–5 replicas; changes delivered partially, duplicated and reordered while
    /// editing goes on (partitions), then everything to everyone: all replicas end identical.
    #[test]
    fn replicas_converge_whatever_the_delivery(
        replica_count in 2usize..=5,
        steps in prop::collection::vec((0usize..5, op(), any::<bool>()), 1..40),
        seed in 1u64..,
    ) {
        let mut origin = new_person();
        let mut replicas: Vec<Record> = (0..replica_count).map(|i| replica(&mut origin, i)).collect();
        let mut log: Vec<Vec<u8>> = Vec::new();
        let mut rng = Shuffle(seed);
        for (step, (who, op, deliver)) in steps.iter().enumerate() {
            let who = who % replica_count;
            if let Some(change) = apply_op(&mut replicas[who], op, 2_000 + step as i64) {
                log.push(change);
            }
            if *deliver && !log.is_empty() {
                // Some random changes, possibly repeated, to one random replica.
                let to = rng.below(replica_count);
                for _ in 0..=rng.below(log.len()) {
                    let change = &log[rng.below(log.len())];
                    replicas[to].apply(change).unwrap();
                }
            }
        }
        for replica in &mut replicas {
            let mut order: Vec<usize> = (0..log.len()).chain(0..log.len() / 2).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i + 1));
            }
            for i in order {
                replica.apply(&log[i]).unwrap();
            }
        }
        let first = observed(&mut replicas[0]);
        for replica in &mut replicas[1..] {
            prop_assert_eq!(&observed(replica), &first);
        }
    }
}

/// A raw change made on `record` outside [`Record`], as a hostile or buggy client could.
fn raw_change(record: &mut Record, edit: impl FnOnce(&mut AutoCommit)) -> automerge::Change {
    let mut doc = AutoCommit::load(&record.save()).unwrap();
    edit(&mut doc);
    doc.get_last_local_change().unwrap().clone()
}

#[test]
fn changes_that_would_make_a_record_unreadable_are_named() {
    let mut r = new_person();
    let edit = r
        .edit(2_000, |e| e.set(Field::Name, "Ada"))
        .unwrap()
        .unwrap();
    let edit = automerge::Change::try_from(edit.as_slice()).unwrap();
    assert_eq!(check_schema(&edit), Ok(false));
    let creation = automerge::Change::try_from(r.changes()[0].as_slice()).unwrap();
    assert_eq!(check_schema(&creation), Ok(true), "creating gives a type");

    let unknown = raw_change(&mut r, |d| d.put(ROOT, TYPE, "spaceship").unwrap());
    assert!(check_schema(&unknown).unwrap_err().contains("spaceship"));
    let number = raw_change(&mut r, |d| d.put(ROOT, TYPE, 7).unwrap());
    assert!(check_schema(&number).is_err());
    let removed = raw_change(&mut r, |d| d.delete(ROOT, TYPE).unwrap());
    assert!(check_schema(&removed).unwrap_err().contains("removes"));
    let tags = raw_change(&mut r, |d| d.put(ROOT, TAGS, "none").unwrap());
    assert!(check_schema(&tags).unwrap_err().contains("tags"));
    let notes = raw_change(&mut r, |d| {
        d.put_object(ROOT, NOTES, ObjType::Map).unwrap();
    });
    assert!(check_schema(&notes).unwrap_err().contains("notes"));
    let other_kind = raw_change(&mut r, |d| d.put(ROOT, TYPE, "company").unwrap());
    assert_eq!(check_schema(&other_kind), Ok(true), "a known type is fine");
}

#[test]
fn each_author_s_changes_can_be_told_apart() {
    let mut mine = new_person();
    mine.edit(2_000, |e| e.set(Field::Name, "Ada")).unwrap();
    let mut theirs = replica(&mut mine, 1);
    theirs
        .edit(3_000, |e| e.set(Field::Title, "Countess"))
        .unwrap();
    theirs
        .edit(4_000, |e| e.set(Field::City, "London"))
        .unwrap();
    assert_eq!(theirs.changes().len(), 4);
    assert_eq!(theirs.changes_by(&user(0)).len(), 2, "created and named");
    assert_eq!(theirs.changes_by(&user(1)).len(), 2, "title and city");
    assert!(theirs.changes_by(&user(7)).is_empty());
}
