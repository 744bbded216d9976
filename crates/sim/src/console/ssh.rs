//! The SSH console (the device's port 22) with russh: password login against the device's
//! accounts, public-key login with the keys in `authorized_keys` in the state directory, an
//! interactive shell (the menus) and exec requests (command mode). The host key is made on first
//! boot and kept in the state directory (mode 0600).

use super::{engine_now, next_session, Ask, Bridge};
use m2285_console::{Answer, Console, Request, Settings};
use m2285_core::admin::filter::Service;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::LineEnding;
use russh::keys::{PrivateKey, PublicKey};
use russh::server::{Auth, ChannelOpenHandle, Handler, Msg, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The host key's file in the state directory.
pub const HOST_KEY_FILE: &str = "ssh_host_ed25519_key";

/// Public keys allowed to log in, one OpenSSH line each, in the state directory.
pub const AUTHORIZED_KEYS_FILE: &str = "authorized_keys";

/// Longest key file read.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// The device's SSH host key: read from the state directory, or made there on first boot.
pub fn host_key(state_dir: &Path) -> Result<PrivateKey, String> {
    let path = state_dir.join(HOST_KEY_FILE);
    let describe = |e: &dyn std::fmt::Display| format!("SSH host key {}: {e}", path.display());
    if let Some(bytes) =
        m2285_hostfs::read_private(&path, MAX_KEY_FILE).map_err(|e| describe(&e))?
    {
        let text = String::from_utf8_lossy(&bytes);
        return PrivateKey::from_openssh(text.as_bytes()).map_err(|e| describe(&e));
    }
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .map_err(|e| describe(&e))?;
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    let text = key.to_openssh(LineEnding::LF).map_err(|e| describe(&e))?;
    let mut file = m2285_hostfs::create_new(&path, 0o600).map_err(|e| describe(&e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| describe(&e))?;
    Ok(key)
}

/// The keys of `authorized_keys` (absent file = none); unreadable lines are skipped.
fn authorized_keys(state_dir: &Path) -> Vec<PublicKey> {
    let path = state_dir.join(AUTHORIZED_KEYS_FILE);
    match m2285_hostfs::read_private(&path, MAX_KEY_FILE) {
        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| PublicKey::from_openssh(l).ok())
            .collect(),
        Ok(None) => Vec::new(),
        Err(e) => {
            tracing::warn!("SSH console: {}: {e}", path.display());
            Vec::new()
        }
    }
}

/// russh's settings for the console.
pub fn server_config(key: PrivateKey) -> Arc<russh::server::Config> {
    Arc::new(russh::server::Config {
        keys: vec![key],
        inactivity_timeout: Some(Settings::default().idle_timeout),
        auth_rejection_time: Duration::from_millis(500),
        auth_rejection_time_initial: Some(Duration::ZERO),
        ..Default::default()
    })
}

/// Serves one SSH connection until it ends.
pub async fn serve(
    mut stream: tokio::net::TcpStream,
    config: Arc<russh::server::Config>,
    bridge: Bridge,
    state_dir: Arc<Path>,
) {
    let peer = match stream.peer_addr() {
        Ok(a) => format!("ssh {a}"),
        Err(_) => "ssh".to_owned(),
    };
    let session = next_session();
    if !super::admitted(&mut stream, Service::Ssh, &bridge, session, &peer).await {
        return;
    }
    let connection = SshConnection {
        bridge,
        session,
        peer,
        state_dir,
        user: None,
        width: Settings::default().width,
        consoles: HashMap::new(),
    };
    match russh::server::run_stream(config, stream, connection).await {
        Ok(running) => {
            if let Err(e) = running.await {
                tracing::debug!("SSH console session ended: {e}");
            }
        }
        Err(e) => tracing::debug!("SSH console handshake failed: {e}"),
    }
}

/// One SSH connection: its login and the console of each session channel.
struct SshConnection {
    bridge: Bridge,
    session: u64,
    peer: String,
    state_dir: Arc<Path>,
    user: Option<String>,
    width: u16,
    consoles: HashMap<ChannelId, Console>,
}

impl Drop for SshConnection {
    /// However the connection ends, staged edits are dropped and the lock given back.
    fn drop(&mut self) {
        self.bridge
            .notify(self.session, &self.peer, Request::Logout);
    }
}

impl SshConnection {
    /// Carries out the console's requests and sends its output; closes the channel when the
    /// console has ended.
    async fn pump(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), russh::Error> {
        let Some(console) = self.consoles.get_mut(&channel) else {
            return Ok(());
        };
        console.handle_timeout(engine_now());
        while let Some(request) = console.poll_request() {
            let answer = self.bridge.call(self.session, &self.peer, request).await;
            console.answer(answer, engine_now());
        }
        let out = console.take_output();
        if !out.is_empty() {
            session.data(channel, out)?;
        }
        if console.is_closed() {
            let status = console.exit_status();
            self.consoles.remove(&channel);
            session.exit_status_request(channel, status)?;
            session.eof(channel)?;
            session.close(channel)?;
        }
        Ok(())
    }

    fn user(&self) -> String {
        self.user.clone().unwrap_or_default()
    }
}

impl Handler for SshConnection {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let request = Request::Login {
            user: user.to_owned(),
            password: password.to_owned(),
        };
        match self.bridge.call(self.session, &self.peer, request).await {
            Answer::Done(_) => {
                self.user = Some(user.to_owned());
                Ok(Auth::Accept)
            }
            _ => Ok(Auth::reject()),
        }
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let known = authorized_keys(&self.state_dir)
            .iter()
            .any(|k| k.key_data() == key.public_key.key_data());
        let ask = Ask::KeyLogin {
            user: user.to_owned(),
            known,
        };
        if let Answer::Done(_) = self.bridge.ask(self.session, &self.peer, ask).await {
            self.user = Some(user.to_owned());
            Ok(Auth::Accept)
        } else {
            Ok(Auth::reject())
        }
    }

    async fn channel_open_session(
        &mut self,
        _channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.width = u16::try_from(col_width).unwrap_or(u16::MAX);
        session.channel_success(channel)?;
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(console) = self.consoles.get_mut(&channel) {
            console.set_width(u16::try_from(col_width).unwrap_or(u16::MAX));
        }
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let mut console = Console::logged_in(Settings::default(), &self.user(), engine_now());
        console.set_width(self.width);
        self.consoles.insert(channel, console);
        self.pump(channel, session).await
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let commands = String::from_utf8_lossy(data);
        let console = Console::exec(Settings::default(), &self.user(), &commands, engine_now());
        self.consoles.insert(channel, console);
        self.pump(channel, session).await
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(console) = self.consoles.get_mut(&channel) {
            console.receive(data, engine_now());
        }
        self.pump(channel, session).await
    }
}
