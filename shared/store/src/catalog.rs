//! The catalog, versioned so that a reload is atomic for readers.
//!
//! A catalog is a header (currency, categories) and one item per product: more than one
//! `BatchWriteItem` and more than a transaction's 100 items, so it cannot be replaced in one
//! write. Written in place, a reader between two batches would see the new currency with the
//! old prices (minor units charged in the wrong currency) or half the new products. So each
//! load writes a whole new version in its own partition, and one pointer item, switched last
//! with a conditional write, says which version is live:
//!
//! | item | pk | sk |
//! |---|---|---|
//! | pointer: live `version`, its `products` count, the `claimed` counter | `CATALOG` | `CURRENT` |
//! | a version's header / product | `CATALOG#v{n}` | `META` / `PRODUCT#id` |
//!
//! A load claims a fresh version number (an atomic counter on the pointer, so an abandoned
//! load's number is never reused), writes the version's items, then switches the pointer
//! conditionally on the live version it started from: of two concurrent loads, the one that
//! switches second fails instead of undoing the first. Retired versions (the previous live one,
//! and any number claimed since by a load that never switched) get the table's TTL attribute
//! and are deleted by DynamoDB a day later; a reader that read the pointer just before the
//! switch still finds its version whole.
//!
//! A reader reads the pointer, then that version's partition (both strongly consistent, so a
//! version just switched to reads complete), and checks the product count against the
//! pointer. Tables loaded before versions existed have no pointer: their catalog is read from
//! the `CATALOG` partition itself until the first versioned load retires it. The result is
//! cached in the warm function for a short while: browsing must not cost a query per tap.
//! Writes come only from the CLI's `catalog load`.

use crate::{CATALOG_CACHE, DynamoStore, n, s, sdk_message};
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, ReturnValue, WriteRequest};
use chatdrop_domain::catalog::{Catalog, CatalogError, Category, Product};
use chatdrop_domain::lang::Lang;
use chatdrop_domain::market::Market;
use chatdrop_domain::money::Currency;
use chatdrop_domain::ports::{CatalogSource, PortError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, RwLock};
use std::time::Instant;

/// The partition of the pointer (and of the catalog written before versions existed).
const CATALOG_PK: &str = "CATALOG";
const POINTER_SK: &str = "CURRENT";
/// How long a retired version stays readable before DynamoDB's TTL may delete it: far longer
/// than a reader takes between the pointer and the version.
const RETIRED_TTL_SECS: i64 = 24 * 3600;
/// `BatchWriteItem`'s limit.
const BATCH: usize = 25;

fn version_pk(version: i64) -> String {
    format!("{CATALOG_PK}#v{version}")
}

