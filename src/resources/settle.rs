//! Reads repeated until they show what is known to exist (Kafka's metadata trails the
//! controller: see `model::timing`), bounded by the cluster's `timeout_seconds`.

use crate::clusters::Clusters;
use crate::model::timing::next_wait;
use std::future::Future;
use std::time::{Duration, Instant};
use tfplugin::Ctx;

/// How long reads of `cluster` may be repeated: its `timeout_seconds` (none when unknown).
pub(crate) fn read_bound(ctx: &Ctx<'_, Clusters>, cluster: &str) -> Duration {
    ctx.provider
        .cluster(cluster)
        .map_or(Duration::ZERO, |connection| connection.timeout)
}

/// Runs `read` until `shows_all` holds for what it returned, the bound is reached or
/// Terraform cancels; returns the last read (or its error). Between reads it waits as
/// [`next_wait`] says.
pub(crate) async fn read_until<T, E, Fut>(
    ctx: &Ctx<'_, Clusters>,
    bound: Duration,
    mut read: impl FnMut() -> Fut,
    shows_all: impl Fn(&T) -> bool,
) -> Result<T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        let value = read().await?;
        if shows_all(&value) || ctx.cancel.is_cancelled() {
            return Ok(value);
        }
        let Some(wait) = next_wait(attempt, started.elapsed(), bound) else {
            return Ok(value);
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = ctx.cancel.cancelled() => return Ok(value),
        }
        attempt += 1;
    }
}
