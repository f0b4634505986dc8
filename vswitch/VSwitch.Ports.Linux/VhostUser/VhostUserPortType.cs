using VSwitch.Dataplane.Ports;

namespace VSwitch.Ports.Linux.VhostUser;

/// <summary>
/// <c>vhostuser:PATH[?mode=server|client]</c>: a VM's virtio-net NIC on a vhost-user socket (<see cref="VhostUserPort"/>).
/// One socket path is one port; the VM's MAC is QEMU's (<c>-device virtio-net-pci,mac=</c>), not the switch's, so a
/// port with port security needs its <c>mac_address</c>; the port reconnects by itself (client mode) or waits for the
/// next connection (server mode), so the control plane never has to re-open it.
/// </summary>
public sealed class VhostUserPortType : IPortType
{
    public string Scheme => "vhostuser";

    public string Syntax => VhostUserDevice.Syntax;

    public PortDevice Parse(string device)
    {
        var parsed = VhostUserDevice.Parse(device);
        return new PortDevice(device, this, $"vhostuser:{parsed.Path}", NeedsMac: true, Revives: false);
    }

    public IPort Open(PortRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return VhostUserPort.Open(VhostUserDevice.Parse(request.Device), request.QueueCount);
    }
}
