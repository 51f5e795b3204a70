//! What clap parsed, handed over as clap-free values: each subcommand's flags go to the `validate`
//! of its request in [`crate::request`], which does every check.

use std::path::Path;

use super::input_json;
use super::{
    CodesArgs, DevicesArgs, DoctorArgs, KeyArgs, ResyncArgs, RetireArgs, SeedArgs, StationArgs,
};
use crate::model::{InputError, Origin};
use crate::request::aws::validate_aws;
use crate::request::{
    BatchRequest, CodesRequest, DevicesRequest, DoctorRequest, Given, Pace, ResyncInput,
    ResyncRequest, RetireRequest, SourceChoice, SourceKind, StationRequest,
};
use crate::source::yubikey::Selector;

/// The source flags, clap-free, with aws-vault's variables as it sets them for `ykman`: the
/// credential's name and the key's serial.
fn source_choice(source: Option<SourceKind>, key: &KeyArgs, seed: &SeedArgs) -> SourceChoice {
    SourceChoice {
        source,
        seed_file: seed.seed_file.clone(),
        seed_env: seed.seed_env.clone(),
        seed_stdin: seed.seed_stdin,
        device: key.device,
        reader: key.reader.clone(),
        account: key.account.clone(),
        slot: key.slot,
        digits: key.digits.as_deref().and_then(|d| d.parse().ok()),
        aws_vault_credential: std::env::var_os("YKMAN_OATH_CREDENTIAL_NAME"),
        aws_vault_device: std::env::var_os("YKMAN_OATH_DEVICE_SERIAL"),
    }
}

/// A flag's value, which wins over the JSON's.
fn flag(value: Option<String>) -> Option<Given> {
    value.map(|value| Given {
        value,
        origin: Origin::Flag,
    })
}

impl ResyncArgs {
    /// The validated request: the flags and `--cli-input-json` (read here: it is input), flags
    /// winning.
    pub fn into_request(self) -> Result<ResyncRequest, InputError> {
        let json = match &self.cli_input_json {
            Some(arg) => input_json::parse(arg)?,
            None => ResyncInput::default(),
        };
        let (pace, aws) = (self.pace(), self.aws.options());
        let given = ResyncInput {
            code_flags: self.code_flags,
            user_name: flag(self.user_name).or(json.user_name),
            serial_number: flag(self.serial_number).or(json.serial_number),
            code1: flag(self.authentication_code_1).or(json.code1),
            code2: flag(self.authentication_code_2).or(json.code2),
        };
        let source = source_choice(self.source.map(Into::into), &self.key, &self.seed);
        ResyncRequest::validate(given, source, pace, aws, self.audit_log)
    }

    /// A `--batch FILE` run (the file is read and every row checked here).
    pub fn into_batch(self, path: &Path) -> Result<BatchRequest, InputError> {
        BatchRequest::validate(path, self.pace(), self.aws.options(), self.audit_log)
    }

    fn pace(&self) -> Pace {
        Pace {
            mode: self.timing.mode(),
            max_attempts: self.max_attempts,
        }
    }
}

impl CodesArgs {
    /// The validated request.
    pub fn into_request(self) -> Result<CodesRequest, InputError> {
        let source = source_choice(self.source.map(Into::into), &self.key, &self.seed);
        CodesRequest::validate(source, self.timing.mode())
    }
}

impl DevicesArgs {
    /// The validated request.
    pub fn into_request(self) -> Result<DevicesRequest, InputError> {
        let selector = Selector {
            serial: self.device,
            reader: self.reader,
        };
        DevicesRequest::validate(selector, self.accounts, self.aws.options())
    }
}

impl DoctorArgs {
    /// The validated request.
    pub fn into_request(self) -> Result<DoctorRequest, InputError> {
        Ok(DoctorRequest {
            source: self.source.map(Into::into),
            station: self.station,
            aws: validate_aws(self.aws.options())?,
        })
    }
}

impl StationArgs {
    /// The validated request.
    pub fn into_request(self) -> Result<StationRequest, InputError> {
        StationRequest::validate(
            self.reader,
            self.accounts,
            self.max_keys,
            self.once,
            self.output.map(super::StationOutputArg::format),
            self.aws.options(),
            self.audit_log,
        )
    }
}

impl RetireArgs {
    /// The validated request.
    pub fn into_request(self) -> Result<RetireRequest, InputError> {
        RetireRequest::validate(
            self.user_name,
            self.device,
            self.serial_number,
            self.aws.options(),
            self.audit_log,
        )
    }
}
