using Microsoft.Extensions.Logging;
using VSwitch.Control.Configuration;
using VSwitch.Control.Model;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;

namespace VSwitch.Control.Tests;

/// <summary>A port that runs on a fallback path (a TAP port without io_uring) is attached and the reason is logged.</summary>
public sealed class ReconcilerFallbackTests : IDisposable
{
    private readonly Datapath _datapath = new(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048 });
    private readonly ListLogger _log = new();
    private readonly Reconciler _reconciler;

    public ReconcilerFallbackTests()
    {
        _reconciler = new Reconciler(_datapath, new PortTypes(new SlowMemoryPortType()), _log);
    }

    [Fact]
    public void Apply_PortOnFallbackPath_IsActiveAndTheReasonIsLogged()
    {
        _reconciler.Apply(SwitchConfig.Parse("""
            { "networks": [ { "name": "n" } ],
              "ports": [ { "name": "slow", "network": "n", "device": "memory:slow" },
                        { "name": "fast", "network": "n", "device": "memory:fast" } ] }
            """).ToModel());

        Assert.All(_reconciler.Statuses.Values, s => Assert.Equal(PortStatus.Active, s.State));
        var warning = Assert.Single(_log.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("port slow (memory:slow) runs on a fallback path: io_uring_setup: Operation not permitted", warning.Message);
    }

    public void Dispose()
    {
        _reconciler.Dispose();
        _datapath.Dispose();
    }

    /// <summary>Memory ports, with <c>memory:slow</c> an in-memory port that reports a fallback.</summary>
    private sealed class SlowMemoryPortType : IPortType
    {
        private readonly MemoryPortType _memory = new();

        public string Scheme => _memory.Scheme;

        public string Syntax => _memory.Syntax;

        public PortDevice Parse(string device) => _memory.Parse(device) with { Type = this };

        public IPort Open(PortRequest request) =>
            request.Device == "memory:slow" ? new SlowPort(new InMemoryPort(request.Device, request.QueueCount)) : _memory.Open(request);
    }

    private sealed class SlowPort(InMemoryPort inner) : IPort
    {
        public string Device => inner.Device;

        public int QueueCount => inner.QueueCount;

        public string? Failure => inner.Failure;

        public string? Fallback => "io_uring_setup: Operation not permitted";

        public int GetReadyFd(int queue) => inner.GetReadyFd(queue);

        public int Receive(int queue, PacketBatch batch, ref PortErrors errors) => inner.Receive(queue, batch, ref errors);

        public int Transmit(int queue, PacketBatch batch, ref PortErrors errors) => inner.Transmit(queue, batch, ref errors);

        public void Dispose() => inner.Dispose();
    }

    private sealed class ListLogger : ILogger<Reconciler>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
