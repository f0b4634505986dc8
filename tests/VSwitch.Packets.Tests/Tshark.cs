// Tshark: runs tshark over a capture and returns, per frame, every occurrence of a fixed list of fields.
//
// What: `tshark -r FILE -n -T fields -E occurrence=a` with IP and IPv6 reassembly off (so each fragment is dissected
// on its own, as the parser sees it). All occurrences are kept: QinQ has two VLAN ids, and ICMP errors quote an inner
// IP header whose fields come after the outer ones, so "first" means the outer header.
// Why: tshark is the independent oracle for the golden tests. It is required, not optional: when it is missing the
// test fails and says how to install it (scripts/test.sh installs it with apt-get).

using System.Diagnostics;
using System.Globalization;

namespace VSwitch.Packets.Tests;

/// <summary>One frame's fields as tshark printed them.</summary>
internal sealed class TsharkFrame(Dictionary<string, string[]> values)
{
    /// <summary>Every occurrence of <paramref name="field"/> (empty when absent).</summary>
    public string[] All(string field) => values.TryGetValue(field, out var v) ? v : [];

    /// <summary>Occurrence <paramref name="index"/> of <paramref name="field"/>, or null.</summary>
    public string? At(string field, int index = 0)
    {
        var all = All(field);
        return index < all.Length ? all[index] : null;
    }

    /// <summary>Occurrence <paramref name="index"/> as a number (decimal, 0x-hex, or True/False), or null.</summary>
    public long? Number(string field, int index = 0) => ParseNumber(At(field, index));

    public static long? ParseNumber(string? text) => text switch
    {
        null or "" => null,
        "True" => 1,
        "False" => 0,
        _ when text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) => long.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
        _ => long.Parse(text, CultureInfo.InvariantCulture),
    };
}

internal static class Tshark
{
    /// <summary>The fields the golden test compares.</summary>
    public static readonly string[] Fields =
    [
        "frame.number", "frame.len",
        "eth.src", "eth.dst", "eth.type",
        "vlan.id", "vlan.priority", "vlan.etype", "ieee8021ad.id", "ieee8021ad.priority",
        "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac", "arp.dst.proto_ipv4",
        "ip.src", "ip.dst", "ip.proto", "ip.ttl", "ip.len", "ip.hdr_len", "ip.flags.mf", "ip.frag_offset", "ip.id",
        "ipv6.src", "ipv6.dst", "ipv6.plen", "ipv6.hlim", "ipv6.nxt",
        "ipv6.hopopts.nxt", "ipv6.hopopts.len_oct", "ipv6.dstopts.nxt", "ipv6.dstopts.len_oct",
        "ipv6.routing.nxt", "ipv6.routing.len_oct", "ipv6.fraghdr.nxt", "ipv6.fraghdr.offset", "ipv6.fraghdr.more",
        "ipv6.fraghdr.ident",
        "ah.next_header", "ah.length",
        "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.window_size_value", "tcp.hdr_len",
        "udp.srcport", "udp.dstport",
        "sctp.srcport", "sctp.dstport",
        "icmp.type", "icmp.code", "icmp.ident",
        "icmpv6.type", "icmpv6.code", "icmpv6.echo.identifier",
        "icmpv6.nd.ns.target_address", "icmpv6.nd.na.target_address", "icmpv6.opt.type", "icmpv6.opt.linkaddr",
    ];

    /// <summary>The tshark executable on PATH; fails the calling test when there is none.</summary>
    public static string Executable()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "tshark");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        Assert.Fail("tshark is required by the golden parser tests but is not on PATH. Install it with "
            + "`apt-get install -y tshark` (scripts/test.sh does this) and run the tests again.");
        return "";
    }

    /// <summary>Dissects <paramref name="pcapPath"/>; one entry per frame, in order.</summary>
    public static List<TsharkFrame> Dissect(string pcapPath)
    {
        var start = new ProcessStartInfo(Executable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "-r", pcapPath, "-n",
            "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
            "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
        })
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var field in Fields)
        {
            start.ArgumentList.Add("-e");
            start.ArgumentList.Add(field);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("tshark did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill();
            Assert.Fail($"tshark did not finish on {pcapPath}");
        }
        Assert.True(process.ExitCode == 0, $"tshark failed on {pcapPath} (exit {process.ExitCode}): {stderr.Result}");

        var frames = new List<TsharkFrame>();
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var columns = line.Split('\t');
            Assert.True(columns.Length == Fields.Length, $"tshark printed {columns.Length} columns, expected {Fields.Length}: {line}");
            var values = new Dictionary<string, string[]>();
            for (var i = 0; i < Fields.Length; i++)
            {
                if (columns[i].Length != 0)
                {
                    values[Fields[i]] = columns[i].Split(',');
                }
            }
            frames.Add(new TsharkFrame(values));
        }
        return frames;
    }
}
