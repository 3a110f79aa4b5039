//! `chatdrop customer export`, `forget`, `tag` and `import-tags` against DynamoDB as played by
//! moto, through the built binary. Run with `cargo xtask test -p chatdrop-cli --test customer`, which starts moto.

#[path = "../../shared/store/tests/common/mod.rs"]
mod common;

use chatdrop_domain::action::Handler;
use chatdrop_domain::channel::{Channel, ConversationId};
use chatdrop_domain::consent::ConsentLedger;
use chatdrop_domain::consent::{
    self, ConsentChange, ConsentSource, PersonKey, Scope, Subject, Wish,
};
use chatdrop_domain::dialogue::Session;
use chatdrop_domain::ports::{Effect, MarkerKey, SessionStore};
use std::process::Command;

fn chatdrop(table: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chatdrop"))
        .arg("--table")
        .arg(table)
        .args(args)
        // The key the tests' pseudonyms use (`chatdrop_domain::ids::TEST_KEY`).
        .env("CHATDROP_ID_KEY", chatdrop_domain::ids::TEST_KEY)
        .output()
        .expect("the CLI runs");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test]
async fn export_then_forget_twice() {
    let store = common::fresh_store("cli_customer").await;
    let table = store.table().to_string();
    let ana = ConversationId::new(Channel::Whatsapp, "5511987654321");
    let mut session = Session::default();
    session.verify_phone("+5511987654321".into());
    session.version = 1;
    let marker = MarkerKey {
        handler: Handler::Catalog,
        identity: "whatsapp#wamid.1".into(),
    };
    store
        .commit(&ana, Some(&session), &marker, &Effect::Nothing)
        .await
        .unwrap();
    let person = PersonKey::of(&ana, &session).unwrap();
    let stop = ConsentChange {
        wish: Wish::OptOut,
        scope: Scope::Announcements,
        at: 1_767_225_600,
        source: ConsentSource::Keyword {
            word: "stop".into(),
        },
        event: "whatsapp#wamid.2".into(),
    };
    consent::record(&store, &ana, Some(&person), &stop)
        .await
        .unwrap();

    let (ok, out) = chatdrop(&table, &["customer", "export", "whatsapp", &ana.customer]);
    assert!(ok, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(json["session"]["verified_phone"], "+5511987654321");
    assert_eq!(json["consent"]["conversation"][0]["wish"], "opt_out");
    assert_eq!(json["consent"]["person"], person.as_str());
    assert_eq!(
        json["consent"]["person_history"][0]["source"]["word"],
        "stop"
    );
    assert_eq!(json["orders"], serde_json::json!([]));

    let (ok, out) = chatdrop(&table, &["customer", "forget", "whatsapp", &ana.customer]);
    assert!(ok, "{out}");
    assert!(
        out.contains("session erased: yes; consent items deleted: 2"),
        "{out}"
    );
    assert_eq!(store.session(&ana).await.unwrap(), Session::default());
    // The person's record stays, without the typed word.
    let kept = store.history(&Subject::Person(person)).await.unwrap();
    assert_eq!(
        kept[0].source,
        ConsentSource::Keyword {
            word: String::new()
        }
    );

    let (ok, out) = chatdrop(&table, &["customer", "forget", "whatsapp", &ana.customer]);
    assert!(ok, "{out}");
    assert!(
        out.contains("session erased: none left; consent items deleted: 0"),
        "{out}"
    );
}

#[tokio::test]
async fn tags_set_by_hand_and_by_import_are_exported_and_forgotten() {
    let store = common::fresh_store("cli_tags").await;
    let table = store.table().to_string();
    let ana = ConversationId::new(Channel::Whatsapp, "5511987654321");

    // A phone number as people write it names the WhatsApp chat (`wa_id`: digits only).
    let (ok, out) = chatdrop(
        &table,
        &[
            "customer",
            "tag",
            "whatsapp",
            "+55 11 98765-4321",
            "--add",
            "VIP",
            "--add",
            "trial",
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "whatsapp: trial vip");
    let (ok, out) = chatdrop(
        &table,
        &[
            "customer",
            "tag",
            "whatsapp",
            &ana.customer,
            "--remove",
            "trial",
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "whatsapp: vip");
    // A bad tag is refused with the reason, and nothing changes.
    let (ok, out) = chatdrop(
        &table,
        &[
            "customer",
            "tag",
            "whatsapp",
            &ana.customer,
            "--add",
            "tokyo popup",
        ],
    );
    assert!(!ok && out.contains("tokyo popup"), "{out}");
    let (ok, out) = chatdrop(&table, &["customer", "tag", "whatsapp", "Ana"]);
    assert!(!ok && out.contains("not a phone number"), "{out}");

    // An import with one bad row is refused whole, every bad row named by line.
    let dir = std::env::temp_dir().join(common::unique_prefix("cli_tags"));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "channel,customer,tags\nline,U4af4980629,staff\nfax,123,vip\nsms,+15551234567,bad;tag\n",
    )
    .unwrap();
    let (ok, out) = chatdrop(&table, &["customer", "import-tags", bad.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert!(out.contains("line 3: unknown channel `fax`"), "{out}");
    assert!(out.contains("line 4:") && out.contains("bad;tag"), "{out}");
    let mei = ConversationId::new(Channel::Line, "U4af4980629");
    assert!(
        store.tags_of(&mei).await.unwrap().is_empty(),
        "nothing tagged"
    );

    // A good one tags everyone; run twice, the same.
    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        "Channel,Customer,Tags\nline,U4af4980629,staff VIP\n\"whatsapp\",\"+55 (11) 98765-4321\",tokyo-popup\n",
    )
    .unwrap();
    for _ in 0..2 {
        let (ok, out) = chatdrop(&table, &["customer", "import-tags", good.to_str().unwrap()]);
        assert!(ok, "{out}");
        assert_eq!(out.trim(), "2 of 2 rows tagged");
    }
    let tags: Vec<String> = store.tags_of(&mei).await.unwrap().into_iter().collect();
    assert_eq!(tags, ["staff", "vip"]);

    let (ok, out) = chatdrop(&table, &["customer", "export", "whatsapp", &ana.customer]);
    assert!(ok, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(json["tags"], serde_json::json!(["tokyo-popup", "vip"]));

    let (ok, out) = chatdrop(&table, &["customer", "forget", "whatsapp", &ana.customer]);
    assert!(ok && out.contains("; tags erased"), "{out}");
    assert!(store.tags_of(&ana).await.unwrap().is_empty());
    let (ok, out) = chatdrop(&table, &["customer", "forget", "whatsapp", &ana.customer]);
    assert!(ok && out.contains("; tags: none left"), "{out}");
    std::fs::remove_dir_all(&dir).ok();
}
