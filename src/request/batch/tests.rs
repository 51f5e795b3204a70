//! The batch file as help desks write it: CSV or JSON lines, each bad row named by its line.
use std::io::Write as _;

use super::*;

fn parse_text(text: &str) -> Result<Vec<BatchRow>, InputError> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    parse(file.path())
}

#[test]
fn csv_and_json_lines_give_the_same_rows() {
    let csv = "user,serial,source,seed_file\nalice,arn:aws:iam::123456789012:mfa/alice,seed,/s/a\nbob,,seed,/s/b\n";
    let json = "{\"UserName\":\"alice\",\"SerialNumber\":\"arn:aws:iam::123456789012:mfa/alice\",\"SeedFile\":\"/s/a\"}\n{\"UserName\":\"bob\",\"SeedFile\":\"/s/b\"}\n";
    for text in [csv, json] {
        let rows = parse_text(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].user.as_str(), "alice");
        assert!(rows[1].serial.is_none());
        assert!(matches!(rows[1].source, SourceSpec::Seed(_)));
    }
}

#[test]
fn bad_rows_name_their_line_and_field() {
    let err = parse_text("user,serial\nalice,GAHT12345678\nbo b,GAHT12345678\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("--batch: line 3: --user-name: character ' '"),
        "{err}"
    );
    let err = parse_text("{\"UserName\":\"a\",\"Source\":\"prompt\"}\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("line 1: source \"prompt\" cannot be batched"),
        "{err}"
    );
    let err = parse_text("user,device\nalice,1\nbob,1\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("line 3: reads the same YubiKey as line 2"),
        "{err}"
    );
    let err = parse_text("user,colour\nalice,red\n").unwrap_err();
    assert!(
        err.to_string().contains("unknown column \"colour\""),
        "{err}"
    );
    assert!(parse_text("\n# nothing\n").is_err());
}
