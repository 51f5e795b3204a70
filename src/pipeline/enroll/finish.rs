//! The exact commands that finish what a rollback (or a replacement) could not: the AWS CLI's for
//! the IAM side, with the same profile, region and endpoint the run used, and ykman's for a
//! credential left on a key. Each argument is quoted for a POSIX shell when it needs it.

use crate::request::AwsOptions;
use crate::source::yubikey::KeyInfo;

/// The run's options, of which the AWS CLI's global ones (`--profile`, `--region`,
/// `--endpoint-url`) are repeated in each command.
#[derive(Debug, Clone, Copy)]
pub struct AwsFlags<'a>(pub &'a AwsOptions);

impl AwsFlags<'_> {
    fn command(&self, words: &[&str]) -> String {
        let mut all: Vec<String> = vec!["aws".into(), "iam".into()];
        all.extend(words.iter().map(|w| quote(w)));
        for (flag, value) in [
            ("--profile", &self.0.profile),
            ("--region", &self.0.region),
            ("--endpoint-url", &self.0.endpoint_url),
        ] {
            if let Some(value) = value {
                all.push(flag.into());
                all.push(quote(value));
            }
        }
        all.join(" ")
    }

    /// `aws iam deactivate-mfa-device --user-name USER --serial-number SERIAL`
    pub fn deactivate(&self, user: &str, serial: &str) -> String {
        self.command(&[
            "deactivate-mfa-device",
            "--user-name",
            user,
            "--serial-number",
            serial,
        ])
    }

    /// `aws iam delete-virtual-mfa-device --serial-number SERIAL`
    pub fn delete(&self, serial: &str) -> String {
        self.command(&["delete-virtual-mfa-device", "--serial-number", serial])
    }
}

/// `ykman --device SERIAL oath accounts delete NAME --force` for a key over USB (ykman finds it by
/// serial wherever it is plugged in); `--reader NAME` for one on an NFC reader (ykman's `--device`
/// looks among USB keys only) or without a serial.
pub fn ykman_delete(key: &KeyInfo, name: &str) -> String {
    let which = match key.serial {
        Some(serial) if key.transport == "USB" => format!("--device {serial}"),
        _ => format!("--reader {}", quote(&key.reader)),
    };
    format!("ykman {which} oath accounts delete {} --force", quote(name))
}

/// `shred -u FILE` (the seed's backup).
pub fn remove_file(path: &std::path::Path) -> String {
    format!("shred -u {}", quote(&path.display().to_string()))
}

/// `word` as one POSIX shell word: as it is when it holds nothing a shell reads specially, else in
/// single quotes (a single quote inside written as `'\''`).
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@=+,%".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::yubikey::tests::key;

    #[test]
    fn words_are_quoted_only_when_a_shell_would_split_or_expand_them() {
        assert_eq!(
            quote("arn:aws:iam::123456789012:mfa/bob"),
            "arn:aws:iam::123456789012:mfa/bob"
        );
        assert_eq!(
            quote("Amazon Web Services:bob@corp"),
            "'Amazon Web Services:bob@corp'"
        );
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn commands_repeat_the_runs_own_aws_flags() {
        let options = AwsOptions {
            profile: Some("desk".into()),
            endpoint_url: Some("http://127.0.0.1:4599".into()),
            ..AwsOptions::default()
        };
        assert_eq!(
            AwsFlags(&options).delete("arn:aws:iam::123456789012:mfa/bob"),
            "aws iam delete-virtual-mfa-device --serial-number arn:aws:iam::123456789012:mfa/bob --profile desk --endpoint-url http://127.0.0.1:4599"
        );
        assert_eq!(
            AwsFlags(&AwsOptions::default()).deactivate("bob", "arn:aws:iam::123456789012:mfa/bob"),
            "aws iam deactivate-mfa-device --user-name bob --serial-number arn:aws:iam::123456789012:mfa/bob"
        );
        let key = KeyInfo {
            reader: "Virtual PCD 00 01".into(),
            serial: None,
            ..key()
        };
        assert_eq!(
            ykman_delete(&key, "Amazon Web Services:bob@corp"),
            "ykman --reader 'Virtual PCD 00 01' oath accounts delete 'Amazon Web Services:bob@corp' --force"
        );
        let usb = KeyInfo {
            reader: "Yubico YubiKey OTP+FIDO+CCID 00 00".into(),
            serial: Some(12345678),
            transport: "USB".into(),
            ..key
        };
        assert_eq!(
            ykman_delete(&usb, "arn:aws:iam::123456789012:mfa/bob"),
            "ykman --device 12345678 oath accounts delete arn:aws:iam::123456789012:mfa/bob --force"
        );
    }
}
