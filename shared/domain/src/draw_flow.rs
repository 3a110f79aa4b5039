//! A draw in the chat: entering, the run that draws and tells everyone, and a winner's
//! checkout. The draw itself (what is published, the algorithm) is [`crate::draw`].
//!
//! **Entering.** A checkout of a draw drop's item is answered with the drop's rules and an
//! "Enter the draw" button ([`Action::DrawEnter`], `p:de:drop`). A tap during the window
//! records one [`DrawEntry`] per *person* with a conditional put ([`DrawStore::enter`]): the
//! entry id is the key purchase limits count on ([`crate::checkout::customer_id`]), a keyed
//! pseudonym of the verified phone where one is known (WhatsApp's and SMS's id, a Telegram
//! contact share, a linked chat), else of the chat. So two chats of one phone hold one entry,
//! and a drop with [`DrawSpec::verified_phone`] first has a chat with no phone prove one
//! ([`crate::phone_dialogue`]), then takes its entry. The customer is
//! told their entry id: it is what the published list shows.
//!
//! **The run** ([`run`], `chatdrop drop draw-run`), after entries close: freezes the list
//! (entries made before the close, hashed and published), then, once the committed drand
//! round is out, verifies it, draws, publishes the seed and the winners, and tells everyone.
//! Each step is a conditional write that a re-run finds done and skips, and the winners are
//! a function of published values, so a re-run after a crash draws the same winners. Each
//! entry's notice is *claimed* (`told`: false → true, conditional) before it is queued, so a
//! re-run or a concurrent one tells nobody twice; a notice the queue refused gives its claim
//! back for the next run.
//!
//! **Winners** are handed to the payment function as if they had tapped [`Action::DrawClaim`]
//! (an event id of the drop and entry): [`claim`] reserves one unit for them, held for
//! [`DrawSpec::pay_within_minutes`], and answers with the pay link. The order id derives from
//! that event (Identifiers in ARCHITECTURE.md) and the payment function's marker records it,
//! so a redelivery finds the same order. A claim from anyone the draw did not pick is refused.
//! **The others** are told and offered the waitlist: a winner's unit that lapses unpaid goes
//! to the line ([`crate::waitlist`]).

use crate::action::{Action, Handler};
use crate::beacon::{Beacon, BeaconError};
use crate::cart::Cart;
use crate::channel::{ConversationId, full_hash};
use crate::checkout::{
    CheckoutSettings, PaymentPorts, choice, customer_id, open_payment, phone_of, problem_reply,
    text,
};
use crate::dialogue::Session;
use crate::draw::{self, DrawError, DrawRecord, DrawSpec};
use crate::drops::Drop;
use crate::i18n::{Lang, Msg, Voice};
use crate::inbound::{InboundContent, InboundMessage};
use crate::payment::PaymentGateway;
use crate::ports::{CatalogSource, Dispatch, OrderStore, PortError, ReserveError, SessionStore};
use crate::process::ProcessError;
use crate::reply::{Reply, ReplyBundle};
use crate::time_zone::CustomerZone;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// One person's entry in a drop's draw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawEntry {
    pub drop: String,
    /// The person's keyed pseudonym (`phone:k1:…` or `conv:k1:…`): what the list publishes.
    pub entry: String,
    /// The chat the result is told in.
    pub conversation: ConversationId,
    pub lang: Lang,
    /// The IANA zone the customer's times are shown in.
    pub zone: String,
    pub entered_at: i64,
    /// Whether the result was claimed for telling (and told).
    #[serde(default)]
    pub told: bool,
}

/// Which step of a draw a record write completes (see [`DrawStore::advance`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrawStep {
    Frozen,
    Drawn,
}

