namespace VSwitch.Dataplane.Pipeline;

/// <summary>
/// Publishes snapshots to the workers and waits for them to move past the old one (a grace period, as in RCU).
/// </summary>
/// <remarks>
/// Thread-safety: <see cref="Datapath.Publish"/> is called by the control plane (one caller at a time); workers read
/// <see cref="Current"/> once per batch and report the generation they run with through their <c>SeenGeneration</c>.
/// </remarks>
public sealed class SnapshotPublisher
{
    private DataplaneSnapshot _current = DataplaneSnapshot.Empty;

    public DataplaneSnapshot Current => Volatile.Read(ref _current);

    internal void Write(DataplaneSnapshot snapshot) => Volatile.Write(ref _current, snapshot);
}
