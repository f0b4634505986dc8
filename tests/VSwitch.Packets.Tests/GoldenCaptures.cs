// GoldenCaptures: the checked-in pcaps under testdata/ (see testdata/capture.sh for how they were made).

namespace VSwitch.Packets.Tests;

internal static class GoldenCaptures
{
    private static readonly Lazy<byte[][]> s_allFrames = new(() => Names().SelectMany(name => PcapFile.ReadFrames(PathOf(name))).ToArray());

    /// <summary>The directory the pcaps are copied to next to the test assembly.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "testdata");

    /// <summary>Capture names without the .pcap extension, sorted.</summary>
    public static IEnumerable<string> Names()
    {
        var names = System.IO.Directory.GetFiles(Directory, "*.pcap").Select(Path.GetFileNameWithoutExtension).Order().ToArray();
        if (names.Length == 0)
        {
            throw new InvalidOperationException($"no golden captures in {Directory}");
        }
        return names!;
    }

    /// <summary>xunit member data: one row per capture.</summary>
    public static TheoryData<string> Theory()
    {
        var data = new TheoryData<string>();
        foreach (var name in Names())
        {
            data.Add(name);
        }
        return data;
    }

    public static string PathOf(string name) => Path.Combine(Directory, name + ".pcap");

    /// <summary>Every frame of every capture (loaded once).</summary>
    public static byte[][] AllFrames => s_allFrames.Value;
}
