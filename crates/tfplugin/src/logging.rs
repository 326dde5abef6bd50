//! Logging to stderr in go-hclog's JSON line format, which go-plugin (inside Terraform) parses
//! and re-emits at the right level: `TF_LOG=DEBUG terraform plan` shows provider logs.
//! Use the `log` macros; never pass secrets (wrap them in a type whose `Debug` and `Display`
//! print a mask).

use log::{Level, LevelFilter, Log, Metadata, Record};
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// The logger, with the targets that are the provider's own ([`crate::serve::ServeConfig::log_targets`]).
struct HclogJson {
    own_targets: &'static [&'static str],
}

/// This crate's own log target.
const PROTOCOL_TARGET: &str = env!("CARGO_CRATE_NAME");

/// The provider's own targets (and this crate) log at the configured level `max`; libraries
/// (rustls, h2, tonic) only warnings and errors unless the level is trace, so debug logs stay
/// about the provider.
fn level_for(target: &str, own_targets: &[&str], max: LevelFilter) -> LevelFilter {
    let is_under = |root: &str| {
        target
            .strip_prefix(root)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    };
    let ours = is_under(PROTOCOL_TARGET) || own_targets.iter().any(|root| is_under(root));
    if ours || max == LevelFilter::Trace {
        max
    } else {
        LevelFilter::Warn.min(max)
    }
}

impl Log for HclogJson {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= level_for(metadata.target(), self.own_targets, log::max_level())
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = serde_json::json!({
            "@level": hclog_level(record.level()),
            "@message": record.args().to_string(),
            "@module": record.target(),
            "@timestamp": timestamp(SystemTime::now()),
        });
        // One write per line so concurrent handlers do not interleave.
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }

    fn flush(&self) {}
}

fn hclog_level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warn => "warn",
        Level::Info => "info",
        Level::Debug => "debug",
        Level::Trace => "trace",
    }
}

/// `2006-01-02T15:04:05.000000Z07:00`, the layout go-plugin parses.
fn timestamp(now: SystemTime) -> String {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (days, second_of_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
        since_epoch.subsec_micros()
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Installs the logger; `own_targets` are the provider's log targets (see
/// [`crate::serve::ServeConfig::log_targets`]). Level: `TF_LOG_PROVIDER`, else `TF_LOG`, else
/// debug (Terraform drops provider logs anyway unless TF_LOG is set).
pub fn init(own_targets: &'static [&'static str]) {
    let level = std::env::var("TF_LOG_PROVIDER")
        .or_else(|_| std::env::var("TF_LOG"))
        .map(|name| match name.to_ascii_lowercase().as_str() {
            "trace" | "json" => LevelFilter::Trace,
            "info" => LevelFilter::Info,
            "warn" => LevelFilter::Warn,
            "error" => LevelFilter::Error,
            _ => LevelFilter::Debug,
        })
        .unwrap_or(LevelFilter::Debug);
    if log::set_boxed_logger(Box::new(HclogJson { own_targets })).is_ok() {
        log::set_max_level(level);
    }
    // A panic is logged as one error line (message and location, no backtrace); the handler
    // guard turns it into a diagnostic.
    std::panic::set_hook(Box::new(|info| {
        log::error!("panic: {info}");
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn own_targets_and_this_crate_log_at_the_level_libraries_only_warnings() {
        let own = ["my_provider"];
        let level = |target| level_for(target, &own, LevelFilter::Debug);
        assert_eq!(level("my_provider"), LevelFilter::Debug);
        assert_eq!(level("my_provider::resources"), LevelFilter::Debug);
        assert_eq!(level("tfplugin::server"), LevelFilter::Debug);
        assert_eq!(
            level("my_provider_extra"),
            LevelFilter::Warn,
            "a prefix is not a module"
        );
        assert_eq!(level("rustls::server"), LevelFilter::Warn);
        assert_eq!(
            level_for("h2", &own, LevelFilter::Trace),
            LevelFilter::Trace
        );
        assert_eq!(
            level_for("h2", &own, LevelFilter::Error),
            LevelFilter::Error
        );
    }

    #[test]
    fn timestamp_has_gos_layout() {
        let t = UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456);
        assert_eq!(timestamp(t), "2023-11-14T22:13:20.123456Z");
        assert_eq!(
            timestamp(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000000Z"
        );
    }
}
