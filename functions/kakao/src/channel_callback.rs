//! The Kakao Talk Channel add/block callback: a customer's consent signal on KakaoTalk.
//!
//! Blocking the retailer's channel is the customer saying "nothing more from you here";
//! adding it (back) is the opposite. Both are recorded in the consent ledger with scope
//! `channel`, as a LINE unfollow or a Viber unsubscribe are, so announcements and the console
//! see them; the ledger's writes are idempotent on the callback's resource id, so Kakao's
//! redelivery records nothing twice. The parsing and its authentication are the adapter's
//! (`chatdrop_channels::kakao::parse_channel_callback`).
//!
//! | outcome | status |
//! |---|---|
//! | recorded, or nobody we know (an `open_id`, or no chat linked to the app user) | 200 |
//! | missing or wrong admin key | 401, nothing read further |
//! | over the cap, not JSON, an unknown event | 400 / 413 |
//! | the store failing | 500: Kakao calls again |

use crate::{Kakao, refusal, respond};
use chatdrop_channels::WebhookRequest;
use chatdrop_channels::kakao::{self, ChannelCallback, ChannelRelation, MAX_CALLBACK_BYTES};
use chatdrop_domain::consent::{self, ConsentChange, ConsentSource, PersonKey, Scope, Wish};
use chatdrop_domain::ports::{PortError, SessionStore};
use lambda_http::{Body, Error, Request, Response, http::StatusCode};

pub async fn handle(app: &Kakao, request: Request) -> Result<Response<Body>, Error> {
    let Some(webhook) = &app.webhook else {
        return Ok(respond(StatusCode::NOT_FOUND, "channel not served here"));
    };
    let (parts, body) = request.into_parts();
    let body: &[u8] = body.as_ref();
    if body.len() > MAX_CALLBACK_BYTES {
        tracing::warn!(bytes = body.len(), "channel callback too large; refused");
        return Ok(respond(StatusCode::PAYLOAD_TOO_LARGE, "payload too large"));
    }
    let request = WebhookRequest {
        method: &parts.method,
        headers: &parts.headers,
        query: parts.uri.query(),
        url: parts.uri.path(),
        body,
    };
    let callback = match kakao::parse_channel_callback(&webhook.config, &request, app.clock.now()) {
        Ok(callback) => callback,
        Err(e) => return Ok(refusal(e)),
    };
    match record(app, &callback).await {
        Ok(true) => Ok(respond(StatusCode::OK, "recorded")),
        Ok(false) => Ok(respond(StatusCode::OK, "nobody known")),
        Err(e) => {
            tracing::error!(error = %e, "channel callback not recorded; Kakao calls again");
            Ok(respond(StatusCode::INTERNAL_SERVER_ERROR, "try again"))
        }
    }
}

/// Records the change for the customer's chat; `false` when the callback names nobody we
/// chatted with (we hold nothing to stop or restart).
async fn record(app: &Kakao, callback: &ChannelCallback) -> Result<bool, PortError> {
    let Some(app_user) = &callback.app_user_id else {
        tracing::info!("channel callback by open_id: no chat to match");
        return Ok(false);
    };
    let Some(chat) = app.store.kakao_chat_of(app_user).await? else {
        tracing::info!("channel callback for an app user who never chatted with the bot");
        return Ok(false);
    };
    let (wish, signal) = match callback.relation {
        ChannelRelation::Added => (Wish::OptIn, "kakao_channel_added"),
        ChannelRelation::Blocked => (Wish::OptOut, "kakao_channel_blocked"),
    };
    let change = ConsentChange {
        wish,
        scope: Scope::Channel,
        at: callback.at,
        source: ConsentSource::Platform {
            signal: signal.into(),
        },
        event: callback.event_id.clone(),
    };
    let session = app.store.session(&chat).await?;
    let person = PersonKey::of(&chat, &session);
    consent::record(&app.store, &chat, person.as_ref(), &change).await?;
    tracing::info!(customer = %chat.hashed(), signal, "channel relation recorded");
    Ok(true)
}
