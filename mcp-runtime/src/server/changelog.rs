//! The changes sessions' GET streams carry (list changes, resource updates), logged with event
//! ids, so that a legacy client whose stream broke reconnects with `Last-Event-ID`, on any
//! replica, and receives what it missed.
//!
//! With a store other processes share (Redis) the log is the store's, and every replica hears
//! of each change from it, with its id. Otherwise it is this process's, in memory. Either way it
//! is bounded by [`LOG_LENGTH`] and [`LOG_AGE`]. (2026-07-28 streams are not resumable: that
//! revision dropped `Last-Event-ID`.)

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use super::Change;
use crate::session::unix_ms;

/// How many changes the log keeps.
pub(crate) const LOG_LENGTH: usize = 1024;
/// How long the log keeps a change.
pub(crate) const LOG_AGE: Duration = Duration::from_secs(10 * 60);

/// An event's id, `MS-SEQ`: the form of Redis stream ids, ordered as the pair. This process's
/// own log numbers its changes from the time it started, so that an id a previous run of it
/// issued is older than every change of this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct EventId {
    ms: u64,
    seq: u64,
}

impl EventId {
    /// The id in a `Last-Event-ID` header; `None` when it is not one this runtime issues.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (ms, seq) = text.trim().split_once('-')?;
        let number = |s: &str| {
            (!s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        Some(Self {
            ms: number(ms)?,
            seq: number(seq)?,
        })
    }

    /// Whether the change it names is older than the log keeps.
    fn is_stale(self, now_ms: u64) -> bool {
        self.ms.saturating_add(LOG_AGE.as_millis() as u64) < now_ms
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// A change as the log keeps it: `tools|prompts|resources|resource URI`.
pub(crate) fn encode(change: &Change) -> String {
    match change {
        Change::Tools => "tools".into(),
        Change::Prompts => "prompts".into(),
        Change::Resources => "resources".into(),
        Change::ResourceUpdated(uri) => format!("resource {uri}"),
    }
}

/// The change `encode` wrote; `None` for anything else.
pub(crate) fn decode(text: &str) -> Option<Change> {
    Some(match text {
        "tools" => Change::Tools,
        "prompts" => Change::Prompts,
        "resources" => Change::Resources,
        other => Change::ResourceUpdated(other.strip_prefix("resource ")?.to_owned()),
    })
}

/// What a reconnecting stream is sent: the changes after its `Last-Event-ID`, oldest first,
/// that the log still keeps, and the latest id (which a new stream is primed with).
#[derive(Debug, Default)]
pub(crate) struct Missed {
    pub changes: Vec<(EventId, Change)>,
    /// `None` only when the log could not be read.
    pub head: Option<EventId>,
}

impl Missed {
    /// Reads what a store returned: the latest id, then ids and changes; entries that do not
    /// parse, and changes older than [`LOG_AGE`], are left out.
    pub(crate) fn from_store(head: Option<String>, entries: Vec<(String, String)>) -> Self {
        let now = unix_ms();
        let changes = entries
            .into_iter()
            .filter_map(|(id, change)| Some((EventId::parse(&id)?, decode(&change)?)))
            .filter(|(id, _)| !id.is_stale(now))
            .collect();
        // An empty log: any change to come follows the beginning of time.
        let start = EventId { ms: 0, seq: 0 };
        Self {
            changes,
            head: Some(head.as_deref().and_then(EventId::parse).unwrap_or(start)),
        }
    }
}

/// The log of a process whose store no other process shares.
#[derive(Debug)]
pub(crate) struct LocalLog {
    started_ms: u64,
    entries: Mutex<LocalEntries>,
}

#[derive(Debug, Default)]
struct LocalEntries {
    next: u64,
    /// Id, when logged (Unix ms), change; oldest first.
    kept: VecDeque<(EventId, u64, Change)>,
}

impl Default for LocalLog {
    fn default() -> Self {
        Self {
            started_ms: unix_ms(),
            entries: Mutex::default(),
        }
    }
}

impl LocalLog {
    /// Logs `change`, and calls `deliver` with its id before any later change is logged, so
    /// that streams receive changes in the order of their ids.
    pub(crate) fn push(&self, change: &Change, deliver: impl FnOnce(EventId)) {
        let now = unix_ms();
        let mut entries = self.entries.lock().expect("change log");
        entries.next += 1;
        let id = EventId {
            ms: self.started_ms,
            seq: entries.next,
        };
        entries.kept.push_back((id, now, change.clone()));
        let cutoff = now.saturating_sub(LOG_AGE.as_millis() as u64);
        while entries.kept.len() > LOG_LENGTH
            || entries.kept.front().is_some_and(|(_, at, _)| *at < cutoff)
        {
            entries.kept.pop_front();
        }
        deliver(id);
    }

    /// The changes after `after` (all kept ones when `None`), and the latest id.
    pub(crate) fn since(&self, after: Option<EventId>) -> Missed {
        let cutoff = unix_ms().saturating_sub(LOG_AGE.as_millis() as u64);
        let entries = self.entries.lock().expect("change log");
        let changes = match after {
            Some(after) => entries
                .kept
                .iter()
                .filter(|(id, at, _)| *id > after && *at >= cutoff)
                .map(|(id, _, change)| (*id, change.clone()))
                .collect(),
            None => Vec::new(),
        };
        let head = entries.kept.back().map(|(id, _, _)| *id).or(Some(EventId {
            ms: self.started_ms,
            seq: 0,
        }));
        Missed { changes, head }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_parse_and_order_as_redis_stream_ids() {
        let a = EventId::parse("1733150000000-0").unwrap();
        let b = EventId::parse("1733150000000-1").unwrap();
        let c = EventId::parse("1733150000001-0").unwrap();
        assert!(a < b && b < c);
        assert_eq!(c.to_string(), "1733150000001-0");
        for bad in [
            "",
            "12",
            "-1",
            "1-",
            "a-1",
            "1-2-3",
            "1 -2",
            "99999999999999999999999-1",
        ] {
            assert_eq!(EventId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn changes_round_trip_through_the_log_form() {
        for change in [
            Change::Tools,
            Change::Prompts,
            Change::Resources,
            Change::ResourceUpdated("file:///a b".into()),
        ] {
            assert_eq!(decode(&encode(&change)), Some(change));
        }
        assert_eq!(decode("nonsense"), None);
    }

    #[test]
    fn the_local_log_replays_what_followed_an_id_and_forgets_the_oldest() {
        let log = LocalLog::default();
        let primed = log.since(None).head.expect("a head before any change");
        let push = |change| {
            let mut logged = None;
            log.push(&change, |id| logged = Some(id));
            logged.expect("delivered with its id")
        };
        let first = push(Change::Tools);
        let second = push(Change::ResourceUpdated("a://b".into()));
        assert!(primed < first && first < second);
        let missed = log.since(Some(primed));
        assert_eq!(missed.changes.len(), 2);
        assert_eq!(missed.head, Some(second));
        assert_eq!(
            log.since(Some(first)).changes,
            [(second, Change::ResourceUpdated("a://b".into()))]
        );
        assert!(log.since(Some(second)).changes.is_empty());
        // An id of an earlier run of the process is older than all of this run's.
        let earlier = EventId { ms: 1, seq: 99 };
        assert_eq!(log.since(Some(earlier)).changes.len(), 2);
        for _ in 0..LOG_LENGTH + 5 {
            push(Change::Prompts);
        }
        assert_eq!(log.since(Some(earlier)).changes.len(), LOG_LENGTH);
    }

    #[test]
    fn stale_entries_from_a_store_are_left_out() {
        let now = unix_ms();
        let old = format!("{}-0", now - LOG_AGE.as_millis() as u64 - 1000);
        let fresh = format!("{now}-3");
        let missed = Missed::from_store(
            Some(fresh.clone()),
            vec![
                (old, "tools".into()),
                (fresh.clone(), "prompts".into()),
                ("junk".into(), "tools".into()),
            ],
        );
        assert_eq!(missed.changes.len(), 1);
        assert_eq!(missed.changes[0].1, Change::Prompts);
        assert_eq!(missed.head, EventId::parse(&fresh));
        let empty = Missed::from_store(None, Vec::new());
        assert_eq!(empty.head.map(|id| id.to_string()).as_deref(), Some("0-0"));
    }
}
