//! The web interface in a real headless Chromium (driven over DevTools): sign in, see the
//! overview, filter the devices, open one, sign out; and over plain HTTP the rules a
//! browser cannot show: redirects without a session, CSRF tokens, cookie attributes, the
//! audit of sign-ins.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::{ADMIN, Options, Part, TestServer, lab_bundle, multipart};
use headless_chrome::{Browser, LaunchOptions, Tab};
use kizuna_server::accounts::{Role, create_account};
use kizuna_store::{Location, Store};

const PASSWORD: &str = "correct horse battery staple";

/// A server on a fresh SQLite store with one account.
fn server_with(dir: &Path, name: &str, role: Role) -> TestServer {
    let db = Location::Sqlite(dir.join("k.db"));
    let mut store = Store::connect(&db).unwrap();
    create_account(&mut store, name, role, PASSWORD, "test", chrono::Utc::now()).unwrap();
    drop(store);
    TestServer::start(Options::new(db))
}

/// A server with the account `alice` (operator) and the small lab uploaded.
fn lab_server(dir: &Path) -> TestServer {
    let server = server_with(dir, "alice", Role::Operator);
    let bytes = std::fs::read(lab_bundle(dir)).unwrap();
    let up = server.client().upload(Some(ADMIN), "bundle.zip", &bytes);
    assert_eq!(up.status, 200, "{}", up.body);
    server
}

/// A person signed in as `name` (a session started in the store), over a client that
/// follows no redirect: each answer is status, headers and body.
struct Session<'a> {
    server: &'a TestServer,
    agent: ureq::Agent,
    cookie: String,
    /// The session's form token.
    csrf: String,
}

type Seen = (u16, ureq::http::HeaderMap, String);

