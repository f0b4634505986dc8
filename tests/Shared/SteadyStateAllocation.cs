// Linked into the test projects that check the data path allocates nothing (see their .csproj files).

namespace VSwitch.Tests.Shared;

/// <summary>
/// Measures allocation in steady state: the smallest allocation of several windows of iterations.
/// </summary>
/// <remarks>
/// A window can catch a one-off allocation of the runtime on this thread (tiered JIT compilation promotes hot methods
/// about 100 ms after their first calls, in the middle of a 1 ms loop), so one window is not proof of a leak. An
/// allocation per iteration shows up in every window, so the minimum over windows is zero only when the steady state
/// allocates nothing.
/// </remarks>
internal static class SteadyStateAllocation
{
    public static long MinimumBytes(Action<int> iteration, int iterationsPerWindow = 1000, int windows = 10)
    {
        var minimum = long.MaxValue;
        var i = 0;
        for (var w = 0; w < windows && minimum != 0; w++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var n = 0; n < iterationsPerWindow; n++)
            {
                iteration(i++);
            }
            minimum = Math.Min(minimum, GC.GetAllocatedBytesForCurrentThread() - before);
            // Gives the runtime's background tier-up (about 100 ms after first calls) time to finish between windows.
            Thread.Sleep(50);
        }
        return minimum;
    }
}
