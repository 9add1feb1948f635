/*!
The parser keeps every line; the renderer changes exactly the keys it
owns, adds missing topics where oslo.config reads them, and refuses with a
reason that names the key.
*/

use super::ini::Document;
use super::render::same_database;
use super::*;

/// A change to the settings a case starts from.
type Edit = fn(&mut RenderSettings);

fn settings() -> RenderSettings {
    RenderSettings {
        database_url: Some("mysql://nova:newpw@db.example/nova_juno".into()),
        api_database_url: None,
        metadata_host: Some("10.0.0.20".into()),
        vnc_address: Some("10.0.1.31".into()),
        vnc_listen: None,
        novncproxy_base_url: Some("http://10.0.0.20:6080/vnc_auto.html".into()),
        topic_suffix: "_juno".into(),
    }
}

/// Lines of `new` that are not in `old`, and of `old` not in `new`.
fn changed_lines(old: &str, new: &str) -> (Vec<String>, Vec<String>) {
    let added = new.lines().filter(|l| !old.lines().any(|o| o == *l)).map(String::from).collect();
    let removed = old.lines().filter(|l| !new.lines().any(|n| n == *l)).map(String::from).collect();
    (added, removed)
}

const MESSY: &str = "# leading comment\n\n[DEFAULT]\n; semicolon comment\nverbose=True\nmy_ip = 10.0.1.31\n\
    multi = first\n    second line\n\tthird line\ndup=1\ndup = 2\nquoted = \"a value \"\ncolon: x=y\n\
    trailing = spaces   \n[Database]\r\nconnection=sqlite:///x\r\n\n[empty]\n";

#[test]
fn parse_and_print_is_the_identity() {
    for text in [MESSY, "", "\n\n", "[DEFAULT]\nno_final_newline = 1", "[a]\r\nk=v\r\n"] {
        assert_eq!(Document::parse(text).unwrap().to_text(), text);
    }
}

#[test]
fn parser_reads_values_as_oslo_config_does() {
    let doc = Document::parse(MESSY).unwrap();
    let value = |section: &str, key: &str| doc.find(section, key).iter().map(|&at| doc.value(at)).collect::<Vec<_>>();
    assert_eq!(value("DEFAULT", "multi"), ["first\nsecond line\nthird line"]);
    assert_eq!(value("DEFAULT", "dup"), ["1", "2"]);
    assert_eq!(value("DEFAULT", "quoted"), ["a value "]);
    assert_eq!(value("DEFAULT", "colon"), ["x=y"], "split at the first separator");
    assert_eq!(value("DEFAULT", "trailing"), ["spaces"]);
    assert_eq!(value("database", "connection"), ["sqlite:///x"], "section names are lower-cased");
}

