using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Ports;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

/// <summary>The workers' optional busy-poll mode (issue 8): polls without sleeping after traffic, forwards as ever.</summary>
public sealed class BusyPollTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);

    private static (Datapath Datapath, InMemoryPort A, InMemoryPort B) Start(int busyPollMicroseconds)
    {
        var datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 4, BusyPollMicroseconds = busyPollMicroseconds });
        var a = new InMemoryPort("memory:a");
        var b = new InMemoryPort("memory:b");
        datapath.Start();
        var ports = new SwitchPort?[4];
        ports[0] = new SwitchPort(0, "a", a, 0, true, null);
        ports[1] = new SwitchPort(1, "b", b, 0, true, null);
        Assert.True(datapath.Publish(new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1])])));
        return (datapath, a, b);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(200_000)]
    public void Frames_AreForwarded_AndBusyPollsHappenOnlyWhenEnabled(int busyPollMicroseconds)
    {
        var (datapath, a, b) = Start(busyPollMicroseconds);
        using (datapath)
        {
            for (var i = 0; i < 20; i++)
            {
                a.Inject(Udp(Mac(1), VSwitch.Packets.MacAddress.Broadcast, payload: i));
                Assert.True(b.TryTake(out _, s_wait), $"frame {i} was not forwarded");
            }
            var polls = datapath.Workers[0].Counters.Read(WorkerCounter.BusyPolls);
            if (busyPollMicroseconds == 0)
            {
                Assert.Equal(0, polls);
            }
            else
            {
                // Twenty frames, each followed by a 200 ms window of non-blocking polls.
                Assert.True(polls > 20, $"only {polls} busy polls with a 200 ms window");
            }
        }
    }

    [Fact]
    public void Datapath_RefusesABusyPollWindowOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Datapath(new DatapathOptions { Workers = 1, BusyPollMicroseconds = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Datapath(new DatapathOptions { Workers = 1, BusyPollMicroseconds = DatapathOptions.MaxBusyPollMicroseconds + 1 }));
    }
}
