//! Accounts on the relay: the API client and the sign-in, sign-up, workspace, invite and
//! member screens. (Being built: see issue 4.)

/// The name to show for a user id seen in a record's history (a teammate's name when known).
pub fn display_name(user_id: &str) -> String {
    user_id.to_owned()
}
