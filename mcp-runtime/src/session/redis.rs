//! A Redis session store (feature `redis`): sessions survive restarts and are shared by every
//! replica behind a load balancer.
//!
//! Each session has two keys holding the same JSON record: `{prefix}:live:{id}`, whose TTL is
//! the idle timeout, and `{prefix}:retained:{id}`, whose TTL adds the retention period. A
//! session whose live key is gone but whose retained key is not has expired, and the
//! re-initialization policy may restore it.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::store::{
    Loaded, LogRead, OnLogged, Saved, SessionStore, StoreError, StoreFuture, UserRecord, UserSaved,
};
use super::{SessionId, StoredSession};

/// See the module docs.
#[derive(Clone)]
pub(crate) struct RedisStore {
    client: redis::Client,
    conn: ConnectionManager,
    prefix: String,
    idle: Duration,
    retention: Duration,
    /// How long one operation may take, reconnection included, before it fails.
    timeout: Duration,
    /// The deployment secret this process adopted from the store, written back when Redis
    /// comes back without it (restarted with no persistence), so that replicas started after
    /// that adopt the same one.
    secret: std::sync::Arc<std::sync::OnceLock<String>>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("idle", &self.idle)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The conditional save, in one round trip: writes the record (both keys) when the stored one
/// has version `ARGV[1]` or there is none; otherwise returns the stored record, or an empty
/// string when the session was ended (its tombstone, `KEYS[3]`, exists).
static SAVE_IF: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r"
        if redis.call('EXISTS', KEYS[3]) == 1 then
            return ''
        end
        local current = redis.call('GET', KEYS[1]) or redis.call('GET', KEYS[2])
        if current then
            local ok, record = pcall(cjson.decode, current)
            local version = 0
            if ok and type(record) == 'table' and type(record['version']) == 'number' then
                version = record['version']
            end
            if version ~= tonumber(ARGV[1]) then
                return current
            end
        end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
        return false
        ",
    )
});

/// A caller's state (`KEYS[1]`, a hash of its version `v` and JSON `s`), written as the next
/// version when the stored one is `ARGV[1]` (0: none): one round trip. Returns nothing when
/// written, else the stored version and state, or only `0` when there is none.
static SAVE_USER_IF: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r"
        local held = redis.call('HMGET', KEYS[1], 'v', 's')
        local version = tonumber(held[1]) or 0
        if version ~= tonumber(ARGV[1]) then
            if held[1] and held[2] then
                return {held[1], held[2]}
            end
            return {'0'}
        end
        redis.call('HSET', KEYS[1], 'v', version + 1, 's', ARGV[2])
        return {}
        ",
    )
});

/// A task's record, kept unless the stored one is later (`seq`) or finished: one round trip.
static SAVE_TASK: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r"
        local stored = redis.call('HMGET', KEYS[1], 'seq', 'finished')
        if stored[2] == '1' then
            return 0
        end
        if stored[1] and tonumber(stored[1]) >= tonumber(ARGV[1]) then
            return 0
        end
        redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'finished', ARGV[2], 'record', ARGV[3])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        return 1
        ",
    )
});

/// Appends a change to the log (a Redis stream, `KEYS[1]`), trims the log by length
/// (`ARGV[2]`) and age (`ARGV[3]` ms, by Redis's clock), and publishes `ID CHANGE` on the
/// channel `ARGV[4]`: one round trip, and the order of the ids is the order of the messages.
static LOG_CHANGE: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r"
        local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'change', ARGV[1])
        local now = redis.call('TIME')
        local cutoff = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[3])
        if cutoff > 0 then
            redis.call('XTRIM', KEYS[1], 'MINID', '~', cutoff)
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        redis.call('PUBLISH', ARGV[4], id .. ' ' .. ARGV[1])
        return id
        ",
    )
});

/// The latest id of the log `KEYS[1]` (or an empty string), then the ids and changes after
/// `ARGV[1]` (none when it is empty), at most `ARGV[2]` of them.
static READ_LOG: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r"
        local out = {''}
        local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
        if last[1] then
            out[1] = last[1][1]
        end
        if ARGV[1] ~= '' then
            local entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])
            for _, entry in ipairs(entries) do
                table.insert(out, entry[1])
                table.insert(out, entry[2][2])
            end
        end
        return out
        ",
    )
});

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// A failed write: one that timed out may still have happened.
fn write_failed(timeout: Duration) -> impl Fn(redis::RedisError) -> StoreError {
    move |e| {
        if e.is_timeout() {
            timed_out(timeout)
        } else {
            unavailable(e)
        }
    }
}

