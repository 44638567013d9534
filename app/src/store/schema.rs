//! The database schema: object store names, the ordered migrations, and opening/deleting a
//! database (upgrade, "blocked" by another tab, "too new").

use std::cell::{Cell, OnceCell, RefCell};
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use indexed_db_futures::KeyPath;
use indexed_db_futures::database::Database;
use indexed_db_futures::error::{Error as IdbError, OpenDbError};
use indexed_db_futures::factory::DBFactory;
use indexed_db_futures::internals::SystemRepr;
use indexed_db_futures::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{IdbObjectStore, IdbOpenDbRequest, IdbTransaction};

use super::StoreError;

pub(crate) const RECORDS: &str = "records";
pub(crate) const SUMMARIES: &str = "summaries";
pub(crate) const OUTBOX: &str = "outbox";
pub(crate) const META: &str = "meta";
/// Index of `summaries` on the value's `kind`.
pub(crate) const KIND_INDEX: &str = "kind";

/// One schema step. Versions start at 1 and increase by one; a step only adds (stores, indexes,
/// rewritten values), so a database at any older version upgrades without losing data.
/// Introducing a new value layout (`v: 2`) also takes a step, so an older app never meets it.
#[derive(Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub apply: fn(&Upgrade<'_>) -> Result<(), IdbError>,
}

/// What a migration may touch: the database (to create stores) and the upgrade transaction
/// (to reach stores created by earlier versions).
pub struct Upgrade<'a> {
    db: &'a Database,
    tx: IdbTransaction,
}

impl Upgrade<'_> {
    pub fn db(&self) -> &Database {
        self.db
    }

    /// An existing object store, inside the upgrade transaction.
    pub fn store(&self, name: &str) -> Result<IdbObjectStore, IdbError> {
        self.tx.object_store(name).map_err(IdbError::from)
    }
}

/// The app's schema, oldest first. Append; never edit a step that has shipped.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    apply: v1,
}];

fn v1(up: &Upgrade<'_>) -> Result<(), IdbError> {
    let db = up.db();
    db.create_object_store(RECORDS).build()?;
    let summaries = db.create_object_store(SUMMARIES).build()?;
    summaries
        .create_index(KIND_INDEX, KeyPath::One(KIND_INDEX))
        .build()?;
    db.create_object_store(OUTBOX)
        .with_auto_increment(true)
        .build()?;
    db.create_object_store(META).build()?;
    Ok(())
}

/// The version `migrations` lead to, after checking they are numbered 1, 2, 3…
fn target_version(migrations: &[Migration]) -> Result<u32, StoreError> {
    for (i, m) in migrations.iter().enumerate() {
        if usize::try_from(m.version).ok() != Some(i + 1) {
            return Err(StoreError::Other(format!(
                "schema migrations must be numbered 1, 2, 3…; step {} says {}",
                i + 1,
                m.version
            )));
        }
    }
    migrations
        .last()
        .map(|m| m.version)
        .ok_or_else(|| StoreError::Other("no schema migrations".to_owned()))
}

/// Opens `name` at the version `migrations` lead to, running the steps the database lacks.
pub(crate) async fn open(
    name: &str,
    migrations: &'static [Migration],
) -> Result<Database, StoreError> {
    let target = target_version(migrations)?;
    let blocked = Signal::default();
    let cancelled = Rc::new(Cell::new(false));
    // The upgrade transaction is only reachable through the request.
    let request: Rc<OnceCell<IdbOpenDbRequest>> = Rc::default();

    let mut open = Database::open(name)
        .with_version(target)
        .with_on_blocked({
            let blocked = blocked.clone();
            move |_| {
                blocked.raise();
                Ok(())
            }
        })
        .with_on_upgrade_needed({
            let cancelled = cancelled.clone();
            let request = request.clone();
            move |event, db| {
                let tx = request
                    .get()
                    .and_then(|r| r.transaction())
                    .ok_or(indexed_db_futures::error::UnexpectedDataError::NoEventTarget)?;
                if cancelled.get() {
                    // The caller was told "blocked" and gave up: leave the database as it was.
                    tx.abort()?;
                    return Ok(());
                }
                let from = event.old_version();
                let up = Upgrade { db: &db, tx };
                for step in migrations.iter().filter(|m| f64::from(m.version) > from) {
                    (step.apply)(&up)?;
                }
                Ok(())
            }
        })
        .build()?;
    let _ = request.set(open.as_sys().clone());

    match until_blocked(&mut open, &blocked).await {
        Some(Ok(db)) => Ok(db),
        Some(Err(e)) if dom_name(&e).as_deref() == Some("VersionError") => {
            Err(StoreError::VersionTooNew {
                name: name.to_owned(),
                found: current_version(name).await.unwrap_or(0),
                supported: target,
            })
        }
        Some(Err(e)) => Err(e.into()),
        None => {
            // An open request cannot be withdrawn: let it finish later, harmlessly.
            cancelled.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(db) = open.await {
                    db.close();
                }
            });
            Err(StoreError::Blocked {
                name: name.to_owned(),
            })
        }
    }
}

/// Deletes the database `name`; `Blocked` if a connection elsewhere keeps it open (the deletion
/// then happens once that connection closes).
pub(crate) async fn delete(name: &str) -> Result<(), StoreError> {
    let mut request = DBFactory::new()?.delete_db(name)?;
    let blocked = Signal::default();
    let sys: IdbOpenDbRequest = request.as_sys().clone().unchecked_into();
    let on_blocked = Closure::<dyn FnMut()>::new({
        let blocked = blocked.clone();
        move || blocked.raise()
    });
    sys.set_onblocked(Some(on_blocked.as_ref().unchecked_ref()));
    let outcome = until_blocked(&mut request, &blocked).await;
    sys.set_onblocked(None);
    drop(on_blocked);
    match outcome {
        Some(result) => result.map_err(StoreError::from),
        None => Err(StoreError::Blocked {
            name: name.to_owned(),
        }),
    }
}

/// The version of an existing database (for the "too new" message).
async fn current_version(name: &str) -> Option<u64> {
    let db = Database::open(name).await.ok()?;
    let version = db.version();
    db.close();
    // IndexedDB versions are integers below 2^53.
    Some(version as u64)
}

fn dom_name(e: &OpenDbError) -> Option<String> {
    match e {
        OpenDbError::Base(IdbError::DomException(d)) => {
            Some(web_sys::DomException::from(d.clone()).name())
        }
        _ => None,
    }
}

/// Resolves with the request's outcome, or `None` as soon as the browser reports it blocked.
async fn until_blocked<F: Future + Unpin>(request: &mut F, blocked: &Signal) -> Option<F::Output> {
    poll_fn(|cx| match Pin::new(&mut *request).poll(cx) {
        Poll::Ready(out) => Poll::Ready(Some(out)),
        Poll::Pending if blocked.poll_raised(cx) => Poll::Ready(None),
        Poll::Pending => Poll::Pending,
    })
    .await
}

/// A one-shot flag raised by a browser event and awaited by a future.
#[derive(Clone, Default)]
struct Signal(Rc<RefCell<(bool, Option<Waker>)>>);

impl Signal {
    fn raise(&self) {
        let waker = {
            let mut state = self.0.borrow_mut();
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn poll_raised(&self, cx: &mut Context<'_>) -> bool {
        let mut state = self.0.borrow_mut();
        if !state.0 {
            state.1 = Some(cx.waker().clone());
        }
        state.0
    }
}
