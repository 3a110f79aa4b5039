//! `chatdrop catalog check` and `chatdrop catalog load`: a seed file (TOML) and its
//! `messages/<tag>.ftl` files, validated together before any table is touched, then written as
//! the stored catalog (with `--vip-threshold` applied to its `[support]`).

use crate::{Fallible, messages};
use chatdrop_domain::catalog::Catalog;
use chatdrop_store::DynamoStore;
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum CatalogAction {
    /// Validate a seed file (TOML) and its `messages/<tag>.ftl` files without touching any
    /// table.
    Check { file: PathBuf },
    /// Validate a seed file and its message files, and replace the stored catalog with them.
    Load {
        file: PathBuf,
        /// A VIP threshold over the seed's `[support]`: lifetime paid, in minor units, above
        /// which a customer's payment hands the chat to a person. `25000` is in the catalog's
        /// currency; `THB=2430000` in another market's. Repeat for several currencies; `0`
        /// turns one off.
        #[arg(long = "vip-threshold", value_name = "[CURRENCY=]MINOR_UNITS")]
        vip_thresholds: Vec<String>,
    },
}

/// Applies `--vip-threshold` values to a catalog's `[support]` (README, "Handoff to a person").
fn set_vip_thresholds(catalog: &mut Catalog, specs: &[String]) -> Fallible<()> {
    use chatdrop_domain::money::Currency;
    for spec in specs {
        let (currency, amount) = match spec.split_once('=') {
            Some((c, a)) => (Currency::parse(c).map_err(|e| e.to_string())?, a),
            None => (catalog.currency, spec.as_str()),
        };
        let amount: i64 = amount.trim().parse().map_err(|_| {
            format!("--vip-threshold {spec}: write minor units, like 25000 or THB=2430000")
        })?;
        let support = &mut catalog.support;
        let value = (amount != 0).then_some(amount);
        if currency == catalog.currency {
            support.vip_threshold = value;
            support.vip_thresholds.remove(&currency);
        } else {
            match value {
                Some(v) => support.vip_thresholds.insert(currency, v),
                None => support.vip_thresholds.remove(&currency),
            };
        }
    }
    catalog.validate().map_err(|e| e.to_string())
}

/// Reads a seed file and the message files of its `messages/` folder, and validates both;
/// every problem of the message files is listed, one per line, with its file and line.
fn read_catalog(file: &Path) -> Fallible<Catalog> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut catalog: Catalog =
        toml::from_str(&text).map_err(|e| format!("{} is not a catalog: {e}", file.display()))?;
    let folder = messages::folder(file);
    let files = messages::read(&folder).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        lines.join("\n")
    })?;
    if !files.is_empty() && !catalog.messages.is_empty() {
        return Err(format!(
            "{} has [messages] and {} exists: keep the message files in one place",
            file.display(),
            folder.display()
        ));
    }
    catalog.messages.extend(files);
    catalog.validate().map_err(|e| {
        format!(
            "{} is invalid: {}",
            file.display(),
            messages::explain(&e, &folder)
        )
    })?;
    Ok(catalog)
}

/// ", 2 message files (en, ja)" when the catalog has any, so `check` says what it read.
fn message_files(catalog: &Catalog) -> String {
    if catalog.messages.is_empty() {
        return String::new();
    }
    let tags: Vec<&str> = catalog.messages.keys().map(|l| l.code()).collect();
    let noun = if tags.len() == 1 { "file" } else { "files" };
    format!(", {} message {noun} ({})", tags.len(), tags.join(", "))
}

/// Runs one `catalog` command against `table`.
pub async fn run(store: &DynamoStore, table: &str, action: CatalogAction) -> Fallible<String> {
    match action {
        CatalogAction::Check { file } => {
            let c = read_catalog(&file)?;
            Ok(format!(
                "{}: {} categories, {} products{}, valid",
                file.display(),
                c.categories.len(),
                c.products.len(),
                message_files(&c)
            ))
        }
        CatalogAction::Load {
            file,
            vip_thresholds,
        } => {
            let mut c = read_catalog(&file)?;
            set_vip_thresholds(&mut c, &vip_thresholds)?;
            let writes = store
                .replace_catalog(&c)
                .await
                .map_err(|e| format!("loading into {} failed: {e}", table))?;
            Ok(format!(
                "loaded {} products in {} categories{} into {} ({writes} writes)",
                c.products.len(),
                c.categories.len(),
                message_files(&c),
                table
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{read_catalog, set_vip_thresholds};

    /// `catalog load --vip-threshold`: the catalog's currency bare, others by code; 0 turns one
    /// off; nonsense and negative amounts are refused with what to write.
    #[test]
    fn vip_thresholds_are_set_per_currency_from_the_command_line() {
        use chatdrop_domain::money::Currency;
        let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogs/sample.toml");
        let mut c = read_catalog(&sample).unwrap();
        let specs = ["25000".to_string(), "thb=2430000".to_string()];
        set_vip_thresholds(&mut c, &specs).unwrap();
        assert_eq!(c.support.vip_threshold, Some(25_000));
        assert_eq!(c.support.vip_thresholds[&Currency::THB], 2_430_000);
        set_vip_thresholds(&mut c, &["USD=0".into(), "THB=0".into()]).unwrap();
        assert!(!c.support.has_vips());
        for bad in ["lots", "THB=", "XYZ=5", "-5"] {
            let err = set_vip_thresholds(&mut c, &[bad.to_string()]).unwrap_err();
            assert!(!err.is_empty(), "{bad}");
        }
        assert!(
            set_vip_thresholds(&mut c, &["-5".into()])
                .unwrap_err()
                .contains("positive amount")
        );
    }

    /// `catalog check` on the benchmark catalog, and on a copy whose scarf has no Brazilian
    /// price: refused, naming the product and the market, before any table is touched.
    #[test]
    fn catalog_check_refuses_a_price_missing_in_one_market() {
        let maison = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogs/maison.toml");
        let catalog = read_catalog(&maison).expect("maison.toml is valid");
        assert_eq!(catalog.markets.len(), 5);

        let text = std::fs::read_to_string(&maison).unwrap();
        let scarf = "prices = { th = 1650000, br = 260000, us = 48000, kr = 690000 }";
        assert!(text.contains(scarf), "the scarf's price list moved");
        let folder =
            std::env::temp_dir().join(format!("chatdrop-cli-check-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let broken = folder.join("maison.toml");
        std::fs::write(
            &broken,
            text.replace(scarf, "prices = { th = 1650000, us = 48000, kr = 690000 }"),
        )
        .unwrap();
        let refused = read_catalog(&broken);
        std::fs::remove_dir_all(&folder).unwrap();
        assert_eq!(
            refused.unwrap_err(),
            format!(
                "{} is invalid: product `silk-scarf` has no price in market `br`",
                broken.display()
            )
        );
    }
}
