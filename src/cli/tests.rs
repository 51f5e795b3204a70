//! The command line as a user types it: flags, both code spellings, `--cli-input-json`, and the
//! man page and completions generated from the one definition.

use clap::{CommandFactory, Parser};

use super::*;
use crate::commands::docs;
use crate::model::InputError;
use crate::request::{CodePlan, ResyncRequest, SourceSpec};
use crate::source::yubikey::Selector;

fn resync(args: &[&str]) -> Result<ResyncRequest, InputError> {
    let mut argv = vec!["mfa-resync", "resync"];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(argv)
        .expect("clap accepts the flags")
        .command
    {
        Command::Resync(r) => r.into_request(),
        other => panic!("resync was parsed, not {other:?}"),
    }
}

#[test]
fn clap_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn both_code_spellings_are_accepted() {
    for (a, b) in [
        ("--authentication-code-1", "--authentication-code-2"),
        ("--authentication-code1", "--authentication-code2"),
    ] {
        let r = resync(&[
            "--user-name",
            "alice",
            "--serial-number",
            "GAHT12345678",
            a,
            "123456",
            b,
            "654321",
        ])
        .unwrap();
        assert!(matches!(r.codes, CodePlan::Given(..)));
    }
}

#[test]
fn flags_win_over_cli_input_json() {
    let json =
        r#"{"UserName": "bob", "SerialNumber": "GAHT12345678", "AuthenticationCode1": "111111"}"#;
    let r = resync(&[
        "--cli-input-json",
        json,
        "--user-name",
        "alice",
        "--authentication-code-1",
        "222222",
        "--authentication-code-2",
        "333333",
    ])
    .unwrap();
    assert_eq!(r.user.unwrap().as_str(), "alice");
    assert_eq!(r.serial.unwrap().as_str(), "GAHT12345678");
    match r.codes {
        CodePlan::Given(c1, _) => assert_eq!(c1.expose(), "222222"),
        CodePlan::Read(_) => panic!("codes were given"),
    }
}

#[test]
fn json_errors_name_the_key() {
    let err = resync(&[
        "--cli-input-json",
        r#"{"UserName": "a b"}"#,
        "--source",
        "prompt",
    ])
    .unwrap_err();
    assert!(
        err.to_string().starts_with("UserName in --cli-input-json"),
        "{err}"
    );
    let err = resync(&["--cli-input-json", r#"{"Bogus": "x"}"#]).unwrap_err();
    assert!(
        err.to_string().contains("unknown parameter \"Bogus\""),
        "{err}"
    );
}

#[test]
fn an_unfilled_skeleton_and_the_output_of_codes_are_taken() {
    let skeleton =
        super::input_json::CLI_SKELETON.replace(r#""UserName": """#, r#""UserName": "alice""#);
    let r = resync(&["--cli-input-json", &skeleton, "--seed-env", "S"]).unwrap();
    assert_eq!(r.user.unwrap().as_str(), "alice");
    assert!(matches!(r.codes, CodePlan::Read(SourceSpec::Seed(_))));
    let codes = r#"{"AuthenticationCode1":"123456","AuthenticationCode2":"654321","Counters":[1,2],"Period":30}"#;
    assert!(matches!(
        resync(&["--cli-input-json", codes, "--user-name", "alice"])
            .unwrap()
            .codes,
        CodePlan::Given(..)
    ));
    let err = resync(&["--cli-input-json", r#"{"Counters": "JBSWY3DPEHPK3PXP"}"#]).unwrap_err();
    assert!(
        err.to_string()
            .contains("Counters must be an array of numbers"),
        "{err}"
    );
    assert!(!err.to_string().contains("JBSW"), "{err}");
    let err = resync(&["--cli-input-json", r#"{"UserName": "a", "UserName": "b"}"#]).unwrap_err();
    assert!(
        err.to_string().contains("has the key \"UserName\" twice"),
        "{err}"
    );
}

#[test]
fn without_codes_or_a_source_the_attached_yubikey_is_read() {
    let r = resync(&["--user-name", "alice"]).unwrap();
    assert!(
        matches!(r.codes, CodePlan::Read(SourceSpec::YubiKey { ref selector, account: None, .. }) if *selector == Selector::default())
    );
    let r = resync(&[
        "--device",
        "12345678",
        "--account",
        "Amazon Web Services:alice@1",
    ])
    .unwrap();
    assert!(
        matches!(r.codes, CodePlan::Read(SourceSpec::YubiKey { ref selector, .. }) if selector.serial == Some(12345678))
    );
    assert!(matches!(
        resync(&["--seed-env", "S"]).unwrap().codes,
        CodePlan::Read(SourceSpec::Seed(_))
    ));
    assert!(resync(&["--source", "prompt", "--no-wait"]).is_err());
}

#[test]
fn every_long_option_completes_after_its_subcommand_and_every_subcommand_after_the_name() {
    let complete = |words: &[&str]| -> Vec<String> {
        let words: Vec<std::ffi::OsString> = words.iter().map(Into::into).collect();
        let index = words.len() - 1;
        clap_complete::engine::complete(&mut Cli::command(), words, index, None)
            .unwrap()
            .iter()
            .map(|c| c.get_value().to_string_lossy().into_owned())
            .collect()
    };
    let command = Cli::command();
    for sub in command.get_subcommands() {
        let name = sub.get_name();
        assert!(
            complete(&["mfa-resync", &name[..2]]).contains(&name.to_string()),
            "{name}"
        );
        for long in sub
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| a.get_long())
        {
            let option = format!("--{long}");
            assert!(
                complete(&["mfa-resync", name, &option]).contains(&option),
                "{name} {option}"
            );
        }
    }
    assert_eq!(complete(&["mfa-resync", "resync", "--pro"]), ["--profile"]);
}

#[test]
fn the_man_page_has_the_options_and_exit_codes() {
    let mut out = Vec::new();
    docs::man(Cli::command(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with(".ie"), "roff");
    assert!(text.contains(".TH mfa-resync 1"));
    assert!(text.contains(".SH \"MFA-RESYNC RESYNC OPTIONS\""));
    assert!(
        text.contains(".SS \"WHERE THE CODES COME FROM\""),
        "option groups are subsections"
    );
    assert!(text.contains(".SH EXAMPLES\n.SS \"mfa-resync resync\"\n.nf\n"));
    assert!(
        !text.contains("mfa\\-resync\\-resync(1)"),
        "no page is referred to that is not installed"
    );
    assert!(text.contains("\\-\\-authentication\\-code\\-1"));
    assert!(text.contains(".SH \"EXIT STATUS\"\n.TP\n0\n"));
    assert!(text.contains(".TP\n130\nstopped by SIGINT"));
    assert!(text.contains(".TP\n8\nresynced or enrolled, but the audit log"));
    assert!(text.contains(".SH \"MFA-RESYNC ENROLL OPTIONS\""));
    assert!(text.contains(".TP\n10\nenrolment failed and its rollback did not finish"));
}
