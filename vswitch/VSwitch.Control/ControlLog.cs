using Microsoft.Extensions.Logging;

namespace VSwitch.Control;

/// <summary>The control plane's log messages (source-generated; nothing here runs per packet).</summary>
internal static partial class ControlLog
{
    [LoggerMessage(1, LogLevel.Information, "port {Port} ({Device}) attached in slot {Slot}, network {Network}")]
    public static partial void PortAttached(ILogger logger, string port, string device, int slot, string network);

    [LoggerMessage(2, LogLevel.Information, "port {Port} ({Device}) detached from slot {Slot}")]
    public static partial void PortDetached(ILogger logger, string port, string device, int slot);

    [LoggerMessage(3, LogLevel.Error, "port {Port} ({Device}) could not be opened: {Reason}")]
    public static partial void PortFailedToOpen(ILogger logger, string port, string device, string reason);

    [LoggerMessage(9, LogLevel.Warning, "port {Port} ({Device}) runs on a fallback path: {Reason}")]
    public static partial void PortFallback(ILogger logger, string port, string device, string reason);

    [LoggerMessage(4, LogLevel.Warning, "port {Port} ({Device}) is down: {Reason}")]
    public static partial void PortWentDown(ILogger logger, string port, string device, string reason);

    [LoggerMessage(5, LogLevel.Information, "port {Port} ({Device}) is back up")]
    public static partial void PortRevived(ILogger logger, string port, string device);

    [LoggerMessage(6, LogLevel.Warning, "a worker did not switch to snapshot {Generation} in time: devices it may still use stay open until it has")]
    public static partial void PublishTimedOut(ILogger logger, long generation);

    [LoggerMessage(9, LogLevel.Information, "{Device}: closed now that every worker has moved past snapshot {Generation}")]
    public static partial void RetiredPortClosed(ILogger logger, string device, long generation);

    [LoggerMessage(7, LogLevel.Information, "applied generation {Generation}: {Ports} ports on {Networks} networks")]
    public static partial void Applied(ILogger logger, long generation, int ports, int networks);

    [LoggerMessage(8, LogLevel.Information, "state {Path}: {Networks} networks, {Ports} ports, {Groups} security groups")]
    public static partial void StateLoaded(ILogger logger, string path, int networks, int ports, int groups);

    [LoggerMessage(10, LogLevel.Information, "floating IP {FloatingIp} no longer translates to {FixedIp}: {Connections} connections through it cut")]
    public static partial void FloatingIpConnectionsCut(ILogger logger, string floatingIp, string fixedIp, int connections);

    [LoggerMessage(11, LogLevel.Information, "SNAT from {Address} stopped (router deleted, gateway moved or enable_snat off): {Bindings} bindings removed")]
    public static partial void SnatBindingsRemoved(ILogger logger, string address, int bindings);
}
