using VSwitch.Interop;

namespace VSwitch.Dataplane.Pipeline;

/// <summary>Pins threads to CPUs with <c>sched_setaffinity</c>.</summary>
public static unsafe class ThreadAffinity
{
    /// <summary>The CPUs this process may run on, in ascending order.</summary>
    public static int[] AllowedCpus()
    {
        var mask = stackalloc ulong[16];
        if (LibC.sched_getaffinity(0, 16 * sizeof(ulong), mask) != 0)
        {
            return Enumerable.Range(0, Environment.ProcessorCount).ToArray();
        }
        var cpus = new List<int>();
        for (var i = 0; i < 16 * 64; i++)
        {
            if ((mask[i / 64] & (1UL << (i % 64))) != 0)
            {
                cpus.Add(i);
            }
        }
        return cpus.ToArray();
    }

    /// <summary>Pins the calling thread to <paramref name="cpu"/>; false when the kernel refuses.</summary>
    public static bool PinCurrentThread(int cpu)
    {
        var mask = stackalloc ulong[16];
        mask[cpu / 64] = 1UL << (cpu % 64);
        return LibC.sched_setaffinity(0, 16 * sizeof(ulong), mask) == 0;
    }
}
