//! The relay on a real socket: health, static files, and the WebSocket's handling of good
//! and bad frames.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kith_core::protocol::{self, ClientMessage, CloseCode, PROTOCOL_VERSION, ServerMessage};
use kith_server::{Config, Relay};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const DEADLINE: Duration = Duration::from_secs(10);

struct TestRelay {
    relay: Relay,
    data: tempfile::TempDir,
    dist: tempfile::TempDir,
}

impl TestRelay {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let data = tempfile::tempdir().unwrap();
        let dist = tempfile::tempdir().unwrap();
        std::fs::write(
            dist.path().join("index.html"),
            "<!doctype html><title>Kith test shell</title>",
        )
        .unwrap();
        std::fs::write(dist.path().join("kith.css"), "body{}".repeat(100)).unwrap();
        let mut config = Config::local(data.path());
        config.dist = dist.path().to_path_buf();
        adjust(&mut config);
        let relay = kith_server::spawn(config).await.expect("relay starts");
        Self { relay, data, dist }
    }

    async fn socket(&self) -> Socket {
        let url = format!("ws://{}/ws", self.relay.addr());
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connects");
        socket
    }

    async fn greeted_socket(&self) -> (Socket, String) {
        let mut socket = self.socket().await;
        send(
            &mut socket,
            &ClientMessage::Hello {
                client: "relay-test".into(),
            },
        )
        .await;
        match receive(&mut socket).await {
            ServerMessage::Welcome {
                relay_id,
                relay_version,
            } => {
                assert_eq!(relay_version, env!("CARGO_PKG_VERSION"));
                (socket, relay_id)
            }
            other => panic!("expected Welcome, got {other:?}"),
        }
    }

    async fn get(&self, path: &str, headers: &str) -> HttpResponse {
        http_get(self.relay.addr(), path, headers).await
    }
}

async fn send(socket: &mut Socket, message: &ClientMessage) {
    socket
        .send(Message::Binary(protocol::encode(message).into()))
        .await
        .expect("frame sent");
}

async fn receive(socket: &mut Socket) -> ServerMessage {
    loop {
        let message = tokio::time::timeout(DEADLINE, socket.next())
            .await
            .expect("relay answered in time")
            .expect("socket open")
            .expect("frame readable");
        match message {
            Message::Binary(frame) => {
                return protocol::decode(&frame, protocol::DEFAULT_MAX_FRAME_BYTES).unwrap();
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }
}

/// Reads until the relay closes the connection; returns its close code and reason.
async fn close_of(socket: &mut Socket) -> (u16, String) {
    loop {
        match tokio::time::timeout(DEADLINE, socket.next())
            .await
            .expect("relay closed in time")
        {
            Some(Ok(Message::Close(Some(frame)))) => {
                return (u16::from(frame.code), frame.reason.to_string());
            }
            Some(Ok(Message::Close(None))) => return (WsCloseCode::Status.into(), String::new()),
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("connection failed before a close frame: {e}"),
            None => panic!("connection ended without a close frame"),
        }
    }
}

struct HttpResponse {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl HttpResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A minimal HTTP/1.1 GET with `Connection: close`, enough to check what the relay answers.
async fn http_get(addr: std::net::SocketAddr, path: &str, headers: &str) -> HttpResponse {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut response = HttpResponse {
        status,
        head,
        body: raw[split + 4..].to_vec(),
    };
    if response.header("transfer-encoding") == Some("chunked") {
        response.body = dechunk(&response.body);
    }
    response
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..line_end]).unwrap().trim(), 16)
                .unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[line_end + 2..line_end + 2 + size]);
        body = &body[line_end + 2 + size + 2..];
    }
}

#[tokio::test]
async fn health_reports_the_database_and_relay_identity() {
    let relay = TestRelay::start().await;
    let response = relay.get("/healthz", "").await;
    assert_eq!(response.status, 200);
    let health: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["schema_version"], kith_server::SCHEMA_VERSION);
    let (_socket, relay_id) = relay.greeted_socket().await;
    assert_eq!(health["relay_id"], relay_id.as_str());
    assert!(
        relay.data.path().join("kith.db").is_file(),
        "SQLite file in the data dir"
    );
    relay.relay.shutdown().await.unwrap();
}

