//! The `Date` of AWS's answers, kept so that the caller can measure how far the host clock is from
//! AWS's before choosing windows (a host-clock source off by a window would teach AWS a false drift).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_iam::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_iam::error::BoxError;

use super::answer::{dated, host_now};

/// Remembers the `Date` of the last response and the host time it arrived.
#[derive(Debug, Clone, Default)]
pub(crate) struct DateProbe(pub(crate) Arc<Mutex<Option<(u64, Duration)>>>);

impl Intercept for DateProbe {
    fn name(&self) -> &'static str {
        "mfa-resync::DateProbe"
    }

    /// Keeps the `Date` of an answer dated within [`super::answer::MAX_SKEW`] of the host's
    /// clock, and refuses the answer otherwise: nothing is planned by an endpoint's clock that
    /// AWS's could not be.
    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let received = host_now();
        let date = context.response().headers().get("date");
        if let (Some(date), Ok(mut last)) = (dated(date, received)?, self.0.lock()) {
            *last = Some((date, received));
        }
        Ok(())
    }
}
