namespace VSwitch.Control;

/// <summary>
/// Where the time of one model change went (<see cref="ModelService.LastChange"/>): the pure operation, the durable
/// commit (SQLite with its fsync), and applying it to the data path (<see cref="Reconciler.Apply"/>), within which
/// <see cref="Compile"/> is the policy compile and <see cref="Publish"/> the wait for the workers to switch to the new
/// snapshot; the rest of <see cref="Apply"/> is the reconciler's passes over the ports (statuses, static MAC entries,
/// the snapshot's port records).
/// </summary>
public readonly record struct ChangeTimings(TimeSpan Operation, TimeSpan Commit, TimeSpan Apply, TimeSpan Compile, TimeSpan Publish);
