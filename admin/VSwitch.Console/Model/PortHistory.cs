namespace VSwitch.Console.Model;

/// <summary>A port's recent rates, oldest first, one sample per refresh (null where there was no rate yet).</summary>
public sealed record PortSeries(IReadOnlyList<double?> RxPacketsPerSecond, IReadOnlyList<double?> TxPacketsPerSecond,
    IReadOnlyList<double?> DropsPerSecond);

/// <summary>
/// The last minutes of every port's rates, for the graphs of the overview screen.
/// </summary>
/// <remarks>
/// One sample per refresh (a second apart), at most <see cref="Capacity"/> per port. A port that has no sample in a
/// refresh (it is gone) is forgotten, so a new port that reuses nothing starts empty. Memory: three doubles per port
/// per sample, 1,000 ports × 120 samples is under 3 MB. Owned by the console's loop, like <see cref="ConsoleState"/>.
/// </remarks>
public sealed class PortHistory(int capacity = 120)
{
    private readonly Dictionary<string, Ring> _ports = [];

    public int Capacity { get; } = capacity;

    /// <summary>Appends one refresh's rates.</summary>
    public void Add(Overview overview)
    {
        var seen = new HashSet<string>();
        foreach (var p in overview.Ports)
        {
            seen.Add(p.PortId);
            if (!_ports.TryGetValue(p.PortId, out var ring))
            {
                _ports[p.PortId] = ring = new Ring(Capacity);
            }
            ring.Add(p.RxPacketsPerSecond, p.TxPacketsPerSecond, p.DropsPerSecond);
        }
        foreach (var gone in _ports.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _ports.Remove(gone);
        }
    }

    /// <summary>The port's samples, oldest first; empty for a port never seen.</summary>
    public PortSeries Of(string portId) => _ports.TryGetValue(portId, out var ring) ? ring.Series() : new PortSeries([], [], []);

    private sealed class Ring(int capacity)
    {
        private readonly Queue<(double? Rx, double? Tx, double? Drops)> _samples = new(capacity);

        public void Add(double? rx, double? tx, double? drops)
        {
            if (_samples.Count == capacity)
            {
                _samples.Dequeue();
            }
            _samples.Enqueue((rx, tx, drops));
        }

        public PortSeries Series() =>
            new([.. _samples.Select(s => s.Rx)], [.. _samples.Select(s => s.Tx)], [.. _samples.Select(s => s.Drops)]);
    }
}
