//! The README's "A key each, and losing one" table, run in order as written, on one test bed:
//! bob gets two keys, each its own device; the backup resyncs its own; it is lost and retired; the
//! primary still resyncs, with no renaming and no new enrolment.

use super::{World, rows, words};
use crate::enroll::{assert_no_orphan_device, devices_of};
use crate::util::{Card, readers};
use testbed::virtual_yubikey::CardConfig;

const PRIMARY: &str = "arn:aws:iam::123456789012:mfa/bob-12345678";
const BACKUP: &str = "arn:aws:iam::123456789012:mfa/bob-23456789";

#[test]
fn a_desk_issues_two_keys_loses_one_retires_it_and_the_other_still_resyncs() {
    let rows = rows("### A key each, and losing one");
    assert_eq!(rows.len(), 4, "read the table: {rows:?}");
    let _readers = readers();
    let world = World::new();
    let bed = &world.bed;
    let primary = Card::insert(CardConfig::new(12345678), 0);
    let backup = Card::insert(CardConfig::new(23456789), 1);
    for (step, (row, command)) in rows.iter().enumerate() {
        let words = words(command);
        // Each resync two windows on in AWS's time, past every pair sent before.
        bed.server().set_clock_offset(60 * step as i64);
        let out = world.run(&words, true);
        out.assert_exit(0);
        match step {
            0 => {
                let devices = devices_of(bed, "bob");
                for device in [PRIMARY, BACKUP] {
                    assert!(devices.iter().any(|d| d == device), "{row}: {devices:?}");
                }
            }
            1 => {
                out.assert_stderr(&format!("Resynced {BACKUP} for user bob"));
            }
            2 => {
                assert!(
                    !devices_of(bed, "bob").contains(&BACKUP.to_string()),
                    "{row}"
                );
                assert!(
                    backup.credentials().is_empty(),
                    "{row}: its credential went too"
                );
            }
            _ => {
                out.assert_stderr(&format!("Resynced {PRIMARY} for user bob"));
            }
        }
    }
    assert_eq!(
        primary.credentials(),
        ["Amazon Web Services:bob-12345678@123456789012"]
    );
    assert_no_orphan_device(bed);
}
