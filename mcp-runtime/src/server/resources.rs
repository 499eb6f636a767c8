//! `resources/read` in both eras, and legacy `resources/subscribe` and `resources/unsubscribe`.

use serde_json::value::RawValue;

use super::dispatch::{Answer, Call, Dispatcher};
use super::panics::guarded;
use super::params::Params;
use super::reply::Failure;
use super::results::{Cache, write_result};
use super::{Context, Server};
use crate::protocol::{Era, ErrorObject, code};
use crate::session::resolve::Entry;

impl<S: Server> Dispatcher<S> {
    pub(super) async fn read_resource(
        &'static self,
        call: Call<'_>,
        params: &Params<'_>,
        cx: Context,
    ) -> Answer {
        let uri = params.uri.as_deref().ok_or_else(|| {
            Failure::bad_request(ErrorObject::invalid_params("`resources/read` needs `uri`"))
        })?;
        let needed = self.catalog.resource_scopes(uri);
        if !needed.is_empty() {
            super::tools::authorize(&format!("the resource `{uri}`"), needed, &cx)?;
        }
        let Some(read) = self.server.read_resource(uri, cx) else {
            // Legacy revisions answer -32002; 2026-07-28 made it -32602.
            let code = if call.version.era() == Era::Modern {
                code::INVALID_PARAMS
            } else {
                code::RESOURCE_NOT_FOUND
            };
            let e = ErrorObject::new(code, format!("resource not found: {uri}"))
                .with_data(serde_json::json!({ "uri": uri }));
            return Err(Failure::ok(e));
        };
        let result = guarded("resource", uri, read)
            .await
            .map_err(Failure::ok)?
            .map_err(|e| Failure::ok(ErrorObject::internal(e)))?;
        Ok(call.reply(|buf| write_result(buf, &result, call.version, Cache::Private)))
    }

    /// Legacy `resources/subscribe` and `resources/unsubscribe`: which updates the session's
    /// stream carries.
    pub(super) async fn subscribe(
        &'static self,
        session: &Entry<S>,
        call: Call<'_>,
        method: &str,
        raw: Option<&RawValue>,
    ) -> Answer {
        let uri = Params::parse(raw)?.uri.ok_or_else(|| {
            Failure::bad_request(ErrorObject::invalid_params("`uri` is required"))
        })?;
        let subscribed = method == "resources/subscribe";
        if subscribed {
            session.subscribe(&uri);
        } else {
            session.unsubscribe(&uri);
        }
        // Session data every replica shares, as the log level is.
        self.announce_subscription(session.id(), subscribed, &uri);
        self.store_session_data(session).await;
        Ok(call.empty())
    }
}
