//! The sync WebSocket. Each connection must open with `Hello`; a frame the relay cannot
//! accept closes that connection (and only that one) with a close code saying why.
//!
//! After `Join` one task per connection serves, in this order of priority: shutdown, access
//! re-checks, the client's frames (pushes are committed and acked before anything else
//! happens), presence, and the stream of what the client lacks, one `Records` batch at a time
//! whenever the workspace's doorbell says the log grew past the connection's cursor.

use axum::Extension;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use kith_core::api::Role;
use kith_core::changes::{CheckedChange, Unacceptable, check_pushed};
use kith_core::ids::RecordId;
use kith_core::protocol::{
    self, ClientMessage, CloseCode, MAX_CHANGE_BYTES, MAX_PUSH_CHANGES, PushedChange, Refusal,
    ServerMessage, Viewer,
};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::AppState;
use crate::api::access::{Access, Denied, authorize};
use crate::serve::ConnectionPlace;
use crate::sync::stream::Stream;
use crate::sync::{AnonymousGuard, RoomHandle, log};

/// Close reasons are limited to 123 bytes by RFC 6455.
const MAX_REASON_BYTES: usize = 123;

/// Read buffer reserved per socket.
const READ_BUFFER_BYTES: usize = 8 * 1024;
/// Frames are written out once this much is buffered (or on flush).
const WRITE_BUFFER_BYTES: usize = 128 * 1024;

/// How long a closing connection waits for the client's Close.
const CLOSE_HANDSHAKE: std::time::Duration = std::time::Duration::from_secs(2);

const UNAUTHORIZED: &str = "the session is unknown, expired or signed out: sign in again";
/// The same words whether the workspace exists or not.
const FORBIDDEN: &str = "no access to this workspace";
const INTERNAL: &str = "the relay could not reach its database; reconnect later";

type Close = (CloseCode, String);

pub async fn upgrade(
    State(state): State<AppState>,
    place: Option<Extension<ConnectionPlace>>,
    ws: WebSocketUpgrade,
) -> Response {
    // Sockets that have not joined yet are limited, so anonymous ones can never take the room
    // signed-in clients, the API and /healthz need.
    let Some(anonymous) = state.hub.anonymous(state.max_anonymous_sockets) else {
        return crate::Error::RateLimited { retry_after: 5 }.into_response();
    };
    // The transport limit sits above ours so an oversized frame still gets our clear 1009 close
    // rather than a dropped socket; only frames past twice the limit are cut off by tungstenite.
    let transport_limit = state.max_frame_bytes.saturating_mul(2);
    ws.max_message_size(transport_limit)
        .max_frame_size(transport_limit)
        // tungstenite reserves its whole read buffer per socket (128 KiB by default): an idle
        // socket should cost little; a big frame still grows the buffer as it arrives.
        .read_buffer_size(READ_BUFFER_BYTES)
        // A client that stops reading cannot make the relay buffer without bound.
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_write_buffer_size(WRITE_BUFFER_BYTES + transport_limit.saturating_mul(2))
        .on_upgrade(move |socket| async move {
            // The connection counts against the limits as long as the socket is open.
            let _place = place;
            serve(socket, state, anonymous).await
        })
}

/// A joined connection: who, where, and what it still has to send.
struct Session {
    token: String,
    workspace: String,
    access: Access,
    room: RoomHandle,
    stream: Stream,
    /// The newest head the doorbell announced.
    head: u64,
    /// The last presence list sent.
    presence: Option<Vec<Viewer>>,
}

fn denied(denied: Denied) -> Close {
    match denied {
        Denied::Unauthorized => (CloseCode::Unauthorized, UNAUTHORIZED.into()),
        Denied::Forbidden => (CloseCode::Forbidden, FORBIDDEN.into()),
    }
}

fn internal(e: &crate::Error) -> Close {
    tracing::error!(error = %e, "sync connection failed");
    (CloseCode::Internal, INTERNAL.into())
}

