namespace VSwitch.Control.Model;

/// <summary>What a port is actually doing, next to what was asked (<see cref="PortSpec"/>).</summary>
/// <param name="PortId">The port.</param>
/// <param name="State">ACTIVE, DOWN (admin down or interface gone) or ERROR (could not be opened), as Neutron's <c>status</c>.</param>
/// <param name="Slot">Data-path slot, or -1 when not open.</param>
/// <param name="Reason">Why it is not ACTIVE, or null.</param>
/// <param name="Details">How the open port works (<see cref="VSwitch.Dataplane.Ports.IPort.Details"/>); null when it is not open.</param>
public sealed record PortStatus(Guid PortId, string State, int Slot, string? Reason, IReadOnlyDictionary<string, string>? Details = null)
{
    public const string Active = "ACTIVE";
    public const string Down = "DOWN";
    public const string Error = "ERROR";
}
