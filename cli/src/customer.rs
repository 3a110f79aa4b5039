//! `chatdrop customer export` and `chatdrop customer forget`: what chatdrop holds about one
//! customer, for the customer's access and erasure requests (GDPR articles 15 and 17, LGPD
//! article 18, PIPA, PDPA).
//!
//! `export` prints one JSON document: the conversation's session, the consent history of the
//! conversation and of its person (the keyed phone pseudonym, [`PersonKey`]), and its orders.
//! `forget` erases the session, the conversation's consent items and its tags, blanks the words the
//! customer typed in the person's consent history and adds an opt-out to it (the phone's other
//! chats share it), and pseudonymizes the orders (platform id and engraving text replaced;
//! amounts, currency and status kept for the books) ([`DynamoStore::forget`]). The same as
//! "forget me" typed in the chat, which keeps the session's channel opt-out
//! (`chatdrop_domain::personal_data`). Every step is conditional, so running it twice is safe.
//!
//! `chatdrop thread` prints what a conversation was sent, with each message's delivery status.

use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::clock::{Clock, SystemClock};
use chatdrop_domain::consent::{ConsentLedger, PersonKey, Subject};
use chatdrop_domain::personal_data;
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
    /// Erase the session, consent items and tags, pseudonymize the orders (amounts stay for
    /// the books); safe to repeat.
    Forget {
        /// whatsapp, telegram, messenger, line, wechat, sms or viber.
        channel: String,
        /// The platform's id for the customer.
        customer: String,
    },
    /// Add and remove the retailer's tags on a customer (campaign segments select by them);
    /// prints the tags the customer carries.
    Tag {
        /// whatsapp, telegram, messenger, line, wechat, sms, kakao or viber.
        channel: String,
        /// The platform's id for the customer (a phone number on WhatsApp and SMS).
        customer: String,
        /// A tag to add (letters and digits in any script, `-`, `_`, `.`, `:`); repeatable.
        #[arg(long)]
        add: Vec<String>,
        /// A tag to remove; repeatable.
        #[arg(long)]
        remove: Vec<String>,
    },
    /// Add tags from a CSV with the header `channel,customer,tags` (tags separated by spaces);
    /// the whole file is checked first, and nothing is written if a row is bad.
    ImportTags {
        /// The CSV file.
        file: std::path::PathBuf,
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
        CustomerAction::Tag {
            channel,
            customer,
            add,
            remove,
        } => crate::customer_tags::tag(store, &channel, customer, &add, &remove).await,
        CustomerAction::ImportTags { file } => crate::customer_tags::import(store, &file).await,
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

/// The conversation named on the command line (or in an import's row).
///
/// Where the platform's customer id is a phone number, a number as people write it
/// (`+55 11 98765-4321`) is taken in the platform's own form: WhatsApp's `wa_id` is the digits
/// alone, Twilio's `From` is `+` and the digits. Elsewhere the id is the platform's, as given.
pub fn conversation(channel: &str, customer: String) -> Result<ConversationId, String> {
    let channel =
        Channel::parse(channel.trim()).ok_or_else(|| format!("unknown channel `{channel}`"))?;
    let customer = customer.trim();
    if !channel.spec().customer_id_is_phone {
        return Ok(ConversationId::new(channel, customer));
    }
    let written_as_phone = customer
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits: String = customer.chars().filter(char::is_ascii_digit).collect();
    if !written_as_phone || digits.is_empty() {
        return Err(format!(
            "`{customer}` is not a phone number, which a {} customer id is",
            channel.spec().display_name
        ));
    }
    Ok(match channel {
        Channel::Sms => ConversationId::new(channel, format!("+{digits}")),
        _ => ConversationId::new(channel, digits),
    })
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
    let tags = store.tags_of(conversation).await.map_err(err)?;
    let document = serde_json::json!({
        "conversation": conversation,
        "session": session,
        "tags": tags,
        "consent": {
            "conversation": own,
            "person": person.as_ref().map(PersonKey::as_str),
            "person_history": persons,
        },
        "orders": orders,
    });
    serde_json::to_string_pretty(&document).map_err(|e| e.to_string())
}

/// Erases what is held about `conversation` (the module docs); a summary of what went.
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
    // The phone's other chats share the person's standing: an opt-out keeps them from being
    // announced to (the chat's "forget me" records the same; `chatdrop_domain::personal_data`).
    if let Some(person) = &person {
        let now = SystemClock.now();
        let change = personal_data::forgotten(now, format!("cli-forget:{now}"));
        store
            .record(&Subject::Person(person.clone()), &change)
            .await
            .map_err(err)?;
        summary.push_str("; the phone's other chats opted out of announcements");
    }
    summary.push_str(if forgotten.tags {
        "; tags erased"
    } else {
        "; tags: none left"
    });
    if conversation.channel == Channel::Kakao {
        summary.push_str(if forgotten.kakao_link {
            "; Kakao account link erased"
        } else {
            "; Kakao account link: none left"
        });
    }
    Ok(summary)
}
