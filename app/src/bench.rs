//! Benchmark-only exports (feature `bench`; never in the app people download): fill the local
//! database with realistic people and companies, and report the module's memory.
//!
//! `cargo xtask bench` builds the app with this feature into `target/bench/dist` and drives it
//! from `tests/src/bin/browser_bench.rs`, which calls these through `window.__kithBench`.

use std::cell::Cell;

use kith_core::directory::{Directory, ListQuery};
use kith_core::ids::{RecordId, UserId};
use kith_core::record::{Channel, Edit, Field, LifecycleStage, Record, RecordError, RecordKind};
use kith_core::summary::Summary;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::store::{Append, RecordWrite, Store};
use crate::workspace::DATABASE;

/// Records per IndexedDB transaction while seeding.
const BATCH: usize = 2_000;
/// One company for this many people.
const PEOPLE_PER_COMPANY: u32 = 10;
/// 2023-01-01T00:00:00Z: records were created over the following ~3 years.
const EPOCH_MS: i64 = 1_672_531_200_000;
const SPAN_MS: u64 = 3 * 365 * 24 * 3600 * 1000;

const FIRST: &[&str] = &[
    "Amara",
    "Ben",
    "Chloé",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiroshi",
    "Inès",
    "Jamal",
    "Katarzyna",
    "Liam",
    "Maria",
    "Nikhil",
    "Olivia",
    "Pedro",
    "Qin",
    "Rosa",
    "Samuel",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zara",
    "Anna",
    "Carlos",
    "Fatima",
    "George",
    "Hannah",
    "Ivan",
    "Julia",
    "Kwame",
    "Laura",
    "Mohammed",
    "Noah",
    "Priya",
    "Sofia",
    "Thomas",
];
const LAST: &[&str] = &[
    "Okafor",
    "Smith",
    "Dubois",
    "Ivanova",
    "García",
    "Haddad",
    "Tanaka",
    "Rossi",
    "Müller",
    "Nguyen",
    "Kowalski",
    "O'Brien",
    "Silva",
    "Patel",
    "Johansson",
    "Chen",
    "Mensah",
    "Kim",
    "Novak",
    "Hernández",
    "Ahmed",
    "Cohen",
    "Jones",
    "Larsen",
    "Moreau",
    "Schmidt",
    "Yılmaz",
    "Fernandes",
    "Brown",
    "Wilson",
];
/// City, country, phone prefix.
const PLACES: &[(&str, &str, &str)] = &[
    ("London", "United Kingdom", "+44 20 7946"),
    ("Lagos", "Nigeria", "+234 1 555"),
    ("Lima", "Peru", "+51 1 555"),
    ("Lyon", "France", "+33 4 72 55"),
    ("Berlin", "Germany", "+49 30 5555"),
    ("Osaka", "Japan", "+81 6 5555"),
    ("Toronto", "Canada", "+1 416 555"),
    ("Nairobi", "Kenya", "+254 20 555"),
    ("São Paulo", "Brazil", "+55 11 5555"),
    ("Melbourne", "Australia", "+61 3 5555"),
];
const TITLES: &[&str] = &[
    "Head of Purchasing",
    "Account Executive",
    "CTO",
    "Operations Manager",
    "Founder",
    "Marketing Lead",
    "Software Engineer",
    "Procurement Officer",
    "Sales Director",
    "Office Manager",
];
const TAGS: &[&str] = &[
    "vip",
    "newsletter",
    "partner",
    "conference-2024",
    "customer",
    "investor",
];
const SOURCES: &[&str] = &["referral", "website", "event", "cold outreach", "partner"];
const OWNERS: &[&str] = &["Alex", "Sam", "Jordan", "Robin"];
const COMPANY_WORDS: &[&str] = &[
    "Northwind",
    "Blue Harbor",
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Tyrell",
    "Cyberdyne",
    "Hooli",
    "Vandelay",
    "Wonka",
    "Oceanic",
    "Monarch",
    "Aperture",
    "Massive Dynamic",
    "Soylent",
    "Gringotts",
    "Kestrel",
    "Juniper",
];
const INDUSTRIES: &[&str] = &[
    "Logistics",
    "Foods",
    "Labs",
    "Consulting",
    "Software",
    "Bank",
    "Studios",
    "Health",
    "Energy",
    "Retail",
];
const SIZES: &[&str] = &["1–10", "11–50", "51–200", "201–1000", "1000+"];

