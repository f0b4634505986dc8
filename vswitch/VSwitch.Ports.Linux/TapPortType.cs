using VSwitch.Dataplane.Ports;

namespace VSwitch.Ports.Linux;

/// <summary>
/// <c>tap:NAME[@NETNS][?io=uring|syscalls]</c>: a TAP device the switch creates (the VM's NIC, with the port's MAC),
/// owns, moves into namespace NETNS and re-attaches to after a restart (<see cref="TapPort"/>).
/// </summary>
public sealed class TapPortType : IPortType
{
    public string Scheme => "tap";

    public string Syntax => DeviceString.TapSyntax;

    public PortDevice Parse(string device)
    {
        var parsed = DeviceString.Parse(device);
        if (parsed.Kind != LinuxPortKind.Tap)
        {
            throw new PortException($"device '{device}': expected {Syntax}");
        }
        // One interface name is one TAP device, whatever its namespace or I/O path.
        return new PortDevice(device, this, $"tap:{parsed.Name}", NeedsMac: false, Revives: false);
    }

    public IPort Open(PortRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Parse(request.Device);
        return TapPort.Open(request.Device, request.QueueCount, request.Mac);
    }
}
