//! The configuration store in virtual time: saves that survive power cuts at any instant,
//! reboots from the saved configuration, factory reset.

use m2285_core::store::BootSource;
use m2285_core::Config;
use m2285_virtual::network::PeerState;
use m2285_virtual::rng::SimRng;
use m2285_virtual::{SimConfig, Simulation};
use std::time::Duration;

fn sim(seed: u64, sets: &[&str]) -> Simulation {
    let config = Config::factory()
        .with_sets(sets.iter().copied())
        .unwrap_or_else(|e| panic!("bad test config: {e:?}"));
    let mut cfg = SimConfig::new(config);
    cfg.seed = seed;
    Simulation::new(cfg)
}

fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e:?}"))
}

fn set_and_apply(sim: &mut Simulation, sets: &[&str]) {
    let sets: Vec<String> = sets.iter().map(|s| (*s).to_owned()).collect();
    ok(sim.stage(&sets));
    ok(sim.apply());
}

/// Runs until the device reports `saves` completed saves.
fn saved(sim: &mut Simulation, saves: u64) {
    let deadline = sim.now() + Duration::from_secs(1);
    let done = ok(sim.run_until(deadline, |s| {
        s.store_status().is_some_and(|st| st.saves >= saves)
    }));
    assert!(done, "the save did not finish");
}

/// The acceptance test of the store: 1000 power cuts at seeded instants of a save (and just
/// around it); every time the device boots, with exactly the old or the new configuration.
#[test]
fn a_power_cut_at_any_instant_of_a_save_leaves_the_old_or_the_new_configuration() {
    let (mut old_boots, mut new_boots, mut mid_save) = (0u32, 0u32, 0u64);
    let mut instants = SimRng::new(2285, "test.cut_instants");
    for run in 0..1000u64 {
        let mut sim = sim(run, &["sim.boot_time_ms=100"]);
        set_and_apply(
            &mut sim,
            &["port1.serial.baud=19200", "port1.title=\"old\""],
        );
        let started = sim.now();
        ok(sim.save());
        saved(&mut sim, 1);
        // How long a save takes on this flash (the second one writes about as much).
        let save_us = u64::try_from((sim.now() - started).as_micros()).unwrap_or(u64::MAX);
        let old = sim.config().clone();
        set_and_apply(
            &mut sim,
            &[
                "port1.serial.baud=38400",
                "port1.title=\"new\"",
                "network.ip=10.9.8.7",
            ],
        );
        let new = sim.config().clone();
        ok(sim.save());
        // Cut anywhere in the save, or a little after it, to the microsecond.
        let cut = Duration::from_micros(instants.next_u64() % (save_us + save_us / 10));
        ok(sim.run_for(cut));
        sim.power_cycle(Duration::from_millis(50));
        ok(sim.run_for(Duration::from_millis(500)));
        assert!(sim.device_up(), "run {run}: the device did not boot");
        let (_, source) = sim.flash().boot_config();
        assert_eq!(source, BootSource::Saved, "run {run}");
        let booted = sim.config().clone();
        if booted == old {
            old_boots += 1;
        } else if booted == new {
            new_boots += 1;
        } else {
            panic!("run {run}: cut after {cut:?} booted neither configuration: {booted:?}");
        }
        mid_save += sim.flash().cuts_mid_save;
    }
    // Both outcomes happen, and most cuts fell inside a flash step.
    assert!(
        old_boots > 100 && new_boots > 100,
        "old {old_boots}, new {new_boots}"
    );
    assert!(
        mid_save > 800,
        "only {mid_save} cuts fell during a flash step"
    );
    println!("1000 power cuts: {old_boots} booted the old configuration, {new_boots} the new; {mid_save} fell during a flash step");
}

#[test]
fn reboot_refuses_connections_while_booting_and_serves_the_saved_configuration() {
    let mut sim = sim(1, &["sim.boot_time_ms=2000"]);
    ok(sim.add_peer("scada", None));
    set_and_apply(&mut sim, &["port1.serial.baud=19200"]);
    ok(sim.save_and_reboot());
    ok(sim.run_for(Duration::from_millis(100)));
    assert!(!sim.device_up());
    ok(sim.peer_connect("scada"));
    ok(sim.run_for(Duration::from_millis(10)));
    assert_eq!(sim.peer("scada").map(|p| p.state), Some(PeerState::Refused));
    ok(sim.run_for(Duration::from_secs(2)));
    assert!(sim.device_up());
    assert_eq!(sim.config().port1.serial.baud, 19200);
    ok(sim.peer_connect("scada"));
    ok(sim.run_for(Duration::from_millis(10)));
    assert_eq!(
        sim.peer("scada").map(|p| p.state),
        Some(PeerState::Connected)
    );
}

#[test]
fn applied_but_unsaved_changes_are_gone_after_a_power_cycle() {
    let mut sim = sim(3, &["sim.boot_time_ms=10"]);
    set_and_apply(&mut sim, &["port1.serial.baud=1200"]);
    assert_eq!(sim.config().port1.serial.baud, 1200);
    sim.power_cycle(Duration::from_millis(100));
    ok(sim.run_for(Duration::from_secs(1)));
    assert_eq!(sim.config().port1.serial.baud, 9600);
}
