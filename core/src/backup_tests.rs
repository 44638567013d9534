use super::*;
use crate::record::{Channel, Field};
use proptest::prelude::*;

fn me() -> UserId {
    UserId("user-1".into())
}

fn workspace(id: &str) -> WorkspaceRef {
    WorkspaceRef {
        id: id.into(),
        name: format!("Team {id}"),
    }
}

fn records() -> Vec<Record> {
    let mut person = Record::create(RecordId::new(), RecordKind::Person, &me(), 1);
    person
        .edit(2, |e| {
            e.set(Field::Name, "Ada Lovelace")?;
            e.add_channel(Channel::Email, "ada@example.com", "work")?;
            e.add_tag("vip")?;
            e.set_notes("Met at the “analytical” fair\nline two")
        })
        .unwrap();
    person.edit(3, |e| e.set(Field::City, "London")).unwrap();
    let mut company = Record::create(RecordId::new(), RecordKind::Company, &me(), 1);
    company
        .edit(2, |e| e.set(Field::Domain, "example.com"))
        .unwrap();
    vec![person, company]
}

#[test]
fn records_round_trip_with_the_same_heads() {
    let mut originals = records();
    let text = write_backup(&workspace("w1"), 42, &mut originals);
    let backup = read_backup(&text).unwrap();
    assert_eq!(backup.workspace, workspace("w1"));
    assert_eq!(backup.exported_at, 42);
    assert_eq!(backup.records.len(), 2);
    for (original, stored) in originals.iter_mut().zip(&backup.records) {
        let (mut restored, _) = stored.load(&UserId("user-2".into())).unwrap();
        assert_eq!(restored.heads(), original.heads());
        assert_eq!(restored.summary(), original.summary());
        assert_eq!(restored.notes(), original.notes());
    }
}

#[test]
fn refuses_what_is_not_a_backup_or_is_newer() {
    assert_eq!(read_backup("name,email\n"), Err(BackupError::NotABackup));
    assert_eq!(
        read_backup("{\"format\":\"other\"}"),
        Err(BackupError::NotABackup)
    );
    assert_eq!(read_backup("[1,2]"), Err(BackupError::NotABackup));
    let newer = r#"{"format":"kith-backup","version":2,"workspace":{"id":"a","name":"b"},"exported_at":0,"records":[]}"#;
    let err = read_backup(newer).unwrap_err();
    assert_eq!(err, BackupError::Newer(2));
    assert!(err.to_string().contains("newer Kith"));
    let damaged = r#"{"format":"kith-backup","version":1,"records":7}"#;
    assert!(matches!(
        read_backup(damaged),
        Err(BackupError::Malformed(_))
    ));
}

#[test]
fn a_record_that_does_not_load_is_named() {
    let record = BackupRecord {
        id: RecordId::new().to_string(),
        kind: "person".into(),
        automerge: base64_encode(b"junk"),
    };
    assert!(matches!(
        record.load(&me()),
        Err(BackupError::BadRecord { .. })
    ));
    let mut company = records().remove(1);
    let mut wrong = BackupRecord::of(&mut company);
    wrong.kind = "person".into();
    assert!(matches!(
        wrong.load(&me()),
        Err(BackupError::BadRecord { .. })
    ));
}

#[test]
fn another_workspace_restores_only_into_an_empty_one() {
    let mut originals = records();
    let backup = read_backup(&write_backup(&workspace("w1"), 0, &mut originals)).unwrap();
    assert!(check_restore(&backup, &workspace("w2"), 0).is_ok());
    assert!(check_restore(&backup, &workspace("w1"), 5).is_ok());
    let err = check_restore(&backup, &workspace("w2"), 5).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("Team w1") && message.contains("Team w2"),
        "{message}"
    );
}

#[test]
fn base64_known_values() {
    assert_eq!(base64_encode(b""), "");
    assert_eq!(base64_encode(b"f"), "Zg==");
    assert_eq!(base64_encode(b"fo"), "Zm8=");
    assert_eq!(base64_encode(b"foo"), "Zm9v");
    assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64_decode("Zm9vYg==").unwrap(), b"foob");
    assert_eq!(base64_decode("Zm9v!"), None);
    assert_eq!(base64_decode("Z"), None);
}

proptest! {
    #[test]
    fn base64_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        prop_assert_eq!(base64_decode(&base64_encode(&bytes)).unwrap(), bytes);
    }

    #[test]
    fn reading_never_panics(text in ".{0,200}") {
        let _ = read_backup(&text);
        let _ = base64_decode(&text);
    }
}