/// Where entries and the draw's record are kept.
pub trait DrawStore: Send + Sync {
    /// Records the entry unless the person has one for the drop: `Ok(false)` then.
    fn enter(&self, entry: &DrawEntry) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Every entry of the drop (a draw's whole list).
    fn entries(&self, drop: &str)
    -> impl Future<Output = Result<Vec<DrawEntry>, PortError>> + Send;

    fn draw_record(
        &self,
        drop: &str,
    ) -> impl Future<Output = Result<Option<DrawRecord>, PortError>> + Send;

    /// Writes the record and the secret seed, unless the drop has a record: `Ok(false)` then.
    fn commit_draw(
        &self,
        record: &DrawRecord,
        seed_hex: &str,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// The secret seed, kept apart from the published record until the draw reveals it.
    fn draw_seed(
        &self,
        drop: &str,
    ) -> impl Future<Output = Result<Option<String>, PortError>> + Send;

    /// Writes the record completed to `step`, unless that step is already done (`Ok(false)`):
    /// the first writer's values stand.
    fn advance(
        &self,
        record: &DrawRecord,
        step: DrawStep,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Claims the entry's result notice (`told`: false → true); `Ok(false)` if claimed already.
    fn claim_notice(
        &self,
        entry: &DrawEntry,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Gives a claim back (its message could not be queued).
    fn unclaim_notice(
        &self,
        entry: &DrawEntry,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Why a draw could not be committed or run (yet).
#[derive(Debug, Clone, thiserror::Error)]
pub enum RunError {
    #[error("drop {0} does not exist or is not a draw")]
    NotADraw(String),
    #[error("drop {0} has no committed draw (`chatdrop drop draw-commit` first)")]
    NotCommitted(String),
    #[error("drop {drop} already has a committed draw")]
    AlreadyCommitted { drop: String },
    #[error("entries close at {closes}: too late to commit, or too early to run")]
    Window { closes: i64 },
    #[error("the draw's secret seed is missing")]
    NoSeed,
    #[error(transparent)]
    Draw(#[from] DrawError),
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Commits a draw before entries close: the seed's hash and the first round of `chain` after
/// the close plus `margin_seconds`, and the units (the drop's first SKU's stock).
pub async fn commit<S: DrawStore>(
    store: &S,
    drop: &Drop,
    chain: crate::beacon::BeaconChain,
    margin_seconds: i64,
    seed: &[u8; 32],
    now: i64,
) -> Result<DrawRecord, RunError> {
    let spec = drop
        .draw
        .as_ref()
        .ok_or_else(|| RunError::NotADraw(drop.id.clone()))?;
    if now >= spec.entries_close_at {
        return Err(RunError::Window {
            closes: spec.entries_close_at,
        });
    }
    let record = DrawRecord {
        drop: drop.id.clone(),
        commitment: draw::commitment(seed),
        round: chain.round_after(spec.entries_close_at, margin_seconds.max(0)),
        chain: Some(chain),
        units: drop.skus.first().map_or(0, |s| s.stock),
        committed_at: now,
        ..DrawRecord::default()
    };
    if !store.commit_draw(&record, &hex::encode(seed)).await? {
        return Err(RunError::AlreadyCommitted {
            drop: drop.id.clone(),
        });
    }
    Ok(record)
}

/// Where a run got to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunReport {
    /// The list is frozen; the round is not out yet: run again after `at`.
    Waiting {
        round: u64,
        at: i64,
        list_hash: String,
    },
    /// Drawn; this run told `won` winners and `lost` others (those told by an earlier run are
    /// not counted), `failed` notices go to the next run.
    Drawn {
        record: Box<DrawRecord>,
        won: usize,
        lost: usize,
        failed: usize,
    },
}

/// The entries that count: made before the close, in canonical order.
fn counted(entries: Vec<DrawEntry>, spec: &DrawSpec) -> Vec<DrawEntry> {
    let mut entries: Vec<DrawEntry> = entries
        .into_iter()
        .filter(|e| e.entered_at < spec.entries_close_at)
        .collect();
    entries.sort_by(|a, b| a.entry.cmp(&b.entry));
    entries.dedup_by(|a, b| a.entry == b.entry);
    entries
}

/// The published entry list of a drop: the ids that count, canonical.
pub async fn published_list<S: DrawStore>(
    store: &S,
    spec: &DrawSpec,
    drop: &str,
) -> Result<Vec<String>, PortError> {
    Ok(counted(store.entries(drop).await?, spec)
        .into_iter()
        .map(|e| e.entry)
        .collect())
}

/// The run after entries close (module doc). Safe to repeat at any point.
pub async fn run<S: DrawStore, B: Beacon, D: Dispatch>(
    store: &S,
    beacon: &B,
    dispatch: &D,
    drop: &Drop,
    now: i64,
) -> Result<RunReport, RunError> {
    let spec = drop
        .draw
        .as_ref()
        .ok_or_else(|| RunError::NotADraw(drop.id.clone()))?;
    if now < spec.entries_close_at {
        return Err(RunError::Window {
            closes: spec.entries_close_at,
        });
    }
    let reread = || async {
        store
            .draw_record(&drop.id)
            .await?
            .ok_or_else(|| RunError::NotCommitted(drop.id.clone()))
    };
    let mut record = reread().await?;
    let entries = counted(store.entries(&drop.id).await?, spec);
    if record.list_hash.is_none() {
        let ids: Vec<String> = entries.iter().map(|e| e.entry.clone()).collect();
        record.list_hash = Some(hex::encode(draw::entry_list_hash(&ids)));
        record.entries = u32::try_from(ids.len()).unwrap_or(u32::MAX);
        record.frozen_at = Some(now);
        store.advance(&record, DrawStep::Frozen).await?;
        record = reread().await?;
    }
    if !record.drawn() {
        let chain = record.chain.clone().ok_or(DrawError::NoChain)?;
        let round = match beacon.round(&chain, record.round).await {
            Ok(round) => round,
            Err(BeaconError::NotYet { round }) => {
                return Ok(RunReport::Waiting {
                    round,
                    at: chain.time_of(round),
                    list_hash: record.list_hash.clone().unwrap_or_default(),
                });
            }
            Err(e) => return Err(DrawError::Beacon(e).into()),
        };
        let seed = store.draw_seed(&drop.id).await?.ok_or(RunError::NoSeed)?;
        let ids: Vec<String> = entries.iter().map(|e| e.entry.clone()).collect();
        record.winners = draw::draw(&record, &seed, &ids, &round)?;
        record.seed = Some(seed);
        record.beacon = Some(round);
        store.advance(&record, DrawStep::Drawn).await?;
        record = reread().await?;
    }
    let (mut won, mut lost, mut failed) = (0, 0, 0);
    for entry in entries.iter().filter(|e| !e.told) {
        if !store.claim_notice(entry).await? {
            continue;
        }
        let winner = record.winners.contains(&entry.entry);
        let sent = if winner {
            dispatch
                .hand_off(Handler::Payment, &claim_message(drop, entry, now))
                .await
        } else {
            dispatch.reply(&lost_bundle(drop, entry)).await
        };
        match sent {
            Ok(()) if winner => won += 1,
            Ok(()) => lost += 1,
            Err(e) => {
                failed += 1;
                tracing::warn!(drop = %drop.id, error = %e, "a draw result could not be queued; the next run tells it");
                store.unclaim_notice(entry).await?;
            }
        }
    }
    Ok(RunReport::Drawn {
        record: Box::new(record),
        won,
        lost,
        failed,
    })
}

/// The event a winner's checkout runs as: one per drop and entry, so its marker and order id
/// are the same on every run.
fn claim_message(drop: &Drop, entry: &DrawEntry, now: i64) -> InboundMessage {
    InboundMessage {
        conversation: entry.conversation.clone(),
        event_id: format!(
            "draw-{}",
            full_hash(&format!("{}#{}", drop.id, entry.entry))
        ),
        sent_at: now,
        locale: Some(entry.lang.to_string()),
        ack: None,
        reply_token: None,
        content: InboundContent::Action {
            payload: Action::DrawClaim(drop.id.clone()).encode(),
            title: None,
        },
    }
}

fn lost_bundle(drop: &Drop, entry: &DrawEntry) -> ReplyBundle {
    let lang = entry.lang;
    let mut choices = vec![choice(Action::Menu, Msg::Menu.text(lang))];
    if !drop.skus.is_empty() {
        choices.insert(
            0,
            choice(
                Action::WaitlistJoin {
                    drop: drop.id.clone(),
                    sku: 0,
                },
                Msg::WaitlistJoinButton.text(lang),
            ),
        );
    }
    ReplyBundle {
        id: full_hash(&format!("draw-lost#{}#{}", drop.id, entry.entry)),
        conversation: entry.conversation.clone(),
        lang,
        ack: None,
        reply_token: None,
        update: None,
        // The answer to an entry the customer made, not a promotion.
        announcement: None,
        handoff: None,
        take_back: false,
        origin: Default::default(),
        replies: vec![Reply::Choices {
            body: Msg::DrawLost(&drop.name).text(lang),
            menu_label: Msg::ChooseLabel.text(lang),
            choices,
        }],
    }
}

/// The answer to a checkout of a draw drop's item: its rules and the "Enter" button.
pub fn invite(drop: &Drop, spec: &DrawSpec, zone: &CustomerZone, voice: Voice<'_>) -> Reply {
    Reply::Choices {
        body: Msg::DrawOnly {
            drop: &drop.name,
            closes: &zone.format(spec.entries_close_at, voice.lang),
        }
        .text(voice),
        menu_label: Msg::ChooseLabel.text(voice),
        choices: vec![
            choice(
                Action::DrawEnter(drop.id.clone()),
                Msg::DrawEnterButton.text(voice),
            ),
            choice(Action::Menu, Msg::KeepShopping.text(voice)),
        ],
    }
}

/// The entry id as the customer reads it: the pseudonym's hex.
fn shown(entry: &str) -> &str {
    entry.rsplit(':').next().unwrap_or(entry)
}

/// A tap on "Enter the draw".
#[allow(clippy::too_many_arguments)]
pub(crate) async fn enter<S, C, O, G, D>(
    drop: &str,
    conversation: &ConversationId,
    session: &mut Session,
    lang: Lang,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    settings: &CheckoutSettings,
    now: i64,
) -> Result<Vec<Reply>, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore + DrawStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let catalog = ports.catalogs.catalog().await?;
    let voice = catalog.voice(lang);
    let drops = ports.orders.drops().await?;
    let Some((drop, spec)) = drops
        .iter()
        .find(|d| d.id == drop)
        .and_then(|d| Some((d, d.draw.as_ref()?)))
    else {
        return Ok(vec![text(Msg::StaleButton.text(voice))]);
    };
    let phone = phone_of(conversation, session);
    let market = catalog.market_for(conversation.channel);
    let zone = CustomerZone::resolve(
        phone.as_deref(),
        market.time_zone.as_deref(),
        spec.entries_close_at,
    );
    if now >= spec.entries_close_at {
        return Ok(vec![text(Msg::DrawClosed(&drop.name).text(voice))]);
    }
    if now < drop.starts_at {
        return Ok(vec![text(
            Msg::DropNotYet {
                drop: &drop.name,
                when: &zone.format(drop.starts_at, lang),
            }
            .text(voice),
        )]);
    }
    let person = customer_id(&settings.ids, conversation, session);
    // One entry per verified phone, and this chat has none: the phone first, then this entry
    // again ([`crate::phone_dialogue`]).
    if crate::phone_dialogue::must_verify(drop, &person) {
        let resume = crate::dialogue::Resume::DrawEntry {
            drop: drop.id.clone(),
        };
        return Ok(crate::phone_dialogue::ask(
            session,
            resume,
            &drop.name,
            conversation.channel,
            voice,
            now,
        ));
    }
    let entry = DrawEntry {
        drop: drop.id.clone(),
        entry: person,
        conversation: conversation.clone(),
        lang,
        zone: zone.name.clone(),
        entered_at: now,
        told: false,
    };
    if !ports.orders.enter(&entry).await? {
        return Ok(vec![text(Msg::DrawAlreadyEntered(&drop.name).text(voice))]);
    }
    Ok(vec![text(
        Msg::DrawEntered {
            drop: &drop.name,
            entry: shown(&entry.entry),
            closes: &zone.format(spec.entries_close_at, lang),
        }
        .text(voice),
    )])
}

/// A winner's checkout, run as the draw's hand-off (module doc).
pub(crate) async fn claim<S, C, O, G, D>(
    drop: &str,
    message: &InboundMessage,
    session: &Session,
    lang: Lang,
    ports: &PaymentPorts<'_, S, C, O, G, D>,
    settings: &CheckoutSettings,
    now: i64,
) -> Result<Vec<Reply>, ProcessError>
where
    S: SessionStore,
    C: CatalogSource,
    O: OrderStore + DrawStore,
    G: PaymentGateway,
    D: Dispatch,
{
    let conversation = &message.conversation;
    let catalog = ports.catalogs.catalog().await?;
    let voice = catalog.voice(lang);
    let drops = ports.orders.drops().await?;
    let Some((drop, spec)) = drops
        .iter()
        .find(|d| d.id == drop)
        .and_then(|d| Some((d, d.draw.as_ref()?)))
    else {
        return Ok(vec![text(Msg::StaleButton.text(voice))]);
    };
    let person = customer_id(&settings.ids, conversation, session);
    let record = ports.orders.draw_record(&drop.id).await?;
    if !record.is_some_and(|r| r.winners.contains(&person)) {
        return Ok(vec![text(Msg::DrawNotAWinner(&drop.name).text(voice))]);
    }
    let Some(sku) = drop.skus.first() else {
        return Ok(vec![text(Msg::StaleButton.text(voice))]);
    };
    let (product, selections) = crate::waitlist_flow::wanted(drop, &sku.sku, session);
    let mut cart = Cart::default();
    if cart.add(&product, selections, 0).is_err() {
        return Ok(vec![text(Msg::StaleButton.text(voice))]);
    }
    let identity = message.dedup_identity();
    let order_id = settings.ids.order_id(&identity);
    let pay_token = settings.ids.pay_token(&order_id, &identity);
    let hold = i64::from(spec.pay_within_minutes.max(1));
    let planned = crate::checkout::plan(
        &catalog,
        std::slice::from_ref(drop),
        &cart,
        conversation,
        &person,
        lang,
        now,
        hold,
        &order_id,
        &pay_token,
    );
    let zone_name = catalog.market_for(conversation.channel).time_zone.clone();
    let mut order = match planned {
        Ok(order) => order,
        Err(problem) => {
            return Ok(vec![problem_reply(
                &problem,
                voice,
                conversation,
                session,
                zone_name.as_deref(),
            )]);
        }
    };
    match ports.orders.reserve(&order).await {
        Ok(()) => {}
        Err(ReserveError::AlreadyExists) => {
            order = ports
                .orders
                .order(&order_id)
                .await?
                .ok_or_else(|| PortError::new("reserve", "order exists but cannot be read"))?;
        }
        Err(ReserveError::OverLimit { limit, .. }) => {
            return Ok(vec![text(Msg::OverLimit(limit).text(voice))]);
        }
        // The draw drew as many winners as units: a unit missing is a unit sold outside it.
        Err(ReserveError::SoldOut { .. }) => {
            tracing::error!(drop = %drop.id, "a draw winner found no unit: was the drop sold outside its draw?");
            return Ok(vec![text(Msg::SoldOut(&sku.sku).text(voice))]);
        }
        Err(ReserveError::Port(e)) => return Err(e.into()),
    }
    let phone = phone_of(conversation, session);
    let zone = CustomerZone::resolve(phone.as_deref(), zone_name.as_deref(), order.expires_at);
    let won = text(
        Msg::DrawWon {
            drop: &drop.name,
            until: &zone.format(order.expires_at, lang),
        }
        .text(voice),
    );
    let mut replies = vec![won];
    replies.extend(
        open_payment(order, ports, settings, &catalog)
            .await?
            .replies,
    );
    Ok(replies)
}

#[cfg(test)]
#[path = "draw_flow_tests.rs"]
mod tests;