async fn serve(mut socket: WebSocket, state: AppState, anonymous: AnonymousGuard) {
    let _counted = state.hub.connection();
    let mut anonymous = Some(anonymous);
    let mut access_changes = state.hub.access_changes();
    let mut greeted = false;
    let mut session: Option<Session> = None;
    let join_by = Instant::now() + state.handshake_timeout;
    let mut heard = Instant::now();
    let mut pings = tokio::time::interval_at(
        Instant::now() + state.idle_timeout / 3,
        state.idle_timeout / 3,
    );
    let close = loop {
        if session.is_some() {
            anonymous = None;
        }
        let wants_batch = session.as_ref().is_some_and(|s| s.stream.wants(s.head));
        let (head_rx, presence_rx) = match session.as_mut() {
            Some(s) => (Some(&mut s.room.head), Some(&mut s.room.presence)),
            None => (None, None),
        };
        enum Event {
            Received(Option<Result<Message, axum::Error>>),
            Access,
            Head,
            Presence,
            Batch,
            Ping,
        }
        let event = tokio::select! {
            biased;
            () = state.shutdown.cancelled() => break Some((CloseCode::GoingAway, "relay shutting down".into())),
            () = tokio::time::sleep_until(join_by), if anonymous.is_some() => break Some((
                CloseCode::TimedOut,
                "no workspace was joined in time after connecting".into(),
            )),
            _ = pings.tick() => Event::Ping,
            () = changed(Some(&mut access_changes)) => Event::Access,
            received = socket.recv() => Event::Received(received),
            () = changed(head_rx) => Event::Head,
            () = changed(presence_rx) => Event::Presence,
            () = std::future::ready(()), if wants_batch => Event::Batch,
        };
        let result = match event {
            Event::Ping => {
                if heard.elapsed() >= state.idle_timeout {
                    break Some((CloseCode::TimedOut, "nothing heard from the client".into()));
                }
                match socket.send(Message::Ping(Default::default())).await {
                    Ok(()) => Ok(()),
                    Err(_) => break None,
                }
            }
            Event::Received(received) => {
                heard = Instant::now();
                let frame = match received {
                    None | Some(Ok(Message::Close(_))) => break None,
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "websocket read failed");
                        break read_failed(e);
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
                let message = match protocol::decode::<ClientMessage>(&frame, state.max_frame_bytes)
                {
                    Ok(message) => message,
                    Err(e) => break Some((e.close_code(), e.to_string())),
                };
                handle(&state, &mut socket, &mut greeted, &mut session, message).await
            }
            Event::Access => match session.as_mut() {
                Some(s) => recheck(&state, s).await,
                None => Ok(()),
            },
            Event::Head => {
                if let Some(s) = session.as_mut() {
                    s.head = s.head.max(*s.room.head.borrow_and_update());
                }
                Ok(())
            }
            Event::Presence => match session.as_mut() {
                Some(s) => send_presence(&mut socket, s).await,
                None => Ok(()),
            },
            Event::Batch => match session.as_mut() {
                Some(s) => match s.stream.next(&state.db, &s.room).await {
                    Ok(Some(batch)) => send(&mut socket, &batch).await,
                    Ok(None) => {
                        // The doorbell announced more than the log holds (the workspace was
                        // deleted, say): wait for the next ring instead of asking again.
                        s.head = s.stream.cursor();
                        Ok(())
                    }
                    Err(e) => Err(Some(internal(&e))),
                },
                None => Ok(()),
            },
        };
        match result {
            Ok(()) => {}
            Err(close) => break close,
        }
    };
    if let Some((code, reason)) = close {
        tracing::debug!(code = code.code(), %reason, "closing websocket");
        let frame = CloseFrame {
            code: code.code(),
            reason: truncate(reason, MAX_REASON_BYTES).into(),
        };
        if socket.send(Message::Close(Some(frame))).await.is_ok() {
            // Finish the closing handshake: read (and drop) what the client sent meanwhile
            // until its Close. Dropping a socket with unread data resets the connection, and
            // the client could lose the close frame, and acks before it, in the reset.
            let _ = tokio::time::timeout(CLOSE_HANDSHAKE, async {
                while let Some(Ok(message)) = socket.recv().await {
                    if matches!(message, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
        }
    }
}

/// How a failed WebSocket read ends the connection: `None` when the peer is gone, else the
/// close code that names what was wrong with what it sent.
fn read_failed(e: axum::Error) -> Option<Close> {
    use tungstenite::error::Error as WsError;
    let inner = e.into_inner();
    let Some(error) = inner.downcast_ref::<WsError>() else {
        return Some((CloseCode::ProtocolError, inner.to_string()));
    };
    let code = match error {
        WsError::ConnectionClosed | WsError::AlreadyClosed | WsError::Io(_) => return None,
        WsError::Capacity(_) => CloseCode::TooBig,
        WsError::Utf8(_) => CloseCode::InvalidPayload,
        _ => CloseCode::ProtocolError,
    };
    Some((code, error.to_string()))
}

/// Resolves when the watch changes; never when there is none (or its sender is gone).
async fn changed<T>(receiver: Option<&mut watch::Receiver<T>>) {
    if let Some(receiver) = receiver
        && receiver.changed().await.is_ok()
    {
        return;
    }
    std::future::pending().await
}

/// `Err(None)`: the peer is gone; `Err(Some(close))`: close with this code and reason.
type Step = Result<(), Option<Close>>;

async fn send(socket: &mut WebSocket, message: &ServerMessage) -> Step {
    socket
        .send(Message::Binary(protocol::encode(message).into()))
        .await
        .map_err(|_| None)
}

async fn handle(
    state: &AppState,
    socket: &mut WebSocket,
    greeted: &mut bool,
    session: &mut Option<Session>,
    message: ClientMessage,
) -> Step {
    let violation = |why: &str| Err(Some((CloseCode::ProtocolViolation, why.to_string())));
    match message {
        ClientMessage::Hello { client } => {
            tracing::debug!(%client, "client connected");
            *greeted = true;
            send(
                socket,
                &ServerMessage::Welcome {
                    relay_version: env!("CARGO_PKG_VERSION").into(),
                    relay_id: state.relay_id.to_string(),
                },
            )
            .await
        }
        _ if !*greeted => violation("the first message must be Hello"),
        ClientMessage::Ping { nonce } => send(socket, &ServerMessage::Pong { nonce }).await,
        ClientMessage::Join {
            token,
            workspace,
            cursor,
        } => {
            if session.is_some() {
                return violation("this connection already joined a workspace");
            }
            let joined = join(state, token, workspace, cursor).await?;
            let reply = ServerMessage::Joined {
                workspace: joined.workspace.clone(),
                user: joined.access.user.id.clone(),
                role: joined.access.role,
                head: joined.head,
            };
            let joined = session.insert(joined);
            send(socket, &reply).await?;
            send_presence(socket, joined).await
        }
        ClientMessage::Push { batch, changes } => {
            let Some(s) = session.as_mut() else {
                return violation("Join a workspace before pushing");
            };
            let reply = push(state, s, batch, changes).await?;
            send(socket, &reply).await
        }
        ClientMessage::Erase { batch, record } => {
            let Some(s) = session.as_mut() else {
                return violation("Join a workspace before erasing");
            };
            let reply = erase(state, s, batch, &record).await?;
            send(socket, &reply).await
        }
        ClientMessage::Viewing { record } => {
            let Some(s) = session.as_mut() else {
                return violation("Join a workspace before sending Viewing");
            };
            let record = match record.as_deref().map(RecordId::parse) {
                None => None,
                Some(Ok(id)) => Some(id.to_string()),
                Some(Err(e)) => return Err(Some((CloseCode::Malformed, format!("Viewing: {e}")))),
            };
            s.room
                .viewing(&s.access.user.id, &s.access.user.name, record);
            Ok(())
        }
    }
}

async fn join(
    state: &AppState,
    token: String,
    workspace: String,
    cursor: u64,
) -> Result<Session, Option<Close>> {
    let access = match authorize(&state.db, &token, &workspace).await {
        Ok(Ok(access)) => access,
        Ok(Err(d)) => return Err(Some(denied(d))),
        Err(e) => return Err(Some(internal(&e))),
    };
    let head = match log::head(&state.db, &workspace).await {
        Ok(Some(head)) => head,
        // Deleted between the two reads: the same answer as any other workspace.
        Ok(None) => return Err(Some(denied(Denied::Forbidden))),
        Err(e) => return Err(Some(internal(&e))),
    };
    let room = state.hub.enter(&workspace, head);
    let known = (*room.head.borrow()).max(head);
    Ok(Session {
        stream: Stream::new(workspace.clone(), cursor, head),
        token,
        workspace,
        access,
        room,
        head: known,
        presence: None,
    })
}

async fn send_presence(socket: &mut WebSocket, session: &mut Session) -> Step {
    let viewers = session.room.viewers_for(&session.access.user.id);
    if session.presence.as_ref() == Some(&viewers) {
        return Ok(());
    }
    session.presence = Some(viewers.clone());
    send(socket, &ServerMessage::Presence { viewers }).await
}

/// Runs the access check again; a lost session or membership ends the connection.
async fn recheck(state: &AppState, session: &mut Session) -> Step {
    match authorize(&state.db, &session.token, &session.workspace).await {
        Ok(Ok(access)) => {
            session.access = access;
            Ok(())
        }
        Ok(Err(d)) => Err(Some(denied(d))),
        Err(e) => {
            // Keep serving on a passing database error: the next push checks again.
            tracing::warn!(error = %e, "access re-check failed");
            Ok(())
        }
    }
}

fn refused(batch: u64, reason: Refusal, message: String) -> ServerMessage {
    ServerMessage::PushRefused {
        batch,
        reason,
        message,
    }
}

/// Checks a push completely, then stores it in one transaction; the answer is sent only
/// after the commit. A refused push stores nothing.
async fn push(
    state: &AppState,
    session: &mut Session,
    batch: u64,
    changes: Vec<PushedChange>,
) -> Result<ServerMessage, Option<Close>> {
    if changes.len() > MAX_PUSH_CHANGES {
        return Ok(refused(
            batch,
            Refusal::TooLarge,
            format!(
                "{} changes in one push; at most {MAX_PUSH_CHANGES} are accepted",
                changes.len()
            ),
        ));
    }
    recheck(state, session).await?;
    if !session.access.role.can_write() {
        return Ok(refused(
            batch,
            Refusal::ReadOnly,
            format!(
                "a {} of this workspace can read but not change records",
                Role::as_str(session.access.role)
            ),
        ));
    }
    // Sizes count what would be stored: each change inflated, and the push as a whole.
    // No more than an honest client sends uncompressed in one frame: a compressed push cannot
    // make one commit (and the wait of every other workspace behind it) any longer.
    let push_limit = state.max_frame_bytes;
    let mut stored = 0usize;
    let mut valid: Vec<(String, CheckedChange)> = Vec::with_capacity(changes.len());
    for (i, change) in changes.iter().enumerate() {
        let record = match RecordId::parse(&change.record) {
            Ok(id) => id.to_string(),
            Err(_) => {
                return Ok(refused(
                    batch,
                    Refusal::Invalid,
                    format!("change {i}: the record id is not a UUID"),
                ));
            }
        };
        let checked = match check_pushed(&change.bytes, MAX_CHANGE_BYTES) {
            Ok(checked) => checked,
            Err(Unacceptable::TooLarge(why)) => {
                return Ok(refused(
                    batch,
                    Refusal::TooLarge,
                    format!("change {i}: {why}"),
                ));
            }
            Err(Unacceptable::Invalid(why)) => {
                return Ok(refused(
                    batch,
                    Refusal::Invalid,
                    format!("change {i}: {why}"),
                ));
            }
        };
        stored += checked.change.bytes.len();
        if stored > push_limit {
            return Ok(refused(
                batch,
                Refusal::TooLarge,
                format!(
                    "the push stores more than {push_limit} bytes once inflated; send fewer changes at a time"
                ),
            ));
        }
        valid.push((record, checked));
    }
    let pusher = log::Pusher {
        user: &session.access.user.id,
        may_relay_others: session.access.role.can_relay_others(),
        workspace_quota: state.workspace_quota_bytes,
    };
    // One push at a time per workspace on this relay: a workspace pushing at its limits holds
    // one database connection, never the whole pool.
    let _turn = session.room.push_turn().await;
    let appended = match log::append(&state.db, &session.workspace, pusher, &valid).await {
        Ok(log::Outcome::Appended(appended)) => appended,
        Ok(log::Outcome::Refused(reason, message)) => return Ok(refused(batch, reason, message)),
        Ok(log::Outcome::NoWorkspace) => return Err(Some(denied(Denied::Forbidden))),
        Err(e) => return Err(Some(internal(&e))),
    };
    if !appended.added.is_empty() {
        session
            .stream
            .pushed(appended.added.iter().map(|(seq, _)| *seq));
        state.hub.touched(
            &session.workspace,
            appended.added.into_iter().map(|(_, r)| r),
        );
        state.hub.ring(&session.workspace, appended.head);
    }
    Ok(ServerMessage::Ack {
        batch,
        head: appended.head,
    })
}

async fn erase(
    state: &AppState,
    session: &mut Session,
    batch: u64,
    record: &str,
) -> Result<ServerMessage, Option<Close>> {
    let Ok(record) = RecordId::parse(record) else {
        return Ok(refused(
            batch,
            Refusal::Invalid,
            "the record id is not a UUID".into(),
        ));
    };
    recheck(state, session).await?;
    if !session.access.role.can_write() {
        return Ok(refused(
            batch,
            Refusal::ReadOnly,
            format!(
                "a {} of this workspace cannot erase records",
                Role::as_str(session.access.role)
            ),
        ));
    }
    // Erasing cannot be undone and reaches every device: it is for owners and admins.
    if !session.access.role.can_erase() {
        return Ok(refused(
            batch,
            Refusal::Invalid,
            "only an owner or admin of this workspace can erase records; ask one to do it".into(),
        ));
    }
    let head = match log::erase(
        &state.db,
        &session.workspace,
        &session.access.user.id,
        record.as_str(),
    )
    .await
    {
        Ok(log::Erasure::Done(head)) => head,
        Ok(log::Erasure::NoSuchRecord) => {
            return Ok(refused(
                batch,
                Refusal::Invalid,
                "the relay holds no record with this id".into(),
            ));
        }
        Ok(log::Erasure::TooMany) => {
            return Ok(refused(
                batch,
                Refusal::TooLarge,
                format!(
                    "{} records were erased in the last hour; try again later",
                    log::ERASURES_PER_HOUR
                ),
            ));
        }
        Ok(log::Erasure::NoWorkspace) => return Err(Some(denied(Denied::Forbidden))),
        Err(e) => return Err(Some(internal(&e))),
    };
    state.hub.ring(&session.workspace, head);
    Ok(ServerMessage::Ack { batch, head })
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
