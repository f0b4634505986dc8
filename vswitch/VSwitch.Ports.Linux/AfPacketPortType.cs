using VSwitch.Dataplane.Ports;

namespace VSwitch.Ports.Linux;

/// <summary>
/// <c>afpacket:IFNAME[?rx=v2|v3]</c>: a packet socket on an interface that exists already (the host end of a veth, a
/// VM's <c>vnetN</c> tap) (<see cref="AfPacketPort"/>). The switch did not create the VM's NIC, so it needs the port's
/// MAC given for port security; the interface may vanish and come back, and the port comes back with it.
/// </summary>
public sealed class AfPacketPortType : IPortType
{
    public string Scheme => "afpacket";

    public string Syntax => DeviceString.AfPacketSyntax;

    public PortDevice Parse(string device)
    {
        var parsed = DeviceString.Parse(device);
        if (parsed.Kind != LinuxPortKind.AfPacket)
        {
            throw new PortException($"device '{device}': expected {Syntax}");
        }
        return new PortDevice(device, this, $"afpacket:{parsed.Name}", NeedsMac: true, Revives: true);
    }

    public IPort Open(PortRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Parse(request.Device);
        return AfPacketPort.Open(request.Device, request.QueueCount);
    }
}
