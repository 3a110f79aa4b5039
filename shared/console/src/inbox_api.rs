//! The inbox's routes: [`Console::route`] hands `/conversations…` and `/agents` here, after
//! the size, token and rate checks every console request passes.
//!
//! | route | what |
//! |---|---|
//! | `GET /console/api/conversations?view=waiting\|mine\|all&channel=&lang=&drop=&status=` | the list ([`InboxQuery`]) |
//! | `GET /console/api/conversations/{id}` | one conversation ([`ConversationView`]) |
//! | `POST …/{id}/reply` `{"text": …}` | a person's reply through notify; 422 with the platform's reason when its rules forbid it now |
//! | `POST …/{id}/pay-link` | the payment function's checkout of the customer's cart |
//! | `POST …/{id}/assign` `{"agent": "<id>"}` (none: me) | assign, conditional on the owner and the role |
//! | `POST …/{id}/notes` `{"text": …}` | a private note |
//! | `POST …/{id}/hand-back` | back to the bot |
//! | `GET /console/api/agents` | console users one can assign to |
//!
//! `{id}` is the conversation's pseudonym, looked up in the handoff list: the inbox holds the
//! conversations people have or should, and a conversation the bot has is not found. Every
//! action (each POST) is audited before it is tried and with its outcome; what each one checks
//! is [`chatdrop_domain::inbox`]'s.

use super::{Answer, Console, Failure, body_bytes, json_response, ok};
use crate::auth::{Agent, Role};
use crate::conversation::{ConversationRow, ConversationView, Parts};
use crate::orders::OrderView;
use chatdrop_domain::consent::{ConsentLedger, PersonKey};
use chatdrop_domain::handoff::{self, HandoffEntry, HandoffFilter, HandoffStore};
use chatdrop_domain::inbox::{self, AgentCard, InboxError, InboxQuery, InboxStore, Takes};
use chatdrop_domain::ports::{CatalogSource, OrderStore, SessionStore};
use lambda_http::Request;
use serde_json::json;
use std::collections::HashMap;

impl From<InboxError> for Failure {
    fn from(e: InboxError) -> Self {
        if let InboxError::Port(p) = &e {
            tracing::error!(error = %p, "inbox store call failed");
        }
        Failure(e.status(), e.to_string())
    }
}

/// The `text` of a JSON body.
fn text_of(request: &Request) -> Result<String, Failure> {
    #[derive(serde::Deserialize)]
    struct Text {
        text: String,
    }
    serde_json::from_slice::<Text>(body_bytes(request.body()))
        .map(|t| t.text)
        .map_err(|_| Failure(400, "send {\"text\": \"…\"}".into()))
}

fn card(agent: &Agent) -> AgentCard {
    AgentCard {
        id: agent.sub.clone(),
        email: agent.email.clone(),
    }
}

impl Console {
    /// Records the signed-in user in the directory others assign to (`GET /me`, once per
    /// console load).
    pub(super) async fn remember(&self, agent: &Agent) -> Result<(), Failure> {
        Ok(self.store.record_agent(&card(agent)).await?)
    }

    /// The conversation a pseudonym names, among those people have or should.
    async fn find(&self, id: &str) -> Result<HandoffEntry, Failure> {
        self.store
            .list_handoffs(HandoffFilter::All)
            .await?
            .into_iter()
            .find(|e| e.conversation.hashed() == id)
            .ok_or_else(|| {
                Failure(
                    404,
                    format!("no conversation {id} with a person (the bot may have it back)"),
                )
            })
    }

    pub(super) async fn conversations(
        &self,
        agent: &Agent,
        query: &HashMap<String, String>,
    ) -> Answer {
        let q = |k: &str| query.get(k).map(String::as_str);
        let filter = InboxQuery::parse(q("view"), q("channel"), q("lang"), q("drop"), q("status"))
            .map_err(|e| Failure(400, e.to_string()))?;
        let agents = self.store.agents().await?;
        let mut rows = Vec::new();
        for entry in self.store.list_handoffs(HandoffFilter::All).await? {
            if !filter.admits(&entry, &agent.sub) {
                continue;
            }
            // Handoffs are few: one read of each customer's orders, only when filtering on them.
            if filter.needs_orders()
                && !filter.admits_orders(&self.store.orders_of(&entry.conversation).await?)
            {
                continue;
            }
            rows.push(ConversationRow::of(&entry, &agent.sub, &agents));
        }
        ok(json!(rows))
    }