impl<'a> Session<'a> {
    fn start(server: &'a TestServer, store: &mut Store, name: &str) -> Session<'a> {
        let (cookie, row) =
            kizuna_server::accounts::start_session(store, name, chrono::Utc::now()).unwrap();
        Session {
            server,
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .build()
                .into(),
            cookie: format!("kz_session={cookie}"),
            csrf: row.csrf,
        }
    }

    fn seen(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Seen {
        let mut r = r.unwrap();
        let headers = r.headers().clone();
        let body = r.body_mut().read_to_string().unwrap();
        (r.status().as_u16(), headers, body)
    }

    fn get(&self, path: &str) -> Seen {
        Self::seen(
            self.agent
                .get(self.server.url(path))
                .header("Cookie", &self.cookie)
                .call(),
        )
    }

    fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Seen {
        Self::seen(
            self.agent
                .post(self.server.url(path))
                .header("Cookie", &self.cookie)
                .header("Content-Type", content_type)
                .send(body),
        )
    }

    /// Posts a form with these fields (the token is not added: tests choose it).
    fn form(&self, path: &str, fields: &[(&str, &str)]) -> Seen {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", common::encode(v)))
            .collect();
        self.post(
            path,
            "application/x-www-form-urlencoded",
            body.join("&").as_bytes(),
        )
    }
}

/// A workaround plan with one phase, `pilot` (PC-P*), made by `who`.
fn pilot_plan(store: &mut Store, who: &str, now: chrono::DateTime<chrono::Utc>) {
    let k = kizuna_core::Knowledge::builtin();
    let mut plan = kizuna_plan::Plan::new(
        kizuna_plan::Track::Workaround,
        &[("pilot".into(), kizuna_plan::Scope::parse("PC-P*").unwrap())],
        chrono::NaiveDate::from_ymd_opt(2027, 4, 1).unwrap(),
        kizuna_plan::Params::from_thresholds(&k.thresholds),
        now,
    )
    .unwrap();
    let init = kizuna_plan::LogEntry {
        time: now,
        who: who.into(),
        action: kizuna_plan::Action::Init,
        phase: Some("pilot".into()),
        reason: Some("pilot OU first".into()),
        helpdesk_tickets: None,
        gate: None,
    };
    kizuna_plan::store::create(store, &mut plan, &init).unwrap();
}

/// The CSRF token of a page's first form.
fn form_token(page: &str) -> String {
    let rest = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .expect("a form token");
    rest.split('"').next().unwrap().to_string()
}

fn text(tab: &Tab, selector: &str) -> String {
    tab.wait_for_element(selector)
        .unwrap_or_else(|e| panic!("{selector}: {e}\n{}", tab.get_content().unwrap_or_default()))
        .get_inner_text()
        .unwrap()
}

fn eval(tab: &Tab, js: &str) -> serde_json::Value {
    tab.evaluate(js, false)
        .unwrap_or_else(|e| panic!("{js}: {e}"))
        .value
        .unwrap_or(serde_json::Value::Null)
}

fn go(tab: &Tab, to: &str) {
    tab.navigate_to(to).unwrap();
    tab.wait_until_navigated().unwrap();
}

/// Where the page is now (the document's own view: it follows redirects at once).
fn url(tab: &Tab) -> String {
    eval(tab, "location.href")
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// Clicks and waits until a new document has loaded: the old one is marked first, so a
/// click whose navigation has not begun yet is never taken for a finished one.
fn click_and_wait(tab: &Tab, selector: &str) {
    eval(tab, "window.__kizunaOld = true");
    tab.wait_for_element(selector).unwrap().click().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let fresh = tab
            .evaluate(
                "window.__kizunaOld === undefined && document.readyState === 'complete'",
                false,
            )
            .ok()
            .and_then(|r| r.value)
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if fresh {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{selector}: no new page"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_person_signs_in_looks_around_and_signs_out_in_chromium() {
    let chromium = kizuna_testbed::browser::Chromium::find_or_install()
        .unwrap_or_else(|e| panic!("Chromium: {e}"));
    let dir = tempfile::tempdir().unwrap();
    let server = lab_server(dir.path());
    let api = server.client();

    let profile = dir.path().join("profile");
    let browser = Browser::new(
        LaunchOptions::default_builder()
            .path(Some(chromium.exe().to_path_buf()))
            .headless(true)
            .sandbox(false)
            .user_data_dir(Some(profile))
            .idle_browser_timeout(Duration::from_secs(120))
            .build()
            .unwrap(),
    )
    .unwrap();
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(20));

    // Without a session a page leads to the sign-in form, and back after it.
    go(&tab, &server.url("/devices"));
    assert!(url(&tab).contains("/login?next=/devices"), "{}", url(&tab));
    tab.wait_for_element("#name").unwrap().click().unwrap();
    tab.type_str("alice").unwrap();
    tab.wait_for_element("#password").unwrap().click().unwrap();
    tab.type_str("not the password").unwrap();
    click_and_wait(&tab, "#sign-in");
    assert!(text(&tab, "#error").contains("Wrong account or password"));
    tab.wait_for_element("#name").unwrap().click().unwrap();
    tab.type_str("alice").unwrap();
    tab.wait_for_element("#password").unwrap().click().unwrap();
    tab.type_str(PASSWORD).unwrap();
    click_and_wait(&tab, "#sign-in");
    assert!(url(&tab).ends_with("/devices"), "{}", url(&tab));
    assert_eq!(text(&tab, "#who"), "alice (operator)");

    // The overview: the counts the API gives, a chart, the failing devices.
    let all = api.get("/api/v1/devices?limit=1000", Some(ADMIN)).json();
    let findings = api.get("/api/v1/findings", Some(ADMIN)).json();
    click_and_wait(&tab, "header nav a[href='/']");
    let counts = text(&tab, "#counts");
    assert!(
        counts.starts_with(&format!(
            "{} devices, {} findings",
            all["total"], findings["total"]
        )),
        "{counts}"
    );
    assert_eq!(
        eval(
            &tab,
            "document.querySelectorAll('svg.chart rect.bar').length"
        ),
        5
    );
    assert_eq!(
        eval(
            &tab,
            "document.querySelectorAll('#trend svg path.line').length"
        ),
        2,
        "the trend: failures and events per day"
    );
    assert!(
        eval(&tab, "document.querySelectorAll('#failing a').length")
            .as_u64()
            .unwrap()
            > 0
    );

    // Devices: filter by severity and text; the rows are the API's for the same query.
    click_and_wait(&tab, "header nav a[href='/devices']");
    let rows = |tab: &Tab| -> Vec<String> {
        eval(
            tab,
            "JSON.stringify([...document.querySelectorAll('#devices tbody tr td:first-child')].map(td => td.innerText))",
        )
        .as_str()
        .map(|s| serde_json::from_str(s).unwrap())
        .unwrap_or_default()
    };
    assert_eq!(
        rows(&tab).len(),
        all["total"].as_u64().unwrap().min(50) as usize
    );
    eval(
        &tab,
        "document.getElementById('severity').value = 'critical'",
    );
    click_and_wait(&tab, "#apply");
    let critical = api
        .get("/api/v1/devices?severity=critical&limit=1000", Some(ADMIN))
        .json();
    let want: Vec<String> = critical["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(rows(&tab), want);
    assert!(text(&tab, "#shown").ends_with(&format!("of {} devices", want.len())));
    // Sorting by the worst finding keeps the filter.
    click_and_wait(&tab, "#sort-severity");
    assert!(url(&tab).contains("severity=critical"), "{}", url(&tab));
    let needle = &want[0][..4];
    tab.wait_for_element("#q").unwrap().click().unwrap();
    tab.type_str(needle).unwrap();
    click_and_wait(&tab, "#apply");
    let narrowed = rows(&tab);
    assert!(
        !narrowed.is_empty() && narrowed.iter().all(|n| n.contains(needle)),
        "{narrowed:?}"
    );

    // One device: its findings, as the API lists them.
    let first = narrowed[0].clone();
    click_and_wait(&tab, "#devices tbody tr td:first-child a");
    assert!(
        url(&tab).ends_with(&format!("/devices/{first}")),
        "{}",
        url(&tab)
    );
    let detail = api
        .get(&format!("/api/v1/devices/{first}"), Some(ADMIN))
        .json();
    let n = detail["findings"].as_array().unwrap().len();
    assert_eq!(
        eval(&tab, "document.querySelectorAll('#findings > li').length"),
        n
    );
    assert!(text(&tab, "h1") == first);

    // The operator uploads evidence through the form (the bundle again: nothing new is
    // stored, and the upload is still a scan of what it brought), then finds it among
    // the reports.
    click_and_wait(&tab, "header nav a[href='/upload']");
    let bundle = dir.path().join("bundle.zip");
    tab.wait_for_element("#files")
        .unwrap()
        .set_input_files(&[bundle.to_str().unwrap()])
        .unwrap();
    click_and_wait(&tab, "#send");
    assert!(
        text(&tab, "#done").contains("scan #2"),
        "{}",
        text(&tab, "#done")
    );
    click_and_wait(&tab, "header nav a[href='/reports']");
    let row = text(&tab, "#scan-2");
    assert!(row.contains("account:alice"), "{row}");
    assert_eq!(
        eval(
            &tab,
            "document.querySelectorAll('#scan-2 td.files a').length"
        ),
        5
    );
    assert_eq!(
        api.get("/api/v1/findings", Some(ADMIN)).json()["total"],
        findings["total"]
    );

    // The duplicate-SID groups: one entry per KZ-SID finding.
    click_and_wait(&tab, "header nav a[href='/sid-groups']");
    let sid = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("KZ-SID-"))
        .count();
    assert!(sid > 0);
    assert_eq!(
        eval(&tab, "document.querySelectorAll('#groups > li').length"),
        sid
    );

    // Japanese, remembered across pages.
    click_and_wait(&tab, "a.lang");
    assert_eq!(eval(&tab, "document.documentElement.lang"), "ja");
    click_and_wait(&tab, "header nav a[href='/devices']");
    assert_eq!(eval(&tab, "document.documentElement.lang"), "ja");

    // Signing out ends the session: pages lead to the sign-in form again.
    click_and_wait(&tab, "#logout");
    assert!(url(&tab).ends_with("/login"), "{}", url(&tab));
    go(&tab, &server.url("/"));
    assert!(url(&tab).contains("/login?next=/"), "{}", url(&tab));

    let audit = api.get("/api/v1/audit", Some(ADMIN)).json().to_string();
    for action in ["\"login-failed\"", "\"login\"", "\"logout\""] {
        assert!(audit.contains(action), "{action}: {audit}");
    }
}

#[test]
fn sessions_cookies_and_forms_are_guarded() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with(dir.path(), "bob", Role::Viewer);
    // A client that follows no redirect and keeps no cookie: every step is seen.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let get = |path: &str, cookie: &str| {
        let mut r = agent
            .get(server.url(path))
            .header("Cookie", cookie)
            .call()
            .unwrap();
        let headers = r.headers().clone();
        (
            r.status().as_u16(),
            headers,
            r.body_mut().read_to_string().unwrap(),
        )
    };
    let post = |path: &str, cookie: &str, form: &str| {
        let mut r = agent
            .post(server.url(path))
            .header("Cookie", cookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(form)
            .unwrap();
        let headers = r.headers().clone();
        (
            r.status().as_u16(),
            headers,
            r.body_mut().read_to_string().unwrap(),
        )
    };
    let set_cookies = |h: &ureq::http::HeaderMap| -> Vec<String> {
        h.get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    };

    for path in ["/", "/devices", "/devices/PC01"] {
        let (status, h, _) = get(path, "");
        assert_eq!(status, 303, "{path}");
        assert!(
            h["location"].to_str().unwrap().starts_with("/login?next="),
            "{path}"
        );
    }
    let (_, h, page) = get("/login", "");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let login_cookie = set_cookies(&h)
        .into_iter()
        .find(|c| c.starts_with("kz_login="))
        .unwrap();
    assert!(login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Strict"));
    let token = login_cookie["kz_login=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(page.contains(&token), "the form carries the cookie's token");
    assert!(!page.contains("<script"), "no script on any page");

    // Without the form token, or with another one: refused, no session.
    let form = |csrf: &str, pw: &str, next: &str| {
        format!(
            "name=bob&password={}&csrf={csrf}&next={}",
            common::encode(pw),
            common::encode(next)
        )
    };
    let (status, h, _) = post("/login", "", &form(&token, PASSWORD, "/"));
    assert_eq!(status, 401);
    assert!(
        set_cookies(&h)
            .iter()
            .all(|c| !c.starts_with("kz_session="))
    );
    let (status, _, _) = post(
        "/login",
        &format!("kz_login={token}"),
        &form(&"0".repeat(64), PASSWORD, "/"),
    );
    assert_eq!(status, 401);
    // A cookie and a form token the client picked alike (sign-in forgery: an attacker who
    // can set a cookie signs the victim in as the attacker): refused, no session.
    for chosen in [
        "b".repeat(64),
        format!("{}.1.{}", "b".repeat(64), "c".repeat(64)),
    ] {
        let (status, h, _) = post(
            "/login",
            &format!("kz_login={chosen}"),
            &form(&chosen, PASSWORD, "/"),
        );
        assert_eq!(status, 401, "{chosen}");
        assert!(
            set_cookies(&h)
                .iter()
                .all(|c| !c.starts_with("kz_session=")),
            "{chosen}"
        );
    }

    // The right one signs in; `next` only ever leads within the site.
    let (status, h, _) = post(
        "/login",
        &format!("kz_login={token}"),
        &form(&token, PASSWORD, "//evil.example/x"),
    );
    assert_eq!(status, 303);
    assert_eq!(h["location"], "/");
    let session = set_cookies(&h)
        .into_iter()
        .find(|c| c.starts_with("kz_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    assert!(
        !session.contains("Secure"),
        "plain loopback HTTP: no Secure flag"
    );
    let value = session["kz_session=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let cookie = format!("kz_session={value}");
    let (status, _, page) = get("/devices", &cookie);
    assert_eq!(status, 200);
    let csrf = form_token(&page);

    // A form from another site is refused whatever it holds (issue 28 D6).
    for (name, value) in [
        ("Sec-Fetch-Site", "same-site"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let r = agent
            .post(server.url("/logout"))
            .header("Cookie", &cookie)
            .header(name, value)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(format!("csrf={csrf}"))
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{name}: {value}");
    }
    assert_eq!(get("/devices", &cookie).0, 200, "still signed in");

    // A stranger's malformed form is sent to sign in, not judged (issue 28 D8).
    for path in ["/plan/note", "/admin/accounts", "/admin/tokens/abc/revoke"] {
        let (status, h, _) = post(path, "", "x=1");
        assert_eq!(status, 303, "{path}");
        assert!(
            h["location"].to_str().unwrap().starts_with("/login"),
            "{path}: {h:?}"
        );
    }

    // Signing out needs the session's form token.
    let (status, _, body) = post("/logout", &cookie, &format!("csrf={}", "1".repeat(64)));
    assert_eq!(status, 403);
    // Said as what it is, not as a token's scope (issue 28 D15).
    assert!(
        body.contains("\"form-expired\"") && body.contains("reload the page"),
        "{body}"
    );
    assert_eq!(get("/devices", &cookie).0, 200, "still signed in");
    let (status, h, _) = post("/logout", &cookie, &format!("csrf={csrf}"));
    assert_eq!(status, 303);
    assert_eq!(h["location"], "/login");
    assert_eq!(get("/devices", &cookie).0, 303, "the session is gone");

    // The session cookie is no API token, and an API token is no session.
    let api = server.client();
    assert_eq!(api.get("/api/v1/findings", Some(&value)).status, 401);
    assert_eq!(get("/", &format!("kz_session={ADMIN}")).0, 303);

    // Five wrong passwords close the door for this name: the right one is then refused
    // too (429, no session), and the refusals are audited.
    let login_cookie = format!("kz_login={token}");
    for _ in 0..kizuna_server::throttle::MAX_PER_NAME {
        let (status, _, _) = post(
            "/login",
            &login_cookie,
            &form(&token, "wrong password", "/"),
        );
        assert_eq!(status, 401);
    }
    let (status, h, page) = post("/login", &login_cookie, &form(&token, PASSWORD, "/"));
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("id=\"error\""));
    assert!(
        set_cookies(&h)
            .iter()
            .all(|c| !c.starts_with("kz_session="))
    );
    let audit = api.get("/api/v1/audit", Some(ADMIN)).body;
    assert!(audit.contains("login-throttled"), "{audit}");
}

/// What a person sees first, and what a script sees for a refusal and for a page of
/// devices: snapshots (the form's random token replaced).
#[test]
fn pages_and_answers_as_shown() {
    let dir = tempfile::tempdir().unwrap();
    let server = lab_server(dir.path());
    let api = server.client();

    let login = api.get("/login?lang=ja", None);
    let token = form_token(&login.body);
    insta::assert_snapshot!("login_ja", login.body.replace(&token, "[token]"));
    let en = api.get("/login?lang=en", None);
    assert!(en.body.contains("Sign in") && en.body.contains("lang=\"en\""));

    let refused = api.get("/api/v1/findings", None);
    insta::assert_snapshot!("refused", refused.body);
    let page = api.get(
        "/api/v1/devices?sort=severity&order=desc&limit=3",
        Some(ADMIN),
    );
    insta::assert_snapshot!("devices_page", page.body);
}

/// The duplicate-SID page lists the findings the API lists; the plan page shows what
/// `kizuna plan status` shows, in the viewer's language.
#[test]
fn the_sid_groups_and_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let server = lab_server(dir.path());
    let api = server.client();
    let db = Location::Sqlite(dir.path().join("k.db"));
    let mut store = Store::connect(&db).unwrap();
    let now = chrono::Utc::now();
    let alice = Session::start(&server, &mut store, "alice");
    let page = |path: &str| {
        let (status, _, body) = alice.get(path);
        assert_eq!(status, 200, "{path}");
        body
    };

    let sid = page("/sid-groups");
    let want = api.get("/api/v1/findings", Some(ADMIN)).json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("KZ-SID-"))
        .count();
    assert!(want > 0);
    assert_eq!(sid.matches("<li>").count(), want, "{sid}");
    assert!(
        sid.contains("PC-CLONE1") && sid.contains("shared SID S-1-5-21-"),
        "{sid}"
    );

    assert!(page("/plan").contains("No plan yet"));
    pilot_plan(&mut store, "alice", now);
    let status = api.get("/api/v1/plan", Some(ADMIN)).json();
    assert_eq!(status["current"], "pilot");
    let shown = page("/plan?lang=ja");
    assert!(
        shown.contains("<pre id=\"status\">") && shown.contains("pilot"),
        "{shown}"
    );
    assert!(shown.contains("lang=\"ja\""));
    let audit = api.get("/api/v1/audit", Some(ADMIN)).json().to_string();
    assert!(audit.contains("plan-init"), "{audit}");
}

/// The reports page lists each upload as a scan; its files download with a session as
/// the API serves them, sandboxed; the overview charts the days of the evidence.
#[test]
fn scan_reports_and_the_trend() {
    let dir = tempfile::tempdir().unwrap();
    let server = lab_server(dir.path());
    let api = server.client();
    let mut store = Store::connect(&Location::Sqlite(dir.path().join("k.db"))).unwrap();
    let alice = Session::start(&server, &mut store, "alice");
    let get = |path: &str| alice.get(path);

    let (status, _, list) = get("/reports?lang=en");
    assert_eq!(status, 200);
    assert!(list.contains("id=\"scan-1\""), "{list}");
    assert!(list.contains("token:KIZUNA_ADMIN_TOKEN"), "{list}");
    for f in [
        "report.html",
        "findings.csv",
        "devices.csv",
        "findings.jsonl",
        "scan.json",
    ] {
        assert!(list.contains(&format!("href=\"/reports/1/{f}\"")), "{f}");
        assert!(
            list.contains(&format!("href=\"/reports/current/{f}\"")),
            "{f}"
        );
    }

    let (status, h, csv) = get("/reports/1/findings.csv?lang=en");
    assert_eq!(status, 200);
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"kizuna-scan-1-findings.csv\""
    );
    let from_api = api.get("/api/v1/scans/1/findings.csv?lang=en", Some(ADMIN));
    assert_eq!(csv, from_api.body);
    assert!(csv.lines().count() > 10, "{csv}");
    let (status, h, html) = get("/reports/1/report.html");
    assert_eq!(status, 200);
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox"),
        "a report's script runs apart from the server's pages"
    );
    assert!(html.contains("PC-CLONE1"));
    assert_eq!(get("/reports/7/report.html").0, 404);

    // The weekly review, for a week or four.
    assert!(list.contains("href=\"/reports/review/review.html?days=7\""));
    assert!(list.contains("href=\"/reports/review/review-devices.csv?days=28\""));
    let (status, h, review) = get("/reports/review/review.json?days=28&lang=en");
    assert_eq!(status, 200, "{review}");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"kizuna-review-28d-review.json\""
    );
    let review: serde_json::Value = serde_json::from_str(&review).unwrap();
    assert_eq!(review["schema"], "kizuna.review/1");
    assert_eq!(get("/reports/review/review.json?days=0").0, 400);
    assert_eq!(get("/reports/review/review.json?days=91").0, 400);
    assert_eq!(get("/reports/review/review.json?compare_to=9").0, 404);
    assert_eq!(get("/reports/review/x.html").0, 404);

    // Without a session: to the sign-in form, and back to the file after it.
    let anonymous = api.get("/reports/1/report.html", None);
    assert!(
        anonymous
            .body
            .contains("name=\"next\" value=\"/reports/1/report.html\""),
        "{}",
        anonymous.body
    );

    // The overview's trend: both lines, each with the total of its days in the legend.
    let (_, _, overview) = get("/?lang=en");
    let trend = overview
        .split("id=\"trend\"")
        .nth(1)
        .expect("a trend section");
    assert_eq!(trend.matches("<path class=\"line c").count(), 2, "{trend}");
    let total = |label: &str| -> u64 {
        let at = trend.find(&format!("{label} (")).expect(label) + label.len() + 2;
        trend[at..].split(')').next().unwrap().parse().unwrap()
    };
    assert!(total("Secure-channel failures") > 0, "{trend}");
    assert!(total("Watched events") >= total("Secure-channel failures"));

    // A failing device's own timeline counts its failures.
    let failing = api
        .get("/api/v1/findings?rule=KZ-SC-001", Some(ADMIN))
        .json();
    let name = failing["findings"][0]["subjects"][0]
        .as_str()
        .unwrap()
        .to_string();
    let (_, _, device) = get(&format!("/devices/{name}?lang=en"));
    let timeline = device
        .split("id=\"timeline\"")
        .nth(1)
        .expect("a timeline section");
    assert_eq!(timeline.matches("<path class=\"line c").count(), 2);
    let at =
        timeline.find("Secure-channel failures (").unwrap() + "Secure-channel failures (".len();
    let n: u64 = timeline[at..].split(')').next().unwrap().parse().unwrap();
    assert!(n > 0, "{name}: {timeline}");

    // The page as shown, its varying parts (the scan's time, the form token) replaced.
    let (_, _, ja) = get("/reports?lang=ja");
    let time = api.get("/api/v1/scans", Some(ADMIN)).json()["scans"][0]["time"]
        .as_str()
        .unwrap()
        .to_string();
    insta::assert_snapshot!(
        "reports_ja",
        ja.replace(&time, "[time]")
            .replace(&form_token(&ja), "[token]")
    );
}

/// What each role may change: a viewer reads; an operator uploads evidence through the
/// form and notes the plan; an admin makes and revokes tokens and accounts. Every form
/// needs the session's token, checked before anything is stored.
#[test]
fn roles_decide_who_may_change_what() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with(dir.path(), "vera", Role::Viewer);
    let api = server.client();
    let mut store = Store::connect(&Location::Sqlite(dir.path().join("k.db"))).unwrap();
    let now = chrono::Utc::now();
    create_account(&mut store, "olga", Role::Operator, PASSWORD, "test", now).unwrap();
    create_account(&mut store, "adam", Role::Admin, PASSWORD, "test", now).unwrap();
    let vera = Session::start(&server, &mut store, "vera");
    let olga = Session::start(&server, &mut store, "olga");
    let adam = Session::start(&server, &mut store, "adam");

