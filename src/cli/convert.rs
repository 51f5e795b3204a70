//! What clap parsed, handed over as clap-free values: each subcommand's flags become the input of
//! its request in [`crate::request`], which does every check.

use std::path::Path;

use super::args::source_choice;
use super::input_json::{self, JsonInput, pick};
use super::{CodesArgs, DevicesArgs, DoctorArgs, ResyncArgs, StationArgs};
use crate::model::InputError;
use crate::request::{
    BatchRequest, CodeFlags, CodesRequest, DevicesRequest, DoctorRequest, Pace, ResyncInput,
    SourceChoice, StationInput, StationRequest,
};
use crate::source::yubikey::Selector;

/// aws-vault's variables, as it sets them for `ykman`: the credential's name and the key's serial.
fn aws_vault(choice: SourceChoice) -> SourceChoice {
    SourceChoice {
        aws_vault_credential: std::env::var_os("YKMAN_OATH_CREDENTIAL_NAME"),
        aws_vault_device: std::env::var_os("YKMAN_OATH_DEVICE_SERIAL"),
        ..choice
    }
}

impl ResyncArgs {
    /// The flags and `--cli-input-json` (read here: it is input), flags winning.
    pub fn into_input(self) -> Result<ResyncInput, InputError> {
        let json = match &self.cli_input_json {
            Some(arg) => input_json::parse(arg)?,
            None => JsonInput::default(),
        };
        Ok(ResyncInput {
            code_flags: if self.spelling.v1_codes {
                CodeFlags::V1
            } else {
                CodeFlags::V2
            },
            user_name: pick(self.user_name, json.user_name),
            serial_number: pick(self.serial_number, json.serial_number),
            code1: pick(self.authentication_code_1, json.code1),
            code2: pick(self.authentication_code_2, json.code2),
            source: aws_vault(source_choice(
                self.source.map(Into::into),
                &self.key,
                &self.seed,
            )),
            mode: self.timing.mode(),
            max_attempts: self.max_attempts,
            aws: self.aws.choice(),
            audit_log: self.audit_log,
        })
    }

    /// A `--batch FILE` run (the file is read and every row checked here).
    pub fn into_batch(self, path: &Path) -> Result<BatchRequest, InputError> {
        BatchRequest::validate(
            path,
            Pace {
                mode: self.timing.mode(),
                max_attempts: self.max_attempts,
            },
            self.aws.choice(),
            self.audit_log,
        )
    }
}

impl CodesArgs {
    /// The validated request.
    pub fn into_request(self) -> Result<CodesRequest, InputError> {
        CodesRequest::validate(
            aws_vault(source_choice(
                self.source.map(Into::into),
                &self.key,
                &self.seed,
            )),
            self.timing.mode(),
        )
    }
}

impl DevicesArgs {
    /// The validated request.
    pub fn into_request(self) -> Result<DevicesRequest, InputError> {
        DevicesRequest::validate(
            Selector {
                serial: self.device,
                reader: self.reader,
            },
            self.accounts,
            self.aws.choice(),
        )
    }
}

impl DoctorArgs {
    /// The validated request.
    pub fn into_request(self) -> Result<DoctorRequest, InputError> {
        DoctorRequest::validate(self.source.map(Into::into), self.station, self.aws.choice())
    }
}

impl StationArgs {
    /// The validated request.
    pub fn into_request(self) -> Result<StationRequest, InputError> {
        StationInput {
            readers: self.reader,
            accounts: self.accounts,
            max_keys: self.max_keys,
            once: self.once,
            output: self.output.map(super::StationOutputArg::format),
            audit_log: self.audit_log,
            aws: self.aws.choice(),
        }
        .validate()
    }
}
