using VSwitch.Dataplane.Ports;

namespace VSwitch.Ports.Linux;

/// <summary>
/// Opens Linux kernel ports: <c>tap:NAME[@NETNS][?io=uring|syscalls]</c> (<see cref="TapPort"/>) and <c>afpacket:IFNAME[?rx=v2|v3]</c>
/// (<see cref="AfPacketPort"/>).
/// </summary>
/// <remarks>
/// <see cref="Handles"/> answers by scheme alone, so a malformed <c>tap:</c> string reaches <see cref="Create"/> and
/// fails there with a message that says what is wrong, instead of "no factory for device".
/// Thread-safety: stateless; the control plane calls it off the data path.
/// </remarks>
public sealed class LinuxPortFactory : IPortFactory
{
    public bool Handles(string device) => DeviceString.HasLinuxScheme(device);

    public IPort Create(PortRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var parsed = DeviceString.Parse(request.Device);
        return parsed.Kind switch
        {
            LinuxPortKind.Tap => TapPort.Open(request.Device, request.QueueCount, request.Mac),
            _ => AfPacketPort.Open(request.Device, request.QueueCount),
        };
    }
}
