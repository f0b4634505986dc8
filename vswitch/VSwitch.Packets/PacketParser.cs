namespace VSwitch.Packets;

/// <summary>
/// One-pass, allocation-free parser from an Ethernet frame to a <see cref="ParsedPacket"/>.
/// </summary>
public static class PacketParser
{
    /// <summary>Parses <paramref name="frame"/>. Never throws; a malformed frame yields a <see cref="ParseError"/>.</summary>
    public static ParseError Parse(ReadOnlySpan<byte> frame, out ParsedPacket packet)
    {
        packet = default;
        if (frame.Length < 14)
        {
            return ParseError.TruncatedEthernet;
        }
        packet.EthDestination = MacAddress.Read(frame);
        packet.EthSource = MacAddress.Read(frame.Slice(6));
        packet.EtherType = (ushort)((frame[12] << 8) | frame[13]);
        packet.L3Offset = 14;
        // TODO(parser helper): VLAN, ARP, IPv4, IPv6, L4.
        return ParseError.None;
    }
}
