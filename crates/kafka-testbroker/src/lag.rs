//! Metadata lag (`--metadata-lag-ms`): in KRaft a write is acknowledged once the controller
//! has committed it to the metadata log, while each broker answers reads (Metadata,
//! DescribeAcls, DescribeConfigs, the data APIs' topic lookups, its StandardAuthorizer's
//! decisions) from its own copy of that log, which trails the controller. Kafka's `Admin`
//! javadoc says as much: ACL changes "may take some time to be reflected" in describeAcls,
//! and new topics may take seconds to appear in listTopics/describeTopics.
//!
//! Model: every committed state is kept with its commit time; node `i` of `n` applies a
//! commit `lag * (n + i - 1) / (2n - 1)` after it, so node 1 trails by a little over half
//! the lag and node `n` by the full lag, and every node has every commit `lag` after it.
//! A connection is served by one node (connections are spread round-robin), so a client
//! may see a later state on one connection than on another.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The committed states the nodes may still be answering from.
#[derive(Debug)]
pub(crate) struct Replay<S> {
    lag: Duration,
    nodes: i32,
    /// Oldest first; `None` is a state every node has (the one before the lag was set).
    commits: VecDeque<(Option<Instant>, Arc<S>)>,
}

impl<S> Replay<S> {
    pub fn new(nodes: i32) -> Self {
        Replay {
            lag: Duration::ZERO,
            nodes: nodes.max(1),
            commits: VecDeque::new(),
        }
    }

    pub fn lag(&self) -> Duration {
        self.lag
    }

    /// Sets the lag; `current` is what every node holds from now on.
    pub fn set_lag(&mut self, lag: Duration, current: Arc<S>) {
        self.lag = lag;
        self.commits.clear();
        if !lag.is_zero() {
            self.commits.push_back((None, current));
        }
    }

    /// Records a commit at `at`; states every node has passed are dropped.
    pub fn committed(&mut self, at: Instant, state: Arc<S>) {
        if self.lag.is_zero() {
            return;
        }
        self.commits.push_back((Some(at), state));
        let everywhere = at.checked_sub(self.lag);
        while self.commits.len() >= 2 {
            let applied = match (self.commits[1].0, everywhere) {
                (None, _) => true,
                (Some(t), Some(horizon)) => t <= horizon,
                (Some(_), None) => false,
            };
            if !applied {
                break;
            }
            self.commits.pop_front();
        }
    }

    /// How far node `node` (1-based) trails the controller.
    pub fn node_lag(&self, node: i32) -> Duration {
        let n = u32::try_from(self.nodes).unwrap_or(1);
        let i = u32::try_from(node.clamp(1, self.nodes)).unwrap_or(1);
        self.lag * (n + i - 1) / (2 * n - 1)
    }

    /// The state node `node` answers from at `now`; `None` without lag (the live state).
    pub fn view(&self, node: i32, now: Instant) -> Option<Arc<S>> {
        if self.lag.is_zero() {
            return None;
        }
        let horizon = now.checked_sub(self.node_lag(node));
        let visible = |at: Option<Instant>| match (at, horizon) {
            (None, _) => true,
            (Some(t), Some(h)) => t <= h,
            (Some(_), None) => false,
        };
        self.commits
            .iter()
            .rev()
            .find(|(at, _)| visible(*at))
            .or_else(|| self.commits.front())
            .map(|(_, state)| state.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_trail_between_half_and_the_full_lag() {
        let mut replay = Replay::<i32>::new(3);
        replay.set_lag(Duration::from_millis(500), Arc::new(0));
        assert_eq!(replay.node_lag(1), Duration::from_millis(300));
        assert_eq!(replay.node_lag(3), Duration::from_millis(500));
    }

    #[test]
    fn a_commit_is_seen_once_the_node_has_applied_it() {
        let mut replay = Replay::new(3);
        let start = Instant::now();
        replay.set_lag(Duration::from_millis(500), Arc::new(0));
        replay.committed(start, Arc::new(1));
        let at = |ms| start + Duration::from_millis(ms);
        assert_eq!(*replay.view(1, at(0)).unwrap(), 0);
        assert_eq!(*replay.view(1, at(300)).unwrap(), 1);
        assert_eq!(*replay.view(3, at(300)).unwrap(), 0);
        assert_eq!(*replay.view(3, at(500)).unwrap(), 1);
        // Once every node has a commit, what came before it is dropped.
        replay.committed(at(600), Arc::new(2));
        assert_eq!(replay.commits.len(), 2);
        assert_eq!(*replay.view(3, at(700)).unwrap(), 1);
    }

    #[test]
    fn without_lag_nodes_read_the_live_state() {
        let mut replay = Replay::new(3);
        replay.committed(Instant::now(), Arc::new(1));
        assert!(replay.view(1, Instant::now()).is_none());
    }
}