fn timed_out(timeout: Duration) -> StoreError {
    StoreError::TimedOut(timeout)
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port/db`). Sessions expire after `idle` and their
    /// records are retained for `retention` after that. Every operation, a reconnection
    /// included, fails after `timeout`, so that a Redis outage costs a request at most that
    /// long; the connection is re-established in the background.
    pub(crate) async fn connect(
        url: &str,
        idle: Duration,
        retention: Duration,
        timeout: Duration,
    ) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(2)
            .set_max_delay(timeout);
        let connecting = ConnectionManager::new_with_config(client.clone(), config);
        let conn = tokio::time::timeout(timeout, connecting)
            .await
            .map_err(|_| timed_out(timeout))?
            .map_err(unavailable)?;
        Ok(Self {
            client,
            conn,
            prefix: "mcp:session".into(),
            idle,
            retention,
            timeout,
            secret: Default::default(),
        })
    }

    fn secret_key(&self) -> String {
        format!("{}:deployment-secret", self.prefix)
    }

    /// What to do each time a subscription is (re)established, which is when Redis is back
    /// after an outage: the shared connection is tried (so that it reconnects now, not on a
    /// client's request), and the deployment secret is put back if Redis lost it.
    fn on_subscribed(&self) -> impl Fn() + Send + Sync + 'static {
        let conn = self.conn.clone();
        let key = self.secret_key();
        let secret = self.secret.clone();
        move || {
            let Some(secret) = secret.get().cloned() else {
                return;
            };
            let (mut conn, key) = (conn.clone(), key.clone());
            tokio::spawn(async move {
                // The first command on a connection Redis dropped fails and reconnects it.
                for _ in 0..3 {
                    let mut set = redis::cmd("SET");
                    set.arg(&key).arg(&secret).arg("NX");
                    match set.query_async::<Option<String>>(&mut conn).await {
                        Ok(Some(_)) => {
                            tracing::warn!("Redis had lost the deployment secret; put it back");
                            return;
                        }
                        Ok(None) => return,
                        Err(e) => tracing::debug!("Redis not ready yet: {e}"),
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            });
        }
    }

    /// `op`, failed as unavailable when Redis does not answer within the timeout.
    async fn bounded<T>(
        &self,
        op: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        tokio::time::timeout(self.timeout, op)
            .await
            .map_err(|_| timed_out(self.timeout))?
    }

    fn live_key(&self, id: &str) -> String {
        format!("{}:live:{id}", self.prefix)
    }

    fn retained_key(&self, id: &str) -> String {
        format!("{}:retained:{id}", self.prefix)
    }

    /// The tombstone of a session its client ended: it outlives every cached copy, so that no
    /// replica brings the session back.
    fn ended_key(&self, id: &str) -> String {
        format!("{}:ended:{id}", self.prefix)
    }

    /// The change log every replica's streams resume from.
    fn log_key(&self) -> String {
        format!("{}:changes", self.prefix)
    }

    /// Where each logged change is handed to every replica, with its id.
    fn logged_channel(&self) -> String {
        format!("{}:logged", self.prefix)
    }

    /// The state of the caller `key` (`issuer#subject`). It has no TTL: it is the caller's
    /// data, kept until deleted.
    fn user_key(&self, key: &str) -> String {
        format!("{}:user:{key}", self.prefix)
    }

    fn task_key(&self, id: &str) -> String {
        format!("{}:task:{id}", self.prefix)
    }

    /// Where list and resource changes are announced to every replica.
    fn changes_channel(&self) -> String {
        format!("{}:changed", self.prefix)
    }

    /// Hands every message on `channel` to `on_message`, resubscribing after a lost
    /// connection.
    fn subscribe(&self, channel: String, on_message: impl Fn(String) + Send + Sync + 'static) {
        let client = self.client.clone();
        let subscribed = self.on_subscribed();
        tokio::spawn(async move {
            loop {
                match listen(&client, &channel, &on_message, &subscribed).await {
                    Ok(()) => tracing::warn!(channel, "lost a Redis subscription"),
                    Err(e) => tracing::warn!(channel, "cannot subscribe in Redis: {e}"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }

    /// Where the ids of ended sessions are announced to every replica.
    fn ended_channel(&self) -> String {
        format!("{}:ended", self.prefix)
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
        Box::pin(self.bounded(async move {
            let keys = [
                self.live_key(&id),
                self.retained_key(&id),
                self.ended_key(&id),
            ];
            let (live, retained, ended): (Option<String>, Option<String>, Option<String>) =
                conn.mget(&keys).await.map_err(unavailable)?;
            Ok(match (live, retained, ended) {
                (_, _, Some(_)) => Some(Loaded::Ended),
                (Some(json), _, None) => Some(Loaded::Live(serde_json::from_str(&json)?)),
                (None, Some(json), None) => Some(Loaded::Expired(serde_json::from_str(&json)?)),
                (None, None, None) => None,
            })
        }))
    }

    fn save(&self, session: StoredSession) -> StoreFuture<'_, ()> {
        let mut conn = self.conn.clone();
        Box::pin(self.bounded(async move {
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
        }))
    }

    fn save_if(&self, session: StoredSession, expected: u64) -> StoreFuture<'_, Saved> {
        let mut conn = self.conn.clone();
        Box::pin(self.bounded(async move {
            let json = serde_json::to_string(&session)?;
            let (idle, retained) = self.ttls();
            let current: Option<String> = SAVE_IF
                .key(self.live_key(&session.id))
                .key(self.retained_key(&session.id))
                .key(self.ended_key(&session.id))
                .arg(expected)
                .arg(&json)
                .arg(idle)
                .arg(retained)
                .invoke_async(&mut conn)
                .await
                .map_err(write_failed(self.timeout))?;
            Ok(match current {
                None => Saved::Written,
                Some(ended) if ended.is_empty() => Saved::Ended,
                Some(json) => Saved::Conflict(Box::new(serde_json::from_str(&json)?)),
            })
        }))
    }

    fn touch(&self, id: SessionId) -> StoreFuture<'_, ()> {
        let id = id.to_string();
        let mut conn = self.conn.clone();
        Box::pin(self.bounded(async move {
            let (idle, retained) = self.ttls();
            redis::pipe()
                .pexpire(self.live_key(&id), idle as i64)
                .ignore()
                .pexpire(self.retained_key(&id), retained as i64)
                .ignore()
                .query_async::<()>(&mut conn)
                .await
                .map_err(unavailable)
        }))
    }

    // The live key expires by itself; the retained key already holds the record.
    fn retire(&self, _: StoredSession) -> StoreFuture<'_, ()> {
        Box::pin(std::future::ready(Ok(())))
    }

    // The record goes, a tombstone stays for as long as any copy of it could, and every
    // replica hears of it.
    fn remove(&self, id: SessionId) -> StoreFuture<'_, ()> {
        let id = id.to_string();
        let mut conn = self.conn.clone();
        Box::pin(self.bounded(async move {
            let (_, retained) = self.ttls();
            redis::pipe()
                .atomic()
                .del(&[self.live_key(&id), self.retained_key(&id)])
                .ignore()
                .pset_ex(self.ended_key(&id), 1, retained)
                .ignore()
                .publish(self.ended_channel(), &id)
                .ignore()
                .query_async::<()>(&mut conn)
                .await
                .map_err(unavailable)
        }))
    }

    fn watch_ended(&self, ended: Box<dyn Fn(SessionId) + Send + Sync>) {
        self.subscribe(self.ended_channel(), move |id: String| {
            if let Ok(id) = id.parse() {
                ended(id);
            }
        });
    }

    fn publish_change(&self, change: String) -> Option<StoreFuture<'_, ()>> {
        let mut conn = self.conn.clone();
        Some(Box::pin(self.bounded(async move {
            conn.publish::<_, _, ()>(self.changes_channel(), change)
                .await
                .map_err(unavailable)
        })))
    }

    fn watch_changes(&self, changed: Box<dyn Fn(String) + Send + Sync>) {
        self.subscribe(self.changes_channel(), changed);
    }

    fn log_change(
        &self,
        change: String,
        length: usize,
        age: Duration,
    ) -> Option<StoreFuture<'_, ()>> {
        let mut conn = self.conn.clone();
        Some(Box::pin(self.bounded(async move {
            LOG_CHANGE
                .key(self.log_key())
                .arg(change)
                .arg(length)
                .arg(age.as_millis() as u64)
                .arg(self.logged_channel())
                .invoke_async::<String>(&mut conn)
                .await
                .map(drop)
                .map_err(unavailable)
        })))
    }

    fn watch_logged(&self, logged: OnLogged) {
        self.subscribe(self.logged_channel(), move |message| {
            if let Some((id, change)) = message.split_once(' ') {
                logged(id, change);
            }
        });
    }

    fn read_log(&self, after: Option<String>, limit: usize) -> Option<StoreFuture<'_, LogRead>> {
        let mut conn = self.conn.clone();
        Some(Box::pin(self.bounded(async move {
            let mut out: Vec<String> = READ_LOG
                .key(self.log_key())
                .arg(after.unwrap_or_default())
                .arg(limit)
                .invoke_async(&mut conn)
                .await
                .map_err(unavailable)?;
            if out.is_empty() {
                return Ok((None, Vec::new()));
            }
            let head = Some(out.remove(0)).filter(|id| !id.is_empty());
            let mut rest = out.into_iter();
            let mut entries = Vec::new();
            while let (Some(id), Some(change)) = (rest.next(), rest.next()) {
                entries.push((id, change));
            }
            Ok((head, entries))
        })))
    }

    fn keeps_users(&self) -> bool {
        true
    }

    fn load_user(&self, key: &str) -> StoreFuture<'_, Option<UserRecord>> {
        let key = self.user_key(key);
        let mut conn = self.conn.clone();
        Box::pin(self.bounded(async move {
            let (version, state): (Option<u64>, Option<String>) = redis::cmd("HMGET")
                .arg(key)
                .arg("v")
                .arg("s")
                .query_async(&mut conn)
                .await
                .map_err(unavailable)?;
            Ok(version
                .zip(state)
                .map(|(version, state)| UserRecord { version, state }))
        }))
    }

    fn save_user_if(&self, key: &str, state: String, expected: u64) -> StoreFuture<'_, UserSaved> {
        let key = self.user_key(key);
        let mut conn = self.conn.clone();
        Box::pin(self.bounded(async move {
            let held: Vec<String> = SAVE_USER_IF
                .key(key)
                .arg(expected)
                .arg(state)
                .invoke_async(&mut conn)
                .await
                .map_err(write_failed(self.timeout))?;
            let mut held = held.into_iter();
            Ok(match (held.next(), held.next()) {
                (None, _) => UserSaved::Written,
                (Some(version), Some(state)) => UserSaved::Conflict(Some(UserRecord {
                    version: version.parse().unwrap_or(0),
                    state,
                })),
                (Some(_), None) => UserSaved::Conflict(None),
            })
        }))
    }

    fn save_task(
        &self,
        id: &str,
        seq: u64,
        finished: bool,
        record: String,
        ttl: Duration,
    ) -> Option<StoreFuture<'_, ()>> {
        let key = self.task_key(id);
        let mut conn = self.conn.clone();
        Some(Box::pin(self.bounded(async move {
            SAVE_TASK
                .key(key)
                .arg(seq)
                .arg(u8::from(finished))
                .arg(record)
                .arg(ttl.as_millis() as u64)
                .invoke_async::<u8>(&mut conn)
                .await
                .map(drop)
                .map_err(unavailable)
        })))
    }

    fn load_task(&self, id: &str) -> StoreFuture<'_, Option<String>> {
        let key = self.task_key(id);
        let mut conn = self.conn.clone();
        Box::pin(self.bounded(async move { conn.hget(key, "record").await.map_err(unavailable) }))
    }

    fn shared_secret(&self) -> StoreFuture<'_, Option<Vec<u8>>> {
        let mut conn = self.conn.clone();
        Box::pin(self.bounded(async move {
            let key = self.secret_key();
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
            if let Some(secret) = &secret {
                let _ = self.secret.set(secret.clone());
            }
            Ok(secret.map(String::into_bytes))
        }))
    }
}

/// Hands every message on `channel` to `on_message` until the subscription drops.
async fn listen(
    client: &redis::Client,
    channel: &str,
    on_message: &(impl Fn(String) + Send + Sync),
    subscribed: &(impl Fn() + Send + Sync),
) -> Result<(), redis::RedisError> {
    use futures_util::StreamExt;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    subscribed();
    let mut messages = pubsub.on_message();
    while let Some(message) = messages.next().await {
        if let Ok(payload) = message.get_payload::<String>() {
            on_message(payload);
        }
    }
    Ok(())
}
