//! Booting a device in real time: the PTY and its link, the event loop's sources, the device
//! model with its platform and keys, the boundaries, and every service's sockets (in the
//! device's network namespace when it has one). Kept apart from the loop in `mod.rs`.

use super::*;

impl Runtime {
    /// Boots a device: PTY and symlink, listening sockets; fails with a message a user can act on.
    pub fn boot(
        args: &RunArgs,
        config: Config,
        state_dir: &std::path::Path,
        netns: Option<crate::netns::DeviceNs>,
    ) -> Result<Self, String> {
        Self::boot_in(args, config, state_dir, false, netns).map(|(rt, _)| rt)
    }

    /// Boots a device on its own, or as a fleet member (no signal pipe or control server of
    /// its own, a [`MemberHandle`] instead), in its network namespace when it has one.
    pub(super) fn boot_in(
        args: &RunArgs,
        config: Config,
        state_dir: &std::path::Path,
        fleet_member: bool,
        netns: Option<crate::netns::DeviceNs>,
    ) -> Result<(Self, Option<MemberHandle>), String> {
        // The control API stays on args.ip; the device's services use `services`' ports.
        let (device_ip, services) =
            crate::netns::setup::device_side(args.ip, netns.as_ref(), &config);
        let poll = Poll::new().map_err(|e| format!("cannot create the event loop: {e}"))?;
        let tokens = TokenSpace::for_device(0);
        let pty =
            HostPty::open(args.pty.as_deref(), args.attach.is_some()).map_err(|e| e.to_string())?;
        pty.present_rate(config.port1.serial.baud)
            .map_err(|e| format!("cannot set the PTY's rate: {e}"))?;
        poll.registry()
            .register(
                &mut mio::unix::SourceFd(&pty.master_fd()),
                tokens.reserved(PTY),
                Interest::READABLE,
            )
            .map_err(|e| format!("cannot watch the PTY: {e}"))?;
        let timer = timer::PreciseTimer::new(poll.registry(), tokens.reserved(TIMER))?;
        let signals = (!fleet_member)
            .then(|| register_signals(&poll, tokens.reserved(SIGNALS)))
            .transpose()?;
        let waker = std::sync::Arc::new(
            Waker::new(poll.registry(), tokens.reserved(WAKER)).map_err(|e| e.to_string())?,
        );
        let (wake_tx, wake_rx) = crossbeam_channel::unbounded();
        let clock = WallClock::start();
        let mut device = Device::new(config.clone(), clock.now());
        device.set_kept_firmware(boot_state::kept_firmware(state_dir).as_deref());
        let platform = platform(state_dir);
        let device_unix = boot_state::device_unix_at_power_on(&platform);
        device.set_platform(platform);
        let seed = args.seed.unwrap_or_else(crate::tls_files::fresh_seed);
        device.set_seed(seed);
        if let Some(material) = crate::tls_files::load(
            &config,
            state_dir,
            &device_ip.to_string(),
            seed,
            device_unix,
            false,
        )? {
            device.install_tls(material);
        }
        let tracer = trace::Tracer::open(args.trace.as_deref())?;
        let boundary = faults::Boundary::new(seed, tracer.clone());
        let mut net = faults::FaultyNet::new(
            HostNet::new(device_ip, services.sim.free_ports, tokens),
            poll.registry().try_clone().map_err(|e| e.to_string())?,
            boundary.clone(),
        );
        net.set_capture(pcap::HostCapture::open(args.pcap.as_deref())?);
        let (control_tx, control_rx) = crossbeam_channel::unbounded();
        let (control, member) = if fleet_member {
            let handle = MemberHandle::new(control_tx.clone(), wake_tx.clone(), waker.clone());
            (None, Some(handle))
        } else {
            let server = control_calls::start_server(
                &config,
                args.ip,
                state_dir,
                control_tx.clone(),
                &waker,
            )?;
            (Some(server), None)
        };
        let wake_control = waker.clone();
        let wake_loop: std::sync::Arc<dyn Fn() + Send + Sync> = std::sync::Arc::new(move || {
            let _ = wake_control.wake();
        });
        // From here on the device's sockets are opened: inside its namespace, if it has one.
        let _inside = netns
            .as_ref()
            .map(crate::netns::DeviceNs::enter)
            .transpose()?;
        let (mut snmp, snmp_port) = snmp::SnmpService::open(
            &services,
            device_ip,
            poll.registry(),
            tokens.reserved(SNMP),
            tracer.clone(),
        )?;
        snmp.set_own_stack(netns.is_some());
        let (console_tx, console_rx) = crossbeam_channel::unbounded();
        let wake_console = waker.clone();
        let bridge = crate::console::Bridge {
            to_loop: console_tx,
            wake: std::sync::Arc::new(move || {
                let _ = wake_console.wake();
            }),
        };
        let (telnet, ssh) = crate::console::start_all(&services, device_ip, bridge, state_dir);
        let web_cert = if config.network.web_server.mode.https() {
            let ip = device_ip.to_string();
            crate::tls_files::load(&config, state_dir, &ip, seed, device_unix, true)?
                .map(|m| (m.cert_chain_pem, m.key_pem))
        } else {
            None
        };
        let crl = web_cert
            .as_ref()
            .and_then(|(cert, key)| crate::tls_files::device_crl(&config, cert, key, device_unix));
        let web = crate::web::start(device_ip, &services, web_cert, crl, control_tx, wake_loop)?;
        let mut rt = Runtime {
            poll,
            clock,
            device,
            net,
            serial: SerialEndpoint::new(
                faults::FaultyPty::new(pty, boundary)
                    .with_vcd(vcd::VcdWriter::open(args.vcd.as_deref())?),
            ),
            tracer,
            tokens,
            wake_rx,
            wake_tx,
            waker,
            signals,
            stop_requested: false,
            ports: BTreeMap::new(),
            control_rx,
            console_rx,
            console: console_calls::ConsoleState::default(),
            serial_console: None,
            listen_failures: Vec::new(),
            ready_announced: false,
            ip: device_ip,
            timer,
            pty_writable: false,
            early_events: Vec::new(),
            flash: store_io::FlashDir::new(
                state_dir,
                config.clone(),
                args.config.is_some() || !args.sets.is_empty(),
            ),
            seed,
            snmp,
            locating: notify::Locating::new(&config, device_ip, clock.now()),
            netns,
            control_ip: args.ip,
        };
        if let Some(control) = control {
            rt.ports.insert("control", control.port);
        }
        if let Some(port) = snmp_port {
            rt.ports.insert("snmp", port);
        }
        if let Some(port) = web.http {
            rt.ports.insert("http", port);
        }
        if let Some(port) = web.https {
            rt.ports.insert("https", port);
        }
        if let Some(port) = telnet {
            rt.ports.insert("telnet", port);
        }
        if let Some(port) = ssh {
            rt.ports.insert("ssh", port);
        }
        rt.pump(rt.clock.now())?;
        rt.snmp.power_on(&rt.device, rt.clock.now());
        if !rt.listen_failures.is_empty() {
            // At boot a service that cannot listen is a setup mistake: say so and stop.
            return Err(rt.listen_failures.join("; "));
        }
        Ok((rt, member))
    }
}
