//! A Redis session store (feature `redis`): sessions survive restarts and are shared by every
//! replica behind a load balancer.
//!
//! Each session has two keys holding the same JSON record: `{prefix}:live:{id}`, whose TTL is
//! the idle timeout, and `{prefix}:retained:{id}`, whose TTL adds the retention period. A
//! session whose live key is gone but whose retained key is not has expired, and the
//! re-initialization policy may restore it.

use std::fmt;
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::store::{Loaded, SessionStore, StoreError, StoreFuture};
use super::{SessionId, StoredSession};

/// See the module docs.
#[derive(Clone)]
pub(crate) struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    idle: Duration,
    retention: Duration,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port/db`). Sessions expire after `idle` and their
    /// records are retained for `retention` after that.
    pub(crate) async fn connect(
        url: &str,
        idle: Duration,
        retention: Duration,
    ) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let conn = ConnectionManager::new(client).await.map_err(unavailable)?;
        Ok(Self {
            conn,
            prefix: "mcp:session".into(),
            idle,
            retention,
        })
    }

    fn live_key(&self, id: &str) -> String {
        format!("{}:live:{id}", self.prefix)
    }

    fn retained_key(&self, id: &str) -> String {
        format!("{}:retained:{id}", self.prefix)
    }

    fn ttls(&self) -> (u64, u64) {
        let idle = self.idle.as_millis().max(1) as u64;
        (idle, idle + self.retention.as_millis() as u64)
    }
}

impl SessionStore for RedisStore {
    fn is_persistent(&self) -> bool {
        true
    }

    fn load(&self, id: SessionId) -> StoreFuture<'_, Option<Loaded>> {
        let id = id.to_string();
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let keys = [self.live_key(&id), self.retained_key(&id)];
            let (live, retained): (Option<String>, Option<String>) =
                conn.mget(&keys).await.map_err(unavailable)?;
            Ok(match (live, retained) {
                (Some(json), _) => Some(Loaded::Live(serde_json::from_str(&json)?)),
                (None, Some(json)) => Some(Loaded::Expired(serde_json::from_str(&json)?)),
                (None, None) => None,
            })
        })
    }

    fn save(&self, session: StoredSession) -> StoreFuture<'_, ()> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let json = serde_json::to_string(&session)?;
            let (idle, retained) = self.ttls();
            redis::pipe()
                .atomic()
                .pset_ex(self.live_key(&session.id), &json, idle)
                .ignore()
                .pset_ex(self.retained_key(&session.id), &json, retained)
                .ignore()
                .query_async::<()>(&mut conn)
                .await
                .map_err(unavailable)
        })
    }

    fn touch(&self, id: SessionId) -> StoreFuture<'_, ()> {
        let id = id.to_string();
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let (idle, retained) = self.ttls();
            redis::pipe()
                .pexpire(self.live_key(&id), idle as i64)
                .ignore()
                .pexpire(self.retained_key(&id), retained as i64)
                .ignore()
                .query_async::<()>(&mut conn)
                .await
                .map_err(unavailable)
        })
    }

    // The live key expires by itself; the retained key already holds the record.
    fn retire(&self, _: StoredSession) -> StoreFuture<'_, ()> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn remove(&self, id: SessionId) -> StoreFuture<'_, ()> {
        let id = id.to_string();
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let keys = [self.live_key(&id), self.retained_key(&id)];
            conn.del::<_, ()>(&keys).await.map_err(unavailable)
        })
    }

    fn shared_secret(&self) -> StoreFuture<'_, Option<Vec<u8>>> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let key = format!("{}:deployment-secret", self.prefix);
            let mut fresh = [0u8; 32];
            getrandom::fill(&mut fresh).map_err(|e| StoreError::Unavailable(e.to_string()))?;
            let fresh: String = fresh.iter().map(|b| format!("{b:02x}")).collect();
            // The first process to start creates it; every other one reads that one.
            redis::cmd("SET")
                .arg(&key)
                .arg(&fresh)
                .arg("NX")
                .query_async::<Option<String>>(&mut conn)
                .await
                .map_err(unavailable)?;
            let secret: Option<String> = conn.get(&key).await.map_err(unavailable)?;
            Ok(secret.map(String::into_bytes))
        })
    }
}
