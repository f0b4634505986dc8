using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Dataplane.Capture;

/// <summary>Which frames of one port a capture takes (<c>vswitchctl capture --port --direction --drops</c>).</summary>
/// <param name="Slot">The port's data-path slot.</param>
/// <param name="Received">Frames the switch receives on the port (from the VM: the drop counters' egress).</param>
/// <param name="Sent">Frames the switch sends on the port (to the VM: the drop counters' ingress).</param>
/// <param name="DropsOnly">Only frames the switch dropped: exactly those behind the port's drop counters of the directions taken.</param>
public readonly record struct CaptureFilter(int Slot, bool Received, bool Sent, bool DropsOnly)
{
    /// <summary>Whether a frame of <paramref name="direction"/> on the filter's port, dropped or not, is taken.</summary>
    public bool Takes(Direction direction, bool dropped) =>
        (direction == Direction.Egress ? Received : Sent) && (dropped || !DropsOnly);
}
