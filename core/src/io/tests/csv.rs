use super::*;
use proptest::prelude::*;

fn read(text: &str, options: CsvOptions) -> (Option<Vec<String>>, Vec<Result<Row, RowError>>) {
    let mut reader = CsvReader::new(text, options);
    let rows = reader.by_ref().collect();
    (reader.headers().map(<[String]>::to_vec), rows)
}

fn fields(rows: &[Result<Row, RowError>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.as_ref().expect("row").fields.clone())
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn reads_quoted_fields_line_ends_and_headers() {
    let text = "Name,Email,Notes\r\nAda,ada@example.com,\"Said \"\"hi\"\",\r\nthen left\"\nGrace,grace@example.com,plain\rAlan,,x\r\n\r\n";
    let (headers, rows) = read(text, CsvOptions::default());
    assert_eq!(headers, Some(strings(&["Name", "Email", "Notes"])));
    assert_eq!(
        fields(&rows),
        vec![
            strings(&["Ada", "ada@example.com", "Said \"hi\",\r\nthen left"]),
            strings(&["Grace", "grace@example.com", "plain"]),
            strings(&["Alan", "", "x"]),
        ]
    );
    let lines: Vec<usize> = rows.iter().map(|r| r.as_ref().unwrap().line).collect();
    assert_eq!(lines, vec![2, 4, 5]);
}

#[test]
fn detects_delimiters_by_consistency() {
    assert_eq!(detect_delimiter("a;b;c\n1;2,5;3\n4;5;6\n"), ';');
    assert_eq!(detect_delimiter("a\tb\n1\t2\n"), '\t');
    assert_eq!(detect_delimiter("a|b|c\n1|2|3"), '|');
    assert_eq!(
        detect_delimiter("name,note\n\"x;y;z\",1\n\"p;q;r\",2\n"),
        ','
    );
    assert_eq!(detect_delimiter("justonecolumn\nvalue\n"), ',');
    assert_eq!(detect_delimiter(""), ',');
    let (headers, rows) = read("First;Last\nAda;Lovelace\n", CsvOptions::default());
    assert_eq!(headers, Some(strings(&["First", "Last"])));
    assert_eq!(fields(&rows), vec![strings(&["Ada", "Lovelace"])]);
}

#[test]
fn detects_headers() {
    let h = |rows: &[&[&str]]| {
        let rows: Vec<Vec<String>> = rows.iter().map(|r| strings(r)).collect();
        looks_like_header(&rows[0], &rows[1..])
    };
    assert!(h(&[&["First Name", "E-mail"], &["Ada", "ada@example.com"]]));
    assert!(h(&[&["Vorname", "Betrag"], &["Ada", "1.234,50"]]));
    assert!(!h(&[
        &["Ada", "ada@example.com"],
        &["Grace", "g@example.com"]
    ]));
    assert!(!h(&[&["Ada", "Lovelace"], &["Grace", "Hopper"]]));
    assert!(!h(&[&["Name", "Name"], &["Ada", "Lovelace"]]));
    assert!(!h(&[&["Name", ""], &["Ada", "Lovelace"]]));
    assert!(!h(&[&["2026-03-31", "x"], &["Ada", "Lovelace"]]));
    assert!(h(&[&["Name", "Email"]]));
    let (headers, rows) = read("Ada,ada@example.com\n", CsvOptions::default());
    assert_eq!((headers, rows.len()), (None, 1));
    let forced = CsvOptions {
        has_header: Some(false),
        ..CsvOptions::default()
    };
    let (headers, rows) = read("Name,Email\nAda,a@x.io\n", forced);
    assert_eq!((headers, rows.len()), (None, 2));
}

#[test]
fn strips_a_bom_and_skips_blank_rows() {
    let (headers, rows) = read(
        "\u{FEFF}Name,City\n\n , \nAda,London\n,\n",
        CsvOptions::default(),
    );
    assert_eq!(headers, Some(strings(&["Name", "City"])));
    assert_eq!(fields(&rows), vec![strings(&["Ada", "London"])]);
    let (_, rows) = read("Name,City\n\"\",\n", CsvOptions::default());
    assert_eq!(fields(&rows), vec![strings(&["", ""])]);
}

#[test]
fn unclosed_quote_reports_where_it_started_and_stops() {
    let text = "Name,Notes\nAda,ok\nGrace,\"never closed\nAlan,x\nMore,y\n";
    let (_, rows) = read(text, CsvOptions::default());
    assert_eq!(rows.len(), 2);
    let error = rows[1].as_ref().unwrap_err();
    assert_eq!(error.line, 3);
    assert_eq!(error.kind, RowErrorKind::UnclosedQuote);
    assert!(
        error
            .to_string()
            .starts_with("line 3: unclosed quote starting here")
    );
}

#[test]
fn ragged_rows_are_errors_that_keep_their_values() {
    let text = "a,b,c\n1,2,3\n1,2\n1,2,3,4\n7,8,9\n";
    let (_, rows) = read(text, CsvOptions::default());
    assert_eq!(rows.len(), 4);
    let few = rows[1].as_ref().unwrap_err();
    assert_eq!(few.line, 3);
    assert_eq!(
        few.kind,
        RowErrorKind::TooFewFields {
            expected: 3,
            fields: strings(&["1", "2"])
        }
    );
    assert_eq!(
        few.to_string(),
        "line 3: only 2 of 3 columns; the row may have been cut short."
    );
    let many = rows[2].as_ref().unwrap_err();
    assert!(matches!(
        many.kind,
        RowErrorKind::TooManyFields { expected: 3, .. }
    ));
    assert!(
        many.to_string()
            .starts_with("line 4: 4 values but 3 columns")
    );
    assert_eq!(rows[3].as_ref().unwrap().fields, strings(&["7", "8", "9"]));
}

#[test]
fn overlong_fields_and_binary_rows_are_skipped() {
    let options = CsvOptions {
        max_field_bytes: 8,
        ..CsvOptions::default()
    };
    let text = "a,b\n1,\"0123456789\nxx\"\n2,ok\n3,\u{0}\u{1}\n4,fine\n";
    let (_, rows) = read(text, options);
    let errors: Vec<String> = rows
        .iter()
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].starts_with("line 2: column 2 is longer than 8 bytes"));
    assert_eq!(size(MAX_FIELD_BYTES), "1 MiB");
    assert!(errors[1].starts_with("line 5: contains binary data"));
    let ok: Vec<usize> = rows
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|r| r.line))
        .collect();
    assert_eq!(ok, vec![4, 6]);
}

