//! Dragging with real WebDriver pointer input (mouse or touch), as a person would: press,
//! move in steps, release. Chromium turns it into the same pointer events a hand makes.

use std::time::Duration;

use anyhow::{Context, Result};
use fantoccini::actions::{
    InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction, TouchActions,
};

use crate::Browser;

/// How the drag is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pointer {
    Mouse,
    /// Touch: presses and holds briefly before moving (a swipe without holding scrolls).
    Touch,
}

impl Browser {
    /// Drags the element at `from` onto the centre of the element at `to`.
    pub async fn drag(&self, from: &str, to: &str, pointer: Pointer) -> Result<()> {
        let source = self.find(from).await?;
        let target = self.find(to).await?;
        let steps = |to: &fantoccini::elements::Element| {
            let mut actions = vec![
                PointerAction::MoveToElement {
                    element: source.clone(),
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                },
                PointerAction::Down {
                    button: MOUSE_BUTTON_LEFT,
                },
            ];
            if pointer == Pointer::Touch {
                actions.push(PointerAction::Pause {
                    duration: Duration::from_millis(600),
                });
            }
            actions.extend([
                PointerAction::MoveBy {
                    duration: Some(Duration::from_millis(100)),
                    x: 12.0,
                    y: 6.0,
                },
                PointerAction::MoveToElement {
                    element: to.clone(),
                    duration: Some(Duration::from_millis(300)),
                    x: 0.0,
                    y: -10.0,
                },
                PointerAction::MoveToElement {
                    element: to.clone(),
                    duration: Some(Duration::from_millis(100)),
                    x: 0.0,
                    y: 0.0,
                },
                PointerAction::Up {
                    button: MOUSE_BUTTON_LEFT,
                },
            ]);
            actions
        };
        let result = match pointer {
            Pointer::Mouse => {
                let actions = steps(&target)
                    .into_iter()
                    .fold(MouseActions::new("mouse".into()), InputSource::then);
                self.client().perform_actions(actions).await
            }
            Pointer::Touch => {
                let actions = steps(&target)
                    .into_iter()
                    .fold(TouchActions::new("finger".into()), InputSource::then);
                self.client().perform_actions(actions).await
            }
        };
        result.with_context(|| format!("dragging {from} onto {to} by {pointer:?}"))?;
        self.client()
            .release_actions()
            .await
            .context("releasing pointer input")?;
        Ok(())
    }
}
