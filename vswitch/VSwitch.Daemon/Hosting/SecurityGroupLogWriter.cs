using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VSwitch.Control;
using VSwitch.Control.Model;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Packets;

namespace VSwitch.Daemon.Hosting;

/// <summary>
/// Writes the security-group log: takes the events the workers put on their log rings, applies Neutron's rate and
/// burst limits, and appends one JSON line per event to <c>security-group.log</c> in the state directory.
/// </summary>
/// <remarks>
/// <para><b>What.</b> Every <see cref="Interval"/> (100 ms) <see cref="DrainOnce"/> empties each worker's
/// <see cref="SecurityGroupLogRing"/>, passes each event through one <see cref="TokenBucket"/> on the event's own time
/// (<c>rate_limit</c> 100/s and <c>burst_limit</c> 25 by default, as Neutron's <c>[network_log]</c>), counts the ones
/// over the limit (<see cref="Suppressed"/>), and resolves the rest against the applied model: the port in the slot,
/// the enabled network logs that cover it for that event kind (<c>log_resource_ids</c>; an event no log covers any
/// more is skipped), and for ACCEPT the rule and group that allowed the connection.</para>
/// <para><b>Line format.</b> One JSON object per line, with the fields of Neutron's OVS log driver:
/// <c>time</c> (UTC, ms), <c>action</c> (ACCEPT|DROP), <c>project_id</c>, <c>log_resource_ids</c>, <c>vm_port</c>
/// (port id), <c>port_name</c>, <c>direction</c> (ingress|egress, from the VM's view), <c>ethertype</c>,
/// <c>protocol</c>, <c>src</c>, <c>dst</c>, <c>src_port</c>/<c>dst_port</c> (TCP, UDP, SCTP) or
/// <c>icmp_type</c>/<c>icmp_code</c>, and <c>security_group_id</c>/<c>rule_id</c> for ACCEPT or <c>reason</c>
/// (security_group|conntrack_invalid) for DROP. A packet that came in by a floating IP or leaves as one adds
/// <c>floating_ip</c> (not in Neutron's driver, whose log sees only the fixed IP): <c>src</c>/<c>dst</c> stay the
/// addresses the VM sees.</para>
/// <para><b>The file.</b> Opened in append mode for each batch of lines and closed after it (at most ten times a
/// second), so every batch is flushed, and a file that was removed or rotated away is simply created again by the next
/// batch: no inode tracking, no SIGHUP needed for logrotate.</para>
/// <para><b>Why here.</b> The workers never format, allocate, lock or touch a file for logging (STYLE rule 2): they
/// copy a 64-byte event into their own ring and move on, losing it (counted) if the ring is full. Resolving slots to
/// Neutron ids here means a port whose slot was reused within one interval can be misattributed; the interval keeps
/// that window at 100 ms.</para>
/// <para><b>Thread-safety.</b> <see cref="DrainOnce"/> is the rings' single consumer; it serialises its callers (the
/// timer loop and tests). <see cref="Suppressed"/> and <see cref="Written"/> may be read from any thread.</para>
/// </remarks>
public sealed partial class SecurityGroupLogWriter : BackgroundService
{
    /// <summary>The log's file name inside the state directory.</summary>
    public const string FileName = "security-group.log";

    /// <summary>How often the rings are drained.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private const int ChunkSize = 256;

    private readonly Reconciler _reconciler;
    private readonly TokenBucket _bucket;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly SecurityGroupLogEvent[] _chunk = new SecurityGroupLogEvent[ChunkSize];
    private readonly List<SecurityGroupLogEvent> _admitted = [];
    private long _suppressed;
    private long _written;
    private bool _reportedFailure;

    public SecurityGroupLogWriter(Reconciler reconciler, string path, int rateLimit, int burstLimit, ILogger<SecurityGroupLogWriter> log)
    {
        _reconciler = reconciler;
        Path = path;
        _bucket = new TokenBucket(rateLimit, burstLimit);
        _log = log;
    }

    /// <summary>The log file.</summary>
    public string Path { get; }

    /// <summary>Events not written because they exceeded the rate and burst limits.</summary>
    public long Suppressed => Volatile.Read(ref _suppressed);

