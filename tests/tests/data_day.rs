//! Data in and out in a real browser, as a team moving from Salesforce would do it: a
//! 10,000-row contacts report is imported from the People list with its columns mapped by
//! guess, the dry run flags the rows that look like someone already in Kith, two of those are
//! merged on the Duplicates page, a searched view is exported and compared with what the list
//! shows, and the whole import is undone. Each screen is checked by axe-core.

use anyhow::{Context, Result, ensure};
use kith_e2e::{Browser, DEFAULT_TIMEOUT, Seen, TestRelay, poll, tid};
use serde_json::{Value, json};
use std::time::Duration;

/// Importing and undoing 10k records in Chromium on 2 cores: generous, never waited out.
const BIG: Duration = Duration::from_secs(300);
const ROWS: usize = 10_000;

const FIRST: [&str; 25] = [
    "Oliver", "Amélie", "João", "Zoë", "Mateus", "Ingrid", "Kwame", "Priya", "Hiroshi", "Fatima",
    "Lucía", "Dmitri", "Chiara", "Tobias", "Aisha", "Björn", "Mei", "Rafael", "Sigrid", "Omar",
    "Elena", "Niamh", "Pedro", "Yusuf", "Greta",
];
const LAST: [&str; 12] = [
    "Okafor",
    "Müller",
    "O'Brien",
    "Nakamura",
    "Fernández",
    "Kowalski",
    "Haddad",
    "Johansson",
    "Rossi",
    "Nguyen",
    "Dubois",
    "Van der Berg",
];
const CITIES: [(&str, &str); 5] = [
    ("London", "United Kingdom"),
    ("Lisbon", "Portugal"),
    ("Lagos", "Nigeria"),
    ("Lima", "Peru"),
    ("Berlin", "Germany"),
];

/// A Salesforce "Contacts" report: quoted cells, accents, commas inside company names, a
/// Salesforce id per row. The first two rows look like Ana Silva, who is already in Kith:
/// one by a similar name at her company, one by her phone written another way.
fn salesforce_report() -> String {
    let mut csv = String::from(
        "\"First Name\",\"Last Name\",\"Account Name\",\"Title\",\"Email\",\"Phone\",\"Mailing City\",\"Mailing Country\",\"Lead Source\",\"Contact ID\"\r\n",
    );
    let row = |cells: [&str; 10]| {
        let quoted: Vec<String> = cells
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect();
        quoted.join(",") + "\r\n"
    };
    csv += &row([
        "Anna",
        "Silva",
        "Acme Tools",
        "Buyer",
        "anna.silva@acmetools.example",
        "+44 20 7946 9990",
        "Lisbon",
        "Portugal",
        "Trade show",
        "0035g00000A000001",
    ]);
    csv += &row([
        "A.",
        "Silva Costa",
        "Costa Imports",
        "Owner",
        "a.costa@costa.example",
        "00351 912 345 678",
        "Porto",
        "Portugal",
        "Referral",
        "0035g00000A000002",
    ]);
    for i in 2..ROWS {
        let company = i % 400;
        let account = if company % 10 == 0 {
            format!("Smith, Jones & Partners {company}")
        } else {
            format!("Northwind {company} Ltd")
        };
        let (city, country) = CITIES[i % CITIES.len()];
        let first = FIRST[(i / 400) % FIRST.len()];
        let last = LAST[i % LAST.len()];
        let email = format!("contact{i}@northwind{company}.example");
        let phone = format!("+44 20 7{:03} {:04}", i / 10_000, i % 10_000);
        let id = format!("0035g00000B{i:06}");
        csv += &row([
            first, last, &account, "Engineer", &email, &phone, city, country, "Web", &id,
        ]);
    }
    csv
}

#[tokio::test(flavor = "multi_thread")]
async fn a_salesforce_report_imports_flags_duplicates_merges_exports_and_undoes() -> Result<()> {
    let relay = TestRelay::start().await?;
    let browser = Browser::launch().await?;
    let result = data_day(&browser, &relay.url()).await;
    let result = browser
        .finish(
            "a_salesforce_report_imports_flags_duplicates_merges_exports_and_undoes",
            result,
        )
        .await;
    let stopped = relay.shutdown().await;
    result.and(stopped)
}

