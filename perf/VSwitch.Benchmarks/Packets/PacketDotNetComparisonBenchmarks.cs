using BenchmarkDotNet.Attributes;
using PacketDotNet;
using VSwitch.Packets;

namespace VSwitch.Benchmarks.Packets;

/// <summary>
/// Why the forwarding path has its own parser: the same 64-byte IPv4/UDP frame decoded by the span parser
/// (<see cref="PacketParser"/>, into a struct, nothing allocated) and by PacketDotNet (the library the design names for
/// packets off the fast path: tests, trace input, captures), down to the UDP ports the policy reads.
/// </summary>
[MemoryDiagnoser]
public class PacketDotNetComparisonBenchmarks
{
    private readonly byte[] _udp = BenchmarkFrames.Udp64(BenchmarkFrames.Mac(1), BenchmarkFrames.Mac(2), 7);

    [Benchmark(Baseline = true)]
    public ushort SpanParser() => PacketParser.Parse(_udp, out var parsed) == ParseError.None ? parsed.DestinationPort : (ushort)0;

    [Benchmark]
    public ushort PacketDotNet() => Packet.ParsePacket(LinkLayers.Ethernet, _udp).Extract<UdpPacket>()?.DestinationPort ?? 0;
}
