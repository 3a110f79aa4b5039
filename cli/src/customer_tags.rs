//! `chatdrop customer tag` and `chatdrop customer import-tags`: the retailer's labels on
//! customers, which a campaign's segment selects (`[segment] tags = ["vip"]`).
//!
//! ```text
//! chatdrop customer tag whatsapp 5511987654321 --add vip --add tokyo-popup --remove trial
//! chatdrop customer tag line U4af4980629…            # prints the tags it carries
//! chatdrop customer import-tags crm-export.csv       # channel,customer,tags
//! ```
//!
//! The CSV has a header row `channel,customer,tags`; `tags` holds tags separated by spaces
//! (`vip tokyo-popup`). The whole file is checked before anything is written: a file with any
//! bad row (unknown channel, empty id, a tag `chatdrop_domain::customer_tags::normalize`
//! refuses) is refused with every bad row listed by line, and nothing is tagged. Tags are only
//! ever added by an import (a set's `ADD`), so running it twice, or again after it stopped
//! half-way, tags everyone once.

use crate::customer::conversation;
use chatdrop_domain::channel::ConversationId;
use chatdrop_domain::customer_tags::{TagError, normalize, parse_list};
use chatdrop_store::{DynamoStore, TagRefused};
use std::collections::BTreeSet;
use std::path::Path;

/// The most bad rows an import reports; the count says how many more there were.
const SHOWN_ERRORS: usize = 20;

fn tag_errors(errors: &[TagError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn shown(tags: &BTreeSet<String>) -> String {
    if tags.is_empty() {
        "no tags".to_string()
    } else {
        tags.iter().cloned().collect::<Vec<_>>().join(" ")
    }
}

/// Tags given one per argument (`--add "tokyo popup"` is one bad tag, not two good ones).
fn each_tag(args: &[String]) -> Result<BTreeSet<String>, String> {
    args.iter()
        .map(|t| normalize(t).map_err(|e| e.to_string()))
        .collect()
}

/// `chatdrop customer tag`: adds and removes tags of one customer; prints what they carry.
pub async fn tag(
    store: &DynamoStore,
    channel: &str,
    customer: String,
    add: &[String],
    remove: &[String],
) -> Result<String, String> {
    let chat = conversation(channel, customer)?;
    let add = each_tag(add)?;
    let remove = each_tag(remove)?;
    let tags = store
        .tag_customer(&chat, &add, &remove)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!("{}: {}", chat.channel, shown(&tags)))
}

/// One row of an import, checked.
struct Row {
    line: u64,
    chat: ConversationId,
    tags: BTreeSet<String>,
}

/// Reads and checks every row of `file`: the rows, or every problem found, by line.
fn read_rows(file: &Path) -> Result<Vec<Row>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                format!(
                    "{} has no `{name}` column (the header row must be `channel,customer,tags`)",
                    file.display()
                )
            })
    };
    let (channel_at, customer_at, tags_at) =
        (column("channel")?, column("customer")?, column("tags")?);
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let field = |at: usize| record.get(at).unwrap_or_default();
        let chat = match field(customer_at) {
            "" => Err("no customer id".to_string()),
            id => conversation(field(channel_at), id.to_string()),
        };
        let tags = parse_list([field(tags_at)]).map_err(|e| tag_errors(&e));
        match (chat, tags) {
            (Ok(chat), Ok(tags)) if !tags.is_empty() => rows.push(Row { line, chat, tags }),
            (Ok(_), Ok(_)) => problems.push(format!("line {line}: no tags")),
            (Err(e), _) | (_, Err(e)) => problems.push(format!("line {line}: {e}")),
        }
    }
    if problems.is_empty() {
        return Ok(rows);
    }
    let more = problems.len().saturating_sub(SHOWN_ERRORS);
    let mut message = format!(
        "{} refused, nothing tagged:\n  {}",
        file.display(),
        problems[..problems.len().min(SHOWN_ERRORS)].join("\n  ")
    );
    if more > 0 {
        message.push_str(&format!("\n  … and {more} more"));
    }
    Err(message)
}

/// `chatdrop customer import-tags`: adds the tags of every row of a CSV.
pub async fn import(store: &DynamoStore, file: &Path) -> Result<String, String> {
    let rows = read_rows(file)?;
    let none = BTreeSet::new();
    let mut tagged = 0;
    let mut full = Vec::new();
    for row in &rows {
        match store.tag_customer(&row.chat, &row.tags, &none).await {
            Ok(_) => tagged += 1,
            Err(TagRefused::TooMany) => full.push(row.line.to_string()),
            Err(TagRefused::Store(e)) => {
                return Err(format!(
                    "stopped at line {} ({e}); {tagged} rows were tagged before it: \
                     running the import again is safe",
                    row.line
                ));
            }
        }
    }
    let summary = format!("{tagged} of {} rows tagged", rows.len());
    if full.is_empty() {
        return Ok(summary);
    }
    // A failure for a script's sake: some customers did not get their tags.
    Err(format!(
        "{summary}; refused, the customer would carry more than {} tags: line {}",
        chatdrop_domain::customer_tags::MAX_TAGS,
        full.join(", ")
    ))
}
