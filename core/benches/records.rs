//! `cargo xtask bench` (native part): per-operation costs of records, summaries and search,
//! each next to a baseline measured in the same run on the same data.

use std::hint::black_box;
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use kith_core::directory::{Directory, ListQuery};
use kith_core::ids::{RecordId, UserId};
use kith_core::record::{Channel, Field, LifecycleStage, Record, RecordKind};
use kith_core::summary::Summary;
use kith_core::view::{self, Condition, Op, SortBy, ViewField, ViewSpec};

fn time<T>(runs: usize, mut f: impl FnMut(usize) -> T) -> Duration {
    let start = Instant::now();
    for i in 0..runs {
        black_box(f(i));
    }
    start.elapsed() / runs as u32
}

fn row(what: &str, ours: Duration, baseline_name: &str, baseline: Duration) {
    println!(
        "{what:<44} {:>10.1} µs   {baseline_name:<34} {:>10.1} µs   ratio {:>5.2}",
        ours.as_secs_f64() * 1e6,
        baseline.as_secs_f64() * 1e6,
        ours.as_secs_f64() / baseline.as_secs_f64()
    );
}

fn person(i: usize, author: &UserId) -> Record {
    let mut r = Record::create(
        RecordId::new(),
        RecordKind::Person,
        author,
        1_700_000_000_000,
    );
    r.edit(1_700_000_000_001, |e| {
        e.set(Field::Name, &format!("Person {i} Example"))?;
        e.set(Field::Title, "Head of Purchasing")?;
        e.set(Field::City, ["London", "Lagos", "Lima", "Lyon"][i % 4])?;
        e.add_channel(Channel::Email, &format!("person{i}@example.com"), "work")?;
        e.add_channel(
            Channel::Phone,
            &format!("+44 20 7946 {:04}", i % 10_000),
            "",
        )?;
        e.add_tag(["vip", "newsletter", "partner"][i % 3])?;
        e.set_stage(LifecycleStage::Prospect)
    })
    .unwrap();
    r
}

/// The same writes straight on Automerge, without Kith's validation, typing or summaries.
fn raw_person(i: usize) -> automerge::AutoCommit {
    let mut doc = automerge::AutoCommit::new();
    doc.put(automerge::ROOT, "type", "person").unwrap();
    doc.put(automerge::ROOT, "name", format!("Person {i} Example"))
        .unwrap();
    doc.put(automerge::ROOT, "title", "Head of Purchasing")
        .unwrap();
    doc.put(automerge::ROOT, "address_city", "London").unwrap();
    let emails = doc
        .put_object(automerge::ROOT, "emails", automerge::ObjType::Map)
        .unwrap();
    let e = doc
        .put_object(&emails, "e1", automerge::ObjType::Map)
        .unwrap();
    doc.put(&e, "value", format!("person{i}@example.com"))
        .unwrap();
    doc.put_object(automerge::ROOT, "phones", automerge::ObjType::Map)
        .unwrap();
    doc.put_object(automerge::ROOT, "tags", automerge::ObjType::Map)
        .unwrap();
    doc.put_object(automerge::ROOT, "notes", automerge::ObjType::Text)
        .unwrap();
    doc.put(automerge::ROOT, "stage", "prospect").unwrap();
    doc.commit();
    doc
}