thread_local! {
    /// What the last [`kith_bench_seed`] spent in IndexedDB, and the bytes it wrote.
    static LAST_SEED: Cell<SeedStats> = const { Cell::new(SeedStats::ZERO) };
}

#[derive(Debug, Clone, Copy)]
struct SeedStats {
    write_ms: f64,
    records: f64,
    record_bytes: f64,
    summary_bytes: f64,
}

impl SeedStats {
    const ZERO: Self = Self {
        write_ms: 0.0,
        records: 0.0,
        record_bytes: 0.0,
        summary_bytes: 0.0,
    };
}

/// A deterministic 64-bit mix of `i` (splitmix64), so runs seed the same data.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn pick<T: Copy>(list: &[T], h: u64) -> T {
    list[(h % list.len() as u64) as usize]
}

/// ASCII, lower-case, letters and digits only: for email local parts and domains.
fn slug(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            'á' | 'à' | 'ã' | 'â' => Some('a'),
            'é' | 'è' | 'ê' => Some('e'),
            'í' | 'ı' => Some('i'),
            'ó' | 'ô' => Some('o'),
            'ú' | 'ü' => Some('u'),
            'ç' => Some('c'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

struct CompanySpec {
    name: String,
    domain: String,
    industry: &'static str,
    size: &'static str,
    city: &'static str,
    country: &'static str,
}

fn company(i: u32) -> CompanySpec {
    let h = mix(u64::from(i) ^ 0xc0ffee);
    let word = pick(COMPANY_WORDS, h);
    let industry = pick(INDUSTRIES, h >> 8);
    let combos = (COMPANY_WORDS.len() * INDUSTRIES.len()) as u32;
    let base = format!("{word} {industry}");
    let name = if i < combos {
        base
    } else {
        format!("{base} {}", i / combos + 1)
    };
    let (city, country, _) = pick(PLACES, h >> 16);
    CompanySpec {
        domain: format!("{}{i}.com", slug(&name)),
        name,
        industry,
        size: pick(SIZES, h >> 24),
        city,
        country,
    }
}

struct PersonSpec {
    name: String,
    email: String,
    phone: String,
    title: &'static str,
    city: &'static str,
    country: &'static str,
    tags: Vec<&'static str>,
    stage: LifecycleStage,
    source: &'static str,
    owner: &'static str,
    /// Index of the company, for about 60% of people.
    company: Option<u32>,
}

fn person(i: u32, companies: u32) -> PersonSpec {
    let h = mix(u64::from(i));
    let first = pick(FIRST, h);
    let last = pick(LAST, h >> 8);
    let (city, country, prefix) = pick(PLACES, h >> 16);
    let tags = match (h >> 24) % 4 {
        0 => Vec::new(),
        1 | 2 => vec![pick(TAGS, h >> 28)],
        _ => vec![pick(TAGS, h >> 28), pick(TAGS, (h >> 32) + 1)],
    };
    PersonSpec {
        name: format!("{first} {last}"),
        email: format!("{}.{}{i}@example.com", slug(first), slug(last)),
        phone: format!("{prefix} {:04}", i % 10_000),
        title: pick(TITLES, h >> 36),
        city,
        country,
        tags,
        stage: pick(LifecycleStage::ALL, h >> 40),
        source: pick(SOURCES, h >> 44),
        owner: pick(OWNERS, h >> 48),
        company: (companies > 0 && (h >> 52) % 10 < 6).then(|| (h >> 12) as u32 % companies),
    }
}

/// Creation and last-update times of record `salt`, spread over three years.
fn times(salt: u64) -> (i64, i64) {
    let h = mix(salt ^ 0x7157);
    let created = EPOCH_MS + (h % SPAN_MS) as i64;
    (
        created,
        created + ((h >> 20) % (90 * 24 * 3600 * 1000)) as i64,
    )
}

fn build(
    kind: RecordKind,
    author: &UserId,
    (created, updated): (i64, i64),
    fill: impl FnOnce(&mut Edit<'_>) -> Result<(), RecordError>,
) -> Result<(RecordId, RecordWrite), JsValue> {
    let mut record = Record::create(RecordId::new(), kind, author, created);
    record
        .edit(updated, fill)
        .map_err(|e| JsValue::from_str(&format!("building a {}: {e}", kind.as_str())))?;
    let id = record.id().clone();
    let write = RecordWrite {
        id: id.to_string(),
        kind: kind.as_str().into(),
        append: Append::Snapshot(record.save()),
        summary: record.summary().encode(),
        // Seeded records are as if synced already: nothing to send.
        outbox: None,
    };
    Ok((id, write))
}

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Writes `count` people and `count / 10` companies (about 60% of people linked to one) into
/// the app's database, as real records with summaries and no outbox entries, in transactions
/// of 2,000 records. Returns the milliseconds taken; [`kith_bench_seed_stats`] says how many
/// of them went to IndexedDB.
#[wasm_bindgen]
pub async fn kith_bench_seed(count: u32) -> Result<f64, JsValue> {
    let started = now();
    let store = Store::open(DATABASE)
        .await
        .map_err(|e| JsValue::from_str(&format!("opening the database: {e}")))?;
    let author = UserId("bench-seed".into());
    let companies = count / PEOPLE_PER_COMPANY;
    let mut stats = SeedStats::ZERO;
    let mut batch: Vec<RecordWrite> = Vec::with_capacity(BATCH);
    let mut company_ids: Vec<RecordId> = Vec::with_capacity(companies as usize);

    async fn flush(
        store: &Store,
        batch: &mut Vec<RecordWrite>,
        stats: &mut SeedStats,
    ) -> Result<(), JsValue> {
        for w in batch.iter() {
            if let Append::Snapshot(bytes) = &w.append {
                stats.record_bytes += bytes.len() as f64;
            }
            stats.summary_bytes += w.summary.len() as f64;
        }
        stats.records += batch.len() as f64;
        let start = now();
        store
            .write_many(std::mem::take(batch))
            .await
            .map_err(|e| JsValue::from_str(&format!("writing seeded records: {e}")))?;
        stats.write_ms += now() - start;
        Ok(())
    }

    for i in 0..companies {
        let c = company(i);
        let (id, write) = build(
            RecordKind::Company,
            &author,
            times(u64::from(i) << 32),
            |e| {
                e.set(Field::Name, &c.name)?;
                e.set(Field::Domain, &c.domain)?;
                e.set(Field::Industry, c.industry)?;
                e.set(Field::Size, c.size)?;
                e.set(Field::City, c.city)?;
                e.set(Field::Country, c.country)
            },
        )?;
        company_ids.push(id);
        batch.push(write);
        if batch.len() == BATCH {
            flush(&store, &mut batch, &mut stats).await?;
        }
    }
    for i in 0..count {
        let p = person(i, companies);
        let company_id = p.company.map(|c| company_ids[c as usize].to_string());
        let (_, write) = build(RecordKind::Person, &author, times(u64::from(i)), |e| {
            e.set(Field::Name, &p.name)?;
            e.set(Field::Title, p.title)?;
            if let Some(company_id) = &company_id {
                e.set(Field::CompanyId, company_id)?;
            }
            e.set(Field::City, p.city)?;
            e.set(Field::Country, p.country)?;
            e.set(Field::Source, p.source)?;
            e.set(Field::Owner, p.owner)?;
            e.add_channel(Channel::Email, &p.email, "work")?;
            e.add_channel(Channel::Phone, &p.phone, "mobile")?;
            for tag in &p.tags {
                e.add_tag(tag)?;
            }
            e.set_stage(p.stage)
        })?;
        batch.push(write);
        if batch.len() == BATCH {
            flush(&store, &mut batch, &mut stats).await?;
        }
    }
    if !batch.is_empty() {
        flush(&store, &mut batch, &mut stats).await?;
    }
    LAST_SEED.with(|s| s.set(stats));
    Ok(now() - started)
}

/// Writes `count` open deals spread over the default pipeline's stages (amounts 1k–100k in
/// EUR or USD, an owner, an expected close date), as [`kith_bench_seed`] writes people: real
/// records with summaries, no outbox. Returns the milliseconds taken.
#[wasm_bindgen]
pub async fn kith_bench_seed_deals(count: u32) -> Result<f64, JsValue> {
    let started = now();
    let store = Store::open(DATABASE)
        .await
        .map_err(|e| JsValue::from_str(&format!("opening the database: {e}")))?;
    let author = UserId("bench-seed".into());
    let stages = kith_core::pipeline::default_stages();
    let mut batch: Vec<RecordWrite> = Vec::with_capacity(BATCH);
    for i in 0..count {
        let h = mix(u64::from(i) ^ 0xdea1);
        let company = company(i);
        let stage = &stages[(h % stages.len() as u64) as usize];
        let amount = (1_000 + (h >> 8) % 99_000) * 100;
        let close = format!("2027-{:02}-{:02}", 1 + (h >> 20) % 12, 1 + (h >> 28) % 28);
        let (_, write) = build(RecordKind::Deal, &author, times(u64::from(i)), |e| {
            e.set(
                Field::Name,
                &format!("{} — {}", company.name, pick(TITLES, h >> 36)),
            )?;
            e.set(Field::DealStage, &stage.id)?;
            e.set(Field::Status, "open")?;
            e.set(Field::Amount, &amount.to_string())?;
            e.set(
                Field::Currency,
                if (h >> 40) % 4 == 0 { "USD" } else { "EUR" },
            )?;
            e.set(Field::CloseDate, &close)?;
            e.set(Field::Owner, pick(OWNERS, h >> 48))
        })?;
        batch.push(write);
        if batch.len() == BATCH {
            write_batch(&store, &mut batch).await?;
        }
    }
    write_batch(&store, &mut batch).await?;
    Ok(now() - started)
}

async fn write_batch(store: &Store, batch: &mut Vec<RecordWrite>) -> Result<(), JsValue> {
    if batch.is_empty() {
        return Ok(());
    }
    store
        .write_many(std::mem::take(batch))
        .await
        .map_err(|e| JsValue::from_str(&format!("writing seeded records: {e}")))
}

/// What the last seed did: `[ms in IndexedDB write_many, records, snapshot bytes, summary bytes]`.
#[wasm_bindgen]
pub fn kith_bench_seed_stats() -> Vec<f64> {
    let s = LAST_SEED.with(Cell::get);
    vec![s.write_ms, s.records, s.record_bytes, s.summary_bytes]
}

/// The text search looks through for each of the `count` people [`kith_bench_seed`] writes
/// (name, email, phone and its digits, title, city, tags, company; lower-case), for a plain
/// JS substring scan to compare the app's search with.
#[wasm_bindgen]
pub fn kith_bench_haystacks(count: u32) -> Vec<String> {
    let companies = count / PEOPLE_PER_COMPANY;
    (0..count)
        .map(|i| {
            let p = person(i, companies);
            let digits: String = p.phone.chars().filter(char::is_ascii_digit).collect();
            let mut parts = vec![
                p.name.to_lowercase(),
                p.email.clone(),
                p.phone.clone(),
                digits,
                p.title.to_lowercase(),
                p.city.to_lowercase(),
            ];
            parts.extend(p.tags.iter().map(|t| t.to_string()));
            if let Some(c) = p.company {
                parts.push(company(c).name.to_lowercase());
            }
            parts.join("\u{1f}")
        })
        .collect()
}

/// Times, on the data stored now, each step the app takes before it can list people, then the
/// search behind each of `queries` (no rendering): `[open the store, read every summary,
/// decode them, build the directory, list all people sorted by name, then one figure per
/// query, then the number of summaries]`, in ms. It builds a directory of its own: call it
/// after measuring memory.
#[wasm_bindgen]
pub async fn kith_bench_load_breakdown(queries: Vec<String>) -> Result<Vec<f64>, JsValue> {
    let fail = |what: &str, e: &dyn std::fmt::Display| JsValue::from_str(&format!("{what}: {e}"));
    let t0 = now();
    let store = Store::open(DATABASE)
        .await
        .map_err(|e| fail("opening the database", &e))?;
    let t1 = now();
    let loaded = store
        .summaries()
        .await
        .map_err(|e| fail("reading summaries", &e))?;
    let t2 = now();
    let summaries: Vec<Summary> = loaded
        .items
        .iter()
        .filter_map(|s| Summary::decode(&s.bytes).ok())
        .collect();
    let t3 = now();
    let count = summaries.len();
    let directory = Directory::from_summaries(summaries);
    let t4 = now();
    let all = directory.list(&ListQuery::all(RecordKind::Person));
    let t5 = now();
    drop(all);
    let mut times = vec![t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4];
    for text in queries {
        let start = now();
        let hits = directory.list(&ListQuery {
            text,
            ..ListQuery::all(RecordKind::Person)
        });
        times.push(now() - start);
        drop(hits);
    }
    times.push(count as f64);
    Ok(times)
}

/// The size of the module's linear memory in bytes (it only ever grows).
#[wasm_bindgen]
pub fn kith_bench_wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    f64::from(
        memory
            .buffer()
            .unchecked_into::<js_sys::ArrayBuffer>()
            .byte_length(),
    )
}
