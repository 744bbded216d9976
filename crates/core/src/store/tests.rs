use super::*;

fn cfg(sets: &[&str]) -> Config {
    match Config::factory().with_sets(sets.iter().copied()) {
        Ok(c) => c,
        Err(e) => panic!("{e:?}"),
    }
}

#[test]
fn a_save_is_write_rename_sync_and_only_then_saved() {
    let old = cfg(&[]);
    let new = cfg(&["port1.serial.baud=19200"]);
    let mut store = Store::new(old.clone(), old.clone());
    let first = store.start_save(&new);
    assert!(matches!(
        first,
        Some(FlashOp::WriteTemp {
            file: CONFIG_FILE,
            ..
        })
    ));
    assert_eq!(store.start_save(&new), None, "queued behind the first");
    assert_eq!(
        store.flash_report(Ok(())),
        SaveProgress::Next(FlashOp::Rename { file: CONFIG_FILE })
    );
    assert_eq!(store.saved(), &old, "not saved before the rename");
    assert_eq!(
        store.flash_report(Ok(())),
        SaveProgress::Next(FlashOp::SyncDir)
    );
    assert_eq!(store.saved(), &new);
    assert_eq!(store.flash_report(Ok(())), SaveProgress::Saved);
    assert!(store.saving(), "the queued save waits");
    assert!(matches!(
        store.start_queued(),
        Some(FlashOp::WriteTemp { .. })
    ));
    for _ in 0..3 {
        store.flash_report(Ok(()));
    }
    assert!(!store.saving());
    assert_eq!(store.flash_report(Ok(())), SaveProgress::Ignored);
}

#[test]
fn a_failed_write_keeps_the_old_configuration() {
    let old = cfg(&[]);
    let mut store = Store::new(old.clone(), old.clone());
    let _ = store.start_save(&cfg(&["port1.serial.baud=1200"]));
    assert!(matches!(
        store.flash_report(Err("disk full".into())),
        SaveProgress::Failed(m) if m.contains("disk full")
    ));
    assert_eq!(store.saved(), &old);
}

#[test]
fn staged_edits_are_all_or_nothing_and_pending_reboot_keys_are_named() {
    let running = cfg(&[]);
    let mut store = Store::new(running.clone(), running.clone());
    let bad = store.stage_sets(
        &running,
        &[
            "port1.serial.baud=19200".into(),
            "port1.serial.parity=sometimes".into(),
        ],
    );
    assert!(matches!(bad, Err(StoreError::Invalid(e)) if e.len() == 1));
    assert!(store.staged().is_none());
    assert_eq!(
        store.stage_sets(
            &running,
            &[
                "port1.serial.baud=19200".into(),
                "network.ip=10.0.0.9".into()
            ]
        ),
        Ok(())
    );
    let status = store.status(&running);
    assert_eq!(status.staged, vec!["network.ip", "port1.serial.baud"]);
    let applied = store.take_staged().unwrap_or_else(|| running.clone());
    let status = store.status(&applied);
    assert_eq!(status.pending_reboot, vec!["network.ip"]);
    assert_eq!(status.unsaved, vec!["network.ip", "port1.serial.baud"]);
}

#[test]
fn boots_follow_flash_once_a_save_began_and_the_start_configuration_before() {
    let start = cfg(&["sim.free_ports=true", "port1.serial.baud=2400"]);
    let mut nvram = Nvram::new(start.clone(), true);
    let saved = cfg(&["port1.serial.baud=19200"]).to_toml();
    assert_eq!(
        nvram.boot_config(Some(saved.as_bytes())),
        (start.clone(), BootSource::Start)
    );
    nvram.note(&FlashOp::WriteTemp {
        file: CONFIG_FILE,
        bytes: Vec::new(),
    });
    let (c, source) = nvram.boot_config(Some(saved.as_bytes()));
    assert_eq!((c.port1.serial.baud, source), (19200, BootSource::Saved));
    let (c, source) = nvram.boot_config(None);
    assert_eq!(source, BootSource::Factory);
    assert!(c.sim.free_ports, "factory values keep the rig's sim keys");
    let (_, source) = nvram.boot_config(Some(b"port1 = {"));
    assert_eq!(source, BootSource::FactoryAfterBadFile);
}

#[test]
fn factory_reset_keeps_sim_keys_and_optionally_the_network() {
    let c = cfg(&[
        "network.ip=10.1.2.3",
        "port1.serial.baud=300",
        "sim.free_ports=true",
    ]);
    let all = factory_reset(&c, false);
    assert_eq!(all.port1.serial.baud, 9600);
    assert_eq!(all.network.ip.to_string(), "192.168.161.5");
    assert!(all.sim.free_ports);
    let keep = factory_reset(&c, true);
    assert_eq!(keep.network.ip.to_string(), "10.1.2.3");
    assert_eq!(keep.port1.serial.baud, 9600);
    assert_eq!(ResetButton::for_hold(100), ResetButton::Reboot);
    assert_eq!(
        ResetButton::for_hold(RESET_HOLD_FACTORY_MS),
        ResetButton::FactoryReset
    );
}