fn main() {
    let author = UserId("bench-user".into());
    println!("Kith native benchmarks (release build, this machine, one thread)\n");

    // Records.
    let create = time(2_000, |i| person(i, &author).save());
    let raw_create = time(2_000, |i| raw_person(i).save());
    row(
        "create + fill + save a person",
        create,
        "raw Automerge, same writes",
        raw_create,
    );

    let mut r = person(1, &author);
    let edit = time(2_000, |i| {
        r.edit(1_800_000_000_000 + i as i64, |e| {
            e.set(Field::Title, &format!("Title {i}"))
        })
        .unwrap()
    });
    let mut raw = raw_person(1);
    let raw_edit = time(2_000, |i| {
        raw.put(automerge::ROOT, "title", format!("Title {i}"))
            .unwrap();
        raw.commit()
    });
    row(
        "edit one field (one change)",
        edit,
        "raw Automerge put + commit",
        raw_edit,
    );

    let snapshot = person(2, &author).save();
    let load = time(2_000, |_| {
        Record::load(RecordId::new(), &snapshot, &[], &author).unwrap()
    });
    let raw_load = time(2_000, |_| automerge::AutoCommit::load(&snapshot).unwrap());
    row(
        "load a person from its snapshot",
        load,
        "raw AutoCommit::load",
        raw_load,
    );
    println!("    snapshot size: {} bytes", snapshot.len());

    let loaded = Record::load(RecordId::new(), &snapshot, &[], &author).unwrap();
    let summarise = time(5_000, |_| loaded.summary());
    let encoded = loaded.summary().encode();
    let decode = time(20_000, |_| Summary::decode(&encoded).unwrap());
    row(
        "derive a summary",
        summarise,
        "decode a stored summary",
        decode,
    );
    println!("    summary size: {} bytes", encoded.len());

    // Search over 100k people (plus 10k companies).
    println!();
    let companies: Vec<Summary> = (0..10_000)
        .map(|i| {
            let mut s = Summary::decode(&encoded).unwrap();
            s.id = RecordId::new();
            s.kind = RecordKind::Company;
            s.name = format!("Company {i} Ltd");
            s
        })
        .collect();
    let people: Vec<Summary> = (0..100_000)
        .map(|i| {
            let mut s = Summary::decode(&encoded).unwrap();
            s.id = RecordId::new();
            s.name = format!("Person {i} Example");
            s.emails = vec![format!("person{i}@example.com")];
            s.company_id = Some(companies[i % companies.len()].id.clone());
            s
        })
        .collect();
    let start = Instant::now();
    let dir = Directory::from_summaries(companies.into_iter().chain(people.clone()));
    let build = start.elapsed();
    println!(
        "build the directory of 110k summaries          {:>10.1} ms",
        build.as_secs_f64() * 1e3
    );

    let plain: Vec<String> = people
        .iter()
        .map(|s| format!("{} {}", s.name, s.emails[0]).to_lowercase())
        .collect();
    for text in ["person 4242", "company 77", "zzz-no-match"] {
        let query = ListQuery {
            text: text.into(),
            ..ListQuery::all(RecordKind::Person)
        };
        let ours = time(20, |_| dir.list(&query));
        let scan = time(20, |_| plain.iter().filter(|h| h.contains(text)).count());
        row(
            &format!("search 100k people for {text:?}"),
            ours,
            "plain substring scan of 100k",
            scan,
        );
    }
    let all = ListQuery::all(RecordKind::Person);
    let mut dir = dir;
    // A change clears the cached order, so each run measures the full sort.
    let list_all = time(5, |i| {
        dir.upsert(people[i].clone());
        dir.list(&all)
    });
    let sort_plain = time(5, |_| {
        let mut names: Vec<String> = people.iter().map(|s| s.name.to_lowercase()).collect();
        names.sort_unstable();
        names.len()
    });
    row(
        "first list after a change: sort 100k by name",
        list_all,
        "lower-case + sort 100k plain names",
        sort_plain,
    );

    // A saved view over 100k people: two conditions, then two sort keys.
    println!();
    let varied: Vec<Summary> = people
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut s = s.clone();
            s.city = ["London", "Lagos", "Lima", "Lyon"][i % 4].into();
            s.tags = vec![["vip", "newsletter", "partner"][i % 3].into()];
            s.updated_at = 1_700_000_000_000 + (i as i64 * 7_919) % 1_000_000;
            s
        })
        .collect();
    let dir = Directory::from_summaries(varied);
    let condition = |field, op, value: &str| Condition {
        field,
        op,
        value: value.into(),
    };
    let spec = ViewSpec {
        filters: vec![
            condition(ViewField::Tags, Op::Contains, "vip"),
            condition(ViewField::City, Op::Is, "london"),
        ],
        sort: vec![
            SortBy {
                field: ViewField::City,
                descending: false,
            },
            SortBy {
                field: ViewField::Updated,
                descending: true,
            },
        ],
        ..ViewSpec::default_for(RecordKind::Person)
    };
    let ctx = view::Context::default();
    let filtered = time(10, |_| view::apply(&dir, &spec, "", &ctx));
    let plain_filter = time(10, |_| {
        people
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 12 == 0)
            .count()
    });
    row(
        "view: tag + city filter, 2-key sort of 100k",
        filtered,
        "count every 12th of 100k",
        plain_filter,
    );
    let sorted_only = ViewSpec {
        filters: Vec::new(),
        ..spec.clone()
    };
    let sort_all = time(5, |_| view::apply(&dir, &sorted_only, "", &ctx));
    row(
        "view: 2-key sort of all 100k (no filter)",
        sort_all,
        "lower-case + sort 100k plain names",
        sort_plain,
    );
}
