//! `chatdrop customer export` and `chatdrop customer forget`: what chatdrop holds about one
//! customer, for the customer's access and erasure requests (GDPR articles 15 and 17, LGPD
//! article 18, PIPA, PDPA).
//!
//! `export` prints one JSON document: the conversation's session, the consent history of the
//! conversation and of its person (the keyed phone pseudonym, [`PersonKey`]), and its orders.
//! `forget` erases the session and the conversation's consent items and blanks the words the
//! customer typed in the person's consent history, and pseudonymizes the orders (platform id
//! and engraving text replaced; amounts, currency and status kept for the books)
//! ([`DynamoStore::forget`]); every step is conditional, so running it twice is safe.
//!
//! `chatdrop thread` prints what a conversation was sent, with each message's delivery status.

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::consent::{ConsentLedger, PersonKey, Subject};
use chatdrop_domain::ports::{OrderStore, PortError, SessionStore};
use chatdrop_store::DynamoStore;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum CustomerAction {
    /// Print the session, the consent history and the orders as JSON.
    Export {
        /// whatsapp, telegram, messenger, line, wechat, sms or viber.
        channel: String,
        /// The platform's id for the customer.
        customer: String,
    },
    /// Erase the session and consent items, pseudonymize the orders (amounts stay for the
    /// books); safe to repeat.
    Forget {
        /// whatsapp, telegram, messenger, line, wechat, sms or viber.
        channel: String,
        /// The platform's id for the customer.
        customer: String,
    },
}

/// Runs one `customer` command.
pub async fn run(store: &DynamoStore, action: CustomerAction) -> Result<String, String> {
    match action {
        CustomerAction::Export { channel, customer } => {
            export(store, &conversation(&channel, customer)?).await
        }
        CustomerAction::Forget { channel, customer } => {
            forget(store, &conversation(&channel, customer)?).await
        }
    }
}

/// `chatdrop thread`: one line per message sent to the conversation.
pub async fn thread(
    store: &DynamoStore,
    channel: &str,
    customer: String,
) -> Result<String, String> {
    let conversation = conversation(channel, customer)?;
    let mut out = String::from("at\tstatus\tplatform id\tmessage");
    for m in store
        .thread(&conversation)
        .await
        .map_err(|e| e.to_string())?
    {
        out.push_str(&format!(
            "\n{}\t{}\t{}\t{}",
            m.at, m.status, m.platform_id, m.summary
        ));
    }
    Ok(out)
}

/// The conversation named on the command line.
pub fn conversation(channel: &str, customer: String) -> Result<ConversationId, String> {
    let channel = Channel::parse(channel).ok_or_else(|| format!("unknown channel `{channel}`"))?;
    Ok(ConversationId::new(channel, customer))
}

/// Everything held about `conversation`, as pretty JSON.
pub async fn export(store: &DynamoStore, conversation: &ConversationId) -> Result<String, String> {
    let err = |e: PortError| e.to_string();
    let session = store.session(conversation).await.map_err(err)?;
    let person = PersonKey::of(conversation, &session);
    let own = store
        .history(&Subject::Conversation(conversation.clone()))
        .await
        .map_err(err)?;
    let persons = match &person {
        Some(p) => store
            .history(&Subject::Person(p.clone()))
            .await
            .map_err(err)?,
        None => Vec::new(),
    };
    let orders = store.orders_of(conversation).await.map_err(err)?;
    let document = serde_json::json!({
        "conversation": conversation,
        "session": session,
        "consent": {
            "conversation": own,
            "person": person.as_ref().map(PersonKey::as_str),
            "person_history": persons,
        },
        "orders": orders,
    });
    serde_json::to_string_pretty(&document).map_err(|e| e.to_string())
}

/// Erases the session and the consent items of `conversation`; a summary of what went.
pub async fn forget(store: &DynamoStore, conversation: &ConversationId) -> Result<String, String> {
    let err = |e: PortError| e.to_string();
    let session = store.session(conversation).await.map_err(err)?;
    let person = PersonKey::of(conversation, &session);
    let forgotten = store
        .forget(conversation, person.as_ref())
        .await
        .map_err(err)?;
    let mut summary = format!(
        "session erased: {}; consent items deleted: {}; person history entries scrubbed: {}; \
         orders pseudonymized (amounts kept for the books): {}",
        if forgotten.session {
            "yes"
        } else {
            "none left"
        },
        forgotten.consent_items,
        forgotten.person_entries_scrubbed,
        forgotten.orders_pseudonymized,
    );
    if conversation.channel == Channel::Kakao {
        summary.push_str(if forgotten.kakao_link {
            "; Kakao account link erased"
        } else {
            "; Kakao account link: none left"
        });
    }
    Ok(summary)
}
