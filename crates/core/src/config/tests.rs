use super::*;

#[test]
fn factory_defaults_fit_the_schema_and_match_the_notes() {
    let c = Config::factory();
    assert_eq!(c.port1.host.listen_port, 7001);
    assert_eq!(c.port1.serial.baud, 9600);
    assert_eq!(
        c.network.tcp_keepalive,
        Keepalive {
            time_s: 15,
            probes: 3,
            interval_s: 5
        }
    );
    // Every schema key can be read back.
    for spec in schema::KEYS.iter().filter(|k| !k.path.contains("[]")) {
        assert!(c.get(spec.path).is_some(), "{} missing", spec.path);
    }
    // And the typed config has no key the schema lacks.
    let round = Config::from_toml_str(&c.to_toml());
    assert_eq!(round, Ok(c));
}

#[test]
fn every_mistake_is_reported_with_its_key() {
    let text = r#"
        [port1.serial]
        baud = 12345
        parity = "sometimes"
        [port1.host]
        listen_prot = 7002
    "#;
    let errors = Config::from_toml_str(text).err().unwrap_or_default();
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys.len(), 3, "{errors:?}");
    assert!(keys.contains(&"port1.serial.baud"));
    assert!(keys.contains(&"port1.serial.parity"));
    assert!(keys.contains(&"port1.host.listen_prot"));
    let baud = errors
        .iter()
        .find(|e| e.key == "port1.serial.baud")
        .map(ToString::to_string);
    assert_eq!(
        baud.as_deref(),
        Some("port1.serial.baud = 12345: allowed: one of 75, 110, 150, 200, 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600")
    );
    let unknown = errors
        .iter()
        .find(|e| e.key == "port1.host.listen_prot")
        .map(ToString::to_string);
    assert!(unknown.is_some_and(|m| m.contains("listen_port")));
}

#[test]
fn syntax_errors_are_reported_not_panicked() {
    let errors = Config::from_toml_str("[port1\nbaud=")
        .err()
        .unwrap_or_default();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].to_string().contains("not valid TOML"));
}

#[test]
fn set_reads_values_by_key_type() -> Result<(), Vec<ConfigError>> {
    let c = Config::factory().with_sets([
        "port1.serial.baud=921600",
        "port1.serial.flow_control=rts_cts",
        "port1.title=\"lab rig 3\"",
        "port1.host.telnet=on",
    ])?;
    assert_eq!(c.port1.serial.baud, 921600);
    assert_eq!(c.port1.serial.flow_control, FlowControl::RtsCts);
    assert_eq!(c.port1.title, "lab rig 3");
    assert!(c.port1.host.telnet);
    let e = Config::factory()
        .with_set("port1.serial.baud", "fast")
        .err()
        .unwrap_or_default();
    assert_eq!(e[0].key, "port1.serial.baud");
    let e = Config::factory()
        .with_set("port9.baud", "1")
        .err()
        .unwrap_or_default();
    assert!(e[0].to_string().contains("unknown key"));
    Ok(())
}

#[test]
fn inter_char_timeout_must_exceed_a_character_time() {
    let e = Config::factory()
        .with_sets([
            "port1.serial.baud=1200",
            "port1.serial.inter_char_timeout_ms=8",
        ])
        .err()
        .unwrap_or_default();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].key, "port1.serial.inter_char_timeout_ms");
    assert!(Config::factory()
        .with_sets([
            "port1.serial.baud=1200",
            "port1.serial.inter_char_timeout_ms=9"
        ])
        .is_ok());
}

/// The shipped factory file and the docs' key table are generated from the schema; regenerate
/// with `M2285_BLESS=1 cargo test -p m2285-core` after changing a key.
#[test]
fn factory_file_and_docs_match_the_schema() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let factory_path = format!("{root}/sim-configs/factory.toml");
    let docs_path = format!("{root}/docs/config.md");
    let header = "# Factory defaults of the Model 2285, generated from the schema (crates/core/src/config/schema.rs).\n# Start from this file to see every key; each comment says what it means and what is allowed.\n";
    let factory = format!("{header}{}", reference::factory_toml());
    let table = reference::markdown_table();
    if std::env::var_os("M2285_BLESS").is_some() {
        std::fs::write(&factory_path, &factory).ok();
        let docs = std::fs::read_to_string(&docs_path).unwrap_or_default();
        let start = docs
            .find("<!-- keys:begin -->")
            .map(|i| i + "<!-- keys:begin -->\n".len());
        let end = docs.find("<!-- keys:end -->");
        if let (Some(s), Some(e)) = (start, end) {
            std::fs::write(&docs_path, format!("{}{}{}", &docs[..s], table, &docs[e..])).ok();
        }
    }
    let shipped = std::fs::read_to_string(&factory_path).unwrap_or_default();
    assert_eq!(
        shipped, factory,
        "sim-configs/factory.toml is stale: run with M2285_BLESS=1"
    );
    assert_eq!(Config::from_toml_str(&shipped), Ok(Config::factory()));
    let docs = std::fs::read_to_string(&docs_path).unwrap_or_default();
    assert!(
        docs.contains(&table),
        "docs/config.md key table is stale: run with M2285_BLESS=1"
    );
}

#[test]
fn a_list_item_set_to_delete_is_removed_and_the_rest_move_up() {
    let c = Config::factory()
        .with_sets([
            "system.filter.rules[0].address=127.0.0.5",
            "system.filter.rules[1].address=127.0.0.6",
        ])
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(c.system.filter.rules.len(), 2);
    let c = c
        .with_set("system.filter.rules[0]", "delete")
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(c.system.filter.rules.len(), 1);
    assert_eq!(c.system.filter.rules[0].address.to_string(), "127.0.0.6");
    for bad in ["system.filter.rules[1]", "system.nothing[0]", "system[0]"] {
        let errors = c.with_set(bad, "delete").err().unwrap_or_default();
        assert!(
            errors
                .iter()
                .any(|e| e.to_string().contains("no such list item")),
            "{bad}: {errors:?}"
        );
    }
}
