//! A new customer's language from their platform profile, on the local stack: the LINE,
//! Messenger and WeChat fakes serve the profile a test sets, and the first answer is in that
//! language however the customer greets. The luxury house's catalog sells on LINE in Thailand,
//! on WeChat in China and on Messenger in the United States (`cli/catalogs/maison.toml`).

use chatdrop_domain::i18n::{Lang, Msg};
use chatdrop_e2e::{Harness, OutboxEntry, Platform};
use xtask::fakes::Profile;
use xtask::transcript::shown_text;

fn text_of(replies: &[OutboxEntry]) -> String {
    replies
        .iter()
        .map(shown_text)
        .collect::<Vec<_>>()
        .join("\n")
}

async fn maison(test: &str) -> Harness {
    let h = Harness::start(test).await;
    let catalog = toml::from_str(include_str!("../cli/catalogs/maison.toml")).unwrap();
    h.stack.load_catalog(&catalog).await.unwrap();
    h
}

/// Sets what `channel`'s profile API says of `user` on the stack's fakes.
async fn set_profile(h: &Harness, channel: &str, user: &str, locale: Option<&str>, fail: bool) {
    let profile = Profile {
        channel: channel.into(),
        user: user.into(),
        locale: locale.map(str::to_string),
        fail,
    };
    xtask::fakes::set_profile(&xtask::local_http::client(), &h.stack.fakes_url, &profile)
        .await
        .expect("the fakes take the profile");
}

/// Greets with "hi" and expects the welcome in `lang`.
async fn greeted_in(h: &Harness, platform: Platform, user: &str, lang: Lang) -> String {
    let customer = h.customer_on(platform, user);
    let r = h.say(&customer, "hi").await;
    let shown = text_of(&r);
    assert!(
        shown.contains(&Msg::Welcome.text(lang)),
        "{platform:?} expected {lang}: {shown}"
    );
    shown
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_customer_in_bangkok_is_answered_in_thai_without_typing_thai() {
    let h = maison("profiles-line").await;
    let user = "U1c2b3a4d5e6f708192a3b4c5d6e7f809";
    set_profile(&h, "line", user, Some("th"), false).await;
    greeted_in(&h, Platform::Line, user, Lang::TH).await;
    // Without a profile language, "hi" is English.
    greeted_in(
        &h,
        Platform::Line,
        "U00000000000000000000000000000001",
        Lang::EN,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messenger_and_wechat_profiles_pick_the_language_of_the_first_answer() {
    let h = maison("profiles-meta-wechat").await;
    set_profile(&h, "messenger", "7123456789012345", Some("pt_BR"), false).await;
    greeted_in(&h, Platform::Messenger, "7123456789012345", Lang::PT_BR).await;
    let openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS7p";
    set_profile(&h, "wechat", openid, Some("zh_CN"), false).await;
    greeted_in(&h, Platform::Wechat, openid, Lang::ZH_HANS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_lookup_still_answers_and_the_profile_is_read_once() {
    let h = maison("profiles-failure").await;
    let user = "U2d3c4b5a6f7e8d9c0b1a2f3e4d5c6b7a";
    set_profile(&h, "line", user, None, true).await;
    greeted_in(&h, Platform::Line, user, Lang::EN).await;
    // The profile changes later; the conversation keeps what its first message decided.
    set_profile(&h, "line", user, Some("ja"), false).await;
    greeted_in(&h, Platform::Line, user, Lang::EN).await;
}
