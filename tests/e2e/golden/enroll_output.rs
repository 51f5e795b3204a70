//! What `enroll` prints, pinned in `tests/cmd/output/`: the text report and its progress lines, the
//! JSON report, and a rollback that cannot finish (its lines and the commands). Request ids, window
//! times and the endpoint are redacted.

use super::{Redact, Stdout, assert_run};
use crate::enroll::{BOB, bed_with_bob, empty_key, private_dir};
use crate::util::{Bed, Card, readers};

/// The placeholders of an enrolment's output.
fn redact(bed: &Bed) -> Redact {
    Redact::bed(bed)
        .pattern(
            "[REQUEST_ID]",
            r"(?<redacted>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
        )
        .pattern("[WINDOW]", r"window (?<redacted>[0-9:]{8}–[0-9:]{8}) UTC")
}

fn enroll(bed: &Bed, args: &[&str]) -> crate::util::Output {
    let mut cmd = bed.command();
    cmd.env("AWS_ACCESS_KEY_ID", BOB.0)
        .env("AWS_SECRET_ACCESS_KEY", BOB.1)
        .arg("enroll")
        .args(["--endpoint-url", &bed.url()])
        .args(args);
    bed.run(&mut cmd)
}

#[test]
fn enroll_text_and_json_match_their_golden_files() {
    let _readers = readers();
    for (name, format, stdout) in [
        ("enroll", "text", Stdout::Text),
        ("enroll-json", "json", Stdout::Json),
    ] {
        let bed = bed_with_bob(|_| {});
        let _card = Card::insert(empty_key(34000001), 0);
        let file = private_dir(&bed).join("bob-seed.txt");
        let out = enroll(
            &bed,
            &[
                "--output",
                format,
                "--backup-seed-file",
                file.to_str().unwrap(),
            ],
        );
        assert_run(&out, 0, "output", name, stdout, &redact(&bed));
    }
}

#[test]
fn a_rollback_that_cannot_finish_matches_its_golden_file() {
    let _readers = readers();
    let bed = bed_with_bob(|c| {
        c.state = c
            .state
            .clone()
            .deny("bob", "EnableMFADevice")
            .deny("bob", "DeleteVirtualMFADevice");
    });
    let _card = Card::insert(empty_key(34000002), 0);
    let out = enroll(&bed, &[]);
    assert_run(
        &out,
        10,
        "output",
        "enroll-rollback-incomplete",
        Stdout::Text,
        &redact(&bed),
    );
}
