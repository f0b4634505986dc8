using VSwitch.Packets;

namespace VSwitch.Dataplane.Ports;

/// <summary>Opens ports from device strings (<c>tap:NAME[@NETNS]</c>, <c>afpacket:IFNAME</c>, <c>memory</c>).</summary>
/// <remarks>Called by the control plane only, never on the data path; failures throw <see cref="PortException"/>.</remarks>
public interface IPortFactory
{
    /// <summary>True when this factory handles the device string's scheme.</summary>
    bool Handles(string device);

    /// <summary>Opens the port, creating the device where the scheme says the switch owns it.</summary>
    IPort Create(PortRequest request);
}

/// <summary>What the control plane asks a factory for.</summary>
/// <param name="Device">The device string.</param>
/// <param name="QueueCount">One queue per worker.</param>
/// <param name="Mac">The port's MAC: a TAP port gives it to the interface it creates (the VM's NIC).</param>
public sealed record PortRequest(string Device, int QueueCount, MacAddress? Mac = null);

/// <summary>A port could not be opened or changed; the message says which device and why.</summary>
public sealed class PortException(string message, Exception? inner = null) : Exception(message, inner);
