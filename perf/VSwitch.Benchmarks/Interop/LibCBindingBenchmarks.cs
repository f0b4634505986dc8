using BenchmarkDotNet.Attributes;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Benchmarks.Interop;

/// <summary>
/// The system calls on the workers' path, through VSwitch's own declarations (<c>LibraryImport</c>, errno saved in
/// generated code) and through Tmds.LibC 0.5.0's (<c>DllImport(SetLastError = true)</c>, an IL stub per call): an
/// <c>epoll_wait</c> with nothing ready (a worker's poll) and an eventfd write and read (a doorbell rung and taken).
/// Issue 20 asks for Tmds.LibC where it costs nothing; this is the number that decides it before any call site moves.
/// </summary>
[MemoryDiagnoser]
public unsafe class LibCBindingBenchmarks
{
    private int _epoll = -1;
    private int _eventfd = -1;

    [GlobalSetup]
    public void Setup()
    {
        _epoll = TmdsLibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        _eventfd = TmdsLibC.eventfd(0, TmdsLibC.EFD_NONBLOCK | TmdsLibC.EFD_CLOEXEC);
        if (_epoll < 0 || _eventfd < 0)
        {
            throw new InvalidOperationException("epoll_create1 or eventfd failed");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        TmdsLibC.close(_eventfd);
        TmdsLibC.close(_epoll);
    }

    [Benchmark(Baseline = true)]
    public int EpollWaitNothingReady_VSwitch()
    {
        epoll_event ev;
        return LibC.epoll_wait(_epoll, &ev, 1, 0);
    }

    [Benchmark]
    public int EpollWaitNothingReady_Tmds()
    {
        Tmds.Linux.epoll_event ev;
        return TmdsLibC.epoll_wait(_epoll, &ev, 1, 0);
    }

    [Benchmark]
    public long EventfdRingAndTake_VSwitch()
    {
        ulong one = 1, taken;
        LibC.write(_eventfd, &one, 8);
        return LibC.read(_eventfd, &taken, 8);
    }

    [Benchmark]
    public long EventfdRingAndTake_Tmds()
    {
        ulong one = 1, taken;
        TmdsLibC.write(_eventfd, &one, 8);
        return TmdsLibC.read(_eventfd, &taken, 8);
    }
}
