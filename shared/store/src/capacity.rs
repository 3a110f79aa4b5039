//! What an item costs on DynamoDB: its size by the documented rule ("Item sizes and formats"),
//! from which write units follow (1 per KB per item, twice that in a transaction). moto reports
//! fixed capacity figures, so the bench and the sharding tests compute the cost from the items.

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// An item's size in bytes: attribute names plus values. Strings and binaries count their
/// bytes, numbers (significant digits / 2) + 1, null and booleans 1, lists and maps 3 plus 1
/// per element.
pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| number_size(n)).sum(),
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

fn number_size(n: &str) -> usize {
    let digits: String = n.chars().filter(char::is_ascii_digit).collect();
    let significant = digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len()
        .max(1);
    significant.div_ceil(2) + 1 + usize::from(n.starts_with('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_count_by_the_documented_rule() {
        let item = HashMap::from([
            ("pk".to_string(), AttributeValue::S("DROP#a".into())),
            ("available".to_string(), AttributeValue::N("1200".into())),
            ("open".to_string(), AttributeValue::Bool(true)),
            (
                "tags".to_string(),
                AttributeValue::L(vec![AttributeValue::S("ab".into())]),
            ),
        ]);
        // 2+6, 9+(2 significant digits: 1+1), 4+1, 4+(3+1+2)
        assert_eq!(item_size(&item), 8 + 11 + 5 + 10);
        assert_eq!(number_size("-0.0150"), 3);
    }
}