    /// <summary>Lines written.</summary>
    public long Written => Volatile.Read(ref _written);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                DrainOnce();
            }
        }
        catch (OperationCanceledException)
        {
        }
        DrainOnce();
    }

    /// <summary>Takes every event now on the rings, rate-limits, resolves and appends them; returns the lines written.</summary>
    public int DrainOnce()
    {
        lock (_gate)
        {
            _admitted.Clear();
            foreach (var worker in _reconciler.Datapath.Workers)
            {
                int n;
                while ((n = worker.SecurityGroupLog.Drain(_chunk)) > 0)
                {
                    for (var i = 0; i < n; i++)
                    {
                        if (_bucket.TryTake(_chunk[i].UnixTimeMs))
                        {
                            _admitted.Add(_chunk[i]);
                        }
                        else
                        {
                            Interlocked.Increment(ref _suppressed);
                        }
                    }
                }
            }
            if (_admitted.Count == 0)
            {
                return 0;
            }
            var text = _reconciler.ReadConsistent((model, statuses) =>
            {
                var bySlot = new Dictionary<int, PortSpec>();
                foreach (var (id, status) in statuses)
                {
                    if (status.Slot >= 0 && model.Ports.TryGetValue(id, out var spec))
                    {
                        bySlot[status.Slot] = spec;
                    }
                }
                var sb = new StringBuilder(_admitted.Count * 400);
                var lines = 0;
                foreach (var item in _admitted)
                {
                    if (bySlot.TryGetValue(item.PortSlot, out var port) && Format(sb, in item, port, model))
                    {
                        lines++;
                    }
                }
                return (sb.ToString(), lines);
            });
            if (text.lines == 0)
            {
                return 0;
            }
            try
            {
                using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
                file.Write(Encoding.UTF8.GetBytes(text.Item1));
                _reportedFailure = false;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (!_reportedFailure)
                {
                    _reportedFailure = true;
                    WriteFailed(_log, Path, ex.Message);
                }
                return 0;
            }
            Interlocked.Add(ref _written, text.lines);
            return text.lines;
        }
    }

    /// <summary>Appends the line of one event; false (nothing appended) if no enabled log covers the port for it now.</summary>
    private bool Format(StringBuilder sb, in SecurityGroupLogEvent item, PortSpec port, SwitchModel model)
    {
        var accept = item.Action == SecurityGroupLogAction.Accept;
        var logs = NetworkLogOperations.LogsOf(model, port).Where(l => accept ? l.LogsAccept : l.LogsDrop).Select(l => l.Id).ToList();
        if (logs.Count == 0)
        {
            return false;
        }
        using var buffer = new MemoryStream(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", DateTimeOffset.FromUnixTimeMilliseconds(item.UnixTimeMs).UtcDateTime
                .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("action", accept ? "ACCEPT" : "DROP");
            json.WriteString("project_id", port.ProjectId.Value);
            json.WriteStartArray("log_resource_ids");
            foreach (var id in logs)
            {
                json.WriteStringValue(id);
            }
            json.WriteEndArray();
            json.WriteString("vm_port", port.Id);
            json.WriteString("port_name", port.Name);
            json.WriteString("direction", item.Direction.Label());
            var ip = item.EtherType is 0x0800 or 0x86DD;
            json.WriteString("ethertype", item.EtherType switch
            {
                0x0800 => "IPv4",
                0x86DD => "IPv6",
                0x0806 => "ARP",
                _ => $"0x{item.EtherType:x4}",
            });
            if (ip)
            {
                json.WriteString("protocol", ProtocolName(item.Protocol));
                json.WriteString("src", item.Source.ToString());
                json.WriteString("dst", item.Destination.ToString());
                if (item.Protocol is IpProtocol.Icmp or IpProtocol.Icmpv6)
                {
                    json.WriteNumber("icmp_type", item.SourcePort);
                    json.WriteNumber("icmp_code", item.DestinationPort);
                }
                else if (ProtocolNames.HasPorts(item.Protocol))
                {
                    json.WriteNumber("src_port", item.SourcePort);
                    json.WriteNumber("dst_port", item.DestinationPort);
                }
                if (item.FloatingIpv4 != 0)
                {
                    json.WriteString("floating_ip", IpAddress128.FromIpv4(item.FloatingIpv4).ToString());
                }
            }
            else
            {
                json.WriteNull("protocol");
            }
            if (accept)
            {
                var rule = item.RuleSlot >= 0 && _reconciler.RuleOfSlot(item.RuleSlot) is { } ruleId ? model.FindRule(ruleId) : null;
                if (rule is not null)
                {
                    json.WriteString("security_group_id", rule.SecurityGroupId);
                    json.WriteString("rule_id", rule.Id);
                }
                else
                {
                    json.WriteNull("security_group_id");
                    json.WriteNull("rule_id");
                }
            }
            else
            {
                json.WriteString("reason", item.Reason.Label());
            }
            json.WriteEndObject();
        }
        sb.Append(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).Append('\n');
        return true;
    }

    private static string ProtocolName(byte protocol) => protocol switch
    {
        IpProtocol.Tcp => "tcp",
        IpProtocol.Udp => "udp",
        IpProtocol.Icmp => "icmp",
        IpProtocol.Icmpv6 => "ipv6-icmp",
        IpProtocol.Sctp => "sctp",
        _ => protocol.ToString(CultureInfo.InvariantCulture),
    };

    [LoggerMessage(400, LogLevel.Warning, "security-group log {Path} cannot be written ({Reason}); lines are lost until it can")]
    private static partial void WriteFailed(ILogger logger, string path, string reason);
}