#[tokio::test]
async fn relay_identity_and_schema_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let first = kith_server::spawn(Config::local(data.path()))
        .await
        .unwrap();
    let id_before = serde_json::from_slice::<serde_json::Value>(
        &http_get(first.addr(), "/healthz", "").await.body,
    )
    .unwrap()["relay_id"]
        .clone();
    first.shutdown().await.unwrap();
    let second = kith_server::spawn(Config::local(data.path()))
        .await
        .unwrap();
    let health: serde_json::Value =
        serde_json::from_slice(&http_get(second.addr(), "/healthz", "").await.body).unwrap();
    assert_eq!(health["relay_id"], id_before);
    assert_eq!(health["schema_version"], kith_server::SCHEMA_VERSION);
    second.shutdown().await.unwrap();
    // Started once after restoring a backup: a new id, which devices take as another log.
    let mut config = Config::local(data.path());
    config.restored = true;
    let restored = kith_server::spawn(config).await.unwrap();
    let health: serde_json::Value =
        serde_json::from_slice(&http_get(restored.addr(), "/healthz", "").await.body).unwrap();
    assert_ne!(health["relay_id"], id_before);
    let renewed = health["relay_id"].clone();
    restored.shutdown().await.unwrap();
    let after = kith_server::spawn(Config::local(data.path()))
        .await
        .unwrap();
    let health: serde_json::Value =
        serde_json::from_slice(&http_get(after.addr(), "/healthz", "").await.body).unwrap();
    assert_eq!(health["relay_id"], renewed, "and keeps it");
    after.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_database_from_a_newer_relay_is_refused() {
    let data = tempfile::tempdir().unwrap();
    kith_server::spawn(Config::local(data.path()))
        .await
        .unwrap()
        .shutdown()
        .await
        .unwrap();
    let db = data.path().join("kith.db");
    {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'now')")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let error = kith_server::spawn(Config::local(data.path()))
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(error, kith_server::Error::SchemaTooNew { found: 999, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("newer"), "{error}");
}

#[tokio::test]
async fn app_paths_get_the_shell_and_unknown_api_paths_get_json_404() {
    let relay = TestRelay::start().await;
    for path in ["/", "/people", "/deals/some-id"] {
        let response = relay.get(path, "").await;
        assert_eq!(response.status, 200, "{path}");
        assert!(response.text().contains("Kith test shell"), "{path}");
        assert_eq!(response.header("cache-control"), Some("no-cache"), "{path}");
    }
    let response = relay.get("/api/no-such-thing", "").await;
    assert_eq!(response.status, 404);
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn browsers_are_told_to_protect_the_app() {
    let relay = TestRelay::start().await;
    std::fs::write(
        relay.dist.path().join("index.html"),
        "<!doctype html><script>boot()</script><script type=\"module\" src=\"/a.js\"></script>",
    )
    .unwrap();
    // The policy is read from index.html when the relay starts.
    let relay = TestRelay {
        relay: kith_server::spawn({
            let mut config = Config::local(relay.data.path().join("again"));
            config.dist = relay.dist.path().to_path_buf();
            config
        })
        .await
        .unwrap(),
        ..relay
    };
    for path in ["/", "/people", "/healthz", "/api/no-such-thing"] {
        let response = relay.get(path, "").await;
        let csp = response
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"), "{path}: {csp}");
        assert_eq!(csp.matches("'sha256-").count(), 1, "{path}: {csp}");
        assert!(
            !csp.contains("'unsafe-eval'") && !csp.contains("script-src 'self' 'unsafe-inline'")
        );
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
        assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(
            response.header("strict-transport-security"),
            None,
            "only when asked"
        );
    }
    let tls = TestRelay::start_with(|c| c.hsts = true).await;
    assert!(
        tls.get("/", "")
            .await
            .header("strict-transport-security")
            .is_some_and(|v| v.starts_with("max-age="))
    );
}

#[tokio::test]
async fn precompressed_files_are_served_to_browsers_that_accept_gzip() {
    let relay = TestRelay::start().await;
    let css = std::fs::read(relay.dist.path().join("kith.css")).unwrap();
    let mut gz = css.clone();
    gz.insert(0, b'!'); // a marker proving the .gz file, not the original, was sent
    std::fs::write(relay.dist.path().join("kith.css.gz"), &gz).unwrap();
    let plain = relay.get("/kith.css", "").await;
    assert_eq!(plain.body, css);
    let compressed = relay.get("/kith.css", "Accept-Encoding: gzip\r\n").await;
    assert_eq!(compressed.header("content-encoding"), Some("gzip"));
    assert_eq!(compressed.body, gz);
}

#[tokio::test]
async fn hello_gets_welcome_and_ping_gets_pong() {
    let relay = TestRelay::start().await;
    let (mut socket, relay_id) = relay.greeted_socket().await;
    assert!(!relay_id.is_empty());
    send(&mut socket, &ClientMessage::Ping { nonce: 42 }).await;
    assert_eq!(
        receive(&mut socket).await,
        ServerMessage::Pong { nonce: 42 }
    );
}

#[tokio::test]
async fn anything_before_hello_closes_with_protocol_violation() {
    let relay = TestRelay::start().await;
    let mut socket = relay.socket().await;
    send(&mut socket, &ClientMessage::Ping { nonce: 1 }).await;
    let (code, reason) = close_of(&mut socket).await;
    assert_eq!(code, CloseCode::ProtocolViolation.code());
    assert!(reason.contains("Hello"), "{reason}");
}

#[tokio::test]
async fn bad_frames_close_only_their_own_connection() {
    let relay = TestRelay::start_with(|c| c.max_frame_bytes = 1024).await;
    let (mut bystander, _) = relay.greeted_socket().await;

    let mut wrong_version = protocol::encode(&ClientMessage::Ping { nonce: 1 });
    wrong_version[0] = PROTOCOL_VERSION + 1;
    let cases: Vec<(&str, Message, CloseCode)> = vec![
        (
            "garbage",
            Message::Binary(vec![PROTOCOL_VERSION, 0xff, 0xff, 0xff].into()),
            CloseCode::Malformed,
        ),
        (
            "empty",
            Message::Binary(Vec::new().into()),
            CloseCode::Malformed,
        ),
        (
            "wrong version",
            Message::Binary(wrong_version.into()),
            CloseCode::UnsupportedVersion,
        ),
        (
            "oversized",
            Message::Binary(vec![PROTOCOL_VERSION; 1500].into()),
            CloseCode::TooBig,
        ),
        (
            "text",
            Message::Text("hello".into()),
            CloseCode::UnsupportedData,
        ),
        (
            "text that is not UTF-8",
            Message::Frame(Frame::message(
                vec![0xff, 0xfe, 0xfd],
                OpCode::Data(Data::Text),
                true,
            )),
            CloseCode::InvalidPayload,
        ),
        (
            "a continuation with nothing to continue",
            Message::Frame(Frame::message(
                b"more".to_vec(),
                OpCode::Data(Data::Continue),
                true,
            )),
            CloseCode::ProtocolError,
        ),
    ];
    for (name, frame, expected) in cases {
        let (mut socket, _) = relay.greeted_socket().await;
        socket.send(frame).await.unwrap();
        let (code, reason) = close_of(&mut socket).await;
        assert_eq!(code, expected.code(), "{name}: {reason}");
        assert!(!reason.is_empty(), "{name}: the close says why");
    }

    // Far past the transport limit the socket is cut; the relay keeps serving everyone else.
    let (mut flooder, _) = relay.greeted_socket().await;
    let _ = flooder
        .send(Message::Binary(vec![PROTOCOL_VERSION; 64 * 1024].into()))
        .await;
    let ended = tokio::time::timeout(DEADLINE, async {
        loop {
            match flooder.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "an oversized flood ends that connection");

    send(&mut bystander, &ClientMessage::Ping { nonce: 9 }).await;
    assert_eq!(
        receive(&mut bystander).await,
        ServerMessage::Pong { nonce: 9 }
    );
    let (_fresh, _) = relay.greeted_socket().await;
}

#[tokio::test]
async fn shutdown_closes_open_sockets_with_going_away_and_stops_listening() {
    let relay = TestRelay::start().await;
    let (mut socket, _) = relay.greeted_socket().await;
    let addr = relay.relay.addr();
    let TestRelay {
        relay,
        data: _data,
        dist: _dist,
    } = relay;
    let stopping = tokio::spawn(relay.shutdown());
    let (code, _) = close_of(&mut socket).await;
    assert_eq!(code, CloseCode::GoingAway.code());
    tokio::time::timeout(DEADLINE, stopping)
        .await
        .expect("shutdown finishes")
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

/// Reads until the peer closes the TCP connection; true if it did before the deadline.
async fn closed_by_relay(stream: &mut tokio::net::TcpStream) -> bool {
    let mut sink = [0u8; 1024];
    let read = tokio::time::timeout(DEADLINE, async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    read.is_ok()
}

#[tokio::test]
async fn slow_or_silent_clients_are_timed_out() {
    let relay = TestRelay::start_with(|c| {
        c.handshake_timeout = 0.3;
        c.idle_timeout = 0.6;
    })
    .await;
    // A WebSocket that never joins a workspace.
    let mut idle = relay.socket().await;
    let (code, reason) = close_of(&mut idle).await;
    assert_eq!(code, CloseCode::TimedOut.code(), "{reason}");
    // Greeting is not joining.
    let (mut greeted, _) = relay.greeted_socket().await;
    assert_eq!(close_of(&mut greeted).await.0, CloseCode::TimedOut.code());
    // Half a request head, never finished.
    let mut slow = tokio::net::TcpStream::connect(relay.relay.addr())
        .await
        .unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: kith\r\n")
        .await
        .unwrap();
    assert!(
        closed_by_relay(&mut slow).await,
        "a half-sent head is cut off"
    );
    // An idle keep-alive connection too.
    let mut kept = tokio::net::TcpStream::connect(relay.relay.addr())
        .await
        .unwrap();
    assert!(
        closed_by_relay(&mut kept).await,
        "an idle connection is closed"
    );
    assert_eq!(relay.get("/healthz", "").await.status, 200);
}

#[tokio::test]
async fn connections_are_bounded_and_health_keeps_answering() {
    let relay = TestRelay::start_with(|c| {
        c.max_connections = Some(12);
        c.max_connections_per_address = 6;
    })
    .await;
    // A quarter of the limit may wait to join: the rest stays for everyone else.
    let (_a, _) = relay.greeted_socket().await;
    let (_b, _) = relay.greeted_socket().await;
    let (_c, _) = relay.greeted_socket().await;
    let url = format!("ws://{}/ws", relay.relay.addr());
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429);
            assert!(response.headers().contains_key("retry-after"));
        }
        other => panic!(
            "a fourth anonymous socket was not refused: {:?}",
            other.map(|_| ())
        ),
    }
    assert_eq!(relay.get("/healthz", "").await.status, 200);

    // One address holds at most 6 connections: three sockets and two idle ones here.
    let mut idle = Vec::new();
    for _ in 0..2 {
        idle.push(
            tokio::net::TcpStream::connect(relay.relay.addr())
                .await
                .unwrap(),
        );
    }
    assert_eq!(relay.get("/healthz", "").await.status, 200, "the sixth");
    idle.push(
        tokio::net::TcpStream::connect(relay.relay.addr())
            .await
            .unwrap(),
    );
    let mut seventh = tokio::net::TcpStream::connect(relay.relay.addr())
        .await
        .unwrap();
    assert!(
        closed_by_relay(&mut seventh).await,
        "past the per-address limit"
    );
    drop(idle);
    // Places come back when connections close.
    let healthy = async {
        loop {
            let mut stream = tokio::net::TcpStream::connect(relay.relay.addr())
                .await
                .unwrap();
            let request = "GET /healthz HTTP/1.1\r\nHost: kith\r\nConnection: close\r\n\r\n";
            if stream.write_all(request.as_bytes()).await.is_ok() {
                let mut raw = Vec::new();
                let _ = stream.read_to_end(&mut raw).await;
                if raw.starts_with(b"HTTP/1.1 200") {
                    return;
                }
            }
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(DEADLINE, healthy)
        .await
        .expect("health answers again once idle connections closed");
}
