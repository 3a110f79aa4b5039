//! [`DrawStore`] in memory: the double for the domain's tests, and the store of a draw that
//! runs without a table (the `drawbench` bench). Same rules as the DynamoDB adapter: one entry
//! per person, the first writer of each step stands, a notice is claimed once.

use crate::draw::DrawRecord;
use crate::draw_flow::{DrawEntry, DrawStep, DrawStore};
use crate::ports::PortError;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct State {
    /// (drop, entry id) → entry.
    entries: BTreeMap<(String, String), DrawEntry>,
    records: BTreeMap<String, DrawRecord>,
    seeds: BTreeMap<String, String>,
}

/// Cloning shares the store.
#[derive(Clone, Debug, Default)]
pub struct MemoryDraws {
    state: Arc<Mutex<State>>,
}

impl MemoryDraws {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl DrawStore for MemoryDraws {
    async fn enter(&self, entry: &DrawEntry) -> Result<bool, PortError> {
        Ok(self.with(|s| {
            let key = (entry.drop.clone(), entry.entry.clone());
            if s.entries.contains_key(&key) {
                return false;
            }
            s.entries.insert(key, entry.clone());
            true
        }))
    }

    async fn entries(&self, drop: &str) -> Result<Vec<DrawEntry>, PortError> {
        Ok(self.with(|s| {
            s.entries
                .values()
                .filter(|e| e.drop == drop)
                .cloned()
                .collect()
        }))
    }

    async fn draw_record(&self, drop: &str) -> Result<Option<DrawRecord>, PortError> {
        Ok(self.with(|s| s.records.get(drop).cloned()))
    }

    async fn commit_draw(&self, record: &DrawRecord, seed_hex: &str) -> Result<bool, PortError> {
        Ok(self.with(|s| {
            if s.records.contains_key(&record.drop) {
                return false;
            }
            s.records.insert(record.drop.clone(), record.clone());
            s.seeds.insert(record.drop.clone(), seed_hex.to_string());
            true
        }))
    }

    async fn draw_seed(&self, drop: &str) -> Result<Option<String>, PortError> {
        Ok(self.with(|s| s.seeds.get(drop).cloned()))
    }

    async fn advance(&self, record: &DrawRecord, step: DrawStep) -> Result<bool, PortError> {
        Ok(self.with(|s| {
            let Some(stored) = s.records.get_mut(&record.drop) else {
                return false;
            };
            let done = match step {
                DrawStep::Frozen => stored.list_hash.is_some(),
                DrawStep::Drawn => stored.seed.is_some(),
            };
            if done {
                return false;
            }
            *stored = record.clone();
            true
        }))
    }

    async fn claim_notice(&self, entry: &DrawEntry) -> Result<bool, PortError> {
        Ok(self.with(|s| {
            s.entries
                .get_mut(&(entry.drop.clone(), entry.entry.clone()))
                .is_some_and(|e| !std::mem::replace(&mut e.told, true))
        }))
    }

    async fn unclaim_notice(&self, entry: &DrawEntry) -> Result<(), PortError> {
        self.with(|s| {
            if let Some(e) = s
                .entries
                .get_mut(&(entry.drop.clone(), entry.entry.clone()))
            {
                e.told = false;
            }
        });
        Ok(())
    }
}