async fn check(browser: &Browser, name: &str) -> Result<()> {
    browser
        .check_screen(&format!("data_day-{name}"), "main")
        .await
}

/// The number at the start of the list's count ("2,000 of 10,001 people" → 2000).
async fn shown_count(browser: &Browser) -> Result<usize> {
    let text = browser.text_of(&tid("list-count")).await?;
    let first = text.split_whitespace().next().unwrap_or_default();
    first
        .replace(',', "")
        .parse()
        .with_context(|| format!("reading the list count {text:?}"))
}

async fn wait_for_count(browser: &Browser, wanted: &str) -> Result<()> {
    browser
        .wait_for_text_where(&tid("list-count"), wanted, BIG, |t| t.starts_with(wanted))
        .await
        .map(drop)
}

async fn data_day(browser: &Browser, base: &str) -> Result<()> {
    // Ana Silva is already in Kith, at Acme Tools.
    browser.goto(&format!("{base}/people/new")).await?;
    browser.type_text(&tid("new-name"), "Ana Silva").await?;
    browser
        .type_text(&tid("new-email"), "ana.silva@acmetools.example")
        .await?;
    browser
        .type_text(&tid("new-phone"), "+351 912 345 678")
        .await?;
    browser.type_text(&tid("new-company"), "Acme Tools").await?;
    browser.click(&tid("create-record")).await?;
    browser
        .wait_for_text(&tid("record-title"), "Ana Silva", DEFAULT_TIMEOUT)
        .await?;
    // Typing her again is warned about before anything is created.
    browser.goto(&format!("{base}/people/new")).await?;
    browser.type_text(&tid("new-name"), "Ana Silva").await?;
    browser.type_text(&tid("new-phone"), "912 345 678").await?;
    browser
        .wait_for_text_where(
            &tid("possible-duplicate"),
            "a warning naming Ana Silva",
            DEFAULT_TIMEOUT,
            |t| t.contains("Possible duplicate of Ana Silva (same phone)"),
        )
        .await?;

    // From the People list to the import page, set to people.
    browser.goto(&format!("{base}/people")).await?;
    browser.click(&tid("import-link")).await?;
    browser
        .wait_for(&tid("page-import"), DEFAULT_TIMEOUT)
        .await?;

    let csv = salesforce_report();
    browser
        .client()
        .execute(
            "const input = document.querySelector('[data-testid=import-file]');
             const dt = new DataTransfer();
             dt.items.add(new File([arguments[0]], 'Contacts report.csv', { type: 'text/csv' }));
             input.files = dt.files;
             input.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![json!(csv)],
        )
        .await
        .context("picking the report")?;
    browser.wait_for(&tid("import-map-9"), BIG).await?;
    let target = browser.value_of(&tid("import-target")).await?;
    ensure!(
        target == "0",
        "the list's link sets the import to people, not {target:?}"
    );
    let mapped = browser
        .eval(
            "return [...document.querySelectorAll('[data-testid^=import-map-]')]
               .map((s) => s.options[s.selectedIndex].textContent);",
        )
        .await?;
    ensure!(
        mapped
            == json!([
                "First name",
                "Last name",
                "Company name",
                "Job title",
                "Email",
                "Phone",
                "City",
                "Country",
                "Source",
                "Record id"
            ]),
        "every Salesforce column is guessed: {mapped}"
    );
    check(browser, "import-preview").await?;

    browser.click(&tid("import-dry-run")).await?;
    let summary = browser
        .wait_for_text_where(&tid("import-summary"), "the dry run", BIG, |t| {
            !t.is_empty()
        })
        .await?;
    ensure!(
        summary == "10,000 to create · 0 to update · 0 skipped · 0 errors · 2 possible duplicates",
        "dry run: {summary}"
    );
    browser
        .choose(&tid("import-issue-filter"), "duplicate")
        .await?;
    let flagged = browser
        .eval(
            "return [...document.querySelectorAll('[data-testid=import-issue]')]
               .map((r) => r.textContent);",
        )
        .await?;
    let flagged: Vec<String> = serde_json::from_value(flagged)?;
    ensure!(
        flagged.len() == 2
            && flagged[0].starts_with('2')
            && flagged[0].contains("Ana Silva (similar name at the same company)")
            && flagged[1].starts_with('3')
            && flagged[1].contains("Ana Silva (same phone)"),
        "flagged rows with their lines: {flagged:?}"
    );
    check(browser, "import-dry-run").await?;

    browser.click(&tid("import-run")).await?;
    browser.click(&tid("import-confirm")).await?;
    let result = browser
        .wait_for_text_where(&tid("import-result"), "the import's result", BIG, |t| {
            t.contains("Import finished")
        })
        .await?;
    ensure!(
        result.contains("10000 created, 0 updated, 401 companies added for them"),
        "{result}"
    );

    // The Duplicates page finds Ana with both look-alikes; merging keeps Ana.
    browser.goto(&format!("{base}/duplicates")).await?;
    let group = poll("Ana's group", BIG, async || {
        let groups = browser
            .eval(
                "return [...document.querySelectorAll('[data-testid=duplicate-group]')]
                   .map((g) => g.textContent);",
            )
            .await?;
        let groups: Vec<String> = serde_json::from_value(groups)?;
        Ok(match groups.iter().position(|g| g.contains("Anna Silva")) {
            Some(i) => Seen::Done(i),
            None => Seen::Not(format!("{} groups", groups.len())),
        })
    })
    .await?;
    check(browser, "duplicates").await?;
    browser
        .client()
        .execute(
            "document.querySelectorAll('[data-testid=duplicate-group]')[arguments[0]]
               .querySelector('[data-testid=duplicate-merge]').click();",
            vec![json!(group)],
        )
        .await?;
    browser
        .wait_for(&tid("merge-confirm"), DEFAULT_TIMEOUT)
        .await?;
    let merging = browser.text_of(&tid("merge-view")).await?;
    ensure!(
        [
            "Ana Silva",
            "Anna Silva",
            "A. Silva Costa",
            "Merge 3 records"
        ]
        .iter()
        .all(|t| merging.contains(t)),
        "the merge of Ana and both look-alikes: {merging}"
    );
    let kept = browser
        .eval("return document.querySelector('[data-testid=merge-survivor]:checked').closest('th').textContent;")
        .await?;
    ensure!(
        kept.as_str().is_some_and(|t| t.contains("Ana Silva")),
        "Ana (the oldest) is kept: {kept}"
    );
    check(browser, "merge").await?;
    browser.click(&tid("merge-confirm")).await?;
    poll("the merge view to close", DEFAULT_TIMEOUT, async || {
        let open = browser
            .eval("return !!document.querySelector('[data-testid=merge-view]');")
            .await?;
        Ok(if open == json!(false) {
            Seen::Done(())
        } else {
            Seen::Not("still open".into())
        })
    })
    .await?;

    // The list shows one Ana, holding the imported addresses too.
    browser.goto(&format!("{base}/people")).await?;
    browser.type_text(&tid("list-search"), "silva").await?;
    wait_for_count(browser, "1 of").await?;
    browser.click("[data-testid=list-row] .row-link").await?;
    browser
        .wait_for_text(&tid("record-title"), "Ana Silva", DEFAULT_TIMEOUT)
        .await?;
    browser
        .wait_for_js(
            "Anna's email on Ana's page",
            "return [...document.querySelectorAll('main input')].some((i) => i.value === 'anna.silva@acmetools.example')
               || document.querySelector('main').textContent.includes('anna.silva@acmetools.example');",
            DEFAULT_TIMEOUT,
        )
        .await?;

    // A view of the Lisbon contacts with their city shown and no date column, exported and
    // compared with the list.
    browser.goto(&format!("{base}/people")).await?;
    browser.wait_for(&tid("list-row"), BIG).await?;
    browser.click(&tid("columns-button")).await?;
    browser.click(&tid("column-toggle-city")).await?;
    browser.click(&tid("column-toggle-updated")).await?;
    browser.click(&tid("columns-button")).await?;
    browser.click(&tid("filter-add")).await?;
    browser.choose(&tid("filter-field"), "city").await?;
    browser.choose(&tid("filter-op"), "is").await?;
    browser.type_text(&tid("filter-value"), "Lisbon").await?;
    browser
        .wait_for_text_where(&tid("list-count"), "a filtered count", BIG, |t| {
            t.contains(" of ")
        })
        .await?;
    let shown = shown_count(browser).await?;
    ensure!(shown >= 1_999, "Lisbon contacts shown: {shown}");
    browser
        .eval("URL.createObjectURL = (b) => { window.__blob = b; return 'blob:captured'; }; URL.revokeObjectURL = () => {};")
        .await?;
    browser.click(&tid("export-view")).await?;
    browser
        .wait_for_js(
            "the export's toast",
            &format!(
                "return [...document.querySelectorAll('[data-testid=toast]')].some((t) => t.textContent.includes('Exported {} rows'));",
                kith_core::io::plan::grouped(shown)
            ),
            DEFAULT_TIMEOUT,
        )
        .await?;
    let exported = browser
        .eval_async(
            "const done = arguments[arguments.length - 1];
             window.__blob.arrayBuffer()
               .then((b) => done(new TextDecoder('utf-8', { ignoreBOM: true }).decode(b)), (e) => done('error: ' + e));",
        )
        .await?;
    let exported = exported.as_str().context("the export's text")?;
    let list = browser
        .eval(
            "const cells = (row, css) => [...row.querySelectorAll(css)].slice(1)
               .map((c) => c.textContent.replace(/[▲▼]\\d*/g, '').trim());
             return {
               header: cells(document.querySelector('.table__row--head'), '[role=columnheader]'),
               first: cells(document.querySelector('[data-testid=list-row]'), '[role=cell]'),
             };",
        )
        .await?;
    compare_export(exported, shown, &list)?;
    check(browser, "people-filtered").await?;

    // Undo the whole import: only Ana is left, with what the merge gave her.
    browser.goto(&format!("{base}/settings/data")).await?;
    browser
        .wait_for(&tid("import-history-undo"), DEFAULT_TIMEOUT)
        .await?;
    check(browser, "data").await?;
    browser.click(&tid("import-history-undo")).await?;
    browser
        .wait_for_text_where(&tid("import-history-note"), "the undo", BIG, |t| {
            t.contains("Import undone")
        })
        .await?;
    browser.goto(&format!("{base}/people")).await?;
    wait_for_count(browser, "1 person").await?;
    browser.goto(&format!("{base}/companies")).await?;
    wait_for_count(browser, "1 company").await?;
    Ok(())
}

