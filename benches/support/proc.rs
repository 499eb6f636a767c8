//! What the kernel says about a process (Linux `/proc`): CPU time and resident memory.

use std::time::Duration;

/// CPU time `pid` has spent on all its threads so far, in nanoseconds of the scheduler's
/// accounting (`/proc/PID/task/*/schedstat`), which is exact where `stat` counts 10 ms ticks.
/// Threads that exited are not counted; the servers measured here keep theirs.
pub(crate) fn cpu_time(pid: u32) -> Option<Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0u64;
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        total += stat
            .split_whitespace()
            .next()
            .and_then(|ns| ns.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(Duration::from_nanos(total))
}

/// Resident memory of `pid` (`VmRSS`), in bytes.
pub(crate) fn resident_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time all cores have spent busy so far (`/proc/stat`: everything but idle and iowait),
/// at the kernel's 100 ticks per second. Minus what the measured processes spent, it tells
/// whether something else ran during a measurement.
pub(crate) fn busy_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .map(|t| t.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal
    let busy: u64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| ticks.get(i))
        .sum();
    Some(Duration::from_millis(busy * 10))
}
