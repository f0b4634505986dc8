using BenchmarkDotNet.Attributes;
using VSwitch.Packets;

namespace VSwitch.Benchmarks.Packets;

/// <summary>Parsing one 64-byte IPv4/UDP frame into a <see cref="ParsedPacket"/>.</summary>
[MemoryDiagnoser]
public class PacketParserBenchmarks
{
    private readonly byte[] _udp = BenchmarkFrames.Udp64(BenchmarkFrames.Mac(1), BenchmarkFrames.Mac(2), 7);

    [Benchmark]
    public ParseError ParseUdp4() => PacketParser.Parse(_udp, out _);
}
