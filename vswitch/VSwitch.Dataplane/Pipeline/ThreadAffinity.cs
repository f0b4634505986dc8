using Tmds.Linux;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Dataplane.Pipeline;

/// <summary>Pins threads to CPUs with <c>sched_setaffinity</c> (Tmds.LibC's binding: set-up calls, not per packet).</summary>
public static unsafe class ThreadAffinity
{
    /// <summary>The CPUs this process may run on, in ascending order.</summary>
    public static int[] AllowedCpus()
    {
        var set = default(cpu_set_t);
        if (TmdsLibC.sched_getaffinity(0, sizeof(cpu_set_t), &set) != 0)
        {
            return Enumerable.Range(0, Environment.ProcessorCount).ToArray();
        }
        // cpu_set_t is opaque in Tmds.LibC: the kernel's bit array of CPUs, read as 64-bit words.
        var mask = (ulong*)&set;
        var cpus = new List<int>();
        for (var i = 0; i < sizeof(cpu_set_t) * 8; i++)
        {
            if ((mask[i / 64] & (1UL << (i % 64))) != 0)
            {
                cpus.Add(i);
            }
        }
        return cpus.ToArray();
    }

    /// <summary>Pins the calling thread to <paramref name="cpu"/>; false when the kernel refuses (or the CPU is beyond a <c>cpu_set_t</c>).</summary>
    public static bool PinCurrentThread(int cpu)
    {
        if ((uint)cpu >= sizeof(cpu_set_t) * 8)
        {
            return false;
        }
        var set = default(cpu_set_t);
        var mask = (ulong*)&set;
        mask[cpu / 64] = 1UL << (cpu % 64);
        return TmdsLibC.sched_setaffinity(0, sizeof(cpu_set_t), &set) == 0;
    }
}