#[derive(Serialize, Deserialize)]
struct Header {
    currency: Currency,
    /// Absent in headers written before catalogs chose one: English.
    #[serde(default)]
    default_lang: Lang,
    categories: Vec<Category>,
    /// Absent in headers written before markets existed: one implicit market.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    markets: Vec<Market>,
    /// The retailer's message files (Fluent source by locale), stored with the catalog so its
    /// wording switches with its products. Absent when the retailer overrides nothing.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    messages: BTreeMap<Lang, String>,
    /// The retailer's `[support]` settings (business hours, VIP threshold); absent: none.
    #[serde(default)]
    support: chatdrop_domain::handoff::Support,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogLoadError {
    #[error("the catalog is invalid: {0}")]
    Invalid(#[from] CatalogError),
    #[error(transparent)]
    Store(#[from] PortError),
}

type Item = HashMap<String, AttributeValue>;

/// Called after each batch of a catalog load with the number of items written so far, and
/// awaited before the next batch (or the switch): lets a test look at the table mid-load.
pub type CatalogLoadHook =
    Arc<dyn Fn(usize) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Hooks by table name, as `inject_conflicts` keeps its hooks.
static LOAD_HOOKS: LazyLock<RwLock<HashMap<String, CatalogLoadHook>>> =
    LazyLock::new(RwLock::default);

/// The pointer's fields.
struct Pointer {
    /// The live version; `None` before the first versioned load.
    version: Option<i64>,
    /// Products in the live version.
    products: Option<usize>,
}

impl DynamoStore {
    /// Installs (or with `None` removes) a hook awaited after every batch of a catalog load on
    /// this store's table. For tests.
    #[doc(hidden)]
    pub fn on_catalog_batch(&self, hook: Option<CatalogLoadHook>) {
        let mut hooks = LOAD_HOOKS.write().unwrap_or_else(|e| e.into_inner());
        match hook {
            Some(h) => hooks.insert(self.table.clone(), h),
            None => hooks.remove(&self.table),
        };
    }

    fn load_hook(&self) -> Option<CatalogLoadHook> {
        LOAD_HOOKS
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&self.table)
            .cloned()
    }

    async fn pointer(&self) -> Result<Pointer, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(CATALOG_PK))
            .key("sk", s(POINTER_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| PortError::new("read catalog pointer", sdk_message(e)))?;
        let item = out.item.unwrap_or_default();
        let number = |name: &str| match item.get(name) {
            Some(AttributeValue::N(v)) => v.parse::<i64>().ok(),
            _ => None,
        };
        Ok(Pointer {
            version: number("version"),
            products: number("products").and_then(|p| usize::try_from(p).ok()),
        })
    }

    /// Every item of partition `pk`, strongly consistent, across pages.
    async fn partition(&self, pk: &str) -> Result<Vec<Item>, PortError> {
        self.items_with_prefix("query catalog", pk, "", |q| q.consistent_read(true))
            .await
    }

    async fn read_catalog(&self) -> Result<Catalog, PortError> {
        let pointer = self.pointer().await?;
        let pk = pointer
            .version
            .map_or_else(|| CATALOG_PK.to_string(), version_pk);
        let mut header: Option<Header> = None;
        let mut products: Vec<Positioned> = Vec::new();
        for item in self.partition(&pk).await? {
            let sk = match item.get("sk") {
                Some(AttributeValue::S(sk)) => sk.clone(),
                _ => continue,
            };
            if sk == "META" {
                header = Some(
                    serde_dynamo::from_item(item)
                        .map_err(|e| PortError::new("decode catalog header", e))?,
                );
            } else if sk.starts_with("PRODUCT#") {
                products.push(
                    serde_dynamo::from_item(item)
                        .map_err(|e| PortError::new("decode product", e))?,
                );
            }
        }
        let header = header.ok_or_else(|| {
            PortError::new(
                "read catalog",
                "no catalog loaded: run `chatdrop catalog load`",
            )
        })?;
        if let Some(expected) = pointer.products
            && expected != products.len()
        {
            return Err(PortError::new(
                "read catalog",
                format!(
                    "version {pk} has {} products, its pointer says {expected}",
                    products.len()
                ),
            ));
        }
        // The seed's order is the shop's order; keys sort by id, so restore it.
        products.sort_by_key(|p| p.position);
        // Assembled from parts, so the texts learn the default language here.
        Ok(Catalog {
            currency: header.currency,
            default_lang: header.default_lang,
            categories: header.categories,
            markets: header.markets,
            products: products.into_iter().map(|p| p.product).collect(),
            messages: header.messages,
            support: header.support,
            compiled_messages: Default::default(),
        }
        .with_default_lang(header.default_lang))
    }

    /// Claims a version number no other load has or will have.
    async fn claim_version(&self) -> Result<i64, PortError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(CATALOG_PK))
            .key("sk", s(POINTER_SK))
            .update_expression("SET claimed = if_not_exists(claimed, :zero) + :one")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| PortError::new("claim catalog version", sdk_message(e)))?;
        match out.attributes.as_ref().and_then(|a| a.get("claimed")) {
            Some(AttributeValue::N(v)) => v
                .parse()
                .map_err(|e| PortError::new("claim catalog version", e)),
            _ => Err(PortError::new(
                "claim catalog version",
                "no number returned",
            )),
        }
    }

    /// Writes `items` in batches, resending what DynamoDB leaves unprocessed.
    async fn write_batches(&self, items: Vec<Item>, hook: bool) -> Result<(), PortError> {
        let hook = hook.then(|| self.load_hook()).flatten();
        let mut written = 0;
        for chunk in items.chunks(BATCH) {
            let requests = chunk.iter().cloned().map(put).collect::<Vec<_>>();
            let mut pending = HashMap::from([(self.table.clone(), requests)]);
            // BatchWriteItem may leave some writes unprocessed under throttling: resend them.
            for attempt in 0.. {
                let out = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(pending))
                    .send()
                    .await
                    .map_err(|e| PortError::new("write catalog", sdk_message(e)))?;
                match out.unprocessed_items {
                    Some(left) if !left.is_empty() && attempt < 8 => {
                        tokio::time::sleep(std::time::Duration::from_millis(50 << attempt.min(5)))
                            .await;
                        pending = left;
                    }
                    Some(left) if !left.is_empty() => {
                        return Err(PortError::new("write catalog", "writes left unprocessed"));
                    }
                    _ => break,
                }
            }
            written += chunk.len();
            if let Some(hook) = &hook {
                hook(written).await;
            }
        }
        Ok(())
    }

    /// Makes `version` live if the live version is still `from`.
    async fn switch(
        &self,
        from: Option<i64>,
        version: i64,
        products: usize,
    ) -> Result<(), PortError> {
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(CATALOG_PK))
            .key("sk", s(POINTER_SK))
            .update_expression("SET version = :v, products = :p, loaded_at = :t")
            .expression_attribute_values(":v", n(version))
            .expression_attribute_values(":p", n(products))
            .expression_attribute_values(":t", n(self.now_secs()));
        let request = match from {
            Some(live) => request
                .condition_expression("version = :live")
                .expression_attribute_values(":live", n(live)),
            None => request.condition_expression("attribute_not_exists(version)"),
        };
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(PortError::new(
                    "switch catalog",
                    "another catalog load switched the live catalog meanwhile; load again",
                ))
            }
            Err(e) => Err(PortError::new("switch catalog", sdk_message(e))),
        }
    }

    /// Gives the items of partition `pk` the TTL attribute, so DynamoDB deletes them later.
    async fn retire(&self, pk: &str, keep: &[&str]) -> Result<(), PortError> {
        let expires_at = n(self.now_secs() + RETIRED_TTL_SECS);
        let items = self
            .partition(pk)
            .await?
            .into_iter()
            .filter(|i| {
                !matches!(i.get("sk"), Some(AttributeValue::S(sk)) if keep.contains(&sk.as_str()))
                    && !i.contains_key("expires_at")
            })
            .map(|mut i| {
                i.insert("expires_at".into(), expires_at.clone());
                i
            })
            .collect::<Vec<_>>();
        self.write_batches(items, false).await
    }

    /// Replaces the live catalog with `catalog` after validating it, atomically for readers
    /// (see the module documentation). Returns the number of items the new version has.
    pub async fn replace_catalog(&self, catalog: &Catalog) -> Result<usize, CatalogLoadError> {
        catalog.validate()?;
        let live = self.pointer().await?.version;
        let version = self.claim_version().await?;
        let pk = version_pk(version);
        let header = Header {
            currency: catalog.currency,
            default_lang: catalog.default_lang,
            categories: catalog.categories.clone(),
            markets: catalog.markets.clone(),
            messages: catalog.messages.clone(),
            support: catalog.support.clone(),
        };
        let mut items = vec![item_with_key(&header, &pk, "META")?];
        for (position, p) in catalog.products.iter().enumerate() {
            let stored = Positioned {
                position,
                product: p.clone(),
            };
            items.push(item_with_key(&stored, &pk, &format!("PRODUCT#{}", p.id))?);
        }
        let count = items.len();
        self.write_batches(items, true).await?;
        self.switch(live, version, catalog.products.len()).await?;
        *self.catalog_cache.lock().expect("cache lock") = None;
        // Retire what is no longer live: the previous version, numbers claimed by loads that
        // never switched, and the catalog written before versions existed.
        for old in live.unwrap_or(1)..version {
            self.retire(&version_pk(old), &[]).await?;
        }
        if live.is_none() {
            self.retire(CATALOG_PK, &[POINTER_SK]).await?;
        }
        Ok(count)
    }
}

