//! Reads repeated until they show what is known to exist (Kafka's metadata trails the
//! controller: see `model::timing`), bounded by the cluster's `timeout_seconds`.

use super::read::{read_topics, TopicsRead};
use crate::clusters::Clusters;
use crate::kafka::{KafkaAdmin, KafkaError};
use crate::model::timing::{next_wait, TopicsShown};
use std::collections::BTreeSet;
use std::future::Future;
use std::time::{Duration, Instant};
use tfplugin::{Ctx, Diagnostics};

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
        if shows_all(&value) || !wait_again(ctx, started, attempt, bound).await {
            return Ok(value);
        }
        attempt += 1;
    }
}

/// Waits before read number `attempt + 2` of reads begun at `started`, as [`next_wait`]
/// says; `false` (without waiting) once `bound` is reached or when Terraform cancels.
pub(crate) async fn wait_again(
    ctx: &Ctx<'_, Clusters>,
    started: Instant,
    attempt: u32,
    bound: Duration,
) -> bool {
    if ctx.cancel.is_cancelled() {
        return false;
    }
    let Some(wait) = next_wait(attempt, started.elapsed(), bound) else {
        return false;
    };
    tokio::select! {
        () = tokio::time::sleep(wait) => true,
        () = ctx.cancel.cancelled() => false,
    }
}

/// [`read_topics`] with its diagnostics kept apart, so that only those of the read that
/// stands are reported.
pub(crate) async fn read_topics_quietly(
    admin: &KafkaAdmin,
    cluster: &str,
    names: &[String],
    managed_keys: &BTreeSet<String>,
) -> Result<(TopicsRead, Diagnostics), KafkaError> {
    let mut diags = Diagnostics::new();
    let read = read_topics(admin, cluster, names, managed_keys, &mut diags).await?;
    Ok((read, diags))
}

/// What `read` shows of `cluster`'s topics, for the rules of `model::timing`.
pub(crate) fn shown<'a>(cluster: &'a str, read: &'a TopicsRead) -> TopicsShown<'a> {
    TopicsShown {
        cluster,
        existing: &read.existing,
        unread: &read.unread,
    }
}
