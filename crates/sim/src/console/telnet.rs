//! One Telnet console connection: socket bytes through `TelnetConsole` (ECHO, SGA, NAWS) into a
//! console engine, its requests to the loop, its output back.

use super::{engine_now, next_session, Bridge};
use m2285_console::{Console, Request, Settings};
use m2285_core::admin::filter::Service;
use m2285_telnet::{ConsoleEvent, TelnetConsole};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A client that takes no output for this long is disconnected.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves one connection until the session ends or the client goes away.
pub async fn serve(mut stream: TcpStream, bridge: Bridge) {
    let session = next_session();
    let peer = match stream.peer_addr() {
        Ok(a) => format!("telnet {a}"),
        Err(_) => "telnet".to_owned(),
    };
    if !super::admitted(&mut stream, Service::Telnet, &bridge, session, &peer).await {
        return;
    }
    let mut telnet = TelnetConsole::new();
    let mut console = Console::new(Settings::default(), engine_now());
    let mut buf = vec![0u8; 4096];
    loop {
        while let Some(request) = console.poll_request() {
            let answer = bridge.call(session, &peer, request).await;
            console.answer(answer, engine_now());
        }
        telnet.send_data(&console.take_output());
        let out = telnet.take_output();
        if !out.is_empty()
            && !matches!(
                tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(&out)).await,
                Ok(Ok(()))
            )
        {
            break;
        }
        if console.is_closed() {
            break;
        }
        let wait = console
            .poll_timeout()
            .map(|t| t.saturating_since(engine_now()))
            .unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            read = stream.read(&mut buf) => {
                let n = match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                telnet.receive(&buf[..n]);
                while let Some(event) = telnet.poll_event() {
                    match event {
                        ConsoleEvent::Data(bytes) => console.receive(&bytes, engine_now()),
                        ConsoleEvent::Interrupt => console.receive(b"\x03", engine_now()),
                        ConsoleEvent::WindowSize { columns, .. } => console.set_width(columns),
                    }
                }
            }
            () = tokio::time::sleep(wait) => console.handle_timeout(engine_now()),
        }
    }
    let _ = stream.shutdown().await;
    bridge.call(session, &peer, Request::Logout).await;
}
