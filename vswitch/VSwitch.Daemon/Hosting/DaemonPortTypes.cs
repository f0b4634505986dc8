using VSwitch.Dataplane.Ports;
using VSwitch.Ports.Linux;
using VSwitch.Ports.Linux.VhostUser;

namespace VSwitch.Daemon.Hosting;

/// <summary>The port types this daemon offers: the one place a port type is registered (ARCHITECTURE §1).</summary>
public static class DaemonPortTypes
{
    /// <summary>Every type, by scheme; device strings of other schemes are refused.</summary>
    public static PortTypes All { get; } = new(
        new TapPortType(),
        new AfPacketPortType(),
        new VhostUserPortType(),
        new MemoryPortType());
}
