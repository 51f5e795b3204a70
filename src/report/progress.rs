//! The countdown to the next window: a bar at a terminal, one plain line elsewhere (a log, a pipe,
//! CI), so that a person knows how long the wait is and a transcript stays short.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Reporter;

impl Reporter {
    /// Starts or updates the countdown to `what`, `left` of `total` to go.
    pub fn countdown(&self, left: Duration, total: Duration, what: &str) {
        if self.inner.quiet {
            return;
        }
        let Ok(mut bar) = self.bar.lock() else {
            return;
        };
        if bar.is_none() {
            if self.inner.terminal {
                let pb = ProgressBar::with_draw_target(
                    Some(total.as_millis() as u64),
                    ProgressDrawTarget::stderr(),
                );
                pb.set_style(
                    ProgressStyle::with_template("{msg} [{bar:30}] {prefix}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                pb.set_message(super::escape::escape(what).into_owned());
                *bar = Some(pb);
            } else {
                let line = format!(
                    "{what}: waiting {} s for the next window",
                    left.as_secs_f64().ceil() as u64
                );
                super::write_stderr(&self.labelled_line(&line));
                *bar = Some(ProgressBar::hidden());
            }
        }
        if let Some(pb) = bar.as_ref() {
            pb.set_position((total.saturating_sub(left)).as_millis() as u64);
            pb.set_prefix(format!("{:>2} s", left.as_secs_f64().ceil() as u64));
        }
    }

    /// Ends the countdown.
    pub fn countdown_done(&self) {
        if let Ok(mut bar) = self.bar.lock()
            && let Some(pb) = bar.take()
        {
            pb.finish_and_clear();
        }
    }
}