/// The exported file holds exactly the rows and columns the list shows: its header is the
/// list's column headers, it has as many rows as the list counts, every row is from the
/// search, and the first row matches the list's first row cell by cell.
fn compare_export(csv: &str, shown: usize, list: &Value) -> Result<()> {
    let csv = csv
        .strip_prefix('\u{feff}')
        .context("Excel's byte-order mark")?;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().context("a header")?.split(',').collect();
    let list_header: Vec<String> = serde_json::from_value(list["header"].clone())?;
    ensure!(
        header == list_header,
        "the export's columns {header:?} are the list's {list_header:?}"
    );
    let rows: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    ensure!(
        rows.len() == shown,
        "{} rows exported, {shown} shown",
        rows.len()
    );
    ensure!(
        header.contains(&"City") && !header.contains(&"Updated"),
        "the chosen columns: {header:?}"
    );
    ensure!(
        rows.iter().all(|r| r.contains("Lisbon")),
        "every row is from the filter"
    );
    let first: Vec<String> = serde_json::from_value(list["first"].clone())?;
    for cell in first.iter().filter(|c| !c.is_empty()) {
        ensure!(
            rows[0].contains(cell.as_str()),
            "the first row {:?} holds the list's {cell:?}",
            rows[0]
        );
    }
    Ok(())
}
