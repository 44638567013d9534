//! The sync WebSocket. Each connection must open with `Hello`; a frame the relay cannot
//! accept closes that connection (and only that one) with a close code saying why.

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use kith_core::protocol::{self, ClientMessage, CloseCode, ServerMessage};

use crate::AppState;

/// Close reasons are limited to 123 bytes by RFC 6455.
const MAX_REASON_BYTES: usize = 123;

pub async fn upgrade(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    // The transport limit sits above ours so an oversized frame still gets our clear 1009 close
    // rather than a dropped socket; only frames past twice the limit are cut off by tungstenite.
    let transport_limit = state.max_frame_bytes.saturating_mul(2);
    ws.max_message_size(transport_limit)
        .max_frame_size(transport_limit)
        .on_upgrade(move |socket| serve(socket, state))
}

async fn serve(mut socket: WebSocket, state: AppState) {
    let mut greeted = false;
    let close = loop {
        let received = tokio::select! {
            () = state.shutdown.cancelled() => break Some((CloseCode::GoingAway, "relay shutting down".into())),
            received = socket.recv() => received,
        };
        let frame = match received {
            None | Some(Ok(Message::Close(_))) => break None,
            Some(Err(e)) => {
                tracing::debug!(error = %e, "websocket read failed");
                break Some((CloseCode::TooBig, e.to_string()));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Text(_))) => {
                break Some((
                    CloseCode::UnsupportedData,
                    "text frames are not accepted: the protocol is binary".into(),
                ));
            }
            Some(Ok(Message::Binary(frame))) => frame,
        };
        let message = match protocol::decode::<ClientMessage>(&frame, state.max_frame_bytes) {
            Ok(message) => message,
            Err(e) => break Some((e.close_code(), e.to_string())),
        };
        let reply = match message {
            ClientMessage::Hello { client } => {
                tracing::debug!(%client, "client connected");
                greeted = true;
                ServerMessage::Welcome {
                    relay_version: env!("CARGO_PKG_VERSION").into(),
                    relay_id: state.relay_id.to_string(),
                }
            }
            _ if !greeted => {
                break Some((
                    CloseCode::ProtocolViolation,
                    "the first message must be Hello".into(),
                ));
            }
            ClientMessage::Ping { nonce } => ServerMessage::Pong { nonce },
            ClientMessage::Join { .. }
            | ClientMessage::Push { .. }
            | ClientMessage::Viewing { .. } => {
                break Some((
                    CloseCode::ProtocolViolation,
                    "sync is not available yet".into(),
                ));
            }
        };
        if socket
            .send(Message::Binary(protocol::encode(&reply).into()))
            .await
            .is_err()
        {
            break None;
        }
    };
    if let Some((code, reason)) = close {
        tracing::debug!(code = code.code(), %reason, "closing websocket");
        let frame = CloseFrame {
            code: code.code(),
            reason: truncate(reason, MAX_REASON_BYTES).into(),
        };
        let _ = socket.send(Message::Close(Some(frame))).await;
    }
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}
