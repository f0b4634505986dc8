using Prometheus;
using VSwitch.Control.Model;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Daemon.Metrics;

/// <summary>
/// One port's series in every per-port family: made when the port is first exported, updated at each scrape,
/// removed when the port goes, changes its label or its counters restart, so a count never continues another's.
/// </summary>
/// <remarks>
/// The children are kept rather than looked up by label at each scrape: with 1,000 ports a scrape updates ~26,000
/// series, and a lookup by label values costs an array and a hash per series.
/// </remarks>
internal sealed class PortSeries
{
    private readonly Counter.Child[] _counters;
    /// <summary>By <c>reason * 2 + direction</c>; null for a pair the data path does not count until it counts one.</summary>
    private readonly Counter.Child?[] _drops;
    private readonly Gauge.Child _up;
    private readonly Gauge.Child _conntrackEntries;
    private readonly Gauge.Child _conntrackLimit;

    public PortSeries(MetricFamilies families, string label)
    {
        Label = label;
        _counters = [.. families.PortCounters.Select(f => f.Family.WithLabels(label))];
        _drops = new Counter.Child?[(int)DropReason.Count * 2];
        for (var i = 0; i < _drops.Length; i++)
        {
            if (((DropReason)(i / 2)).IsCountedIn((Direction)(i % 2)))
            {
                _drops[i] = DropSeries(families, label, i);
            }
        }
        _up = families.PortUp.WithLabels(label);
        _conntrackEntries = families.PortConntrackEntries.WithLabels(label);
        _conntrackLimit = families.PortConntrackLimit.WithLabels(label);
    }

    /// <summary>The <c>port</c> label's value (unescaped): the port's name, or its id when the name is empty or shared.</summary>
    public string Label { get; }

    public void Publish(MetricFamilies families, PortStats port)
    {
        for (var i = 0; i < _counters.Length; i++)
        {
            _counters[i].IncTo(port.Read(families.PortCounters[i].Counter));
        }
        for (var i = 0; i < _drops.Length; i++)
        {
            if (_drops[i] is null && port.Drops[i] != 0)
            {
                _drops[i] = DropSeries(families, Label, i);
            }
            _drops[i]?.IncTo(port.Drops[i]);
        }
        _up.Set(port.Status == PortStatus.Active ? 1 : 0);
        _conntrackEntries.Set(port.ConntrackEntries);
        _conntrackLimit.Set(port.ConntrackLimit);
    }

    /// <summary>Whether a counter of <paramref name="port"/> is below what its series shows: the port's counters restarted.</summary>
    public bool WentBack(MetricFamilies families, PortStats port)
    {
        for (var i = 0; i < _counters.Length; i++)
        {
            if (port.Read(families.PortCounters[i].Counter) < _counters[i].Value)
            {
                return true;
            }
        }
        for (var i = 0; i < _drops.Length; i++)
        {
            if (_drops[i] is { } series && port.Drops[i] < series.Value)
            {
                return true;
            }
        }
        return false;
    }

    public void Remove()
    {
        foreach (var child in _counters)
        {
            child.Remove();
        }
        foreach (var child in _drops)
        {
            child?.Remove();
        }
        _up.Remove();
        _conntrackEntries.Remove();
        _conntrackLimit.Remove();
    }

    private static Counter.Child DropSeries(MetricFamilies families, string label, int index) =>
        families.PortDrops.WithLabels(label, ((Direction)(index % 2)).Label(), ((DropReason)(index / 2)).Label());
}