    /// Not audited: the page re-reads an open conversation every few seconds, and the audit
    /// trail is for what agents change (and for the bulk export).
    pub(super) async fn conversation(&self, agent: &Agent, id: &str) -> Answer {
        let entry = self.find(id).await?;
        let c = &entry.conversation;
        let session = self.store.session(c).await?;
        let catalog = self.store.catalog().await?;
        let thread = self.store.thread(c).await?;
        let mut orders = self.store.orders_of(c).await?;
        orders.sort_by_key(|o| std::cmp::Reverse(o.created_at));
        let standing = self
            .store
            .standing(c, PersonKey::of(c, &session).as_ref())
            .await?;
        let notes = self.store.notes(c).await?;
        let agents = self.store.agents().await?;
        let probe = inbox::agent_bundle(c, &session, &agent.sub, "probe", "-", self.default_lang);
        let reply_refused = inbox::may_send(&probe, &session, self.clock.now()).err();
        let view = ConversationView::build(Parts {
            row: ConversationRow::of(&entry, &agent.sub, &agents),
            conversation: c,
            session: &session,
            catalog: &catalog,
            thread: &thread,
            orders: orders.iter().map(OrderView::of).collect(),
            standing: &standing,
            notes,
            agents: &agents,
            reply_refused,
            default_lang: self.default_lang,
        });
        ok(json!(view))
    }

    /// Audits `action` on `id` as requested, runs it, audits its outcome.
    async fn act<T>(
        &self,
        agent: &Agent,
        request: &Request,
        action: &str,
        id: &str,
        run: impl Future<Output = Result<T, InboxError>>,
    ) -> Result<T, Failure> {
        self.audit(agent, request, action, id, "requested").await?;
        match run.await {
            Ok(done) => {
                self.audit(agent, request, action, id, "ok").await?;
                Ok(done)
            }
            Err(e) => {
                self.audit(agent, request, action, id, &format!("refused: {e}"))
                    .await?;
                Err(e.into())
            }
        }
    }

    pub(super) async fn inbox_action(
        &self,
        agent: &Agent,
        request: &Request,
        id: &str,
        action: &str,
    ) -> Answer {
        let entry = self.find(id).await?;
        let c = &entry.conversation;
        // One id per request: what a retried request repeats (the bundle, the note) is keyed
        // by it.
        let rid = super::request_id(request);
        let now = self.clock.now();
        match action {
            "reply" => {
                let text = text_of(request)?;
                let bundle = self
                    .act(
                        agent,
                        request,
                        "conversation.reply",
                        id,
                        inbox::reply(
                            &self.store,
                            &self.queues,
                            c,
                            &agent.sub,
                            &rid,
                            &text,
                            self.default_lang,
                            now,
                        ),
                    )
                    .await?;
                Ok(json_response(202, &json!({ "queued": bundle.id })))
            }
            "pay-link" => {
                self.act(
                    agent,
                    request,
                    "conversation.pay_link",
                    id,
                    inbox::attach_pay_link(
                        &self.store,
                        &self.queues,
                        c,
                        &rid,
                        self.default_lang,
                        now,
                    ),
                )
                .await?;
                Ok(json_response(202, &json!({ "queued": "checkout" })))
            }
            "assign" => {
                #[derive(serde::Deserialize)]
                struct To {
                    #[serde(default)]
                    agent: Option<String>,
                }
                let bytes = body_bytes(request.body());
                let to: To = if bytes.is_empty() {
                    To { agent: None }
                } else {
                    serde_json::from_slice(bytes)
                        .map_err(|_| Failure(400, "send {\"agent\": \"<id>\"} or nothing".into()))?
                };
                let to = to
                    .agent
                    .filter(|a| !a.is_empty() && a != "me")
                    .unwrap_or_else(|| agent.sub.clone());
                let takes = match agent.role {
                    Role::Manager => Takes::Any,
                    Role::Agent => Takes::WaitingOrMine(&agent.sub),
                };
                self.act(
                    agent,
                    request,
                    "conversation.assign",
                    id,
                    inbox::assign(&self.store, c, &to, takes, now),
                )
                .await?;
                ok(json!({ "agent": to }))
            }
            "notes" => {
                let text = text_of(request)?;
                let note = self
                    .act(
                        agent,
                        request,
                        "conversation.note",
                        id,
                        inbox::note(&self.store, c, &card(agent), &rid, &text, now),
                    )
                    .await?;
                ok(json!(note))
            }
            "hand-back" => {
                // The platform's thread comes back with it (Messenger's handover protocol):
                // notify takes it, in order with the conversation's other bundles.
                let (store, queues, entry) = (&self.store, &self.queues, &entry);
                let moved = self
                    .act(agent, request, "conversation.hand_back", id, async {
                        Ok(handoff::hand_back(store, queues, entry).await?)
                    })
                    .await?;
                ok(json!({ "handed_back": moved }))
            }
            _ => Err(Failure(404, "no such route".into())),
        }
    }

    pub(super) async fn agents(&self) -> Answer {
        ok(json!(self.store.agents().await?))
    }
}
