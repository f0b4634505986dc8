using VSwitch.Packets;

namespace VSwitch.Dataplane.Ports;

/// <summary>What the control plane asks a port type to open.</summary>
/// <param name="Device">The device string.</param>
/// <param name="QueueCount">One queue per worker.</param>
/// <param name="Mac">The port's MAC: a TAP port gives it to the interface it creates (the VM's NIC).</param>
public sealed record PortRequest(string Device, int QueueCount, MacAddress? Mac = null);

/// <summary>A port could not be opened or changed, or a device string is not valid; the message says which device and why.</summary>
public sealed class PortException(string message, Exception? inner = null) : Exception(message, inner);
