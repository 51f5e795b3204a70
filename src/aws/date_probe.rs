//! The `Date` of AWS's answers, kept so that the caller can measure how far the host clock is from
//! AWS's before choosing windows (a host-clock source off by a window would teach AWS a false drift).

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_iam::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_iam::error::BoxError;
use aws_smithy_types::date_time::{DateTime, Format};

/// Remembers the `Date` of the last response and the host time it arrived.
#[derive(Debug, Clone, Default)]
pub(crate) struct DateProbe(pub(crate) Arc<Mutex<Option<(u64, Duration)>>>);

impl Intercept for DateProbe {
    fn name(&self) -> &'static str {
        "mfa-resync::DateProbe"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let received = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let date = context
            .response()
            .headers()
            .get("date")
            .and_then(|value| DateTime::from_str(value, Format::HttpDate).ok())
            .and_then(|date| u64::try_from(date.secs()).ok());
        if let (Some(date), Ok(mut last)) = (date, self.0.lock()) {
            *last = Some((date, received));
        }
        Ok(())
    }
}
