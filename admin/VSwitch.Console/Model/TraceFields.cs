namespace VSwitch.Console.Model;

/// <summary>
/// The trace dialog's fields: a packet entering a port, field by field, and the words the trace API takes for it
/// (<c>tcp 198.18.0.1:40000 &gt; 198.18.0.2:80 syn</c>, <c>icmp 198.18.0.1 &gt; 198.18.0.2</c>).
/// </summary>
/// <remarks>Ports are left out when empty (ICMP has none); an IPv6 address with a port is written in brackets. The API
/// checks the words and says what is wrong, in the dialog.</remarks>
public sealed record TraceFields(string PortId, string Protocol, string Source, string SourcePort, string Destination,
    string DestinationPort, string Flags)
{
    public static TraceFields Default { get; } = new("", "tcp", "198.18.0.1", "40000", "198.18.0.2", "80", "syn");

    /// <summary>The packet in the trace API's words.</summary>
    public string ToPacket()
    {
        static string Endpoint(string address, string port)
        {
            address = address.Trim();
            port = port.Trim();
            return port.Length == 0 ? address : address.Contains(':') ? $"[{address}]:{port}" : $"{address}:{port}";
        }
        var icmp = Protocol.Trim().StartsWith("icmp", StringComparison.OrdinalIgnoreCase) || Protocol.Contains("icmp", StringComparison.OrdinalIgnoreCase);
        var words = $"{Protocol.Trim()} {Endpoint(Source, icmp ? "" : SourcePort)} > {Endpoint(Destination, icmp ? "" : DestinationPort)}";
        return Flags.Trim().Length == 0 ? words : $"{words} {Flags.Trim()}";
    }
}