#[derive(Serialize, Deserialize)]
struct Positioned {
    position: usize,
    #[serde(flatten)]
    product: Product,
}

fn item_with_key<T: Serialize>(value: &T, pk: &str, sk: &str) -> Result<Item, PortError> {
    let mut item: Item =
        serde_dynamo::to_item(value).map_err(|e| PortError::new("encode catalog item", e))?;
    item.insert("pk".into(), s(pk));
    item.insert("sk".into(), s(sk));
    Ok(item)
}

fn put(item: Item) -> WriteRequest {
    WriteRequest::builder()
        .put_request(
            PutRequest::builder()
                .set_item(Some(item))
                .build()
                .expect("item is set"),
        )
        .build()
}

impl CatalogSource for DynamoStore {
    async fn catalog(&self) -> Result<Arc<Catalog>, PortError> {
        if let Some((at, catalog)) = self.catalog_cache.lock().expect("cache lock").as_ref()
            && at.elapsed() < CATALOG_CACHE
        {
            return Ok(catalog.clone());
        }
        let catalog = Arc::new(self.read_catalog().await?);
        *self.catalog_cache.lock().expect("cache lock") = Some((Instant::now(), catalog.clone()));
        Ok(catalog)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header item carries the retailer's message files and reads them back; a header
    /// written before message files existed reads as none.
    #[test]
    fn message_files_ride_in_the_header_item() {
        let messages = BTreeMap::from([(Lang::JA, "back = もどる\n".to_string())]);
        let header = Header {
            currency: Currency::JPY,
            categories: Vec::new(),
            markets: Vec::new(),
            default_lang: Lang::EN,
            messages: messages.clone(),
            support: Default::default(),
        };
        let item = item_with_key(&header, "CATALOG#v1", "META").unwrap();
        let AttributeValue::M(stored) = &item["messages"] else {
            panic!("messages is a map: {item:?}");
        };
        assert_eq!(stored["ja"], s("back = もどる\n"));
        let read: Header = serde_dynamo::from_item(item.clone()).unwrap();
        assert_eq!(read.messages, messages);
        let mut older = item;
        older.remove("messages");
        let read: Header = serde_dynamo::from_item(older).unwrap();
        assert!(read.messages.is_empty());
    }
}
