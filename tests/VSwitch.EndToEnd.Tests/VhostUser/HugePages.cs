using System.Globalization;

namespace VSwitch.EndToEnd.Tests.VhostUser;

/// <summary>
/// 2 MiB huge pages for DPDK virtio-user guests (a virtio-user frontend shares its mbufs with the switch, and DPDK
/// only shares huge-page memory). Raises <c>vm.nr_hugepages</c> by what is missing and gives exactly that back on
/// dispose, so a machine that had pages keeps them and one that had none ends with none.
/// </summary>
internal sealed class HugePages : IDisposable
{
    private const string NrPath = "/proc/sys/vm/nr_hugepages";
    private readonly int _added;

    private HugePages(int added) => _added = added;

    /// <summary>
    /// Makes <paramref name="pages"/> free pages available; skips (with the kernel's numbers) only where the kernel
    /// cannot provide them: no hugetlb support, or not enough contiguous memory.
    /// </summary>
    public static HugePages ReserveOrSkip(int pages)
    {
        Skip.IfNot(File.Exists(NrPath), "this kernel has no hugetlb support (no /proc/sys/vm/nr_hugepages)");
        var free = Meminfo("HugePages_Free");
        if (free >= pages)
        {
            return new HugePages(0);
        }
        var total = Meminfo("HugePages_Total");
        var wanted = total + (pages - free);
        File.WriteAllText(NrPath, wanted.ToString(CultureInfo.InvariantCulture));
        var got = Meminfo("HugePages_Total");
        if (got < wanted)
        {
            File.WriteAllText(NrPath, total.ToString(CultureInfo.InvariantCulture));
            Skip.If(true, $"the kernel gave {got - total} of the {wanted - total} huge pages asked for (memory too fragmented)");
        }
        return new HugePages(wanted - total);
    }

    private static int Meminfo(string key)
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith(key + ":", StringComparison.Ordinal));
        return int.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        if (_added > 0)
        {
            var total = Meminfo("HugePages_Total");
            File.WriteAllText(NrPath, Math.Max(0, total - _added).ToString(CultureInfo.InvariantCulture));
        }
    }
}
