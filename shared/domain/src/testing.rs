//! In-memory stand-ins for the ports, and the sample catalog, for the domain's tests.

use crate::action::Handler;
use crate::catalog::Catalog;
use crate::channel::{Channel, ConversationId};
use crate::dialogue::Session;
use crate::inbound::{InboundContent, InboundMessage};
use crate::ports::{
    CatalogSource, CommitError, CustomerProfiles, Dispatch, Effect, Marker, MarkerKey, PortError,
    ProfileError, ProfileFuture, SessionStore,
};
use crate::reply::ReplyBundle;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub fn sample_catalog() -> Catalog {
    let catalog: Catalog =
        toml::from_str(include_str!("../../../cli/catalogs/sample.toml")).expect("sample parses");
    catalog.validate().expect("sample is valid");
    catalog
}

/// The luxury house's catalog: four markets, nine languages (`cli/catalogs/maison.toml`).
pub fn maison_catalog() -> Catalog {
    let catalog: Catalog =
        toml::from_str(include_str!("../../../cli/catalogs/maison.toml")).expect("maison parses");
    catalog.validate().expect("maison is valid");
    catalog
}

pub fn conversation() -> ConversationId {
    ConversationId::new(Channel::Whatsapp, "5511987654321")
}

pub fn message(event: &str, content: InboundContent) -> InboundMessage {
    InboundMessage {
        conversation: conversation(),
        event_id: event.into(),
        sent_at: 1_767_225_600,
        locale: None,
        ack: None,
        reply_token: None,
        content,
    }
}

pub fn text(event: &str, body: &str) -> InboundMessage {
    message(event, InboundContent::Text { body: body.into() })
}

pub fn tap(event: &str, payload: &str) -> InboundMessage {
    message(
        event,
        InboundContent::Action {
            payload: payload.into(),
            title: None,
        },
    )
}

/// When an agent last acted on a handoff, and when it was escalated.
pub type HandoffMarks = (Option<i64>, Option<i64>);

#[derive(Default)]
pub struct Memory {
    pub sessions: Mutex<HashMap<String, Session>>,
    pub markers: Mutex<HashMap<(Handler, String), Marker>>,
    pub replies: Mutex<Vec<ReplyBundle>>,
    pub handoffs: Mutex<Vec<(Handler, InboundMessage)>>,
    pub catalog: Option<Arc<Catalog>>,
    /// Fail the next dispatch, as a crashed function would.
    pub fail_dispatch: Mutex<bool>,
    /// The consent ledger the process records into.
    pub ledger: crate::consent::memory::MemoryLedger,
    /// Per conversation key: when an agent last acted and when the handoff was escalated
    /// (the handoff list's own attributes; `testing_handoff.rs`).
    pub handoff_marks: Mutex<HashMap<String, HandoffMarks>>,
    /// Per conversation key: why it was handed over, kept once an agent took it, as the
    /// handoff list's entry keeps it.
    pub handoff_reasons: Mutex<HashMap<String, crate::handoff::HandoffReason>>,
    /// Alerts claimed, by conversation key and kind.
    pub alert_marks: Mutex<HashMap<(String, crate::handoff::AlertKind), Option<i64>>>,
    /// The inbox's private notes by conversation key, and its agent directory
    /// (`testing_inbox.rs`).
    pub notes: Mutex<HashMap<String, Vec<crate::inbox::Note>>>,
    pub agents: Mutex<Vec<crate::inbox::AgentCard>>,
    /// The retailer's tags by conversation key ([`crate::personal_data::PersonalData`]).
    pub tags: Mutex<HashMap<String, std::collections::BTreeSet<String>>>,
}

impl Memory {
    /// Runs a message the way the deployed functions do: ingress routes by payload, and a
    /// hand-off is processed by the other handler, as its queue would deliver it. Returns the
    /// bundles sent meanwhile.
    pub async fn run(&self, msg: InboundMessage) -> Vec<ReplyBundle> {
        let handler = match &msg.content {
            InboundContent::Action { payload, .. } => crate::action::route_payload(payload),
            _ => Handler::Catalog,
        };
        let before = self.replies.lock().unwrap().len();
        // The conversation functions follow the platform inbox's moves before any flow.
        let followed = crate::handoff::follow_inbox(handler, &msg, self, crate::lang::Lang::EN)
            .await
            .unwrap();
        if followed.is_some() {
            return self.replies.lock().unwrap()[before..].to_vec();
        }
        crate::process::process(handler, &msg, self, self, self, crate::lang::Lang::EN)
            .await
            .unwrap();
        loop {
            let next = self.handoffs.lock().unwrap().pop();
            let Some((to, m)) = next else { break };
            crate::process::process(to, &m, self, self, self, crate::lang::Lang::EN)
                .await
                .unwrap();
        }
        self.replies.lock().unwrap()[before..].to_vec()
    }

    pub fn with_sample() -> Self {
        Memory::with_catalog(sample_catalog())
    }

    pub fn with_catalog(catalog: Catalog) -> Self {
        Memory {
            catalog: Some(Arc::new(catalog)),
            ..Default::default()
        }
    }
}

impl CatalogSource for Memory {
    async fn catalog(&self) -> Result<Arc<Catalog>, PortError> {
        self.catalog
            .clone()
            .ok_or_else(|| PortError::new("catalog", "no catalog loaded"))
    }
}

