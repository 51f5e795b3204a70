//! `--cli-input-json` as the AWS CLI takes it (a JSON string, or `file://PATH`), and the skeleton
//! `--generate-cli-skeleton` prints. Only reading and shape are checked here; the values are checked
//! by [`crate::request`] like the flags they stand for.

use serde_json::Value;

use crate::request::{Field, Given, InputError, Origin};

/// The JSON `--generate-cli-skeleton` prints, as the AWS CLI's for `resync-mfa-device`.
pub const CLI_SKELETON: &str = r#"{
    "UserName": "",
    "SerialNumber": "",
    "AuthenticationCode1": "",
    "AuthenticationCode2": ""
}"#;

/// The four fields `--cli-input-json` may carry.
#[derive(Debug, Default)]
pub struct JsonInput {
    /// `UserName`
    pub user_name: Option<String>,
    /// `SerialNumber`
    pub serial_number: Option<String>,
    /// `AuthenticationCode1`
    pub code1: Option<String>,
    /// `AuthenticationCode2`
    pub code2: Option<String>,
}

const JSON_KEYS: [&str; 4] = [
    "UserName",
    "SerialNumber",
    "AuthenticationCode1",
    "AuthenticationCode2",
];

fn json_error(problem: impl Into<String>, hint: impl Into<String>) -> InputError {
    InputError::invalid(Field::flag("--cli-input-json"), problem, hint)
}

/// Parses `--cli-input-json` (a JSON string, or `file://PATH` as the AWS CLI takes it).
pub fn parse(arg: &str) -> Result<JsonInput, InputError> {
    let text = match arg.strip_prefix("file://") {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            json_error(
                format!("cannot read {path}: {}", e.kind()),
                "give file:// followed by the path of a JSON file, e.g. file://request.json",
            )
        })?,
        None => arg.to_string(),
    };
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        json_error(
            format!(
                "is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
            "start from `mfa-resync resync --generate-cli-skeleton`",
        )
    })?;
    let Value::Object(map) = value else {
        return Err(json_error(
            "must be a JSON object",
            "start from `mfa-resync resync --generate-cli-skeleton`",
        ));
    };
    let mut input = JsonInput::default();
    for (key, value) in map {
        let slot = match key.as_str() {
            "UserName" => &mut input.user_name,
            "SerialNumber" => &mut input.serial_number,
            "AuthenticationCode1" => &mut input.code1,
            "AuthenticationCode2" => &mut input.code2,
            _ => {
                return Err(json_error(
                    format!(
                        "unknown parameter {:?}",
                        key.chars().take(64).collect::<String>()
                    ),
                    format!("the parameters are {}", JSON_KEYS.join(", ")),
                ));
            }
        };
        match value {
            Value::String(s) => *slot = Some(s),
            Value::Null => {}
            _ => {
                return Err(json_error(
                    format!("{key} must be a string"),
                    format!("write it in quotes, e.g. \"{key}\": \"…\""),
                ));
            }
        }
    }
    Ok(input)
}

/// A flag's value wins over the JSON's; the origin says which one to name in an error.
pub fn pick(flag: Option<String>, json: Option<String>) -> Option<Given> {
    flag.map(|value| Given {
        value,
        origin: Origin::Flag,
    })
    .or(json.map(|value| Given {
        value,
        origin: Origin::Json,
    }))
}