#[test]
fn parse_errors_name_the_line() {
    let cases = [
        ("[DEFAULT]\n  indented first\n", 2, "continues no value"),
        ("[DEFAULT\n", 1, "must end with ']'"),
        ("[]\n", 1, "empty section name"),
        ("key = v\n", 1, "before any [section]"),
        ("[DEFAULT]\n\njust words\n", 3, "no '=' or ':'"),
        ("[DEFAULT]\n= v\n", 2, "empty key"),
    ];
    for (text, line, reason) in cases {
        match Document::parse(text) {
            Err(RenderError::Parse { line: l, reason: r }) => {
                assert_eq!(l, line, "{text:?}");
                assert!(r.contains(reason), "{r}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn edits_keep_spacing_and_quotes_and_drop_continuations() {
    let mut doc = Document::parse(MESSY).unwrap();
    let at = doc.find("DEFAULT", "quoted")[0];
    doc.set_value(at, "b");
    let at = doc.find("DEFAULT", "multi")[0];
    doc.set_value(at, "one");
    let at = doc.find("database", "connection")[0];
    doc.set_value(at, "mysql://h/n");
    let text = doc.to_text();
    assert!(text.contains("\nquoted = \"b\"\n"), "{text}");
    assert!(text.contains("\nmulti = one\ndup=1\n"), "{text}");
    assert!(text.contains("[Database]\r\nconnection=mysql://h/n\r\n"), "{text}");
}

/// Found by fuzzing, and issue 15's `extra_line_of_topic_juno`: what is
/// written must read back, also for a file ending in a section header
/// without a line ending, and a topic continued on the next line.
#[test]
fn the_rendered_file_reads_back_whatever_the_old_one_ends_with() {
    let rendered = render("[DEFAULT]\nverbose = True\n[conductor]", &RenderSettings::default()).unwrap();
    assert!(rendered.text.contains("[conductor]\ntopic = conductor_juno"), "{}", rendered.text);
    let old = "[DEFAULT]\ncompute_topic = compute\n\textra_line_of_topic\nverbose = True";
    let rendered = render(old, &RenderSettings::default()).unwrap();
    assert!(rendered.text.starts_with("[DEFAULT]\ncompute_topic = compute\n\textra_line_of_topic_juno\nverbose"));
    let doc = Document::parse(&rendered.text).unwrap();
    assert_eq!(doc.value(doc.find("DEFAULT", "compute_topic")[0]), "compute\nextra_line_of_topic_juno");
    render(&rendered.text, &RenderSettings::default()).unwrap();
}

#[test]
fn nothing_to_change_changes_nothing_but_topics() {
    let old = "# only comments\n[DEFAULT]\nverbose = True\n";
    let rendered = render(old, &RenderSettings::default()).unwrap();
    let (added, removed) = changed_lines(old, &rendered.text);
    assert!(removed.is_empty());
    assert_eq!(
        added,
        [
            "cert_topic = cert_juno",
            "compute_topic = compute_juno",
            "console_topic = console_juno",
            "consoleauth_topic = consoleauth_juno",
            "notification_topics = notifications_juno",
            "notifications_topic = notifications_juno",
            "scheduler_topic = scheduler_juno",
            "",
            "[conductor]",
            "topic = conductor_juno",
            "conductor_topic = conductor_juno",
        ]
    );
    assert!(rendered.text.starts_with(old));
}

#[test]
fn every_key_kind_is_changed() {
    let old = "\
[DEFAULT]
sql_connection=mysql://nova:oldpw@db.example/nova
metadata_host=10.0.0.10
vncserver_proxyclient_address=10.0.1.30
vncserver_listen=0.0.0.0
novncproxy_base_url=http://10.0.0.10:6080/vnc_auto.html
compute_topic=compute
notification_topics=notifications,monitor
notifications_topic=notifications
rabbit_host=10.0.0.10
[conductor]
use_local=false
conductor_topic=conductor
";
    let rendered = render(old, &settings()).unwrap();
    let (added, removed) = changed_lines(old, &rendered.text);
    assert_eq!(removed.len(), 9, "{removed:?}");
    for line in [
        "sql_connection=mysql://nova:newpw@db.example/nova_juno",
        "metadata_host=10.0.0.20",
        "vncserver_proxyclient_address=10.0.1.31",
        "vncserver_listen=10.0.1.31",
        "novncproxy_base_url=http://10.0.0.20:6080/vnc_auto.html",
        "compute_topic=compute_juno",
        "notification_topics=notifications_juno,monitor_juno",
        "notifications_topic=notifications_juno",
        "conductor_topic=conductor_juno",
        "cert_topic=cert_juno",
        "topic=conductor_juno",
    ] {
        assert!(added.iter().any(|l| l == line), "{line} in {added:?}");
    }
    assert!(rendered.text.contains("rabbit_host=10.0.0.10\n"));
    // The real conductor topic goes after the section's last key.
    assert!(rendered.text.ends_with("conductor_topic=conductor_juno\ntopic=conductor_juno\n"), "{}", rendered.text);
    assert!(rendered.unused.is_empty());
    assert!(rendered.changes.contains(&Change { section: "DEFAULT".into(), key: "cert_topic".into(), added: true }));
}

#[test]
fn newer_names_in_vnc_and_api_database() {
    let old = "\
[DEFAULT]
metadata_host = 10.0.0.10
[api_database]
connection = mysql+pymysql://nova:pw@db/nova_api
[database]
connection = mysql+pymysql://nova:pw@db/nova
[vnc]
server_listen = 0.0.0.0
server_proxyclient_address = 10.0.1.30
novncproxy_base_url = http://10.0.0.10:6080/vnc_auto.html
";
    let mut s = settings();
    s.vnc_listen = Some("0.0.0.0".into());
    let e = render(old, &s).unwrap_err();
    assert_eq!(e, RenderError::Missing { key: "[api_database] connection".into(), setting: Setting::ApiDatabaseUrl });
    assert_eq!(e.to_string(), "the old nova.conf sets [api_database] connection but no new API database URL was given");
    s.api_database_url = Some("mysql+pymysql://nova:pw@db/nova_api_juno".into());
    let text = render(old, &s).unwrap().text;
    assert!(text.contains("\nconnection = mysql+pymysql://nova:pw@db/nova_api_juno\n"));
    assert!(text.contains("\nserver_listen = 0.0.0.0\nserver_proxyclient_address = 10.0.1.31\n"));
}

#[test]
fn duplicates_and_deprecated_spellings_all_change() {
    let old = "[DEFAULT]\nsql_connection = mysql://a/nova\nsql_connection = mysql://b/nova\n[DATABASE]\nsql_connection = mysql://c/nova\n[sql]\nconnection = mysql://d/nova\n";
    let text = render(old, &settings()).unwrap().text;
    assert_eq!(text.matches("mysql://nova:newpw@db.example/nova_juno").count(), 4, "{text}");
}

#[test]
fn missing_values_are_refused_naming_the_key() {
    let cases: [(&str, Edit, &str); 5] = [
        (
            "[database]\nconnection=mysql://db/nova\n",
            |s| s.database_url = None,
            "[database] connection but no new database URL",
        ),
        (
            "[DEFAULT]\nmetadata_host=h\n",
            |s| s.metadata_host = None,
            "[DEFAULT] metadata_host but no new metadata host",
        ),
        (
            "[DEFAULT]\nvncserver_listen=0.0.0.0\n",
            |s| s.vnc_address = None,
            "[DEFAULT] vncserver_listen but no VNC listen",
        ),
        (
            "[DEFAULT]\nvncserver_proxyclient_address=a\n",
            |s| s.vnc_address = None,
            "[DEFAULT] vncserver_proxyclient_address but no compute node VNC address",
        ),
        ("[vnc]\nnovncproxy_base_url=u\n", |s| s.novncproxy_base_url = None, "[vnc] novncproxy_base_url but no noVNC"),
    ];
    for (old, unset, message) in cases {
        let mut s = settings();
        unset(&mut s);
        let e = render(old, &s).unwrap_err().to_string();
        assert!(e.contains(message), "{e}");
    }
}

#[test]
fn bad_values_are_refused() {
    let cases: [(Edit, &str); 4] = [
        (|s| s.topic_suffix = String::new(), "the topic suffix is empty"),
        (|s| s.topic_suffix = "_ju no".into(), "may hold only"),
        (|s| s.metadata_host = Some("h\nsql_connection=x".into()), "line break"),
        (|s| s.database_url = Some(" mysql://x/y".into()), "starts or ends with a space"),
    ];
    for (spoil, message) in cases {
        let mut s = settings();
        spoil(&mut s);
        let e = render("[DEFAULT]\n", &s).unwrap_err().to_string();
        assert!(e.contains(message), "{e}");
    }
}

#[test]
fn the_old_database_is_refused_without_showing_its_password() {
    let old = "[database]\nconnection = mysql://nova:s3cret@DB.example:3306/nova?charset=utf8\n";
    let mut s = settings();
    s.database_url = Some("mysql+pymysql://nova:other@db.example/nova".into());
    let e = render(old, &s).unwrap_err();
    assert!(matches!(e, RenderError::SameDatabase { .. }), "{e:?}");
    let message = e.to_string();
    assert!(message.contains("[database] connection") && message.contains("own database"), "{message}");
    assert!(!message.contains("s3cret") && message.contains("nova:***@"), "{message}");

    let mut s = settings();
    s.api_database_url = s.database_url.clone();
    assert!(matches!(render("[DEFAULT]\n", &s), Err(RenderError::SameNewDatabases { .. })));
}

#[test]
fn database_identity_ignores_driver_credentials_and_options() {
    assert!(same_database("mysql://a:b@h/nova", "mysql+pymysql://c@H:3306/nova?charset=utf8"));
    assert!(!same_database("mysql://h/nova", "mysql://h/nova_juno"));
    assert!(!same_database("mysql://h/nova", "mysql://h2/nova"));
    assert!(!same_database("postgresql://h/nova", "mysql://h/nova"));
}

#[test]
fn a_replica_of_the_old_database_is_refused() {
    let old = "[database]\nconnection = mysql://db/nova\nslave_connection = mysql://replica/nova\n";
    let e = render(old, &settings()).unwrap_err().to_string();
    assert!(e.starts_with("the old nova.conf sets [database] slave_connection:"), "{e}");
}

#[test]
fn values_for_absent_keys_are_reported_unused() {
    let rendered = render("[DEFAULT]\nmetadata_host = m\n", &settings()).unwrap();
    assert_eq!(rendered.unused, [Setting::DatabaseUrl, Setting::NovncproxyBaseUrl, Setting::VncAddress]);
    // The VNC address serves the listen key too.
    let rendered = render("[DEFAULT]\nvncserver_listen = 0.0.0.0\n", &settings()).unwrap();
    assert!(!rendered.unused.contains(&Setting::VncAddress));
}

#[test]
fn metadata_host_is_added_when_the_default_was_used() {
    let old = "[DEFAULT]\nverbose=true\n#metadata_host=$my_ip\n\n[libvirt]\nvirt_type=kvm\n";
    let text = render(old, &settings()).unwrap().text;
    assert!(text.starts_with("[DEFAULT]\nverbose=true\nmetadata_host=10.0.0.20\ncert_topic=cert_juno\n"), "{text}");
}

#[test]
fn a_section_without_keys_gets_the_topic_after_its_comments() {
    let old = "[DEFAULT]\n[conductor]\n# comment\n#topic=conductor\n\n[libvirt]\nvirt_type = kvm";
    let text = render(old, &RenderSettings::default()).unwrap().text;
    assert!(
        text.contains("[conductor]\n# comment\n#topic=conductor\ntopic = conductor_juno\nconductor_topic = conductor_juno\n\n[libvirt]"),
        "{text}"
    );
    assert!(text.ends_with("virt_type = kvm"), "the last line keeps its missing newline");
    let text = render("[conductor]\n[DEFAULT]\n", &RenderSettings::default()).unwrap().text;
    assert!(
        text.starts_with("[conductor]\ntopic = conductor_juno\nconductor_topic = conductor_juno\n[DEFAULT]\n"),
        "{text}"
    );
}

#[test]
fn secrets_are_masked_in_lines_and_urls() {
    assert_eq!(mask_line("rabbit_password=guest\n"), "rabbit_password=***\n");
    assert_eq!(mask_line("#neutron_admin_password = secret"), "#neutron_admin_password = ***");
    assert_eq!(mask_line("#admin_token=<None>"), "#admin_token=<None>");
    assert_eq!(mask_line("connection = mysql://nova:pw@db/nova\n"), "connection = mysql://nova:***@db/nova\n");
    assert_eq!(
        mask_url_passwords("transport_url=rabbit://u:p1@h1:5672,u:p2@h2:5672/ and http://h/x"),
        "transport_url=rabbit://u:***@h1:5672,u:***@h2:5672/ and http://h/x"
    );
    assert_eq!(mask_url_passwords("mysql://nova@db/nova"), "mysql://nova@db/nova");
}

#[test]
fn the_diff_shows_the_change_and_hides_passwords() {
    let old = "[DEFAULT]\nrabbit_password = guest\nsql_connection = mysql://nova:oldpw@db/nova\nverbose = True\n";
    let rendered = render(old, &settings()).unwrap();
    let diff = unified_diff(old, &rendered.text, "nova.conf", "new.conf");
    assert!(diff.starts_with("--- nova.conf\n+++ new.conf\n@@ -1,4 +1,16 @@\n"), "{diff}");
    assert!(diff.contains("\n rabbit_password = ***\n"), "{diff}");
    assert!(diff.contains("\n-sql_connection = mysql://nova:***@db/nova\n"), "{diff}");
    assert!(diff.contains("\n+sql_connection = mysql://nova:***@db.example/nova_juno\n"), "{diff}");
    assert!(!diff.contains("oldpw") && !diff.contains("newpw") && !diff.contains("guest"), "{diff}");
    assert_eq!(unified_diff(old, old, "a", "b"), "");
}

#[test]
fn topics_under_newer_names_and_the_guides_unread_names() {
    let old =
        "[DEFAULT]\nnotifications_topic = notifications\n[oslo_messaging_notifications]\ntopics = notifications\n";
    let text = render(old, &RenderSettings::default()).unwrap().text;
    assert!(text.contains("[oslo_messaging_notifications]\ntopics = notifications_juno\n"), "{text}");
    assert!(text.contains("notifications_topic = notifications_juno\n"), "{text}");
    assert!(!text.contains("notification_topics"), "Nova reads the newer key, already suffixed: {text}");

    let text = render("[DEFAULT]\nnotifications_topic=n\n", &RenderSettings::default()).unwrap().text;
    assert!(text.contains("notifications_topic=n_juno\n") && text.contains("notification_topics=notifications_juno\n"));
}
