//! The catalog: one header item and one item per product, under partition `CATALOG`.
//!
//! Reads take the whole partition with one paginated query and cache the result in the warm
//! function for a short while: a catalog is a few hundred items at most and changes rarely, and
//! browsing must not cost a query per tap. Writes come only from the CLI's `catalog load`.

use crate::{CATALOG_CACHE, DynamoStore, s, sdk_message};
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use chatdrop_domain::catalog::{Catalog, CatalogError, Category, Product};
use chatdrop_domain::money::Currency;
use chatdrop_domain::ports::{CatalogSource, PortError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

#[derive(Serialize, Deserialize)]
struct Header {
    currency: Currency,
    categories: Vec<Category>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogLoadError {
    #[error("the catalog is invalid: {0}")]
    Invalid(#[from] CatalogError),
    #[error(transparent)]
    Store(#[from] PortError),
}

type Item = HashMap<String, AttributeValue>;

impl DynamoStore {
    async fn read_catalog(&self) -> Result<Catalog, PortError> {
        let mut header: Option<Header> = None;
        let mut products: Vec<Positioned> = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s("CATALOG"))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| PortError::new("query catalog", sdk_message(e)))?;
            for item in out.items.unwrap_or_default() {
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
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        let header = header.ok_or_else(|| {
            PortError::new(
                "read catalog",
                "no catalog loaded: run `chatdrop catalog load`",
            )
        })?;
        // The seed's order is the shop's order; keys sort by id, so restore it.
        products.sort_by_key(|p| p.position);
        Ok(Catalog {
            currency: header.currency,
            categories: header.categories,
            products: products.into_iter().map(|p| p.product).collect(),
        })
    }

    /// Replaces the stored catalog with `catalog` after validating it. Products no longer in
    /// the catalog are deleted. Not one transaction (a catalog can exceed 100 items), so
    /// readers may briefly see a mix; carts keep their own prices, so nothing is mispriced.
    pub async fn replace_catalog(&self, catalog: &Catalog) -> Result<usize, CatalogLoadError> {
        catalog.validate()?;
        let existing = self.read_catalog().await.ok();
        let mut writes = Vec::new();
        let header = Header {
            currency: catalog.currency,
            categories: catalog.categories.clone(),
        };
        writes.push(put(item_with_key(&header, "META")?));
        for (position, p) in catalog.products.iter().enumerate() {
            let stored = Positioned {
                position,
                product: p.clone(),
            };
            writes.push(put(item_with_key(&stored, &format!("PRODUCT#{}", p.id))?));
        }
        if let Some(old) = existing {
            for p in old.products {
                if catalog.product(&p.id).is_none() {
                    let key = HashMap::from([
                        ("pk".to_string(), s("CATALOG")),
                        ("sk".to_string(), s(format!("PRODUCT#{}", p.id))),
                    ]);
                    let delete = DeleteRequest::builder()
                        .set_key(Some(key))
                        .build()
                        .map_err(|e| PortError::new("build delete", e))?;
                    writes.push(WriteRequest::builder().delete_request(delete).build());
                }
            }
        }
        let count = writes.len();
        for chunk in writes.chunks(25) {
            let mut pending = HashMap::from([(self.table.clone(), chunk.to_vec())]);
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
                        return Err(
                            PortError::new("write catalog", "writes left unprocessed").into()
                        );
                    }
                    _ => break,
                }
            }
        }
        *self.catalog_cache.lock().expect("cache lock") = None;
        Ok(count)
    }
}

#[derive(Serialize, Deserialize)]
struct Positioned {
    position: usize,
    #[serde(flatten)]
    product: Product,
}

fn item_with_key<T: Serialize>(value: &T, sk: &str) -> Result<Item, PortError> {
    let mut item: Item =
        serde_dynamo::to_item(value).map_err(|e| PortError::new("encode catalog item", e))?;
    item.insert("pk".into(), s("CATALOG"));
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