    // Each sees the links to what their role may use, and is refused the rest.
    let links = |s: &Session| {
        let (_, _, page) = s.get("/");
        (
            page.contains("href=\"/upload\""),
            page.contains("href=\"/admin\""),
        )
    };
    assert_eq!(links(&vera), (false, false));
    assert_eq!(links(&olga), (true, false));
    assert_eq!(links(&adam), (true, true));
    assert_eq!(vera.get("/upload").0, 403);
    assert_eq!(vera.get("/admin").0, 403);
    assert_eq!(olga.get("/admin").0, 403);
    assert!(vera.get("/upload").2.contains("id=\"forbidden\""));

    // Uploading through the form.
    let bytes = std::fs::read(lab_bundle(dir.path())).unwrap();
    let send = |s: &Session, parts: &[Part]| {
        let (content_type, body) = multipart(parts);
        s.post("/upload", &content_type, &body)
    };
    let scans = || api.get("/api/v1/scans", Some(ADMIN)).json()["total"].clone();
    let file = Part::File("bundle.zip", &bytes);
    // Refused bodies are small: a refusal closes the connection without reading the
    // body, and a client still sending a large one sees a broken pipe, not the answer.
    let small: &[u8] = b"12/03/2026 09:00:00 [SESSION] LAB: NetrServerAuthenticate3 failed\n";
    assert_eq!(
        send(
            &vera,
            &[
                Part::Field("csrf", &vera.csrf),
                Part::File("small.log", small)
            ]
        )
        .0,
        403
    );
    let wrong = "0".repeat(64);
    assert_eq!(
        send(
            &olga,
            &[Part::Field("csrf", &wrong), Part::File("small.log", small)]
        )
        .0,
        403
    );
    assert_eq!(
        send(
            &olga,
            &[
                Part::File("small.log", small),
                Part::Field("csrf", &olga.csrf)
            ]
        )
        .0,
        403
    );
    assert_eq!(scans(), 0, "nothing refused was stored");
    let (status, _, page) = send(&olga, &[Part::Field("csrf", &olga.csrf), file]);
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("id=\"done\"") && page.contains("#1"),
        "{page}"
    );
    let listed = api.get("/api/v1/scans", Some(ADMIN)).json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["scans"][0]["actor"], "account:olga");
    assert_eq!(
        listed["scans"][0]["findings"],
        api.get("/api/v1/findings", Some(ADMIN)).json()["total"]
    );

    // Notes in the plan's log, with the helpdesk tickets counted.
    pilot_plan(&mut store, "adam", now);
    assert!(olga.get("/plan").2.contains("action=\"/plan/note\""));
    assert!(!vera.get("/plan").2.contains("action=\"/plan/note\""));
    let note = |s: &Session, csrf: &str| {
        s.form(
            "/plan/note",
            &[
                ("csrf", csrf),
                ("note", "pilot day 2: two calls"),
                ("tickets", "2"),
            ],
        )
    };
    assert_eq!(note(&vera, &vera.csrf).0, 403);
    assert_eq!(note(&olga, &wrong).0, 403);
    let (status, h, _) = note(&olga, &olga.csrf);
    assert_eq!(status, 303);
    assert_eq!(h["location"], "/plan");
    let log = api.get("/api/v1/plan", Some(ADMIN)).json().to_string();
    assert_eq!(log.matches("pilot day 2: two calls").count(), 1, "{log}");
    assert!(log.contains("\"helpdesk_tickets\":2"), "{log}");

    // Tokens: made (the secret shown once), used, revoked.
    let make = |s: &Session, csrf: &str| {
        s.form(
            "/admin/tokens",
            &[
                ("csrf", csrf),
                ("name", "intune remediation"),
                ("scope", "ingest"),
            ],
        )
    };
    assert_eq!(make(&olga, &olga.csrf).0, 403);
    assert_eq!(make(&adam, &wrong).0, 403);
    let (status, h, page) = make(&adam, &adam.csrf);
    assert_eq!(status, 200);
    assert_eq!(h["cache-control"], "no-store");
    let secret = page
        .split("<code id=\"secret\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_string();
    assert!(secret.starts_with("kz_"), "{secret}");
    assert!(!adam.get("/admin").2.contains(&secret), "shown once only");
    // The token is taken (not 401/403); the body is no evidence (422).
    assert_eq!(api.upload(Some(&secret), "x.log", b"x").status, 422);
    assert_eq!(api.get("/api/v1/findings", Some(&secret)).status, 403);
    let id = api.get("/api/v1/tokens", Some(ADMIN)).json()["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "intune remediation")
        .unwrap()["id"]
        .clone();
    let revoke = format!("/admin/tokens/{id}/revoke");
    assert_eq!(olga.form(&revoke, &[("csrf", &olga.csrf)]).0, 403);
    assert_eq!(adam.form(&revoke, &[("csrf", &adam.csrf)]).0, 303);
    assert_eq!(api.upload(Some(&secret), "y.log", b"y").status, 401);

    // Accounts: made with a role; a short password is refused.
    let account = |pw: &str| {
        adam.form(
            "/admin/accounts",
            &[
                ("csrf", &adam.csrf),
                ("name", "nina"),
                ("role", "viewer"),
                ("password", pw),
            ],
        )
    };
    assert_eq!(account("short").0, 400);
    assert_eq!(account(PASSWORD).0, 303);
    let (a, role) = kizuna_server::accounts::verify(&store, "nina", PASSWORD)
        .unwrap()
        .unwrap();
    assert_eq!((a.name.as_str(), role), ("nina", Role::Viewer));

    // Every change is in the audit log the admin page shows.
    let (_, _, page) = adam.get("/admin");
    for action in [
        "upload",
        "token-create",
        "token-revoke",
        "account-create",
        "plan-record",
    ] {
        assert!(page.contains(&format!("<td>{action}</td>")), "{action}");
    }
}

/// Behind a trusted proxy, sign-ins are counted and audited under the client its
/// `X-Forwarded-For` names; from any other peer the header changes nothing.
#[test]
fn a_trusted_proxy_names_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let db = Location::Sqlite(dir.path().join("k.db"));
    let mut store = Store::connect(&db).unwrap();
    create_account(
        &mut store,
        "bob",
        Role::Viewer,
        PASSWORD,
        "test",
        chrono::Utc::now(),
    )
    .unwrap();
    drop(store);
    let behind = TestServer::start(Options {
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..Options::new(db.clone())
    });
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    // Signs in as `name` with `password`, the proxy saying the client is `client`.
    let sign_in = |server: &TestServer, client: &str, name: &str, password: &str| -> u16 {
        let page = server.client().get("/login", None);
        let token = form_token(&page.body);
        agent
            .post(server.url("/login"))
            .header("Cookie", &format!("kz_login={token}"))
            .header("X-Forwarded-For", client)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(format!(
                "name={name}&password={}&csrf={token}&next=/",
                common::encode(password)
            ))
            .unwrap()
            .status()
            .as_u16()
    };
    let last_remote = |server: &TestServer| {
        server
            .client()
            .get("/api/v1/audit?limit=1", Some(ADMIN))
            .json()["entries"][0]["remote"]
            .clone()
    };
    assert_eq!(
        sign_in(&behind, "203.0.113.9", "bob", "wrong password"),
        401
    );
    assert_eq!(last_remote(&behind), "203.0.113.9");
    // One client's failures close that client, not the others behind the same proxy.
    for i in 1..kizuna_server::throttle::MAX_PER_ADDRESS {
        assert_eq!(
            sign_in(&behind, "203.0.113.9", &format!("user{i}"), "x"),
            401
        );
    }
    assert_eq!(sign_in(&behind, "203.0.113.9", "bob", PASSWORD), 429);
    assert_eq!(sign_in(&behind, "203.0.113.10", "bob", PASSWORD), 303);
    drop(behind);

    // Not a trusted proxy: the header is the client's own claim, and ignored.
    let direct = TestServer::start(Options::new(db));
    assert_eq!(
        sign_in(&direct, "198.51.100.1", "bob", "wrong password"),
        401
    );
    assert_eq!(last_remote(&direct), "127.0.0.1");
}
