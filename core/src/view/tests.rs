use proptest::prelude::*;

use super::*;
use crate::ids::UserId;
use crate::record::{Channel, Edit, Field, Record, RecordError};

const NOW: i64 = 1_764_072_000_000; // 2025-11-25 12:00 UTC

fn summary(
    kind: RecordKind,
    edit: impl FnOnce(&mut Edit<'_>) -> Result<(), RecordError>,
) -> Summary {
    let mut r = Record::create(RecordId::new(), kind, &UserId("u".into()), NOW - 5 * DAY_MS);
    r.edit(NOW - DAY_MS, edit).unwrap();
    r.summary()
}

fn ctx() -> Context {
    Context {
        me: "alice".into(),
        now_ms: NOW,
        utc_offset_minutes: 0,
    }
}

fn people() -> Directory {
    let acme = summary(RecordKind::Company, |e| e.set(Field::Name, "Acme"));
    let acme_id = acme.id.to_string();
    Directory::from_summaries([
        acme,
        summary(RecordKind::Person, |e| {
            e.set(Field::Name, "Ada")?;
            e.set(Field::City, "London")?;
            e.set(Field::Owner, "alice")?;
            e.add_channel(Channel::Email, "ada@example.org", "")?;
            e.set_stage(LifecycleStage::Customer)?;
            e.add_tag("vip")
        }),
        summary(RecordKind::Person, |e| {
            e.set(Field::Name, "Bob")?;
            e.set(Field::City, "london")?;
            e.set(Field::CompanyId, &acme_id)?;
            e.set(Field::Owner, "bob")?;
            e.set_stage(LifecycleStage::Lead)
        }),
        summary(RecordKind::Person, |e| {
            e.set(Field::Name, "Cleo")?;
            e.set(Field::City, "Paris")?;
            e.add_tag("VIP")?;
            e.add_tag("newsletter")
        }),
    ])
}

fn deals() -> Directory {
    Directory::from_summaries([
        summary(RecordKind::Deal, |e| {
            e.set(Field::Name, "Big")?;
            e.set(Field::Amount, "1000000")?;
            e.set(Field::DealStage, "proposal")?;
            e.set(Field::CloseDate, "2025-11-25")?;
            e.set(Field::Status, "open")
        }),
        summary(RecordKind::Deal, |e| {
            e.set(Field::Name, "Small")?;
            e.set(Field::Amount, "5000")?;
            e.set(Field::Probability, "80")?;
            e.set(Field::DealStage, "qualified")?;
            e.set(Field::CloseDate, "2025-10-01")?;
            e.set(Field::Status, "won")
        }),
        summary(RecordKind::Deal, |e| e.set(Field::Name, "Bare")),
    ])
}

fn spec(kind: RecordKind, filters: &[(ViewField, Op, &str)]) -> ViewSpec {
    ViewSpec {
        filters: filters
            .iter()
            .map(|&(field, op, value)| Condition {
                field,
                op,
                value: value.into(),
            })
            .collect(),
        ..ViewSpec::default_for(kind)
    }
}

fn names(dir: &Directory, spec: &ViewSpec) -> Vec<String> {
    apply(dir, spec, "", &ctx())
        .into_iter()
        .map(|i| dir.at(i).name.clone())
        .collect()
}

fn find(dir: &Directory, kind: RecordKind, field: ViewField, op: Op, value: &str) -> Vec<String> {
    names(dir, &spec(kind, &[(field, op, value)]))
}

#[test]
fn text_operators() {
    let dir = people();
    let p = RecordKind::Person;
    let city = ViewField::City;
    assert_eq!(find(&dir, p, city, Op::Is, "LONDON"), ["Ada", "Bob"]);
    assert_eq!(find(&dir, p, city, Op::IsNot, "london"), ["Cleo"]);
    assert_eq!(find(&dir, p, city, Op::Contains, "ari"), ["Cleo"]);
    assert_eq!(find(&dir, p, city, Op::NotContains, "lon"), ["Cleo"]);
    assert_eq!(
        find(&dir, p, ViewField::Email, Op::IsEmpty, ""),
        ["Bob", "Cleo"]
    );
    assert_eq!(find(&dir, p, ViewField::Email, Op::IsNotEmpty, ""), ["Ada"]);
    assert_eq!(find(&dir, p, ViewField::Company, Op::Is, "acme"), ["Bob"]);
    // A condition without its value does not filter (yet).
    assert_eq!(find(&dir, p, city, Op::Is, "  ").len(), 3);
}

#[test]
fn choice_tag_and_owner_operators() {
    let dir = people();
    let p = RecordKind::Person;
    assert_eq!(find(&dir, p, ViewField::Stage, Op::Is, "customer"), ["Ada"]);
    assert_eq!(
        find(&dir, p, ViewField::Stage, Op::IsNot, "customer"),
        ["Bob", "Cleo"]
    );
    assert_eq!(find(&dir, p, ViewField::Stage, Op::IsEmpty, ""), ["Cleo"]);
    assert_eq!(
        find(&dir, p, ViewField::Tags, Op::Contains, "vip"),
        ["Ada", "Cleo"]
    );
    assert_eq!(
        find(&dir, p, ViewField::Tags, Op::Contains, "vi"),
        Vec::<String>::new()
    );
    assert_eq!(
        find(&dir, p, ViewField::Tags, Op::NotContains, "vip"),
        ["Bob"]
    );
    assert_eq!(find(&dir, p, ViewField::Tags, Op::IsEmpty, ""), ["Bob"]);
    assert_eq!(find(&dir, p, ViewField::Owner, Op::Is, ME), ["Ada"]);
    assert_eq!(find(&dir, p, ViewField::Owner, Op::Is, "bob"), ["Bob"]);
    assert_eq!(
        find(&dir, p, ViewField::Owner, Op::IsNot, ME),
        ["Bob", "Cleo"]
    );
    assert_eq!(find(&dir, p, ViewField::Owner, Op::IsEmpty, ""), ["Cleo"]);
}

#[test]
fn conditions_and_together_with_the_search() {
    let dir = people();
    let both = spec(
        RecordKind::Person,
        &[
            (ViewField::Tags, Op::Contains, "vip"),
            (ViewField::City, Op::Is, "London"),
        ],
    );
    assert_eq!(names(&dir, &both), ["Ada"]);
    let city = spec(RecordKind::Person, &[(ViewField::City, Op::Is, "london")]);
    let hits = apply(&dir, &city, "bob", &ctx());
    assert_eq!(hits.len(), 1);
    assert_eq!(dir.at(hits[0]).name, "Bob");
}

#[test]
fn number_operators() {
    let dir = deals();
    let d = RecordKind::Deal;
    assert_eq!(
        find(&dir, d, ViewField::Amount, Op::Greater, "1,000"),
        ["Big"]
    );
    assert_eq!(
        find(&dir, d, ViewField::Amount, Op::Less, "1000"),
        ["Small"]
    );
    assert_eq!(find(&dir, d, ViewField::Amount, Op::Is, "50"), ["Small"]);
    assert_eq!(find(&dir, d, ViewField::Amount, Op::IsEmpty, ""), ["Bare"]);
    assert_eq!(
        find(&dir, d, ViewField::Amount, Op::IsNotEmpty, "").len(),
        2
    );
    // Probability falls back to the stage's (proposal: 50).
    assert_eq!(find(&dir, d, ViewField::Probability, Op::Is, "50"), ["Big"]);
    assert_eq!(
        find(&dir, d, ViewField::Probability, Op::Greater, "60%"),
        ["Small"]
    );
    let bad = Condition {
        field: ViewField::Amount,
        op: Op::Greater,
        value: "lots".into(),
    };
    assert!(bad.problem().unwrap().contains("not an amount"));
}

#[test]
fn date_operators() {
    let dir = deals();
    let d = RecordKind::Deal;
    let close = ViewField::CloseDate;
    assert_eq!(find(&dir, d, close, Op::Is, "2025-11-25"), ["Big"]);
    assert_eq!(find(&dir, d, close, Op::Is, "today"), ["Big"]);
    assert_eq!(find(&dir, d, close, Op::Today, ""), ["Big"]);
    assert_eq!(find(&dir, d, close, Op::Less, "2025-11-01"), ["Small"]);
    assert_eq!(find(&dir, d, close, Op::Greater, "2025-11-01"), ["Big"]);
    assert_eq!(find(&dir, d, close, Op::Past, ""), ["Small"]);
    assert_eq!(find(&dir, d, close, Op::IsEmpty, ""), ["Bare"]);
    assert_eq!(find(&dir, d, close, Op::IsNotEmpty, "").len(), 2);
    // Timestamps: created 5 days ago, updated yesterday.
    assert_eq!(find(&dir, d, ViewField::Created, Op::Past, "").len(), 3);
    assert_eq!(find(&dir, d, ViewField::Updated, Op::Today, "").len(), 0);
    assert_eq!(
        find(&dir, d, ViewField::Updated, Op::Is, "2025-11-24").len(),
        3
    );
    let bad = Condition {
        field: close,
        op: Op::Less,
        value: "soon".into(),
    };
    assert!(bad.problem().unwrap().contains("not a date"));
}

#[test]
fn multi_column_sort_is_stable_then_by_name() {
    let dir = people();
    let mut by = ViewSpec::default_for(RecordKind::Person);
    by.sort = vec![
        SortBy {
            field: ViewField::City,
            descending: false,
        },
        SortBy {
            field: ViewField::Name,
            descending: true,
        },
    ];
    assert_eq!(names(&dir, &by), ["Bob", "Ada", "Cleo"]);
    by.sort[0].descending = true;
    assert_eq!(names(&dir, &by), ["Cleo", "Bob", "Ada"]);
    // Empty values last in both directions; equal keys keep the name order.
    by.sort = vec![SortBy {
        field: ViewField::Stage,
        descending: true,
    }];
    assert_eq!(names(&dir, &by), ["Ada", "Bob", "Cleo"]);
    by.sort = vec![SortBy {
        field: ViewField::Owner,
        descending: false,
    }];
    assert_eq!(names(&dir, &by), ["Ada", "Bob", "Cleo"]);

    let deals = deals();
    let mut by = ViewSpec::default_for(RecordKind::Deal);
    by.sort = vec![SortBy {
        field: ViewField::Amount,
        descending: true,
    }];
    assert_eq!(names(&deals, &by), ["Big", "Small", "Bare"]);
    by.sort[0].field = ViewField::DealStage;
    assert_eq!(names(&deals, &by), ["Big", "Small", "Bare"]);
}

#[test]
fn specs_round_trip_and_newer_ones_are_refused() {
    let mut s = spec(RecordKind::Task, &[(ViewField::DueAt, Op::Past, "")]);
    s.sort.push(SortBy {
        field: ViewField::Priority,
        descending: true,
    });
    assert_eq!(ViewSpec::parse(&s.encode()).unwrap(), s);
    let newer = s.encode().replace("\"version\":1", "\"version\":2");
    let err = ViewSpec::parse(&newer).unwrap_err();
    assert!(err.contains("newer version of Kith"), "{err}");
    // Even when the newer format has fields or operators this one does not know.
    let future = r#"{"version":9,"kind":"Person","filters":[{"field":"mood","op":"glows"}]}"#;
    assert!(
        ViewSpec::parse(future)
            .unwrap_err()
            .contains("newer version")
    );
    assert!(ViewSpec::parse("{").unwrap_err().contains("unreadable"));
}

#[test]
fn every_field_of_every_kind_has_operators_and_a_default() {
    for kind in RecordKind::ALL {
        let fields = ViewField::for_kind(kind);
        assert!(
            ViewField::default_columns(kind)
                .iter()
                .all(|c| fields.contains(c))
        );
        for &f in fields {
            assert_eq!(ViewField::parse(f.key()), Some(f));
            for &op in Op::for_type(f.field_type()) {
                assert_eq!(Op::parse(op.key()), Some(op));
            }
        }
    }
    let lookup = Lookup::new(&Directory::new());
    assert_eq!(
        ViewField::DealStage
            .choices(RecordKind::Deal, &lookup)
            .len(),
        5
    );
    assert_eq!(
        ViewField::Status.choices(RecordKind::Task, &lookup).len(),
        2
    );
}

fn any_field() -> impl Strategy<Value = ViewField> {
    (0..ViewField::ALL.len()).prop_map(|i| ViewField::ALL[i])
}

fn any_op() -> impl Strategy<Value = Op> {
    let all = Op::for_type(FieldType::Date)
        .iter()
        .chain(Op::for_type(FieldType::Text))
        .copied()
        .collect::<Vec<_>>();
    (0..all.len()).prop_map(move |i| all[i])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn applying_any_spec_never_panics(
        kind in 0..RecordKind::ALL.len(),
        filters in prop::collection::vec((any_field(), any_op(), "\\PC{0,12}"), 0..5),
        sort in prop::collection::vec((any_field(), any::<bool>()), 0..4),
        text in "\\PC{0,6}",
        offset in -840i32..840,
    ) {
        let spec = ViewSpec {
            version: SPEC_VERSION,
            kind: RecordKind::ALL[kind],
            filters: filters
                .into_iter()
                .map(|(field, op, value)| Condition { field, op, value })
                .collect(),
            sort: sort
                .into_iter()
                .map(|(field, descending)| SortBy { field, descending })
                .collect(),
            columns: Vec::new(),
        };
        let ctx = Context { utc_offset_minutes: offset, ..ctx() };
        for dir in [people(), deals()] {
            let hits = apply(&dir, &spec, &text, &ctx);
            prop_assert!(hits.iter().all(|&i| dir.at(i).kind == spec.kind));
        }
        prop_assert_eq!(ViewSpec::parse(&spec.encode()).unwrap(), spec);
    }
}
