//! The browser side of the console's tests: `chromedriver` on a free port, a WebDriver session
//! of headless Chromium, and the page steps the tests take (sign in, click, type, wait for a
//! text), each polling because the pages refresh themselves.

use super::PASSWORD;
use chatdrop_e2e::Harness;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::time::{Duration, Instant};

/// `chromedriver` on a free port, stopped when dropped.
pub(crate) struct Driver {
    /// Held so the driver stops with this value (`kill_on_drop`).
    _child: tokio::process::Child,
    url: String,
}

impl Driver {
    pub(crate) async fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver runs (Debian: apt-get install chromium chromium-driver; .ci/run installs them)");
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if reqwest::get(format!("{url}/status")).await.is_ok() {
                return Driver { _child: child, url };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not answer on {url}");
    }

    pub(crate) async fn browser(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=en-US"],
                "prefs": {"intl.accept_languages": "en-US,en"},
            }),
        );
        ClientBuilder::rustls()
            .expect("TLS roots")
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

/// Where the screenshots go: `<target dir>/console-screenshots/`.
fn screenshot_dir() -> std::path::PathBuf {
    // The test binary is <target>/<profile>/deps/console-<hash>.
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).unwrap().to_path_buf();
    let dir = target.join("console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.unwrap();
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

pub(crate) async fn text_of(browser: &Client, css: &str) -> Option<String> {
    browser
        .find(Locator::Css(css))
        .await
        .ok()?
        .text()
        .await
        .ok()
}

/// Polls `css` until its text is `want`; how long it took.
pub(crate) async fn until_text(
    browser: &Client,
    css: &str,
    want: &str,
    within: Duration,
) -> Duration {
    let start = Instant::now();
    loop {
        if text_of(browser, css).await.as_deref() == Some(want) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "{css} never read {want:?} within {within:?} (last {:?})",
            text_of(browser, css).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens the console's sign-in page and waits for its form.
pub(crate) async fn open_sign_in(browser: &Client, h: &Harness) {
    browser
        .goto(&format!("{}/console/", h.stack.url))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("#signin"))
        .await
        .unwrap();
}

/// Types `email` and the tests' password into the open sign-in form.
pub(crate) async fn fill_sign_in(browser: &Client, email: &str) {
    for (field, value) in [("#email", email), ("#password", PASSWORD)] {
        browser
            .find(Locator::Css(field))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
}

/// Submits the filled sign-in form.
pub(crate) async fn submit_sign_in(browser: &Client) {
    browser
        .find(Locator::Css("#signin-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Signs `email` in on the page and waits for the navigation to appear.
pub(crate) async fn sign_in_on_page(browser: &Client, h: &Harness, email: &str) {
    open_sign_in(browser, h).await;
    fill_sign_in(browser, email).await;
    submit_sign_in(browser).await;
    browser
        .wait()
        .for_element(Locator::Css("#nav:not([hidden])"))
        .await
        .unwrap();
}

/// The `name` attribute of the first element matching `css`, read in the page in one step:
/// a list that re-renders between a `find` and an `attr` would make the element stale.
pub(crate) async fn attr_of(browser: &Client, css: &str, name: &str) -> Option<String> {
    let value = browser
        .execute(
            "const e = document.querySelector(arguments[0]); \
             return e ? e.getAttribute(arguments[1]) : null;",
            vec![json!(css), json!(name)],
        )
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    value.as_str().map(str::to_owned)
}

pub(crate) async fn click(browser: &Client, css: &str) {
    // The inbox re-renders its list every few seconds: an element found just before may be
    // replaced before the click lands (a stale element), so it is found again.
    for attempt in 0..5 {
        let element = browser
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        match element.click().await {
            Ok(()) => return,
            Err(e) if attempt < 4 && e.to_string().contains("stale element") => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{css}: {e}"),
        }
    }
}

pub(crate) async fn type_into(browser: &Client, css: &str, text: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Polls until `css` exists and its text contains `want`.
pub(crate) async fn until_contains(browser: &Client, css: &str, want: &str, within: Duration) {
    let start = Instant::now();
    loop {
        if text_of(browser, css)
            .await
            .is_some_and(|t| t.contains(want))
        {
            return;
        }
        assert!(
            start.elapsed() < within,
            "{css} never contained {want:?} within {within:?} (last {:?})",
            text_of(browser, css).await
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}
