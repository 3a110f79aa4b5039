//! The retailer's console on the local stack: its API's refusals, and the web console in a
//! real browser (headless Chromium from Debian's `chromium`, driven over WebDriver by
//! `chromedriver` and the `fantoccini` client): the dashboard and the orders, and the agent
//! inbox, where a WhatsApp customer's request for a person appears, an agent answers from the
//! page and the fake WhatsApp receives the answer, and a reply the platform's rules forbid (a
//! KakaoTalk chat) is refused on the page with the reason.
//!
//! Users come from moto's Cognito, signed in through the stack's `/_local/cognito` exactly as
//! the page does; the tokens are moto's real RS256 ID tokens, checked by the console against
//! moto's JWKS.

use chatdrop_domain::catalog::Catalog;
use chatdrop_e2e::{Harness, all_text};
use fantoccini::Locator;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Console-Test-1!";

#[path = "console_api.rs"]
mod api;
#[path = "console_browser.rs"]
mod browser;
use api::{call, create_user, id_token, sign_in, table_keys, table_keys_but_rate_windows};
use browser::{
    Driver, attr_of, click, fill_sign_in, open_sign_in, screenshot, sign_in_on_page,
    submit_sign_in, text_of, type_into, until_contains, until_text,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_foreign_and_oversized_requests_are_refused_and_write_nothing() {
    let h = Harness::start_without_consumers("console-auth").await;
    create_user(&h, "manager@example.com", "manager", xtask::dev::RETAILER).await;
    create_user(&h, "agent@example.com", "agent", xtask::dev::RETAILER).await;
    create_user(&h, "rival@example.com", "manager", "another-retailer").await;
    let manager = id_token(&h, "manager@example.com").await;
    let agent = id_token(&h, "agent@example.com").await;
    let rival = id_token(&h, "rival@example.com").await;

    // The same pool's other app client: a real token, for another audience.
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&h.stack.aws);
    let other_client = cognito
        .create_user_pool_client()
        .user_pool_id(&h.stack.provisioned.console.user_pool_id)
        .client_name("another-app")
        .explicit_auth_flows(
            aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowUserPasswordAuth,
        )
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    let other_audience = sign_in(&h, &other_client, "manager@example.com").await["IdToken"]
        .as_str()
        .unwrap()
        .to_string();
    // The access token of the right client: signed by the pool, but not an ID token.
    let access = sign_in(
        &h,
        &h.stack.provisioned.console.client_id,
        "manager@example.com",
    )
    .await["AccessToken"]
        .as_str()
        .unwrap()
        .to_string();
    // The manager's token with its payload swapped for one naming another retailer.
    let forged = {
        let parts: Vec<&str> = manager.split('.').collect();
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut claims: Value = serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();
        claims["cognito:groups"] = json!(["manager"]);
        claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 86_400);
        format!(
            "{}.{}.{}",
            parts[0],
            engine.encode(serde_json::to_vec(&claims).unwrap()),
            parts[2]
        )
    };

    let before = table_keys(&h).await;
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;
    let cases: Vec<(&str, reqwest::Method, &str, Option<&str>, u16)> = vec![
        ("no token", get.clone(), "/console/api/me", None, 401),
        (
            "garbage",
            get.clone(),
            "/console/api/me",
            Some("abc.def.ghi"),
            401,
        ),
        (
            "forged payload",
            post.clone(),
            "/console/api/orders/o1/refund",
            Some(&forged),
            401,
        ),
        (
            "another audience",
            post.clone(),
            "/console/api/orders/o1/ship",
            Some(&other_audience),
            401,
        ),
        (
            "access token",
            get.clone(),
            "/console/api/orders",
            Some(&access),
            401,
        ),
        (
            "another retailer",
            post.clone(),
            "/console/api/orders/o1/refund",
            Some(&rival),
            403,
        ),
        (
            "another retailer reads",
            get.clone(),
            "/console/api/orders.csv",
            Some(&rival),
            403,
        ),
    ];
    for (what, method, path, token, status) in cases {
        let (got, body) = call(
            &h,
            method,
            path,
            token,
            Some(b"{\"tracking\":\"1Z\"}".to_vec()),
        )
        .await;
        assert_eq!(got, status, "{what}: {body}");
        assert!(body.contains("\"error\""), "{what}: {body}");
    }
    let (status, body) = call(
        &h,
        post.clone(),
        "/console/api/orders/o1/ship",
        Some(&manager),
        Some(vec![b'x'; 20 * 1024]),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(
        table_keys(&h).await,
        before,
        "refused requests wrote nothing"
    );

    // The good tokens work, with their roles.
    let (status, me) = call(&h, get.clone(), "/console/api/me", Some(&manager), None).await;
    assert_eq!(status, 200, "{me}");
    let me: Value = serde_json::from_str(&me).unwrap();
    assert_eq!(me["role"], "manager");
    assert_eq!(me["email"], "manager@example.com");
    assert_eq!(me["retailer"], xtask::dev::RETAILER);
    // An agent may not refund (refused before the order is even read) nor read the audit.
    let (status, body) = call(
        &h,
        post.clone(),
        "/console/api/orders/o1/refund",
        Some(&agent),
        None,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = call(&h, get.clone(), "/console/api/audit", Some(&agent), None).await;
    assert_eq!(status, 403);
    // Shipping an order that is not paid is refused, and the attempt is audited.
    let (status, body) = call(
        &h,
        post.clone(),
        "/console/api/orders/nosuchorder/ship",
        Some(&agent),
        Some(b"{\"tracking\":\"1Z999\"}".to_vec()),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (status, audit) = call(&h, get.clone(), "/console/api/audit", Some(&manager), None).await;
    assert_eq!(status, 200);
    let audit: Vec<Value> = serde_json::from_str(&audit).unwrap();
    let outcomes: Vec<(&str, &str, &str)> = audit
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("agent@example.com", "orders.ship", "requested"),
            ("agent@example.com", "orders.ship", "refused: not paid"),
        ]
    );

    // Per user: a burst over the rate (10 a second) is answered 429, others are not slowed.
    let url = format!("{}/console/api/me", h.stack.url);
    let http = xtask::local_http::client();
    let burst: Vec<_> = (0..40)
        .map(|_| {
            let request = http.get(&url).bearer_auth(&agent).send();
            tokio::spawn(async move { request.await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for call in burst {
        statuses.push(call.await.unwrap());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    let (status, _) = call(&h, get.clone(), "/console/api/me", Some(&manager), None).await;
    assert_eq!(status, 200, "the manager has a window of their own");
    h.stack.stop().await;
}

const HOSTILE: &str = "<script>window.pwned=1</script>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_signs_in_sees_the_sale_live_and_ships_it_in_a_real_browser() {
    // The sample catalog, with an engraving long and free enough to carry a script tag.
    let catalog: Catalog = toml::from_str(&include_str!("../cli/catalogs/sample.toml").replace(
        "max_chars = 12\ncharset = \"latin_basic\"",
        "max_chars = 64\ncharset = \"printable\"",
    ))
    .unwrap();
    let h = Harness::start_with_catalog("console-web", &catalog).await;
    h.stack
        .open_drop(&chatdrop_e2e::bag_drop("winter", 5, Some(2)))
        .await
        .unwrap();
    create_user(&h, "lena@example.com", "manager", xtask::dev::RETAILER).await;

    let driver = Driver::start().await;
    let browser = driver.browser().await;
    open_sign_in(&browser, &h).await;
    assert_eq!(
        text_of(&browser, "#signin-submit").await.as_deref(),
        Some("Sign in")
    );
    fill_sign_in(&browser, "lena@example.com").await;
    screenshot(&browser, "signin").await;
    submit_sign_in(&browser).await;

    // The dashboard opens on the drop: five bags, none sold.
    let sold = "tr[data-sku=\"drop-bag\"] td[data-field=\"sold\"]";
    until_text(&browser, sold, "0", Duration::from_secs(10)).await;
    assert_eq!(
        text_of(
            &browser,
            "tr[data-sku=\"drop-bag\"] td[data-field=\"available\"]"
        )
        .await
        .as_deref(),
        Some("5")
    );
    assert_eq!(
        text_of(&browser, "#who").await.as_deref(),
        Some("lena@example.com (manager)")
    );

    // Ana buys a bag on WhatsApp, engraved with a script tag, and pays.
    let ana = h.whatsapp("819012345678");
    h.tap(&ana, "k:a:drop-bag").await;
    h.tap(&ana, "k:o:drop-bag:colour:black").await;
    h.tap(&ana, "k:o:drop-bag:strap:canvas").await;
    h.tap(&ana, "k:s:drop-bag:charm").await;
    let added = h.say(&ana, HOSTILE).await;
    assert!(all_text(&added).contains(HOSTILE), "{}", all_text(&added));
    h.tap(&ana, "p:c").await;
    let session = h.stack.stripe.sessions().await.unwrap().remove(0);
    let order_id = session.client_reference_id.clone().unwrap();
    let paid_at = Instant::now();
    let emitted = h.stack.stripe.pay(&session.id).await.unwrap();
    assert!(emitted.delivery.succeeded(), "{emitted:?}");

    // The dashboard shows the sale within 5 s of the payment, on the WhatsApp line.
    until_text(
        &browser,
        sold,
        "1",
        Duration::from_secs(5).saturating_sub(paid_at.elapsed()),
    )
    .await;
    let seen_after = paid_at.elapsed();
    assert!(seen_after <= Duration::from_secs(5), "{seen_after:?}");
    until_text(&browser, "#sales-total", "1", Duration::from_secs(5)).await;
    assert!(
        attr_of(
            &browser,
            "#sales-chart polyline[data-channel=\"whatsapp\"]",
            "points"
        )
        .await
        .is_some(),
        "a WhatsApp series in the chart"
    );
    screenshot(&browser, "dashboard").await;
    println!("dashboard showed the sale {seen_after:?} after the payment");

    // The orders page lists the order; the engraving is text, never markup, never run.
    browser
        .goto(&format!("{}/console/#/orders", h.stack.url))
        .await
        .unwrap();
    let row = format!("#orders tr[data-order=\"{order_id}\"]");
    browser
        .wait()
        .for_element(Locator::Css(&row))
        .await
        .unwrap();
    let item = text_of(&browser, &format!("{row} .item")).await.unwrap();
    assert!(item.contains(HOSTILE), "{item}");
    let verdict = browser
        .execute(
            "return [typeof window.pwned, document.querySelectorAll('#main script').length, \
             document.querySelector(arguments[0] + ' .item').childElementCount];",
            vec![json!(row)],
        )
        .await
        .unwrap();
    assert_eq!(
        verdict,
        json!(["undefined", 0, 0]),
        "shown as text, not run"
    );
    screenshot(&browser, "orders").await;

    // Ship it from the page: the customer is told in the chat, the action is audited.
    let before = h.stack.last_seq().await.unwrap();
    browser
        .find(Locator::Css(&format!("{row} input.tracking")))
        .await
        .unwrap()
        .send_keys("1Z999AA10123456784")
        .await
        .unwrap();
    browser
        .find(Locator::Css(&format!("{row} button.ship")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until_text(
        &browser,
        &format!("{row} .status"),
        "shipped",
        Duration::from_secs(10),
    )
    .await;
    let told = h.stack.replies_after(&ana.id, before).await.unwrap();
    assert!(
        all_text(&told).contains("1Z999AA10123456784"),
        "{}",
        all_text(&told)
    );

    let token = id_token(&h, "lena@example.com").await;
    let (status, audit) = call(
        &h,
        reqwest::Method::GET,
        "/console/api/audit",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let audit: Vec<Value> = serde_json::from_str(&audit).unwrap();
    assert!(
        audit.iter().any(|r| r["action"] == "orders.ship"
            && r["outcome"] == "ok"
            && r["target"] == order_id.as_str()
            && r["email"] == "lena@example.com"),
        "{audit:?}"
    );

    browser.close().await.unwrap();
    drop(driver);
    h.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_answers_a_whatsapp_customer_from_the_inbox_in_a_real_browser() {
    let h = Harness::start("console-inbox").await;
    h.stack
        .open_drop(&chatdrop_e2e::bag_drop("winter", 5, Some(2)))
        .await
        .unwrap();
    create_user(&h, "ken@example.com", "agent", xtask::dev::RETAILER).await;
    create_user(&h, "mia@example.com", "manager", xtask::dev::RETAILER).await;
    create_user(&h, "rival@example.com", "manager", "another-retailer").await;

    let driver = Driver::start().await;
    let browser = driver.browser().await;
    sign_in_on_page(&browser, &h, "ken@example.com").await;
    browser
        .goto(&format!("{}/console/#/inbox", h.stack.url))
        .await
        .unwrap();
    until_contains(
        &browser,
        "#inbox-list",
        "No conversations here.",
        Duration::from_secs(10),
    )
    .await;

    // Ana fills a cart on WhatsApp, then asks for a person: told when, and she waits.
    let ana = h.whatsapp("819012345678");
    h.add_plain_bag(&ana).await;
    let told = h.say(&ana, "I want to talk to a human").await;
    assert!(
        all_text(&told).contains("within a few minutes"),
        "{}",
        all_text(&told)
    );
    // While she waits the bot says nothing, to an old Checkout button (the payment function
    // keeps quiet too) or to her words (kept in the thread for the agent). One at a time: two
    // functions saving her session at once would make one retry after its queue's visibility
    // timeout, which is longer than this test waits.
    let before = h.stack.last_seq().await.unwrap();
    assert_eq!(
        ana.post(&ana.tap_webhook("p:c", "Checkout")).await.unwrap(),
        200,
        "webhook accepted"
    );
    h.assert_silence(&ana.id, before).await;
    assert_eq!(ana.post(&ana.text_webhook(HOSTILE)).await.unwrap(), 200);
    h.assert_silence(&ana.id, before).await;

    // The waiting conversation appears in the inbox by itself (the list refreshes).
    let row = "#inbox-list li[data-conversation]";
    until_contains(&browser, row, "whatsapp", Duration::from_secs(10)).await;
    until_contains(
        &browser,
        row,
        "waiting for a person",
        Duration::from_secs(1),
    )
    .await;
    let id = attr_of(&browser, row, "data-conversation")
        .await
        .expect("the row names its conversation");
    assert!(!id.contains("819012345678"), "named by pseudonym: {id}");
    click(&browser, &format!("{row} button.row")).await;

    // Her script tag is shown as text, never run. Looked for in the whole thread, not as its
    // last line: lines of the same second keep the store's order, not their arrival's.
    until_contains(&browser, "#messages", HOSTILE, Duration::from_secs(10)).await;
    let verdict = browser
        .execute(
            "const line = [...document.querySelectorAll('#messages .message.from-customer .text')] \
               .find((e) => e.textContent === arguments[0]); \
             return [typeof window.pwned, document.querySelectorAll('#main script').length, \
             line ? line.childElementCount : -1];",
            vec![json!(HOSTILE)],
        )
        .await
        .unwrap();
    assert_eq!(
        verdict,
        json!(["undefined", 0, 0]),
        "shown as text, not run"
    );
    until_contains(&browser, "#cart", "Drop Bag", Duration::from_secs(1)).await;
    until_contains(
        &browser,
        "#consent",
        "messages allowed",
        Duration::from_secs(1),
    )
    .await;

    // Ken replies from the page: the conversation is his, and the fake WhatsApp gets it.
    let before = h.stack.last_seq().await.unwrap();
    type_into(&browser, "#reply-text", "Hi Ana, Ken here. Happy to help!").await;
    click(&browser, "#reply-send").await;
    until_contains(
        &browser,
        "#conversation-status",
        "Queued",
        Duration::from_secs(10),
    )
    .await;
    let reached = h.stack.replies_after(&ana.id, before).await.unwrap();
    assert!(
        all_text(&reached).contains("Hi Ana, Ken here. Happy to help!"),
        "{}",
        all_text(&reached)
    );
    until_contains(
        &browser,
        "#conversation-state",
        "with ken@example.com",
        Duration::from_secs(10),
    )
    .await;
    // The thread shows it as his, with its delivery status.
    until_contains(
        &browser,
        "#messages .message.from-agent",
        "Happy to help",
        Duration::from_secs(10),
    )
    .await;
    until_contains(
        &browser,
        "#messages .message.from-agent .author",
        "ken@example.com",
        Duration::from_secs(1),
    )
    .await;

    // A private note, then the pay link for her cart: the bot's reservation reaches her while
    // Ken has the conversation.
    type_into(&browser, "#note-text", "Wants it before Friday").await;
    click(&browser, "#note-add").await;
    until_contains(
        &browser,
        "#notes .note .text",
        "Wants it before Friday",
        Duration::from_secs(10),
    )
    .await;
    let before = h.stack.last_seq().await.unwrap();
    click(&browser, "#pay-link").await;
    let answered = Instant::now();
    loop {
        let error = text_of(&browser, "#conversation-error")
            .await
            .unwrap_or_default();
        assert!(error.is_empty(), "pay link refused: {error}");
        let status = text_of(&browser, "#conversation-status")
            .await
            .unwrap_or_default();
        if status.contains("pay link") {
            break;
        }
        assert!(
            answered.elapsed() < Duration::from_secs(10),
            "no answer: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let reserved = h.stack.replies_after(&ana.id, before).await.unwrap();
    assert!(
        all_text(&reserved).contains("Reserved for you"),
        "{}",
        all_text(&reserved)
    );
    assert_eq!(h.stack.stripe.sessions().await.unwrap().len(), 1);
    browser
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    screenshot(&browser, "inbox").await;
    // The page stops polling, so the table shows only what the calls below write.
    browser.goto("about:blank").await.unwrap();

    // The API's side: another retailer's manager reads and writes nothing; the rules hold.
    let rival = id_token(&h, "rival@example.com").await;
    let mia = id_token(&h, "mia@example.com").await;
    let ken = id_token(&h, "ken@example.com").await;
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;
    let one = format!("/console/api/conversations/{id}");
    let before = table_keys_but_rate_windows(&h).await;
    for (method, path) in [
        (
            get.clone(),
            "/console/api/conversations?view=all".to_string(),
        ),
        (get.clone(), one.clone()),
        (post.clone(), format!("{one}/reply")),
        (post.clone(), format!("{one}/assign")),
        (post.clone(), format!("{one}/hand-back")),
    ] {
        let (status, body) = call(
            &h,
            method,
            &path,
            Some(&rival),
            Some(br#"{"text":"hi"}"#.to_vec()),
        )
        .await;
        assert_eq!(status, 403, "{path}: {body}");
    }
    let (status, _) = call(
        &h,
        post.clone(),
        &format!("{one}/reply"),
        Some(&ken),
        Some(vec![b'x'; 20 * 1024]),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(
        table_keys_but_rate_windows(&h).await,
        before,
        "refusals wrote nothing"
    );

    // Lists: Ken's, filtered; another agent's reply is refused with who has it.
    // Ken's open page polls the API under the same per-second window as these calls: a 429
    // here is the window doing its job, and a client waits a second and asks again.
    let list = |token: String, query: &'static str| {
        let h = &h;
        async move {
            let path = format!("/console/api/conversations?{query}");
            let get = || call(h, reqwest::Method::GET, &path, Some(&token), None);
            let (mut status, mut body) = get().await;
            if status == 429 {
                tokio::time::sleep(Duration::from_secs(1)).await;
                (status, body) = get().await;
            }
            assert_eq!(status, 200, "{body}");
            serde_json::from_str::<Vec<Value>>(&body).unwrap().len()
        }
    };
    assert_eq!(list(ken.clone(), "view=mine").await, 1);
    assert_eq!(list(ken.clone(), "view=waiting").await, 0);
    assert_eq!(
        list(ken.clone(), "view=all&channel=whatsapp&lang=en").await,
        1
    );
    assert_eq!(list(ken.clone(), "view=all&channel=line").await, 0);
    assert_eq!(
        list(ken.clone(), "view=all&status=reserved&drop=winter").await,
        1
    );
    assert_eq!(list(ken.clone(), "view=all&status=shipped").await, 0);
    let (status, body) = call(
        &h,
        get.clone(),
        "/console/api/conversations?view=everything",
        Some(&ken),
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = call(
        &h,
        post.clone(),
        &format!("{one}/reply"),
        Some(&mia),
        Some(br#"{"text":"Mia here"}"#.to_vec()),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("another agent"), "{body}");
    // Ken cannot take it back once the manager assigned it to herself; she hands it back.
    let (status, body) = call(&h, get.clone(), "/console/api/me", Some(&mia), None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&h, post.clone(), &format!("{one}/assign"), Some(&mia), None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&h, post.clone(), &format!("{one}/assign"), Some(&ken), None).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = call(
        &h,
        post.clone(),
        &format!("{one}/hand-back"),
        Some(&mia),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(list(ken.clone(), "view=all").await, 0);
    let back = h.say(&ana, "menu").await;
    assert!(!back.is_empty(), "the bot answers again");

    // Every action is in the audit trail, by whom and how it went.
    let (status, audit) = call(&h, get.clone(), "/console/api/audit", Some(&mia), None).await;
    assert_eq!(status, 200);
    let audit: Vec<Value> = serde_json::from_str(&audit).unwrap();
    for (email, action, outcome) in [
        ("ken@example.com", "conversation.reply", "ok"),
        ("ken@example.com", "conversation.note", "ok"),
        ("ken@example.com", "conversation.pay_link", "ok"),
        ("mia@example.com", "conversation.assign", "ok"),
        ("ken@example.com", "conversation.assign", "refused"),
        ("mia@example.com", "conversation.reply", "refused"),
        ("mia@example.com", "conversation.hand_back", "ok"),
    ] {
        assert!(
            audit.iter().any(|r| r["email"] == email
                && r["action"] == action
                && r["target"] == id.as_str()
                && r["outcome"].as_str().unwrap().starts_with(outcome)),
            "{email} {action} {outcome}: {audit:#?}"
        );
    }

    // A KakaoTalk customer asks for a person. A skill cannot carry a person's reply: the page
    // says so before Ken types, and a reply sent anyway is refused (422) with the reason on
    // the page, and nothing reaches the fake platforms.
    let bot = xtask::platform::kakao::OpenBuilder::local(&h.stack.url);
    let ji = xtask::platform::kakao::KakaoUser::korean("0a1b2c3d4e5f60719999");
    let asked = bot.say(&ji, "상담원 연결해 주세요").await;
    assert!(!asked.shown_text().is_empty(), "{:#}", asked.body);
    browser
        .goto(&format!("{}/console/#/inbox", h.stack.url))
        .await
        .unwrap();
    until_contains(&browser, row, "kakao", Duration::from_secs(10)).await;
    click(&browser, &format!("{row} button.row")).await;
    let cannot = "cannot carry a person's reply";
    until_contains(&browser, "#reply-refused", cannot, Duration::from_secs(10)).await;
    let sent_before = h.stack.last_seq().await.unwrap();
    type_into(&browser, "#reply-text", "안녕하세요, Ken입니다").await;
    click(&browser, "#reply-send").await;
    until_contains(
        &browser,
        "#conversation-error",
        cannot,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(
        text_of(&browser, "#conversation-status").await.as_deref(),
        Some(""),
        "not queued"
    );
    assert_eq!(h.stack.last_seq().await.unwrap(), sent_before);
    screenshot(&browser, "inbox-kakao-refused").await;

    browser.close().await.unwrap();
    drop(driver);
    h.stack.stop().await;
}
