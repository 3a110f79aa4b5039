//! The table and queue definitions, as data (`resources.json` beside this crate).
//!
//! One file so that the code, the local stack and the CDK app cannot disagree: the local stack
//! creates exactly these resources, the CDK app declares them from the same file, and the store
//! and queue adapters take their key names from here.

use serde::Deserialize;

pub const RESOURCES_JSON: &str = include_str!("../resources.json");

#[derive(Debug, Clone, Deserialize)]
pub struct Resources {
    pub table: TableDef,
    pub queues: Vec<QueueDef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TableDef {
    pub name: String,
    pub partition_key: String,
    pub sort_key: String,
    pub ttl_attribute: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct QueueDef {
    pub id: String,
    pub name: String,
    pub dead_letter_name: String,
    pub fifo: bool,
    pub consumer: String,
    pub consumer_timeout_seconds: u32,
    pub visibility_timeout_seconds: u32,
    pub max_receive_count: u32,
    /// The consumer is given this queue's dead-letter queue and sends there itself: records it
    /// cannot decode (every consumer), bundles whose retry budget is spent (notify, which
    /// counts its own retries; its `max_receive_count` is then only the crash guard).
    #[serde(default)]
    pub self_dead_letters: bool,
    pub url_env: String,
}

impl Resources {
    pub fn load() -> Resources {
        serde_json::from_str(RESOURCES_JSON).expect("resources.json is checked by its unit test")
    }

    pub fn queue(&self, id: &str) -> Option<&QueueDef> {
        self.queues.iter().find(|q| q.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_consistent() {
        let r = Resources::load();
        for q in &r.queues {
            assert_eq!(q.fifo, q.name.ends_with(".fifo"), "{}", q.name);
            assert_eq!(q.fifo, q.dead_letter_name.ends_with(".fifo"), "{}", q.name);
            // AWS's guidance for Lambda event sources: visibility >= 6 x function timeout.
            assert!(q.visibility_timeout_seconds >= 6 * q.consumer_timeout_seconds);
            assert!(q.max_receive_count >= 1);
        }
        let outbound = r.queue("outbound").unwrap();
        assert!(
            outbound.max_receive_count * outbound.visibility_timeout_seconds >= 30 * 60,
            "notify must survive a 30-minute platform outage before dead-lettering"
        );
        for id in ["catalog", "cart", "payment", "outbound"] {
            assert!(r.queue(id).is_some(), "{id}");
        }
    }
}
