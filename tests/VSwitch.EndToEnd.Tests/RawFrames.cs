namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// Sends and listens for raw Ethernet frames of a local experimental EtherType (0x88B5) inside a namespace, with
/// python3's packet sockets: precise L2 probes that no IP stack answers or filters.
/// </summary>
internal static class RawFrames
{
    private const string ListenScript =
        "import socket,sys\n" +
        "s=socket.socket(17,3,socket.htons(0x88b5)); s.bind((sys.argv[1],0)); s.settimeout(float(sys.argv[3]))\n" +
        "open(sys.argv[4],'w').close()\n" +
        "try:\n" +
        "  while True:\n" +
        "    f=s.recv(2048)\n" +
        "    if sys.argv[2].encode() in f: print('GOT'); break\n" +
        "except socket.timeout: print('NONE')\n";

    private const string SendScript =
        "import socket,sys\n" +
        "s=socket.socket(17,3); s.bind((sys.argv[1],0))\n" +
        "s.send(bytes.fromhex(sys.argv[2].replace(':','')+sys.argv[3].replace(':','')+'88b5')+sys.argv[4].encode()+bytes(46))\n";

    /// <summary>
    /// Starts listening for a frame carrying <paramref name="tag"/> and returns once the packet socket is bound (python
    /// can take seconds to start on a loaded machine; a fixed delay before sending lost frames); the task yields true
    /// when the frame came within <paramref name="seconds"/>.
    /// </summary>
    public static Task<bool> Listen(Lab.Vm vm, string tag, double seconds = 3)
    {
        var script = Path.Combine(Path.GetTempPath(), "vsw-listen.py");
        File.WriteAllText(script, ListenScript);
        var ready = Path.Combine(Path.GetTempPath(), $"vsw-listen-{Guid.NewGuid():N}.ready");
        var listening = Task.Run(() => Shell.Run(vm.Exec($"/usr/bin/python3 {script} {vm.Interface} {tag} {seconds} {ready}"), TimeSpan.FromSeconds(seconds + 15)).Stdout.Contains("GOT", StringComparison.Ordinal));
        SpinWait.SpinUntil(() => File.Exists(ready) || listening.IsCompleted, TimeSpan.FromSeconds(15));
        File.Delete(ready);
        return listening;
    }

    /// <summary>
    /// <see cref="Listen"/> in every VM at once, returning once all are bound. Started one after the other, each
    /// listener's window (it starts at its bind) ran while the next python started, and on a loaded machine the first
    /// window could close before the frame was sent; started together they open within the same second or two.
    /// </summary>
    public static async Task<Task<bool>[]> ListenAll(IEnumerable<Lab.Vm> vms, string tag, double seconds = 5) =>
        // StartNew (not Task.Run, which would unwrap): each outer task ends when its listener is bound.
        await Task.WhenAll(vms.Select(vm => Task.Factory.StartNew(() => Listen(vm, tag, seconds), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default)));

    public static void Send(Lab.Vm vm, string dstMac, string srcMac, string tag)
    {
        var script = Path.Combine(Path.GetTempPath(), "vsw-send.py");
        File.WriteAllText(script, SendScript);
        Shell.Must(vm.Exec($"/usr/bin/python3 {script} {vm.Interface} {dstMac} {srcMac} {tag}"));
    }
}