impl crate::consent::ConsentLedger for Memory {
    async fn record(
        &self,
        subject: &crate::consent::Subject,
        change: &crate::consent::ConsentChange,
    ) -> Result<(), PortError> {
        self.ledger.record(subject, change).await
    }

    async fn standing(
        &self,
        conversation: &ConversationId,
        person: Option<&crate::consent::PersonKey>,
    ) -> Result<crate::consent::Standing, PortError> {
        self.ledger.standing(conversation, person).await
    }

    async fn history(
        &self,
        subject: &crate::consent::Subject,
    ) -> Result<Vec<crate::consent::ConsentChange>, PortError> {
        self.ledger.history(subject).await
    }
}

impl crate::personal_data::PersonalData for Memory {
    async fn tags(
        &self,
        conversation: &ConversationId,
    ) -> Result<std::collections::BTreeSet<String>, PortError> {
        Ok(self
            .tags
            .lock()
            .unwrap()
            .get(&conversation.key())
            .cloned()
            .unwrap_or_default())
    }

    async fn erase(
        &self,
        conversation: &ConversationId,
        person: Option<&crate::consent::PersonKey>,
    ) -> Result<(), PortError> {
        self.tags.lock().unwrap().remove(&conversation.key());
        self.ledger.forget(conversation, person);
        Ok(())
    }
}

impl SessionStore for Memory {
    async fn marker(&self, key: &MarkerKey) -> Result<Option<Marker>, PortError> {
        Ok(self
            .markers
            .lock()
            .unwrap()
            .get(&(key.handler, key.identity.clone()))
            .cloned())
    }

    async fn session(&self, c: &ConversationId) -> Result<Session, PortError> {
        Ok(self
            .sessions
            .lock()
            .unwrap()
            .get(&c.key())
            .cloned()
            .unwrap_or_default())
    }

    async fn commit(
        &self,
        c: &ConversationId,
        session: Option<&Session>,
        key: &MarkerKey,
        effect: &Effect,
    ) -> Result<(), CommitError> {
        let mut sessions = self.sessions.lock().unwrap();
        let mut markers = self.markers.lock().unwrap();
        let marker_key = (key.handler, key.identity.clone());
        if markers.contains_key(&marker_key) {
            return Err(CommitError::Conflict);
        }
        if let Some(s) = session {
            let stored = sessions.get(&c.key()).map_or(0, |s| s.version);
            if stored + 1 != s.version {
                return Err(CommitError::Conflict);
            }
            sessions.insert(c.key(), s.clone());
        }
        markers.insert(
            marker_key,
            Marker {
                effect: effect.clone(),
                done: false,
            },
        );
        Ok(())
    }

    async fn mark_done(&self, key: &MarkerKey) -> Result<(), PortError> {
        if let Some(m) = self
            .markers
            .lock()
            .unwrap()
            .get_mut(&(key.handler, key.identity.clone()))
        {
            m.done = true;
        }
        Ok(())
    }
}

impl Dispatch for Memory {
    async fn reply(&self, bundle: &ReplyBundle) -> Result<(), PortError> {
        let mut fail = self.fail_dispatch.lock().unwrap();
        if *fail {
            *fail = false;
            return Err(PortError::new("reply", "queue unavailable"));
        }
        self.replies.lock().unwrap().push(bundle.clone());
        Ok(())
    }

    async fn hand_off(&self, to: Handler, message: &InboundMessage) -> Result<(), PortError> {
        self.handoffs.lock().unwrap().push((to, message.clone()));
        Ok(())
    }
}

/// Platform profiles in memory: a locale per conversation, or a failure for everyone, and a
/// count of the lookups made (the domain asks once per conversation).
#[derive(Default)]
pub struct ProfileBook {
    /// Locales by [`ConversationId::key`], in the platform's spelling.
    pub locales: Mutex<HashMap<String, String>>,
    /// Every lookup fails with this (a timeout, a refused token).
    pub failure: Mutex<Option<ProfileError>>,
    /// Lookups made so far.
    pub lookups: Mutex<usize>,
}

impl ProfileBook {
    /// A book where `conversation`'s profile says `locale`.
    pub fn with(conversation: &ConversationId, locale: &str) -> Self {
        let book = ProfileBook::default();
        book.locales
            .lock()
            .unwrap()
            .insert(conversation.key(), locale.into());
        book
    }

    /// A book whose every lookup fails with `error`.
    pub fn failing(error: ProfileError) -> Self {
        let book = ProfileBook::default();
        *book.failure.lock().unwrap() = Some(error);
        book
    }

    pub fn lookups(&self) -> usize {
        *self.lookups.lock().unwrap()
    }
}

impl CustomerProfiles for ProfileBook {
    fn locale<'a>(&'a self, conversation: &'a ConversationId) -> ProfileFuture<'a> {
        *self.lookups.lock().unwrap() += 1;
        let answer = match self.failure.lock().unwrap().clone() {
            Some(error) => Err(error),
            None => Ok(self
                .locales
                .lock()
                .unwrap()
                .get(&conversation.key())
                .cloned()),
        };
        Box::pin(async move { answer })
    }
}
