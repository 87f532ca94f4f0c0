//! Dropping root: under `sudo`, wirelab opens what needs root (the capture, the lab's network
//! namespaces, the input file) and then becomes the invoking user for everything else, as
//! tcpdump does with `-Z`. The drop is all or nothing: every thread, groups included, and it
//! fails loudly instead of carrying on as root. Files written afterwards (`-w`, `-o`,
//! `--svg`) are created by the invoking user, so they are theirs.

use crate::error::{AppError, PrivilegeError};

/// Who the process runs as after [`drop_to_invoking_user`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunsAs {
    /// Not root to begin with: nothing to drop.
    User,
    /// Root, not started by sudo (a root shell, CI): there is no user to become.
    Root,
    /// Was root under sudo; now this uid and gid.
    Dropped { uid: u32, gid: u32 },
}

/// Why root could not be dropped.
fn refuse(why: String) -> AppError {
    PrivilegeError { why }.into()
}

/// Under sudo (`SUDO_UID`/`SUDO_GID` set, effective uid 0), becomes the invoking user:
/// supplementary groups cleared, then the gid, then the uid, for every thread of the
/// process. Checks afterwards that no thread kept root and that root cannot be regained.
#[cfg(target_os = "linux")]
pub fn drop_to_invoking_user() -> Result<RunsAs, AppError> {
    use nix::unistd::{Gid, Uid, getegid, geteuid, getgid, getuid, setgid, setgroups, setuid};
    if !geteuid().is_root() {
        return Ok(RunsAs::User);
    }
    let Some(uid_text) = std::env::var_os("SUDO_UID") else {
        return Ok(RunsAs::Root);
    };
    let uid: u32 = uid_text
        .to_str()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| refuse(format!("SUDO_UID is {uid_text:?}, not a user id")))?;
    if uid == 0 {
        return Ok(RunsAs::Root);
    }
    let gid: u32 = match std::env::var("SUDO_GID") {
        Ok(g) => g.trim().parse().map_err(|_| {
            refuse(format!(
                "SUDO_GID is {g:?}, not a group id, so the group to drop to is unknown"
            ))
        })?,
        Err(_) => {
            return Err(refuse(
                "started with sudo (SUDO_UID is set) but SUDO_GID is missing, so the group to drop to is unknown".into(),
            ));
        }
    };
    setgroups(&[]).map_err(|e| refuse(format!("cannot clear the supplementary groups ({e})")))?;
    setgid(Gid::from_raw(gid))
        .map_err(|e| refuse(format!("cannot switch to group {gid} ({e})")))?;
    setuid(Uid::from_raw(uid)).map_err(|e| refuse(format!("cannot switch to user {uid} ({e})")))?;
    if getuid().as_raw() != uid
        || geteuid().as_raw() != uid
        || getgid().as_raw() != gid
        || getegid().as_raw() != gid
    {
        return Err(refuse(format!(
            "switching to user {uid} and group {gid} did not take"
        )));
    }
    if setuid(Uid::from_raw(0)).is_ok() {
        return Err(refuse("root could be regained after the switch".into()));
    }
    if let Some(thread) = thread_still_root() {
        return Err(refuse(format!(
            "thread {thread} is still root after the switch"
        )));
    }
    Ok(RunsAs::Dropped { uid, gid })
}

/// Not Linux: nothing is dropped (wirelab's capture rights there come from the system).
#[cfg(not(target_os = "linux"))]
pub fn drop_to_invoking_user() -> Result<RunsAs, AppError> {
    Ok(RunsAs::User)
}

/// The id of a thread of this process whose real, effective or saved uid is still 0.
#[cfg(target_os = "linux")]
fn thread_still_root() -> Option<String> {
    thread_uids()
        .into_iter()
        .find(|(_, ids)| ids.iter().take(3).any(|&id| id == 0))
        .map(|(task, _)| task)
}

/// With `WIRELAB_SHOW_UIDS` set (the tests set it), lists on stderr the uids (real,
/// effective, saved, filesystem) of every thread of this process, so that a test sees that
/// no thread kept root.
pub fn show_thread_uids() {
    if std::env::var_os("WIRELAB_SHOW_UIDS").is_none() {
        return;
    }
    for (task, ids) in thread_uids() {
        let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
        eprintln!("wirelab: thread {task} uids {}", ids.join(" "));
    }
}

/// The uids (real, effective, saved, filesystem) of every thread of this process.
#[cfg(target_os = "linux")]
fn thread_uids() -> Vec<(String, Vec<u32>)> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|task| {
            let status = std::fs::read_to_string(task.path().join("status")).ok()?;
            let ids = status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))?
                .split_whitespace()
                .filter_map(|id| id.parse().ok())
                .collect();
            Some((task.file_name().to_string_lossy().into_owned(), ids))
        })
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn thread_uids() -> Vec<(String, Vec<u32>)> {
    Vec::new()
}

/// One line for stderr after a drop, so that the switch is never silent.
pub fn announce(runs_as: RunsAs, what: &str) {
    if let RunsAs::Dropped { uid, gid } = runs_as {
        eprintln!("wirelab: {what}; now running as user {uid} (group {gid})");
    }
}