#[test]
fn a_quote_inside_an_unquoted_field_is_literal() {
    let (_, rows) = read(
        "a,b\n5\" screen,x\n\"ab\"cd,y\n",
        CsvOptions {
            has_header: Some(true),
            ..CsvOptions::default()
        },
    );
    assert_eq!(
        fields(&rows),
        vec![strings(&["5\" screen", "x"]), strings(&["abcd", "y"])]
    );
}

#[test]
fn position_reports_progress() {
    let text = "a,b\n1,2\n3,4\n";
    let mut reader = CsvReader::new(text.to_string(), CsvOptions::default());
    assert_eq!(reader.len(), text.len());
    assert_eq!(reader.next_rows(1).len(), 1);
    assert_eq!(reader.position(), 8);
    assert!(!reader.is_done());
    assert_eq!(reader.next_rows(10).len(), 1);
    assert!(reader.next_rows(10).is_empty());
    assert!(reader.is_done());
}

#[test]
fn writer_quotes_only_when_needed() {
    let plain = WriteOptions {
        neutralise_formulas: false,
        ..WriteOptions::default()
    };
    let out = write_csv(
        [
            vec!["Name", "Notes"],
            vec!["Ada", "a, \"b\"\nc"],
            vec!["", ""],
        ],
        &plain,
    );
    assert_eq!(out, "Name,Notes\r\nAda,\"a, \"\"b\"\"\nc\"\r\n\"\",\r\n");
    let safe = write_csv(
        [["=1+2", "-3.5", "+1 555", "@SUM(A1)", "ok"]],
        &WriteOptions::default(),
    );
    assert_eq!(safe, "'=1+2,-3.5,'+1 555,'@SUM(A1),ok\r\n");
    let semi = WriteOptions {
        delimiter: ';',
        neutralise_formulas: false,
    };
    assert_eq!(write_csv([["a;b", "c,d"]], &semi), "\"a;b\";c,d\r\n");
}

fn table() -> impl Strategy<Value = Vec<Vec<String>>> {
    (1usize..5).prop_flat_map(|columns| {
        proptest::collection::vec(
            proptest::collection::vec("[^\u{0}-\u{8}\u{e}-\u{1f}]{0,12}", columns),
            1..8,
        )
    })
}

proptest! {
    #[test]
    fn write_then_read_round_trips(rows in table(), delimiter in proptest::sample::select(DELIMITERS.to_vec())) {
        let options = WriteOptions { delimiter, neutralise_formulas: false };
        let text = write_csv(&rows, &options);
        let read_options = CsvOptions { delimiter: Some(delimiter), has_header: Some(false), ..CsvOptions::default() };
        let (_, read_rows) = read(&text, read_options);
        prop_assert_eq!(fields(&read_rows), rows.clone());
        // Detection finds the delimiter whenever the table has more than one column.
        // (Detection judges by consistency, so values that contain other candidates can fool it.)
        let plain = rows.iter().flatten().all(|f| !f.contains(DELIMITERS));
        if rows[0].len() > 1 && rows.len() > 1 && plain {
            let (_, detected) = read(&text, CsvOptions { has_header: Some(false), ..CsvOptions::default() });
            prop_assert_eq!(fields(&detected), rows);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,300}", delimiter in proptest::option::of(proptest::sample::select(DELIMITERS.to_vec()))) {
        let options = CsvOptions { delimiter, max_field_bytes: 16, ..CsvOptions::default() };
        let mut reader = CsvReader::new(text.as_str(), options);
        for item in reader.by_ref() {
            if let Err(error) = item {
                let prefix = format!("line {}:", error.line);
                prop_assert!(error.to_string().starts_with(&prefix));
            }
        }
        prop_assert!(reader.is_done());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = crate::io::text::decode(&bytes).text;
        let rows: Vec<_> = CsvReader::new(text.as_str(), CsvOptions::default()).collect();
        prop_assert!(rows.len() <= text.len() + 1);
    }

    #[test]
    fn reading_in_slices_equals_reading_at_once(text in "([a-c,;\"\n\r ]|\u{0}){0,120}", slice in 1usize..7) {
        let at_once: Vec<_> = CsvReader::new(text.as_str(), CsvOptions::default()).collect();
        let mut reader = CsvReader::new(text.as_str(), CsvOptions::default());
        let mut sliced = Vec::new();
        loop {
            let batch = reader.next_rows(slice);
            prop_assert!(batch.len() <= slice);
            if batch.is_empty() { break; }
            sliced.extend(batch);
        }
        prop_assert_eq!(sliced, at_once);
    }
}
